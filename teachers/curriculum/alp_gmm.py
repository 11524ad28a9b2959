"""ALP-GMM (Portelas, Colas, Hofmann & Oudeyer, CoRL 2019).

Absolute Learning Progress - Gaussian Mixture Model: every ``fit_rate``
episodes, fit GMMs with 2..10 components on the last ``fit_rate`` points
``(task, ALP)`` and keep the best by AIC; then sample tasks from a Gaussian
chosen in proportion to its mean ALP, except for a ``random_task_ratio`` share
of uniform tasks (and uniform tasks only until the first fit). The ALP of an
episode is ``|outcome - outcome of the nearest earlier task|``.

Defaults are the paper's, with the one budget-dependent setting expressed relative to the
teaching budget the env publishes at reset (``info["teaching_budget"]``): the paper's
``fit_rate`` 250 on its 20,000-episode toy runs is ``budget / 80`` (exactly 250 on the toy env),
at least :data:`MIN_FIT_RATE`, so that a 500-step run still fits ten times. Without a published
budget the paper's 250 is used. Speed comes from batching (see
:mod:`teachgym.teachers.curriculum.gmm` and :mod:`teachgym.teachers.curriculum.task_history`), not
from changing the algorithm.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.gmm import GaussianMixtureFit, best_by_aic, fit_gmms
from teachgym.teachers.curriculum.task_history import TaskHistory
from teachgym.utils.threads import single_thread
from teachgym.validation import ConfigError, check_float, check_int

PAPER_FIT_RATE = 250  # episodes between fits in the paper's toy experiment ...
PAPER_BUDGET = 20_000  # ... of 20,000 episodes
MIN_FIT_RATE = 50  # enough (task, ALP) points for mixtures of up to 10 components


def budget_fit_rate(teaching_budget: int | None) -> int:
    """The default ``fit_rate`` for a run of ``teaching_budget`` steps: the paper's share of the budget."""
    if teaching_budget is None:
        return PAPER_FIT_RATE
    return max(MIN_FIT_RATE, round(teaching_budget * PAPER_FIT_RATE / PAPER_BUDGET))


class GMMTaskSampler:
    """Sample tasks from selected Gaussians of a fitted mixture, clipped to the task box."""

    def __init__(self, fit: GaussianMixtureFit, task_dims: slice, low: np.ndarray, high: np.ndarray):
        self.means = fit.means[:, task_dims]
        covs = fit.covariances[:, task_dims, task_dims]
        # The marginal of a Gaussian over the task dims is the sub-block of its covariance.
        self.chol = np.linalg.cholesky(covs + 1e-12 * np.eye(covs.shape[-1]))
        self.low, self.high = low, high

    def sample(self, component: int, rng: np.random.Generator) -> np.ndarray:
        z = rng.standard_normal(self.means.shape[1])
        return np.minimum(np.maximum(self.means[component] + self.chol[component] @ z, self.low), self.high)


class ProportionalChoice:
    """Draw an index with probability proportional to ``values`` (>= 0); uniform if they sum to 0."""

    def __init__(self, values: np.ndarray):
        values = np.where(np.isfinite(values), np.maximum(values, 0.0), 0.0)
        self.n = values.size
        self.total = float(values.sum())
        self._cumulative = np.cumsum(values).tolist()  # bisect on a list: ~20x cheaper than numpy per draw

    def __call__(self, rng: np.random.Generator) -> int:
        if not 0.0 < self.total < np.inf:
            return int(rng.integers(self.n))
        return min(bisect.bisect_right(self._cumulative, rng.random() * self.total), self.n - 1)


