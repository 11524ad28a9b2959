"""RIAC: Robust Intelligent Adaptive Curiosity as a task-sampling teacher.

Baranes & Oudeyer (2009), "R-IAC: Robust Intrinsically Motivated Exploration
and Active Learning", in the form Portelas et al. (2019) use as a baseline for
ALP-GMM (teachDeepRL's ``RIAC``, whose defaults are the defaults here).

The task space is split recursively into a binary tree of box regions. Every
region on the path of a practised task records the ``(task, outcome)`` pair in a
bounded history, and estimates its absolute learning progress (ALP) as the
absolute difference between the mean outcome of the older and the newer half
of its recent window. A leaf that holds more than ``max_region_size`` pairs is
split along the random cut (dimension and threshold) that maximises
``n_left * n_right * |ALP_left - ALP_right|``; if no cut leaves both children
wide and populated enough, the leaf forgets its oldest pairs instead.

The one budget-dependent default is relative to the teaching budget the env
publishes at reset (``info["teaching_budget"]``): teachDeepRL's
``max_region_size`` 200 on the ALP-GMM paper's 20,000-episode toy runs is
``budget / 100`` (exactly 200 on the toy env, so the reference runs are
reproduced), at least :data:`MIN_REGION_SIZE`. ``alp_window`` and
``min_region_size`` follow it unless given. Without a published budget the
paper's 200 is used.
"""

from __future__ import annotations

import itertools

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher, finite_outcome
from teachgym.utils.budget import budget_relative, published_budget
from teachgym.validation import ConfigError, check_float, check_int

# Outcomes are clipped here so that sums over two windows of them stay finite.
_OUTCOME_LIMIT = 1e300
# teachDeepRL redraws each split attempt until both children are populated; drawing
# this many candidates per attempt at once does the same without a Python loop.
_CANDIDATES_PER_ATTEMPT = 4

PAPER_MAX_REGION_SIZE = 200  # teachDeepRL's split size in the toy experiment ...
PAPER_BUDGET = 20_000  # ... of 20,000 episodes
MIN_REGION_SIZE = 20  # the ALP of a full region then compares two halves of at least 10 outcomes


def budget_max_region_size(teaching_budget: int | None) -> int:
    """The default ``max_region_size`` for a run of ``teaching_budget`` steps: the paper's share of the budget."""
    return budget_relative(teaching_budget, PAPER_MAX_REGION_SIZE, PAPER_BUDGET, MIN_REGION_SIZE)


class _Region:
    """A node of the region tree: a box and its recent ``(task, outcome)`` history."""

    __slots__ = ("index", "low", "high", "split_dim", "threshold", "left", "right", "tasks", "outcomes", "cumsum")

    def __init__(self, index: int, low: np.ndarray, high: np.ndarray, tasks: list, outcomes: list):
        self.index = index
        self.low, self.high = low, high
        self.split_dim, self.threshold = -1, 0.0
        self.left = self.right = None
        self.tasks, self.outcomes = tasks, outcomes
        # Prefix sums make every window mean O(1); rebuilt whenever the history is trimmed.
        self.cumsum = list(itertools.accumulate(outcomes, initial=0.0))

    def keep_last(self, count: int) -> None:
        self.tasks = self.tasks[-count:]
        self.outcomes = self.outcomes[-count:]
        self.cumsum = list(itertools.accumulate(self.outcomes, initial=0.0))


