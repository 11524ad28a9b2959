"""Rankings that cannot mislead: per-env statistics, then one ranking per group of envs.

Rules (what :func:`compute` guarantees):

- **Same envs only.** A ranking aggregates over its group's envs (by default one group per
  env family). A teacher is ranked only if it has runs on *every* env of the group; a teacher
  missing an env is listed as not ranked, with the envs it lacks, and is never averaged over
  fewer envs than the others.
- **Reference rows.** The baseline teacher (``random``) and *privileged* teachers (which use
  what a real teacher lacks: a published schedule, an oracle) are shown next to the ranking
  with their scores, but never receive a rank.
- **Normalised per env**: ``(score - baseline mean) / (best known - baseline mean)``, so the
  baseline is 0 and the best known score is 1. ``best_known`` comes from the suite, else the best
  mean of a non-privileged teacher in the data. An env without baseline runs, or where the best
  known score does not exceed the baseline, is left out of its group's aggregate (``skipped``).
- **Statistics** (:mod:`teachgym.leaderboard.stats`): per-env IQM with 95 % bootstrap CIs; the
  IQM of the normalised runs pooled over the group's envs with a stratified bootstrap CI; the
  difference to the baseline per env with its CI; the probability of improvement between every
  pair of rows of a group with CIs; performance profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from teachgym.leaderboard import stats

PROFILE_POINTS = 41


@dataclass
class TeacherEnvStats:
    """One teacher on one env.

    Attributes:
        vs_baseline: ``(IQM - baseline IQM, low, high)`` with a 95 % bootstrap CI; None for the
            baseline itself or when the env has no baseline runs.
        scores: the runs' headline scores, by seed order.
    """

    teacher: str
    env: str
    n: int
    mean: float
    iqm: float
    iqm_ci: tuple[float, float]
    mean_ci: tuple[float, float]
    vs_baseline: tuple[float, float, float] | None = None
    scores: list[float] = field(default_factory=list)

    @property
    def beats_baseline(self) -> bool:
        """The 95 % CI of the IQM difference to the baseline lies above 0."""
        return self.vs_baseline is not None and self.vs_baseline[1] > 0.0


@dataclass
class AggregateStats:
    """A teacher over every env of a group: normalised IQM, its CI, and its role."""

    teacher: str
    role: str  # "ranked", "baseline" or "privileged"
    n_envs: int
    iqm: float
    iqm_ci: tuple[float, float]
    mean: float
    rank: int | None = None


@dataclass
class Ranking:
    """The ranking of one group of envs.

    Attributes:
        name: the group's name (an env family, or a name the suite gives).
        family: the env family of the group's envs ("mixed" if they differ).
        envs: the env labels of the group.
        rows: ranked teachers (best first, ``rank`` set), then reference rows.
        unranked: teachers with runs on only some envs of the group -> the envs they lack.
        improvement: ``(a, b) -> (P(a > b), low, high)`` for every pair of ``rows``.
        profiles: teacher -> ``(taus, fraction above, low, high)`` on normalised scores.
        skipped: envs of the group left out of the aggregate, and why.
    """

    name: str
    family: str
    envs: list[str]
    rows: list[AggregateStats]
    unranked: dict[str, list[str]]
    improvement: dict[tuple[str, str], tuple[float, float, float]]
    profiles: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ranked(self) -> list[AggregateStats]:
        return [r for r in self.rows if r.role == "ranked"]

    @property
    def reference(self) -> list[AggregateStats]:
        return [r for r in self.rows if r.role != "ranked"]


@dataclass
class LeaderboardStats:
    per_env: dict[str, dict[str, TeacherEnvStats]]
    rankings: list[Ranking]
    normalisers: dict[str, tuple[float, float]]  # env -> (baseline, best)
    skipped: dict[str, str] = field(default_factory=dict)
    baseline: str = "random"
    code_versions: dict[str, int] = field(default_factory=dict)  # code version -> runs (set by the report)
    track: str = "defaults"  # "defaults" or "tuned" (set by the report)
    chosen: dict[tuple[str, str], str] = field(default_factory=dict)  # tuned track: (env, teacher) -> config
    titles: dict[str, str] = field(default_factory=dict)  # env label -> short name to show (set by the report)

    def title(self, env: str) -> str:
        """The short name of an env label (the label itself when the suite gives none)."""
        return self.titles.get(env, env)

    def ranking(self, name: str) -> Ranking:
        for ranking in self.rankings:
            if ranking.name == name:
                return ranking
        raise KeyError(f"no ranking {name!r}; rankings: {[r.name for r in self.rankings]}")


def compute(scores: Mapping[str, Mapping[str, Iterable[float]]], best_known: Mapping[str, float | None] | None = None,
            baseline: str = "random", seed: int = 0, groups: Mapping[str, str] | None = None,
            families: Mapping[str, str] | None = None, privileged: Iterable[str] = (),
            n_resamples: int = stats.N_BOOTSTRAP) -> LeaderboardStats:
    """Every leaderboard statistic from ``scores[env][teacher] = [score per seed]``.

    Args:
        best_known: env -> the score normalised to 1 (None or absent: the best non-privileged mean).
        baseline: the teacher normalised to 0 and shown as the trivial reference row.
        groups: env -> the name of its ranking (absent envs: their family, else ``"all"``).
        families: env -> its env family (shown with the ranking).
        privileged: teachers shown as reference rows, never ranked.
    """
    rng = np.random.default_rng(seed)
    best_known = dict(best_known or {})
    groups, families, privileged = dict(groups or {}), dict(families or {}), set(privileged)
    data = {env: {t: np.asarray(list(v), dtype=np.float64) for t, v in teachers.items()}
            for env, teachers in scores.items()}
    data = {env: {t: x for t, x in teachers.items() if x.size} for env, teachers in data.items()}

    per_env: dict[str, dict[str, TeacherEnvStats]] = {}
    for env, teachers in data.items():
        base = teachers.get(baseline)
        per_env[env] = {}
        for t, x in sorted(teachers.items()):
            vs = None if base is None or t == baseline else stats.iqm_difference_ci(x, base, rng, n_resamples)
            per_env[env][t] = TeacherEnvStats(t, env, x.size, float(x.mean()), stats.iqm(x),
                                              stats.bootstrap_ci(x, stats.iqm, rng, n_resamples),
                                              stats.bootstrap_ci(x, np.mean, rng, n_resamples), vs, x.tolist())

    normalisers, skipped = {}, {}
    for env, teachers in data.items():
        if baseline not in teachers:
            skipped[env] = f"no '{baseline}' runs to normalise against"
            continue
        low = float(teachers[baseline].mean())
        high = best_known.get(env)
        if high is None:
            real = [float(x.mean()) for t, x in teachers.items() if t not in privileged and t != baseline]
            high = max(real, default=low)
        if not high > low:
            skipped[env] = f"best known score ({high:g}) does not exceed {baseline} ({low:g})"
            continue
        normalisers[env] = (low, float(high))

    members: dict[str, list[str]] = {}
    for env in data:
        members.setdefault(groups.get(env) or families.get(env) or "all", []).append(env)
    rankings = [_rank_group(name, envs, data, normalisers, skipped, baseline, privileged, families, rng, n_resamples)
                for name, envs in members.items()]
    return LeaderboardStats(per_env, rankings, normalisers, skipped, baseline)


def _rank_group(name, envs, data, normalisers, skipped, baseline, privileged, families, rng, n_resamples) -> Ranking:
    family_names = {families.get(env, "") for env in envs}
    family = family_names.pop() if len(family_names) == 1 else "mixed"
    teachers = sorted({t for env in envs for t in data[env]})
    complete = [t for t in teachers if all(t in data[env] for env in envs)]
    unranked = {t: [env for env in envs if t not in data[env]] for t in teachers if t not in complete}
    usable = [env for env in envs if env in normalisers]

    def normalised(t: str) -> list[np.ndarray]:
        return [(data[env][t] - normalisers[env][0]) / (normalisers[env][1] - normalisers[env][0]) for env in usable]

    rows = []
    for t in complete:
        role = "baseline" if t == baseline else "privileged" if t in privileged else "ranked"
        if usable:
            runs = normalised(t)
            pooled = np.concatenate(runs)
            rows.append(AggregateStats(t, role, len(usable), stats.iqm(pooled),
                                       stats.stratified_iqm_ci(runs, rng, n_resamples), float(pooled.mean())))
        else:
            rows.append(AggregateStats(t, role, 0, float("nan"), (float("nan"), float("nan")), float("nan")))
    ranked = sorted((r for r in rows if r.role == "ranked"), key=lambda r: (-_finite(r.iqm), r.teacher))
    for i, row in enumerate(ranked, start=1):
        row.rank = i
    reference = sorted((r for r in rows if r.role != "ranked"), key=lambda r: (r.role != "baseline", r.teacher))

    improvement = {}
    for i, a in enumerate(complete):
        for b in complete[i + 1:]:  # P(b > a) = 1 - P(a > b): ties count one half both ways
            p, low, high = stats.improvement_with_ci([data[e][a] for e in envs], [data[e][b] for e in envs], rng,
                                                     n_resamples)
            improvement[(a, b)] = (p, low, high)
            improvement[(b, a)] = (1.0 - p, 1.0 - high, 1.0 - low)
    profiles = {}
    if usable:
        pooled_all = np.concatenate([np.concatenate(normalised(t)) for t in complete]) if complete else np.zeros(1)
        taus = np.linspace(min(0.0, float(pooled_all.min())), max(1.0, float(pooled_all.max())), PROFILE_POINTS)
        for t in complete:
            profiles[t] = (taus, *stats.performance_profile(normalised(t), taus, rng, n_resamples))
    return Ranking(name, family, list(envs), ranked + reference, unranked, improvement, profiles,
                   {env: skipped[env] for env in envs if env in skipped})


def _finite(value: float) -> float:
    return value if np.isfinite(value) else -np.inf