class ALPGMMTeacher(Teacher):
    """ALP-GMM (see module docstring).

    Args:
        fit_rate: episodes between two GMM fits; also the size of the fitted window
            and of the initial uniform bootstrap (paper: 250 of 20,000 episodes; None: the same
            share of the env's teaching budget, see :func:`budget_fit_rate`).
        potential_ks: component counts tried at each fit (paper: 2..10).
        random_task_ratio: share of uniform tasks after bootstrap (paper: 0.2).
        criterion: "aic" (paper) or "bic" for choosing k.
        warm_start: start EM from the previous fit of each k instead of k-means
            (the paper: False).
    """

    supported_spaces = (spaces.Box,)

    def __init__(self, fit_rate: int | None = None, potential_ks: Sequence[int] = tuple(range(2, 11)),
                 random_task_ratio: float = 0.2, criterion: str = "aic", warm_start: bool = False):
        super().__init__()
        self.fit_rate_given = None if fit_rate is None else check_int("fit_rate", fit_rate, low=2)
        self.fit_rate = self.fit_rate_given or PAPER_FIT_RATE
        self.potential_ks = tuple(check_int("potential_ks[]", k, low=1) for k in potential_ks)
        if not self.potential_ks:
            raise ConfigError("potential_ks must list at least one component count")
        self.random_task_ratio = check_float("random_task_ratio", random_task_ratio, low=0.0, high=1.0)
        if criterion not in ("aic", "bic"):
            raise ConfigError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
        self.criterion = criterion
        self.warm_start = bool(warm_start)

    def _setup(self) -> None:
        self.low = self.action_space.low.astype(np.float64)
        self.high = self.action_space.high.astype(np.float64)
        self.history = TaskHistory(self.low.size)
        self.gmm: GaussianMixtureFit | None = None
        self._sampler: GMMTaskSampler | None = None
        self._choose_component: ProportionalChoice | None = None
        self._previous_fits: list[GaussianMixtureFit | None] | None = None
        self.n_fits = 0
        self.fit_rate = self.fit_rate_given or PAPER_FIT_RATE

    def act(self, obs, info):
        if self.fit_rate_given is None and keys.EPISODE_START.get(info, False):
            self.fit_rate = budget_fit_rate(keys.TEACHING_BUDGET.get(info))
        if self._sampler is None or self.rng.random() < self.random_task_ratio:
            task = self.rng.uniform(self.low, self.high)
        else:
            task = self._sampler.sample(self._choose_component(self.rng), self.rng)
        return task.astype(np.float32)

    def update(self, action, reward, obs, info):
        outcome = finite_outcome(info)
        if outcome is None:
            return
        task = np.asarray(keys.TASK.get(info, action), dtype=np.float64)[: self.low.size]
        self.history.add(task, outcome)
        if self.history.size % self.fit_rate == 0:
            self.fit()

    def fit(self) -> None:
        """Refit the GMM on the last ``fit_rate`` (task, ALP) points."""
        data = self._fit_data()
        if not np.all(np.isfinite(data)):
            return  # outcomes so large that |difference| overflowed: keep the previous model
        init = None
        if self.warm_start and self._previous_fits is not None and all(f is not None for f in self._previous_fits):
            init = [(f.weights, f.means, f.covariances) for f in self._previous_fits]
        with single_thread():
            fits = fit_gmms(data, self.potential_ks, self.rng, init=init)
        self._previous_fits = fits
        best = best_by_aic(fits) if self.criterion == "aic" else _best_by_bic(fits)
        if best is None:
            return
        try:
            sampler = GMMTaskSampler(best, slice(0, self.low.size), self.low, self.high)
        except np.linalg.LinAlgError:
            return
        self.gmm, self._sampler = best, sampler
        self._choose_component = ProportionalChoice(self._component_progress(best))
        self.n_fits += 1

    def _fit_data(self) -> np.ndarray:
        """The points the GMM is fitted on: the last ``fit_rate`` rows of (task, ALP)."""
        window = slice(self.history.size - self.fit_rate, self.history.size)
        return np.column_stack([self.history.tasks[window], self.history.alp()[window]])

    def _component_progress(self, fit: GaussianMixtureFit) -> np.ndarray:
        """How much each Gaussian is worth sampling: its mean ALP."""
        return fit.means[:, -1]


def _best_by_bic(fits):
    candidates = [f for f in fits if f is not None]
    return min(candidates, key=lambda f: f.bic()) if candidates else None
