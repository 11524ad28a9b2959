"""The base of discounted UCB and Thompson sampling.

Their discounted statistics of absolute learning progress are :class:`teachgym.utils.progress.DiscountedProgress`;
the bandit base and the per-arm learning progress it reads are in :mod:`teachgym.teachers.common.bandit`.
"""

from __future__ import annotations

import math

from teachgym.teacher import pair_info
from teachgym.teachers.common.bandit import MAX_PROGRESS, BanditTeacher
from teachgym.utils.budget import REFERENCE_DISCOUNT, budget_discount
from teachgym.utils.numeric import finite_float
from teachgym.utils.progress import DiscountedProgress
from teachgym.validation import check_float

class DiscountedBandit(BanditTeacher):
    """Base of the bandits on :class:`DiscountedProgress` (discounted UCB, Thompson sampling).

    Without an explicit ``discount`` the discount is relative to the teaching budget the env publishes at reset
    (:func:`teachgym.utils.budget.budget_discount`), resolved at a run's first lesson: 0.99 (statistics
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
                self._progress.replay(arms, progress)
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
        self._progress.replay(arms, progress)
