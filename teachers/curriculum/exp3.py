"""EXP3 on absolute learning progress (Auer, Cesa-Bianchi, Freund & Schapire, 2002)."""

from __future__ import annotations

import math

import numpy as np
from teachgym.teachers.curriculum.learning_progress import LearningProgressTeacher, ProgressScale, sample_index
from teachgym.validation import check_float


class EXP3Teacher(LearningProgressTeacher):
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
        self._log_weights = np.zeros(self.n_arms)
        self._scale = ProgressScale()

    def probabilities(self) -> np.ndarray:
        """The current probability of practising each task."""
        weights = np.exp(self._log_weights - self._log_weights.max())
        return (1.0 - self.gamma) * weights / weights.sum() + self.gamma / self.n_arms

    def _choose(self) -> int:
        return sample_index(self.probabilities(), self.rng)

    def _learn(self, arm: int, progress: float) -> None:
        factor = self._scale.update(progress)
        if factor < 1.0:
            # Plain EXP3 log-weights are (gamma / K) x sums of past rewards: a new unit rescales them linearly.
            self._log_weights *= factor
        estimate = self._scale(progress) / self.probabilities()[arm]  # importance-weighted reward
        previous = self._log_weights.copy()
        self._log_weights[arm] += self.gamma * estimate / self.n_arms
        if self.share > 0.0:
            # previous.max() is 0 (see the shift below), so this log-sum-exp cannot overflow.
            shared = math.log(math.e * self.share / self.n_arms) + math.log(float(np.exp(previous).sum()))
            self._log_weights = np.logaddexp(self._log_weights, shared)
        self._log_weights -= self._log_weights.max()
