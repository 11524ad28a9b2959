"""EXP3 on absolute learning progress (Auer, Cesa-Bianchi, Freund & Schapire, 2002)."""

from __future__ import annotations

import math

import numpy as np

from teachgym.teachers.common.bandit import BanditTeacher, ProgressScale, sample_index
from teachgym.validation import check_float


class EXP3Teacher(BanditTeacher):
    """EXP3 (or Exp3.S with ``share > 0``) whose reward is the task's absolute LP.

    Each step practises task ``i`` with probability
    ``p_i = (1 - gamma) w_i / sum(w) + gamma / K``; after the step the practised
    task's weight grows by ``exp(gamma * r / (p_i K))``, where ``r`` is its
    absolute LP divided by the largest absolute LP seen so far (a running max,
    so ``r`` is in [0, 1] as EXP3 requires; see :class:`ProgressScale`).

    Weights are kept as logarithms shifted so the largest is 0: summed rewards
    over a long run would overflow ``exp``, and the shift does not change ``p``.

    Learning progress is non-stationary: a task stops progressing once mastered.
    Plain EXP3 only forgets through its ``gamma / K`` exploration, so
    ``share > 0`` turns on Exp3.S from the same paper, which mixes
    ``e * share / K`` of the total weight into every task each step and so can
    track a moving best task.

    Args:
        gamma: exploration rate and learning rate, in (0, 1] (default 0.1).
        share: Exp3.S weight-sharing rate alpha, >= 0 (0 gives plain EXP3; the
            paper's tuning for a horizon T is 1 / T).
    """

    def __init__(self, gamma: float = 0.1, share: float = 0.0):
        super().__init__()
        self.gamma = check_float("gamma", gamma, low=0.0, high=1.0, low_open=True)
        self.share = check_float("share", share, low=0.0, high=1.0)

    def _reset_arms(self) -> None:
        self._log_weights = np.zeros(self.n_arms)  # the largest is always exactly 0 (see _learn)
        self._scale = ProgressScale()
        self._probabilities = None  # cache, valid until the log-weights change
        self._weights, self._buffer = np.zeros(self.n_arms), np.zeros(self.n_arms)  # work buffers
        self._keep, self._floor = np.array(1.0 - self.gamma), np.array(self.gamma / self.n_arms)  # 0-d scalars

    def probabilities(self) -> np.ndarray:
        """The current probability of practising each task."""
        return self._current_probabilities().copy()

    def _current_probabilities(self) -> np.ndarray:
        if self._probabilities is None:
            # (1 - gamma) * weights / sum(weights) + gamma / K, operation for operation, in work buffers.
            weights, probabilities = self._weights, self._buffer
            np.exp(self._log_weights, out=weights)  # exp(w - max w), as the max is 0
            np.multiply(self._keep, weights, out=probabilities)
            np.divide(probabilities, np.add.reduce(weights), out=probabilities)
            np.add(probabilities, self._floor, out=probabilities)
            self._probabilities = probabilities
        return self._probabilities

    def _choose(self, info) -> int:
        return sample_index(self._current_probabilities(), self.rng)

    def _learn(self, arm: int, progress: float, weight: float) -> None:
        factor = self._scale.update(progress)
        if factor < 1.0:
            # Plain EXP3 log-weights are (gamma / K) x sums of past rewards: a new unit rescales them linearly.
            self._log_weights *= factor
            self._probabilities = None
        estimate = self._scale(progress) / float(self._current_probabilities()[arm])  # importance-weighted reward
        self._probabilities = None
        if self.share > 0.0:
            previous = self._log_weights.copy()
            self._log_weights[arm] += self.gamma * estimate / self.n_arms
            # previous.max() is 0 (see the shift below), so this log-sum-exp cannot overflow.
            shared = math.log(math.e * self.share / self.n_arms) + math.log(float(np.exp(previous).sum()))
            self._log_weights = np.logaddexp(self._log_weights, shared)
            self._log_weights -= self._log_weights.max()
            return
        grown = float(self._log_weights[arm]) + self.gamma * estimate / self.n_arms
        self._log_weights[arm] = grown
        # Shift so that the largest log-weight is 0 again: only the grown one can exceed the old maximum, 0.
        if grown > 0.0:
            self._log_weights -= grown
