"""VCRL: variance-based curriculum RL (Jiang, Feng, Quan, Hao, Zhang, Liu & Wang, 2025,
"VCRL: Variance-based Curriculum Reinforcement Learning for Large Language Models")."""

from __future__ import annotations

import numpy as np

from teachgym.teachers.grpo.learnability import LearnabilityTeacher
from teachgym.validation import check_float


class VCRLTeacher(LearnabilityTeacher):
    """Keep high-variance arms; replace low-variance ones from a replay bank of high-variance arms.

    VCRL scores a prompt by the variance of its group's 0/1 rewards normalised by
    the largest possible one, ``p = sigma^2 / sigma^2_max``, which for a group with
    success rate ``s`` is ``4 s (1 - s)`` (exactly, for an even group size). Prompts
    with ``p < kappa`` are dropped from the batch and replaced by prompts from a
    *memory bank* of high-variance prompts, whose priorities are updated with
    momentum and from which the highest-priority ones are replayed.

    At the arm level: each arm's success rate ``s_i`` is its latest GRPO success
    rate (``info["arm_reward_mean"]``; ``smoothing`` < 1 averages), read from the
    probe accuracy (``info["arm_accuracy"]``) until the arm is practised (off the
    GRPO envs: the outcome clipped into [0, 1]). An arm whose normalised variance
    reaches ``kappa`` enters the bank with priority ``p``, later updated as
    ``momentum * priority + (1 - momentum) * p``; it leaves the bank when a new
    measurement falls below ``kappa``. The fresh lesson is a uniformly drawn arm; if
    its variance is below ``kappa`` and the bank is not empty, a bank arm is replayed
    instead, drawn in proportion to ``priority ** (1 / temperature)``. This is also
    the lesson distribution on a ``MixtureBox`` space. The paper raises ``kappa``
    during training; here it is one configurable threshold.

    Args:
        kappa: threshold on the normalised variance, in [0, 1].
        momentum: weight of the old priority, in [0, 1).
        temperature: > 0; below 1 sharpens the replay towards the highest priorities.
        smoothing: EMA weight of a new success rate, in (0, 1] (1: the latest group, as the paper).
        prior: success rate assumed for arms with no evidence, in [0, 1].
        explore: probability of a uniformly random lesson.
    """

    def __init__(self, kappa: float = 0.5, momentum: float = 0.9, temperature: float = 0.5, smoothing: float = 1.0,
                 prior: float = 0.5, explore: float = 0.05):
        super().__init__(smoothing=smoothing, temperature=temperature, prior=prior, explore=explore)
        self.kappa = check_float("kappa", kappa, low=0.0, high=1.0)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0, high_open=True)

    def _reset_arms(self) -> None:
        super()._reset_arms()
        self.priority = np.zeros(self.n_arms)
        self.in_bank = np.zeros(self.n_arms, dtype=bool)

    def normalised_variance(self) -> np.ndarray:
        return 4.0 * self.success * (1.0 - self.success)

    def _learn(self, arm: int, value: float, weight: float) -> None:
        super()._learn(arm, value, weight)
        variance = 4.0 * float(self.success[arm]) * (1.0 - float(self.success[arm]))
        if variance < self.kappa:
            self.in_bank[arm], self.priority[arm] = False, 0.0
        elif self.in_bank[arm]:
            self.priority[arm] = self.momentum * self.priority[arm] + (1.0 - self.momentum) * variance
        else:
            self.in_bank[arm], self.priority[arm] = True, variance

    def distribution(self, info) -> np.ndarray:
        self._read_probe_accuracy(info)
        fresh = np.full(self.n_arms, 1.0 / self.n_arms)
        dropped = self.normalised_variance() < self.kappa
        bank = self.in_bank & (self.priority > 0.0)
        if not dropped.any() or not bank.any():
            return fresh
        with np.errstate(under="ignore"):
            weights = np.where(bank, (self.priority / self.priority[bank].max()) ** (1.0 / self.temperature), 0.0)
        replay = weights / weights.sum()
        return np.where(dropped, 0.0, fresh) + fresh[dropped].sum() * replay
