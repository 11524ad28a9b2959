"""Discounted statistics of absolute learning progress, shared by discounted UCB and Thompson sampling.

The bandit base and the per-arm learning progress it reads are in
:mod:`teachgym.teachers.common.bandit`.
"""

from __future__ import annotations

import math

import numpy as np

from teachgym.teachers.common.bandit import ProgressScale, random_choice

# A count that was 1 shrinks to d ** k after k ticks; below this many ticks d ** k stays far above the smallest float.
_SAFE_LOG_COUNT = 700.0


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
        self.scale = ProgressScale()
        self._measured = [False] * n_arms
        self._n_measured = 0
        self._ticks = 0
        # Until this many ticks no measured arm's count can have underflowed to 0.
        self._safe_ticks = math.inf if discount >= 1.0 else _SAFE_LOG_COUNT / -math.log(discount)

    def tick(self) -> None:
        self._stats *= self.discount
        self._ticks += 1

    def add(self, arm: int, progress: float) -> None:
        factor = self.scale.update(progress)
        if factor < 1.0:
            self.sums *= factor
        self.counts[arm] += 1.0
        self.sums[arm] += self.scale(progress)
        if not self._measured[arm]:
            self._measured[arm] = True
            self._n_measured += 1

    def untried(self) -> np.ndarray:
        """Arms with no weight of evidence (never measured, or a count that underflowed to 0)."""
        return self.counts <= 0.0

    def untried_arm(self, rng: np.random.Generator) -> int | None:
        """A uniformly drawn untried arm, or None if every arm has evidence."""
        if self._n_measured == len(self._measured) and self._ticks < self._safe_ticks:
            return None
        return random_choice(self.untried(), rng)
