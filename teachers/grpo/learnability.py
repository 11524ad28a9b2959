"""Learnability targeting: practise where the success rate p makes p (1 - p) largest."""

from __future__ import annotations

import math

import numpy as np

from teachgym import info as keys
from teachgym.teachers.grpo.arm_signals import ArmTeacher
from teachgym.validation import check_float


class LearnabilityTeacher(ArmTeacher):
    """Sample arms in proportion to their learnability ``p (1 - p)``.

    Following "Learning to Reason at the Frontier of Learnability" (LILO; Foster &
    Foerster, 2025) and VCRL (variance-based curriculum RL), which both favour
    problems whose reward variance under the policy is largest: for a 0/1 reward
    with success rate ``p`` that variance is ``p (1 - p)``, zero for problems always
    or never solved (whose GRPO groups give no gradient). ``p_i`` is an
    exponential moving average (``smoothing``) of arm ``i``'s GRPO success rate
    (``info["arm_reward_mean"]``); before an arm is practised it is read from the
    env's per-arm probe accuracy (``info["arm_accuracy"]``) when present, else
    ``prior``. Off the GRPO envs, the outcome clipped to [0, 1] plays the role of
    the success rate. Lessons are drawn from ``p (1 - p) ** (1 / temperature)``,
    normalised (uniform if all are 0); on a ``MixtureBox`` (mixture) action space those
    probabilities are the lesson.

    Args:
        smoothing: EMA weight of a new success rate, in (0, 1].
        temperature: > 0; below 1 sharpens the preference for the most learnable arms.
        prior: success rate assumed for arms with no evidence, in [0, 1].
        explore: probability of a uniformly random lesson.
    """

    signal = "success"

    def __init__(self, smoothing: float = 0.5, temperature: float = 0.5, prior: float = 0.5, explore: float = 0.05):
        super().__init__(explore=explore)
        self.smoothing = check_float("smoothing", smoothing, low=0.0, high=1.0, low_open=True)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)
        self.prior = check_float("prior", prior, low=0.0, high=1.0)

    def _reset_arms(self) -> None:
        self.success = np.full(self.n_arms, self.prior)
        self._measured = np.zeros(self.n_arms, dtype=bool)
        self._n_measured = 0

    def learnability(self) -> np.ndarray:
        return self.success * (1.0 - self.success)

    def distribution(self, info) -> np.ndarray:
        self._read_probe_accuracy(info)
        with np.errstate(under="ignore"):
            weights = self.learnability() ** (1.0 / self.temperature)
        total = float(np.add.reduce(weights))
        if not (math.isfinite(total) and total > 0.0):
            return np.full(self.n_arms, 1.0 / self.n_arms)
        return weights / total

    def _learn(self, arm: int, value: float, weight: float) -> None:
        if self._measured[arm]:
            current = float(self.success[arm])
            self.success[arm] = current + self.smoothing * (value - current)
        else:
            self.success[arm], self._measured[arm] = value, True
            self._n_measured += 1

    def _read_probe_accuracy(self, info) -> None:
        accuracy = keys.ARM_ACCURACY.get(info) if isinstance(info, dict) else None
        if accuracy is None or self._n_measured == self.n_arms:
            return  # nothing to read, or nothing left to read it for
        try:
            accuracy = np.asarray(accuracy, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            return
        if accuracy.size != self.n_arms:
            return
        usable = ~self._measured & np.isfinite(accuracy)
        self.success[usable] = np.clip(accuracy[usable], 0.0, 1.0)
