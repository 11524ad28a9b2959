"""Thompson sampling on absolute learning progress, with discounting."""

from __future__ import annotations

import numpy as np

from teachgym.teachers.common.bandit import argmax_random
from teachgym.teachers.curriculum.learning_progress import DiscountedBandit
from teachgym.validation import check_float


class ThompsonTeacher(DiscountedBandit):
    """Gaussian Thompson sampling on each task's recent absolute LP.

    Each task's reward ``r`` is its absolute LP divided by the running max of
    absolute LP (so in [0, 1]). The posterior of a task's mean reward is
    Gaussian with known noise ``sigma`` and a flat prior,
    ``N(S_i / N_i, sigma^2 / N_i)``, where ``N_i`` and ``S_i`` are discounted
    counts and reward sums shared with discounted UCB
    (:class:`~teachgym.teachers.curriculum.learning_progress.DiscountedProgress`). Discounting lets the posterior of a
    neglected task widen again, so a task whose progress may have changed is
    revisited (the Gaussian analogue of discounted Thompson sampling, Raj &
    Kalyani, 2017). Each step draws one mean per task and practises the argmax;
    untried tasks (``N_i = 0``) come first.

    Args:
        discount: the discount factor, in (0, 1]. None (default): relative to the teaching budget, as
            for UCB (0.99 up to 5,000 teacher steps).
        sigma: reward noise scale, > 0 (default 0.5: the largest standard
            deviation of a reward bounded in [0, 1]).
    """

    block_draws = False  # a standard_normal() draw every decision

    def __init__(self, discount: float | None = None, sigma: float = 0.5):
        super().__init__()
        self._init_discount(discount)
        self.sigma = check_float("sigma", sigma, low=0.0, low_open=True)

    def _choose(self, info) -> int:
        untried = self._progress.untried_arm(self.rng)
        if untried is not None:
            return untried
        # sums / counts + sigma * noise / sqrt(counts), operation for operation, in work buffers (the scalar in a 0-d
        # array: the same values, cheaper calls).
        counts, noise, means = self._progress.counts, self._noise, self._means
        self.rng.standard_normal(out=noise)
        np.multiply(self._sigma, noise, out=noise)
        np.sqrt(counts, out=means)
        np.divide(noise, means, out=noise)
        np.divide(self._progress.sums, counts, out=means)
        np.add(means, noise, out=means)
        return argmax_random(means.tolist(), self.rng)

    def _reset_arms(self) -> None:
        super()._reset_arms()
        self._noise, self._means, self._sigma = np.zeros(self.n_arms), np.zeros(self.n_arms), np.array(self.sigma)
