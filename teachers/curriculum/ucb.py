"""Discounted UCB on absolute learning progress (Garivier & Moulines, 2011)."""

from __future__ import annotations

import math

import numpy as np

from teachgym.teachers.common.bandit import argmax_random
from teachgym.teachers.curriculum.learning_progress import DiscountedBandit
from teachgym.validation import check_float


class UCBTeacher(DiscountedBandit):
    """D-UCB: an upper confidence bound on each task's recent absolute LP.

    A task's learning progress changes as the student learns, so statistics are
    discounted (:class:`~teachgym.teachers.curriculum.learning_progress.DiscountedProgress`): every step multiplies each task's
    count ``N_i`` and reward sum ``S_i`` by ``discount``, then adds ``(1, r)``
    to the practised task, ``r`` being its absolute LP divided by the running
    max of absolute LP (rewards in [0, 1], so the paper's bound ``B`` is 1).
    The task practised is

        argmax_i  S_i / N_i + c * sqrt(log(max(1, sum_j N_j)) / N_i),

    with untried tasks (no LP measured yet, ``N_i = 0``) first. Garivier &
    Moulines' padding is ``2 B sqrt(xi log n / N_i)``; the default
    ``c = 2 sqrt(0.6)`` is that with ``B = 1`` and ``xi = 0.6``.

    Args:
        discount: the discount factor gamma, in (0, 1]; 1 gives undiscounted UCB counts. None
            (default): relative to the teaching budget, 0.99 (statistics that live about 100 steps) up to
            5,000 teacher steps, the same share of longer runs (see
            :class:`~teachgym.teachers.curriculum.learning_progress.DiscountedBandit`).
        c: exploration constant, >= 0.
    """

    def __init__(self, discount: float | None = None, c: float = 2.0 * math.sqrt(0.6)):
        super().__init__()
        self._init_discount(discount)
        self.c = check_float("c", c, low=0.0)

    def upper_bounds(self) -> np.ndarray:
        """Each task's index; +inf for untried tasks."""
        counts = self._progress.counts
        tried = counts > 0.0
        safe = np.where(tried, counts, 1.0)
        padding = self.c * np.sqrt(math.log(max(float(counts.sum()), 1.0)) / safe)
        return np.where(tried, self._progress.sums / safe + padding, np.inf)

    def _choose(self, info) -> int:
        untried = self._progress.untried_arm(self.rng)
        if untried is not None:
            return untried
        # upper_bounds() when every arm is tried: the same operations, without the masks, in work buffers (the
        # scalars in 0-d arrays: the same values, cheaper calls).
        counts, padding, bounds, scalar = self._progress.counts, self._padding, self._bounds, self._scalar
        scalar[()] = math.log(max(float(np.add.reduce(counts)), 1.0))
        np.divide(scalar, counts, out=padding)
        np.sqrt(padding, out=padding)
        np.multiply(self._c, padding, out=padding)
        np.divide(self._progress.sums, counts, out=bounds)
        np.add(bounds, padding, out=bounds)
        return argmax_random(bounds.tolist(), self.rng)

    def _reset_arms(self) -> None:
        super()._reset_arms()
        self._padding, self._bounds = np.zeros(self.n_arms), np.zeros(self.n_arms)
        self._scalar, self._c = np.zeros(()), np.array(self.c)
