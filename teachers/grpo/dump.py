"""DUMP-style distribution-level curriculum: UCB on recent mean |advantage|."""

from __future__ import annotations

import math
import numpy as np

from teachgym.teachers.grpo.arm_signals import ArmTeacher, stable_softmax
from teachgym.validation import check_float, check_int


class DUMPTeacher(ArmTeacher):
    """DUMP (Wang et al., 2025, "DUMP: Automated Distribution-Level Curriculum Learning for RL-based LLM Post-training").

    Each arm (a data distribution) is scored by an upper confidence bound on its
    expected absolute advantage: the mean of its last ``window`` observed mean
    |advantage| values, plus ``c * sqrt(2 ln N / n_i)`` where ``n_i`` counts the
    arm's (share-weighted) practice and ``N`` all practice. The lesson is drawn
    from ``softmax(UCB / temperature)``, and on a Box (mixture) action space that
    distribution is the lesson, as in DUMP. Arms never practised come first.
    Off the GRPO envs the signal is the absolute learning progress of
    ``info["outcome"]`` (see :mod:`teachgym.teachers.common.bandit`).

    Args:
        window: recent values kept per arm, >= 1.
        c: exploration constant, >= 0.
        temperature: softmax temperature, > 0.
        explore: probability of a uniformly random lesson.
    """

    def __init__(self, window: int = 20, c: float = 0.5, temperature: float = 0.1, explore: float = 0.05):
        super().__init__(explore=explore)
        self.window = check_int("window", window, low=1, high=1_000_000)
        self.c = check_float("c", c, low=0.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)

    def _reset_arms(self) -> None:
        # Each arm's last ``window`` values, oldest first (the order np.mean of a deque adds them in).
        self._recent = np.zeros((self.n_arms, self.window))
        self._sizes = [0] * self.n_arms
        self.counts = np.zeros(self.n_arms)
        self._means = np.full(self.n_arms, np.nan)  # mean of each arm's recent values, refreshed on update
        self._n_measured = 0  # arms with a finite or infinite mean and a positive count
        self._total = 0.0  # counts.sum() while every weight was 1 (sums of integers are exact in any order)
        self._integer_counts = True
        self._huge = False  # a value so large that a mean may overflow

    def upper_bounds(self) -> np.ndarray:
        """Each arm's UCB; +inf for arms without a measured signal."""
        total = self._total if self._integer_counts else float(self.counts.sum())
        if self._n_measured == self.n_arms:  # the general case below without its masks
            return self._means + self.c * np.sqrt(2.0 * math.log(max(total, 1.0)) / self.counts)
        out = np.full(self.n_arms, np.inf)
        measured = ~np.isnan(self._means) & (self.counts > 0.0)
        if measured.any():
            bonus = self.c * np.sqrt(2.0 * math.log(max(total, 1.0)) / self.counts[measured])
            out[measured] = self._means[measured] + bonus
        return out

    def distribution(self, info) -> np.ndarray:
        return stable_softmax(self.upper_bounds(), self.temperature)

    def _learn(self, arm: int, value: float, weight: float) -> None:
        row, size = self._recent[arm], self._sizes[arm]
        if size < self.window:
            row[size] = value
            size = self._sizes[arm] = size + 1
        else:
            row[:-1] = row[1:]
            row[-1] = value
        self._huge = self._huge or abs(value) > 1e300
        if self._huge:
            with np.errstate(over="ignore"):  # signals near the float max: the mean may be inf, which is fine
                mean = float(np.add.reduce(row[:size]) / size)
        else:
            mean = float(np.add.reduce(row[:size]) / size)
        was_measured = self._means[arm] == self._means[arm] and self.counts[arm] > 0.0
        self._means[arm] = mean
        self.counts[arm] += weight
        if weight != 1.0:
            self._integer_counts = False
        self._total += weight
        if not was_measured and mean == mean:
            self._n_measured += 1
        elif was_measured and mean != mean:
            self._n_measured -= 1
