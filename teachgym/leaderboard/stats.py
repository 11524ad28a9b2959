"""Leaderboard estimators: IQM, bootstrap CIs, probability of improvement, performance profiles.

After Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice":

- the interquartile mean (IQM) of run scores, with 95 % percentile bootstrap CIs;
- across envs, a *stratified* bootstrap: runs are resampled within each env, so every
  resample keeps each env's number of runs;
- the probability of improvement ``P(X > Y)``: the chance that a run of teacher X beats a
  run of teacher Y on the same env (ties count one half), averaged over envs, with a
  stratified bootstrap CI that resamples both teachers' runs independently;
- performance profiles: the fraction of runs whose normalised score exceeds ``tau``, as a
  function of ``tau``, averaged over envs (each env weighs the same), with CI bands.

The ``rliable`` package implements the same estimators but does not import with pandas 3
(its ``arch`` dependency fails), so they are written here on numpy, and tested against
hand-computed cases. Every function takes its RNG; nothing draws from a global one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

CONFIDENCE = 0.95
N_BOOTSTRAP = 2000


def iqm(scores, axis: int = -1) -> np.ndarray | float:
    """Interquartile mean: the mean of the middle 50 % of the scores (25 % trimmed from each end).

    As :func:`scipy.stats.trim_mean` with 0.25: ``int(0.25 * n)`` scores are cut from each end.
    """
    x = np.sort(np.asarray(scores, dtype=np.float64), axis=axis)
    n = x.shape[axis]
    cut = int(0.25 * n)
    kept = np.take(x, np.arange(cut, n - cut), axis=axis)
    value = kept.mean(axis=axis)
    return float(value) if np.ndim(value) == 0 else value


def _interval(samples: np.ndarray) -> tuple[float, float]:
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return float(low), float(high)


def bootstrap_ci(scores, statistic: Callable = iqm, rng: np.random.Generator | None = None,
                 n_resamples: int = N_BOOTSTRAP) -> tuple[float, float]:
    """95 % percentile bootstrap CI of ``statistic`` over the runs (a point interval for fewer than 2 runs).

    ``statistic`` takes an array and an ``axis`` keyword (``iqm``, ``np.mean``, ``np.median``).
    """
    x = np.asarray(scores, dtype=np.float64)
    if x.size < 2 or np.all(x == x[0]):
        value = float(statistic(x)) if x.size else float("nan")
        return value, value
    rng = rng if rng is not None else np.random.default_rng(0)
    samples = statistic(x[rng.integers(x.size, size=(n_resamples, x.size))], axis=1)
    return _interval(np.asarray(samples))


def stratified_resample(groups: Sequence[np.ndarray], rng: np.random.Generator, n_resamples: int) -> list[np.ndarray]:
    """``n_resamples`` resamples of each group, with replacement within the group: shapes ``(n_resamples, n_g)``."""
    return [g[rng.integers(g.size, size=(n_resamples, g.size))] for g in groups]


def stratified_iqm_ci(groups: Sequence[np.ndarray], rng: np.random.Generator,
                      n_resamples: int = N_BOOTSTRAP) -> tuple[float, float]:
    """95 % CI of the IQM of all runs pooled over envs, resampling runs within each env."""
    groups = [np.asarray(g, dtype=np.float64) for g in groups]
    pooled = np.concatenate(groups)
    if pooled.size < 2 or np.all(pooled == pooled[0]):
        value = iqm(pooled) if pooled.size else float("nan")
        return value, value
    samples = iqm(np.concatenate(stratified_resample(groups, rng, n_resamples), axis=1), axis=1)
    return _interval(samples)


def probability_of_improvement(a, b) -> float:
    """P(X_a > X_b) for one run of each on one env, ties counting one half (Mann-Whitney U / (n m))."""
    a = np.asarray(a, dtype=np.float64)[:, None]
    b = np.asarray(b, dtype=np.float64)[None, :]
    return float(np.mean((a > b) + 0.5 * (a == b)))


def _batched_improvement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(a > b) of each resample: ``a`` is ``(R, n)``, ``b`` is ``(R, m)``; returns ``(R,)``."""
    a, b = a[:, :, None], b[:, None, :]
    return ((a > b) + 0.5 * (a == b)).mean(axis=(1, 2))


def improvement_with_ci(a_by_env: Sequence[np.ndarray], b_by_env: Sequence[np.ndarray], rng: np.random.Generator,
                        n_resamples: int = N_BOOTSTRAP) -> tuple[float, float, float]:
    """``(P(X_a > X_b), low, high)``: the per-env probability of improvement averaged over envs, with a
    95 % stratified bootstrap CI (each teacher's runs resampled within each env, independently)."""
    if len(a_by_env) != len(b_by_env) or not a_by_env:
        raise ValueError("a_by_env and b_by_env must list the runs of the same, non-empty set of envs")
    a_by_env = [np.asarray(x, dtype=np.float64) for x in a_by_env]
    b_by_env = [np.asarray(x, dtype=np.float64) for x in b_by_env]
    point = float(np.mean([probability_of_improvement(a, b) for a, b in zip(a_by_env, b_by_env)]))
    a_samples = stratified_resample(a_by_env, rng, n_resamples)
    b_samples = stratified_resample(b_by_env, rng, n_resamples)
    samples = np.mean([_batched_improvement(a, b) for a, b in zip(a_samples, b_samples)], axis=0)
    low, high = _interval(samples)
    return point, low, high


def iqm_difference_ci(a, b, rng: np.random.Generator, n_resamples: int = N_BOOTSTRAP) -> tuple[float, float, float]:
    """``(IQM(a) - IQM(b), low, high)``: the difference with a 95 % bootstrap CI, both run sets resampled."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    point = iqm(a) - iqm(b)
    if a.size < 2 and b.size < 2:
        return point, point, point
    samples = iqm(stratified_resample([a], rng, n_resamples)[0], axis=1) \
        - iqm(stratified_resample([b], rng, n_resamples)[0], axis=1)
    low, high = _interval(samples)
    return point, low, high


def performance_profile(groups: Sequence[np.ndarray], taus: np.ndarray, rng: np.random.Generator | None = None,
                        n_resamples: int = N_BOOTSTRAP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fraction of runs with a (normalised) score above each ``tau``, averaged over envs.

    Args:
        groups: the runs of one teacher, one array per env.
        taus: the thresholds.
        rng: for the CI bands; ``None``: no bands (low = high = the profile).

    Returns:
        ``(profile, low, high)``, each of the shape of ``taus``.
    """
    taus = np.asarray(taus, dtype=np.float64)
    groups = [np.asarray(g, dtype=np.float64) for g in groups]
    profile = np.mean([(g[:, None] > taus[None, :]).mean(axis=0) for g in groups], axis=0)
    if rng is None:
        return profile, profile.copy(), profile.copy()
    resampled = stratified_resample(groups, rng, n_resamples)
    samples = np.mean([(r[:, :, None] > taus[None, None, :]).mean(axis=1) for r in resampled], axis=0)
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha], axis=0)
    return profile, low, high
