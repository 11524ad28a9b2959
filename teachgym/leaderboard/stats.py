"""Leaderboard statistics: IQM, bootstrap confidence intervals, normalisation, P(A > B).

Follows Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice":
report the interquartile mean (IQM) of run scores with 95 % bootstrap CIs, and
aggregate across envs on scores normalised per env with a *stratified*
bootstrap (runs resampled within each env). scipy provides the trimmed mean and
the per-env bootstrap; the stratified one is written here because it spans envs.

Normalisation per env: ``(score - random) / (best_known - random)`` where
``random`` is the random teacher's mean score on that env and ``best_known``
is the suite's declared best score for the env, or else the best teacher mean
in the data. Envs without a random-teacher run, or where best == random, are
left out of the aggregate (and say so in ``skipped``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
N_BOOTSTRAP = 2000


def iqm(scores) -> float:
    """Interquartile mean: the mean of the middle 50 % of the scores (25 % trimmed from each end)."""
    return float(stats.trim_mean(np.asarray(scores, dtype=np.float64), 0.25))


def bootstrap_ci(scores, statistic=iqm, rng: np.random.Generator | None = None) -> tuple[float, float]:
    """95 % percentile bootstrap CI of ``statistic`` over the runs (a point interval for fewer than 2 runs)."""
    x = np.asarray(scores, dtype=np.float64)
    if x.size < 2 or np.all(x == x[0]):
        value = statistic(x) if x.size else float("nan")
        return value, value
    rng = rng or np.random.default_rng(0)
    result = stats.bootstrap((x,), lambda s, axis=-1: np.apply_along_axis(statistic, axis, s), vectorized=True,
                             n_resamples=N_BOOTSTRAP, confidence_level=CONFIDENCE, method="percentile", rng=rng)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def probability_of_improvement(a, b) -> float:
    """P(X_a > X_b) for one run of each, ties counting one half (the Mann-Whitney U statistic / (n m))."""
    a = np.asarray(a, dtype=np.float64)[:, None]
    b = np.asarray(b, dtype=np.float64)[None, :]
    return float(np.mean((a > b) + 0.5 * (a == b)))


@dataclass
class TeacherEnvStats:
    teacher: str
    env: str
    n: int
    mean: float
    iqm: float
    iqm_ci: tuple[float, float]
    mean_ci: tuple[float, float]


@dataclass
class AggregateStats:
    teacher: str
    n_envs: int
    iqm: float
    iqm_ci: tuple[float, float]
    mean: float


@dataclass
class LeaderboardStats:
    per_env: dict[str, dict[str, TeacherEnvStats]]
    aggregate: list[AggregateStats]  # ranked, best first
    improvement: dict[tuple[str, str], float]  # (a, b) -> P(a > b), averaged over shared envs
    normalisers: dict[str, tuple[float, float]]  # env -> (random, best)
    skipped: dict[str, str] = field(default_factory=dict)


def compute(scores: Mapping[str, Mapping[str, Iterable[float]]], best_known: Mapping[str, float | None] | None = None,
            baseline: str = "random", seed: int = 0) -> LeaderboardStats:
    """All leaderboard statistics from ``scores[env][teacher] = [score per seed]``."""
    rng = np.random.default_rng(seed)
    best_known = dict(best_known or {})
    data = {env: {t: np.asarray(list(v), dtype=np.float64) for t, v in teachers.items() if len(list(v))}
            for env, teachers in scores.items()}
    per_env: dict[str, dict[str, TeacherEnvStats]] = {}
    for env, teachers in data.items():
        per_env[env] = {t: TeacherEnvStats(t, env, x.size, float(x.mean()), iqm(x), bootstrap_ci(x, iqm, rng),
                                           bootstrap_ci(x, np.mean, rng)) for t, x in teachers.items()}

    normalisers, skipped = {}, {}
    normalised: dict[str, dict[str, np.ndarray]] = {}
    for env, teachers in data.items():
        if baseline not in teachers:
            skipped[env] = f"no '{baseline}' runs to normalise against"
            continue
        low = float(teachers[baseline].mean())
        high = best_known.get(env)
        if high is None:
            high = max(float(x.mean()) for x in teachers.values())
        if not high > low:
            skipped[env] = f"best known score ({high:g}) does not exceed {baseline} ({low:g})"
            continue
        normalisers[env] = (low, float(high))
        normalised[env] = {t: (x - low) / (high - low) for t, x in teachers.items()}

    by_teacher: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for env, teachers in normalised.items():
        for t, x in teachers.items():
            by_teacher[t][env] = x
    aggregate = []
    for t, envs in by_teacher.items():
        pooled = np.concatenate(list(envs.values()))
        aggregate.append(AggregateStats(t, len(envs), iqm(pooled), _stratified_ci(list(envs.values()), rng),
                                        float(pooled.mean())))
    aggregate.sort(key=lambda a: (-a.iqm, a.teacher))

    improvement = {}
    names = sorted({t for teachers in data.values() for t in teachers})
    for a in names:
        for b in names:
            if a == b:
                continue
            shared = [env for env, teachers in data.items() if a in teachers and b in teachers]
            if shared:
                improvement[(a, b)] = float(np.mean([probability_of_improvement(data[e][a], data[e][b]) for e in shared]))
    return LeaderboardStats(per_env, aggregate, improvement, normalisers, skipped)


def _stratified_ci(groups: list[np.ndarray], rng: np.random.Generator) -> tuple[float, float]:
    """Percentile CI of the pooled IQM, resampling runs with replacement within each env."""
    if sum(g.size for g in groups) < 2:
        value = iqm(np.concatenate(groups))
        return value, value
    samples = np.empty(N_BOOTSTRAP)
    resampled = [g[rng.integers(g.size, size=(N_BOOTSTRAP, g.size))] for g in groups]
    pooled = np.concatenate(resampled, axis=1)
    samples[:] = stats.trim_mean(pooled, 0.25, axis=1)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return float(low), float(high)
