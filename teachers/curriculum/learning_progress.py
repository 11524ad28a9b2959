"""What the discrete-task bandit teachers share: arms, learning progress, its scale.

The learning progress (LP) of an arm is how much the student's outcome on it
changed since the arm was last practised, ``|outcome_t - outcome_t'|``
(Oudeyer et al., 2007; Matiisen et al., 2017). It is read from
``info["outcome"]`` and the arm the teacher chose, never from the env reward,
so a bandit teacher behaves the same whatever reward mode the env uses.

:class:`LearningProgressTeacher` turns each ``update`` into calls of two hooks:

- ``_observe(arm, outcome)`` on every step (``outcome`` is None when it is
  missing or not finite);
- ``_learn(arm, progress)`` when the step says something about the arm's LP:
  ``|change|`` once the arm has a previous finite outcome, and ``0.0`` when the
  outcome is unusable. The first finite outcome of an arm is only a baseline
  and calls nothing, so "untried" arms are those whose LP was never measured.

Counting an unusable outcome as zero progress, rather than ignoring the step,
is deliberate: an arm whose outcome is always NaN would otherwise stay
"untried" and be chosen forever.
"""

from __future__ import annotations

import abc
import math
import sys
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome

MAX_PROGRESS = sys.float_info.max  # |a - b| of two finite floats can overflow to inf; cap it here


def arm_of(action: Any, space: spaces.Discrete) -> int | None:
    """The 0-based arm of ``action`` in ``space``, or None if it names no arm.

    Accepts Python and numpy integers and size-1 arrays; subtracts ``space.start``.
    """
    try:
        value = float(np.asarray(action, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None
    arm = value - float(space.start)
    if not (math.isfinite(arm) and arm.is_integer() and 0 <= arm < int(space.n)):
        return None
    return int(arm)


def argmax_random(values: np.ndarray, rng: np.random.Generator) -> int:
    """Index of the largest value, ties broken uniformly with ``rng`` (NaN counts as -inf)."""
    values = np.asarray(values, dtype=np.float64)
    values = np.where(np.isnan(values), -np.inf, values)
    best = np.flatnonzero(values == values.max())
    return int(best[0]) if best.size == 1 else int(best[rng.integers(best.size)])


def sample_index(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """Draw an index with the given (possibly unnormalised, non-negative) probabilities."""
    cumulative = np.cumsum(probabilities)
    total = cumulative[-1]
    if not (math.isfinite(total) and total > 0.0):
        return int(rng.integers(cumulative.size))
    # side="right" never returns an index whose probability is zero.
    return int(min(np.searchsorted(cumulative, rng.random() * total, side="right"), cumulative.size - 1))


def random_choice(mask: np.ndarray, rng: np.random.Generator) -> int | None:
    """A uniformly drawn index where ``mask`` is True, or None if there is none."""
    candidates = np.flatnonzero(mask)
    if candidates.size == 0:
        return None
    return int(candidates[0]) if candidates.size == 1 else int(candidates[rng.integers(candidates.size)])


class ProgressScale:
    """Rescales |LP| into [0, 1] by the largest |LP| seen so far (a running max).

    EXP3's and UCB's guarantees assume rewards in a known range ``[0, B]``; the
    running max makes ``B = 1`` hold whatever unit the env's outcomes are in.
    Its price: one huge outlier shrinks every later reward towards 0. Bandits keep
    their statistics in the current unit and multiply them by the factor
    :meth:`update` returns when the unit grows.
    """

    def __init__(self) -> None:
        self.largest = 0.0

    def update(self, progress: float) -> float:
        """Record ``progress``; return the factor (<= 1) that converts old statistics to the new unit."""
        if progress <= self.largest:
            return 1.0
        factor = self.largest / progress
        self.largest = progress
        return factor

    def __call__(self, progress: float) -> float:
        return progress / self.largest if self.largest > 0.0 else 0.0


class DiscountedProgress:
    """Discounted per-arm counts ``N_i`` and sums ``S_i`` of rescaled |LP| (Garivier & Moulines, 2011).

    :meth:`tick` once per step multiplies every statistic by ``discount``;
    :meth:`add` then counts one measurement ``r`` (|LP| over its running max, in
    [0, 1]) for the practised arm. An arm not practised for long sees ``N_i``
    shrink, so its estimate grows uncertain again: LP is non-stationary.
    """

    def __init__(self, n_arms: int, discount: float):
        self.discount = discount
        self.counts = np.zeros(n_arms)
        self.sums = np.zeros(n_arms)
        self.scale = ProgressScale()

    def tick(self) -> None:
        self.counts *= self.discount
        self.sums *= self.discount

    def add(self, arm: int, progress: float) -> None:
        factor = self.scale.update(progress)
        if factor < 1.0:
            self.sums *= factor
        self.counts[arm] += 1.0
        self.sums[arm] += self.scale(progress)

    def untried(self) -> np.ndarray:
        """Arms with no weight of evidence (never measured, or a count that underflowed to 0)."""
        return self.counts <= 0.0


class LearningProgressTeacher(Teacher):
    """Base of the discrete bandit teachers: extracts the arm and its LP (see module docstring).

    Subclasses implement :meth:`_choose` and some of :meth:`_reset_arms`,
    :meth:`_observe` and :meth:`_learn`.

    Attributes:
        n_arms: number of arms of the action space.
        steps: updates since the last reset (the teacher's clock).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete,)

    def _setup(self) -> None:
        self.n_arms = int(self.action_space.n)
        self.steps = 0
        self._last_outcome = np.full(self.n_arms, np.nan)
        self._reset_arms()

    def act(self, obs, info) -> int:
        return int(self.action_space.start) + self._choose()

    def update(self, action, reward, obs, info) -> None:
        self.steps += 1
        arm = arm_of(action, self.action_space)
        if arm is None:
            return
        outcome = finite_outcome(info)
        self._observe(arm, outcome)
        if outcome is None:
            self._learn(arm, 0.0)
            return
        previous = float(self._last_outcome[arm])  # Python floats overflow to inf without a warning
        self._last_outcome[arm] = outcome
        if not math.isnan(previous):
            self._learn(arm, min(abs(outcome - previous), MAX_PROGRESS))

    # -- hooks -----------------------------------------------------------------
    def _reset_arms(self) -> None:
        """Forget every per-arm statistic (called by :meth:`reset` after ``n_arms`` is set)."""

    @abc.abstractmethod
    def _choose(self) -> int:
        """The 0-based arm to practise next."""

    def _observe(self, arm: int, outcome: float | None) -> None:
        """Every step: ``arm`` was practised and gave ``outcome`` (None if unusable)."""

    def _learn(self, arm: int, progress: float) -> None:
        """A step that measured ``arm``'s absolute learning progress (finite, >= 0)."""