class RIACTeacher(Teacher):
    """Sample tasks from regions of high absolute learning progress (RIAC).

    Each lesson is, with probability ``random_task_ratio``, uniform over the whole
    space; with probability ``worst_task_ratio``, a Gaussian perturbation of the
    lowest-outcome task of a region picked in proportion to its ALP; otherwise
    uniform inside a region picked in proportion to its ALP (uniform over regions
    while every ALP is zero). Regions are all tree nodes, parents included, unless
    ``sample_leaves_only``.

    Args:
        max_region_size: pairs a region holds; a leaf holding more is split (paper: 200 of
            20,000 episodes; None: the same share of the env's teaching budget, resolved at the
            first :meth:`act` after a reset, see :func:`budget_max_region_size`).
        alp_window: recent pairs the ALP is computed on (default ``max_region_size``).
        nb_split_attempts: random cuts tried per split.
        min_region_size: pairs each child must receive for a cut to be valid
            (default ``max_region_size / 20``).
        min_dims_range_ratio: smallest child width, per dimension, as a fraction of
            the task space's width.
        discard_ratio: fraction of ``max_region_size`` a leaf forgets (oldest first)
            when no cut is valid.
        random_task_ratio: probability of a uniform task over the whole space.
        worst_task_ratio: probability of perturbing a region's lowest-outcome task.
        mutation_std: std of that perturbation, as a fraction of each dimension's width.
        sample_leaves_only: pick among leaves only, not among all regions.
    """

    supported_spaces = (spaces.Box,)

    def __init__(self, max_region_size: int | None = None, alp_window: int | None = None, nb_split_attempts: int = 50,
                 min_region_size: float | None = None, min_dims_range_ratio: float = 1 / 15,
                 discard_ratio: float = 0.25, random_task_ratio: float = 0.2, worst_task_ratio: float = 0.1,
                 mutation_std: float = 0.1, sample_leaves_only: bool = False):
        super().__init__()
        self.max_region_size_given = (None if max_region_size is None
                                      else check_int("max_region_size", max_region_size, low=2))
        self.alp_window_given = None if alp_window is None else check_int("alp_window", alp_window, low=2)
        self.min_region_size_given = (None if min_region_size is None
                                      else check_float("min_region_size", min_region_size, low=0.0))
        self._size_regions(self.max_region_size_given or PAPER_MAX_REGION_SIZE)
        self.nb_split_attempts = check_int("nb_split_attempts", nb_split_attempts, low=1)
        self.min_dims_range_ratio = check_float("min_dims_range_ratio", min_dims_range_ratio, low=0.0, high=0.5)
        self.discard_ratio = check_float("discard_ratio", discard_ratio, low=0.0, high=1.0, low_open=True)
        self.random_task_ratio = check_float("random_task_ratio", random_task_ratio, low=0.0, high=1.0)
        self.worst_task_ratio = check_float("worst_task_ratio", worst_task_ratio, low=0.0, high=1.0)
        if self.random_task_ratio + self.worst_task_ratio > 1.0:
            raise ConfigError(f"random_task_ratio + worst_task_ratio must be <= 1, got "
                              f"{self.random_task_ratio} + {self.worst_task_ratio}")
        self.mutation_std = check_float("mutation_std", mutation_std, low=0.0)
        if not isinstance(sample_leaves_only, (bool, np.bool_)):
            raise ConfigError(f"sample_leaves_only must be True or False, got {sample_leaves_only!r}")
        self.sample_leaves_only = bool(sample_leaves_only)

    def _size_regions(self, max_region_size: int) -> None:
        """Set ``max_region_size`` and the sizes that default to a share of it."""
        self.max_region_size = max_region_size
        self.alp_window = self.alp_window_given or max_region_size
        # Both children of a full leaf (max_region_size + 1 pairs) must be able to reach it.
        min_size = max_region_size / 20 if self.min_region_size_given is None else self.min_region_size_given
        self.min_region_size = check_float("min_region_size", min_size, low=0.0, high=(max_region_size + 1) / 2)
        self._capacity = max_region_size + 1  # teachDeepRL's deques hold one pair more than the split size

    # -- Teacher API -------------------------------------------------------------
    def _setup(self) -> None:
        low = self.action_space.low.astype(np.float64).ravel()
        high = self.action_space.high.astype(np.float64).ravel()
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ConfigError(f"RIAC needs a bounded Box action space, got {self.action_space}")
        self._low, self._high, self._dim = low, high, low.size
        self._bounds = list(zip(low.tolist(), high.tolist()))
        self._min_width = (high - low) * self.min_dims_range_ratio
        self._size_regions(self.max_region_size_given or PAPER_MAX_REGION_SIZE)
        self._size_pending = self.max_region_size_given is None
        self._regions: list[_Region] = []
        self._alp = np.zeros(64)
        self._is_leaf = np.zeros(64, dtype=bool)
        self._root = self._new_region(low.copy(), high.copy(), [], [])

    def act(self, obs, info):
        if self._size_pending:  # the first lesson of a run: the tree is still empty
            self._size_pending = False
            self._size_regions(budget_max_region_size(published_budget(info)))
        draw = self.rng.random()
        if draw < self.worst_task_ratio:
            task = self._near_worst_task()
        elif draw < self.worst_task_ratio + self.random_task_ratio:
            task = self.rng.uniform(self._low, self._high)
        else:
            region = self._choose_region()
            task = self.rng.uniform(region.low, region.high)
        action = task.astype(np.float32).reshape(self.action_space.shape)
        return np.clip(action, self.action_space.low, self.action_space.high, out=action)

    def update(self, action, reward, obs, info) -> None:
        outcome = finite_outcome(info)
        if outcome is None:
            return
        try:
            point = np.asarray(keys.TASK.get(info, action), dtype=np.float64).ravel().tolist()
        except (TypeError, ValueError):
            return
        # A task outside the space (or NaN) belongs to no region: skip it, as teachDeepRL does.
        if len(point) != self._dim or not all(lo <= v <= hi for v, (lo, hi) in zip(point, self._bounds)):
            return
        outcome = min(max(outcome, -_OUTCOME_LIMIT), _OUTCOME_LIMIT)
        region = self._root
        while True:
            self._record(region, point, outcome)
            if region.left is None:
                break
            region = region.left if point[region.split_dim] < region.threshold else region.right
        if len(region.outcomes) > self.max_region_size:
            self._split(region)

    # -- inspection ----------------------------------------------------------------
    @property
    def n_regions(self) -> int:
        """Number of regions (tree nodes, the whole space included)."""
        return len(self._regions)

    def region_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` arrays of shape ``(n_regions, dim)``, root first."""
        return np.array([r.low for r in self._regions]), np.array([r.high for r in self._regions])

    def learning_progress(self) -> np.ndarray:
        """Each region's current ALP estimate, in :meth:`region_bounds` order."""
        return self._alp[: len(self._regions)].copy()

    # -- region tree -----------------------------------------------------------------
    def _new_region(self, low, high, tasks, outcomes) -> _Region:
        index = len(self._regions)
        if index == self._alp.size:
            self._alp = np.concatenate([self._alp, np.zeros(index)])
            self._is_leaf = np.concatenate([self._is_leaf, np.zeros(index, dtype=bool)])
        region = _Region(index, low, high, tasks, outcomes)
        self._regions.append(region)
        self._is_leaf[index] = True
        self._alp[index] = self._region_alp(region)
        return region

    def _record(self, region: _Region, point: list, outcome: float) -> None:
        region.tasks.append(point)
        region.outcomes.append(outcome)
        region.cumsum.append(region.cumsum[-1] + outcome)
        # Parents keep recording forever; trimming in bulk keeps appends O(1) amortised.
        if len(region.outcomes) > 2 * self._capacity:
            region.keep_last(self._capacity)
        self._alp[region.index] = self._region_alp(region)

    def _region_alp(self, region: _Region) -> float:
        cumsum, end = region.cumsum, len(region.outcomes)
        size = min(end, self._capacity)
        if size <= 2:
            return 0.0
        window = min(size, self.alp_window)
        half = window // 2
        recent = (cumsum[end] - cumsum[end - half]) / half
        older = (cumsum[end - half] - cumsum[end - window]) / (window - half)
        return abs(older - recent)

    def _split(self, leaf: _Region) -> None:
        tasks, outcomes = np.array(leaf.tasks), np.array(leaf.outcomes)
        n = outcomes.size
        n_candidates = self.nb_split_attempts * _CANDIDATES_PER_ATTEMPT
        dims = self.rng.integers(self._dim, size=n_candidates)
        thresholds = self.rng.uniform(leaf.low[dims], leaf.high[dims])
        in_left = tasks[:, dims] < thresholds  # (pairs, candidates)
        n_left = in_left.sum(axis=0)
        populated = (n_left >= self.min_region_size) & (n - n_left >= self.min_region_size)
        attempts = np.flatnonzero(populated)[: self.nb_split_attempts]
        wide = ((thresholds[attempts] - leaf.low[dims[attempts]] >= self._min_width[dims[attempts]])
                & (leaf.high[dims[attempts]] - thresholds[attempts] >= self._min_width[dims[attempts]]))
        valid = attempts[wide]
        if valid.size == 0:
            leaf.keep_last(n - max(1, int(self.max_region_size * self.discard_ratio)))
            self._alp[leaf.index] = self._region_alp(leaf)
            return
        masks = in_left[:, valid]
        gap = np.abs(self._window_alp(outcomes, masks) - self._window_alp(outcomes, ~masks))
        score = n_left[valid] * (n - n_left[valid]) * gap
        best = int(np.argmax(score))
        dim, threshold = int(dims[valid[best]]), float(thresholds[valid[best]])
        left_rows = masks[:, best]
        left_high, right_low = leaf.high.copy(), leaf.low.copy()
        left_high[dim] = right_low[dim] = threshold
        leaf.split_dim, leaf.threshold = dim, threshold
        leaf.left = self._new_region(leaf.low.copy(), left_high, *self._subset(leaf, left_rows))
        leaf.right = self._new_region(right_low, leaf.high.copy(), *self._subset(leaf, ~left_rows))
        self._is_leaf[leaf.index] = False

    @staticmethod
    def _subset(region: _Region, rows: np.ndarray) -> tuple[list, list]:
        picked = np.flatnonzero(rows).tolist()
        return [region.tasks[i] for i in picked], [region.outcomes[i] for i in picked]

    def _window_alp(self, outcomes: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """ALP of each candidate child (a column of ``masks``), as :meth:`_region_alp` would give."""
        count = masks.sum(axis=0)
        rank = np.cumsum(masks, axis=0)  # 1-based position of each pair inside its child
        window = np.minimum(count, self.alp_window)
        half = window // 2
        recent = masks & (rank > count - half)
        older = masks & (rank > count - window) & ~recent
        recent_mean = (outcomes @ recent) / np.maximum(half, 1)
        older_mean = (outcomes @ older) / np.maximum(window - half, 1)
        return np.where(count > 2, np.abs(older_mean - recent_mean), 0.0)

    # -- sampling ------------------------------------------------------------------------
    def _choose_region(self) -> _Region:
        n = len(self._regions)
        weights = self._alp[:n] * self._is_leaf[:n] if self.sample_leaves_only else self._alp[:n]
        cumulative = np.cumsum(weights)
        total = cumulative[-1]
        if not 0.0 < total < np.inf:  # no progress anywhere yet: every region is as good
            candidates = np.flatnonzero(self._is_leaf[:n]) if self.sample_leaves_only else np.arange(n)
            return self._regions[int(candidates[self.rng.integers(candidates.size)])]
        index = int(np.searchsorted(cumulative, self.rng.random() * total, side="right"))
        return self._regions[min(index, n - 1)]

    def _near_worst_task(self) -> np.ndarray:
        region = self._choose_region()
        if not region.outcomes:
            return self.rng.uniform(region.low, region.high)
        recent = region.outcomes[-self._capacity:]
        index = len(region.outcomes) - len(recent) + int(np.argmin(recent))
        task = self.rng.normal(region.tasks[index], self.mutation_std * (self._high - self._low))
        return np.clip(task, region.low, region.high)
