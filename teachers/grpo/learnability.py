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
        self._measured = [False] * self.n_arms
        self._n_measured = 0
        self._exponent = 1.0 / self.temperature
        # learnability() ** exponent, kept up to date arm by arm where that is exact (the exponents 1 and 2:
        # x ** 2.0 is x * x in NumPy); None when it must be computed again from ``success``.
        self._weights = None
        self._per_arm = self._exponent in (1.0, 2.0)

    def learnability(self) -> np.ndarray:
        return self.success * (1.0 - self.success)

    def _current_weights(self) -> np.ndarray:
        if self._weights is None:
            with np.errstate(under="ignore"):
                self._weights = self.learnability() ** self._exponent
        return self._weights

    def distribution(self, info) -> np.ndarray:
        self._read_probe_accuracy(info)
        weights = self._current_weights()
        total = float(np.add.reduce(weights))
        if not (math.isfinite(total) and total > 0.0):
            return np.full(self.n_arms, 1.0 / self.n_arms)
        return weights / total

    def _learn(self, arm: int, value: float, weight: float) -> None:
        if self._measured[arm]:
            current = float(self.success[arm])
            value = current + self.smoothing * (value - current)
        else:
            self._measured[arm] = True
            self._n_measured += 1
        self.success[arm] = value
        if self._weights is not None and self._per_arm:
            variance = value * (1.0 - value)  # learnability() of this arm, the same two operations
            self._weights[arm] = variance * variance if self._exponent == 2.0 else variance
        else:
            self._weights = None

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
        usable = ~np.array(self._measured) & np.isfinite(accuracy)
        if usable.any():
            self.success[usable] = np.clip(accuracy[usable], 0.0, 1.0)
            self._weights = None
