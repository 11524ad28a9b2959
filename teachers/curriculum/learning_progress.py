"""Discounted statistics of absolute learning progress, and the base of discounted UCB and Thompson sampling.

The bandit base and the per-arm learning progress it reads are in
:mod:`teachgym.teachers.common.bandit`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from teachgym.teacher import pair_info
from teachgym.teachers.common.bandit import MAX_PROGRESS, BanditTeacher, ProgressScale, random_choice
from teachgym.teachers.common.budget import REFERENCE_DISCOUNT, budget_discount
from teachgym.utils.numeric import finite_float
from teachgym.validation import check_float

# A count that was 1 shrinks to d ** k after k ticks; below this many ticks d ** k stays far above the smallest float.
_SAFE_LOG_COUNT = 700.0
# A replay at least this long runs in the compiled loop when numba is installed (shorter: dispatch costs more).
COMPILED_REPLAY_MIN = 32


@functools.cache
def _replay_kernel():
    """The compiled replay loop, or None when numba cannot be imported (it is imported on first need)."""
    try:
        import numba  # noqa: F401  (only whether it imports)
    except ImportError:
        return None
    from teachgym.teachers.curriculum.progress_kernels import replay

    return replay


class DiscountedProgress:
    """Discounted per-arm counts ``N_i`` and sums ``S_i`` of rescaled |LP| (Garivier & Moulines, 2011).

    :meth:`tick` once per step multiplies every statistic by ``discount``;
    :meth:`add` then counts one measurement ``r`` (|LP| over its running max, in
    [0, 1]) for the practised arm. An arm not practised for long sees ``N_i``
    shrink, so its estimate grows uncertain again: LP is non-stationary.
    """

    def __init__(self, n_arms: int, discount: float):
        self.discount = discount
        self._stats = np.zeros((2, n_arms))  # one array, so that a tick is one multiplication
        self.counts, self.sums = self._stats[0], self._stats[1]
        self._flat = self._stats.reshape(-1)  # a view: counts, then sums
        self._discount = np.array(discount)  # 0-d: the same product, a cheaper call
        self.scale = ProgressScale()
        self._measured = [False] * n_arms
        self._n_measured = 0
        self._ticks = 0
        # Until this many ticks no measured arm's count can have underflowed to 0.
        self._safe_ticks = math.inf if discount >= 1.0 else _SAFE_LOG_COUNT / -math.log(discount)

    def tick(self) -> None:
        np.multiply(self._stats, self._discount, out=self._stats)
        self._ticks += 1

    def add(self, arm: int, progress: float) -> None:
        scale = self.scale  # its update() and __call__(), inline
        if progress > scale.largest:
            self.sums *= scale.largest / progress
            scale.largest = progress
        self.counts[arm] += 1.0
        self.sums[arm] += progress / scale.largest if scale.largest > 0.0 else 0.0
        if not self._measured[arm]:
            self._measured[arm] = True
            self._n_measured += 1

    def replay(self, steps: list[tuple[int, float | None]]) -> None:
        """:meth:`tick`, then :meth:`add` ``(arm, progress)`` unless ``progress`` is None, for each step in order."""
        self.replay_lists([arm for arm, _ in steps],
                          [math.nan if progress is None else progress for _, progress in steps])

    def replay_lists(self, arms: list[int], progress: list[float]) -> None:
        """:meth:`tick`, then :meth:`add` ``(arms[k], progress[k])`` unless it is NaN, for each ``k`` in order.

        The same float operations in the same order as those calls (each product and sum rounds as NumPy's
        does), with the statistics read and written back once: on Python floats, or for a long replay in a
        compiled loop when numba is installed (the ``fast`` extra), which gives the same bits.
        """
        if not arms:
            return
        n_arms, measured, scale = len(self._measured), self._measured, self.scale
        kernel = _replay_kernel() if len(arms) >= COMPILED_REPLAY_MIN else None
        if kernel is not None:
            scale.largest = kernel(self._flat, n_arms, float(self._discount), np.array(arms, dtype=np.int64),
                                   np.array(progress, dtype=np.float64), scale.largest)
            if self._n_measured < n_arms:
                for arm, value in zip(arms, progress):
                    if value == value and not measured[arm]:
                        measured[arm] = True
                        self._n_measured += 1
            self._ticks += len(arms)
            return
        discount = float(self._discount)
        stats = self._flat.tolist()
        largest = scale.largest
        for arm, value in zip(arms, progress):
            stats = [x * discount for x in stats]
            if value != value:
                continue
            if value > largest:
                factor = largest / value
                stats[n_arms:] = [x * factor for x in stats[n_arms:]]
                largest = value
            stats[arm] += 1.0
            stats[n_arms + arm] += value / largest if largest > 0.0 else 0.0
            if not measured[arm]:
                measured[arm] = True
                self._n_measured += 1
        self._flat[:] = stats
        scale.largest = largest
        self._ticks += len(arms)

    def untried(self) -> np.ndarray:
        """Arms with no weight of evidence (never measured, or a count that underflowed to 0)."""
        return self.counts <= 0.0

    def untried_arm(self, rng: np.random.Generator) -> int | None:
        """A uniformly drawn untried arm, or None if every arm has evidence."""
        if self._n_measured == len(self._measured) and self._ticks < self._safe_ticks:
            return None
        return random_choice(self.untried(), rng)


class DiscountedBandit(BanditTeacher):
    """Base of the bandits on :class:`DiscountedProgress` (discounted UCB, Thompson sampling).

    Without an explicit ``discount`` the discount is relative to the teaching budget the env publishes at reset
    (:func:`teachgym.teachers.common.budget.budget_discount`), resolved at a run's first lesson: 0.99 (statistics
    that live about 100 steps) up to 5,000 teacher steps and without a published budget, the same share of
    longer runs.
    """

    budget_setting = "discount"
    budget_reference = REFERENCE_DISCOUNT

    def _init_discount(self, discount: float | None) -> None:
        self.discount_given = None if discount is None else check_float("discount", discount, low=0.0, high=1.0,
                                                                          low_open=True)
        self.discount = self.discount_given or REFERENCE_DISCOUNT

    def _budget_default(self, teaching_budget: int | None) -> float:
        return budget_discount(teaching_budget)

    def _reset_arms(self) -> None:
        self._progress = DiscountedProgress(self.n_arms, self.discount)

    def _observe(self, arm: int, outcome: float | None) -> None:
        self._progress.tick()  # the clock ticks every step, also on steps that measure no progress

    def _learn(self, arm: int, progress: float, weight: float) -> None:
        self._progress.add(arm, progress)

    def update_steps(self, actions, rewards, obs, info) -> None:
        """:meth:`BanditTeacher.update_steps` with this class's hooks inline: each int lesson's signal as
        :meth:`update` forms it, then every tick and measurement at once (:meth:`DiscountedProgress.replay`)."""
        cls = type(self)
        if (cls._observe is not DiscountedBandit._observe or cls._learn is not DiscountedBandit._learn
                or self.signal != "progress" or not self._steps_shortcut(info)):
            return super().update_steps(actions, rewards, obs, info)
        start, n_arms, last_outcome = self._start, self.n_arms, self._last_outcome
        # Step k: a tick, then a measurement of arms[k] unless progress[k] is NaN.
        arms: list[int] = []
        progress: list[float] = []
        steps_before, learnt = self.steps, 0  # self.steps is steps_before + learnt (no hook reads it in between)
        add_arm, add_progress, nan = arms.append, progress.append, math.nan
        for action, reward in zip(actions, rewards):
            if action is None:
                continue
            if type(action) is not int:
                self.steps = steps_before + learnt
                self._progress.replay_lists(arms, progress)
                arms.clear()
                progress.clear()
                self.general_update(action, reward, obs, pair_info(info, action, reward, learnt))
                learnt += 1
                continue
            learnt += 1
            arm = action - start
            if not 0 <= arm < n_arms:
                continue
            outcome = reward
            if type(outcome) is not float:
                outcome = finite_float(outcome)
            elif not math.isfinite(outcome):
                outcome = None
            add_arm(arm)
            if outcome is None:
                add_progress(0.0)
                continue
            previous = last_outcome[arm]
            last_outcome[arm] = outcome
            if previous != previous:
                add_progress(nan)
                continue
            change = abs(outcome - previous)
            add_progress(MAX_PROGRESS if change > MAX_PROGRESS else change)
        self.steps = steps_before + learnt
        self._progress.replay_lists(arms, progress)
