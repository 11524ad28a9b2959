"""Balanced online difficulty filtering (Bae, Hong, Lee, Kim, Nam & Kwak, 2025,
"Online Difficulty Filtering for Reasoning Oriented Reinforcement Learning")."""

from __future__ import annotations

import numpy as np

from teachgym.teachers.grpo.learnability import LearnabilityTeacher
from teachgym.validation import ConfigError, check_float


class OnlineFilteringTeacher(LearnabilityTeacher):
    """Practise only arms whose pass rate lies in a band of intermediate difficulty.

    The paper rolls out a group of answers per prompt, measures the prompt's pass
    rate and keeps for the GRPO batch only prompts with ``low <= pass rate <=
    high`` (balanced filtering, ``0.25 .. 0.75``): groups that are all right or all
    wrong carry no advantage, and the expected improvement is bounded below by
    the variance of the pass rates. At the arm level: each arm's pass rate ``p_i``
    is an exponential moving average (``smoothing``) of its GRPO success rate
    (``info["arm_reward_mean"]``), read from the probe accuracy
    (``info["arm_accuracy"]``) until the arm is practised, ``prior`` before that
    (off the GRPO envs: the outcome clipped into [0, 1]). Lessons are uniform over
    the arms in the band; if none is, over the arms closest to it. Solved and
    unsolvable arms are dropped, and pass rates drift as the student learns, so
    ``explore`` (a uniformly random arm) is what re-measures a dropped arm. On a
    ``MixtureBox`` space the lesson is the uniform mixture over the kept arms.

    Args:
        low, high: the pass-rate band, ``0 <= low <= high <= 1``.
        smoothing: EMA weight of a new success rate, in (0, 1].
        prior: pass rate assumed for arms with no evidence, in [0, 1].
        explore: probability of a uniformly random lesson.
    """

    def __init__(self, low: float = 0.25, high: float = 0.75, smoothing: float = 0.5, prior: float = 0.5,
                 explore: float = 0.1):
        super().__init__(smoothing=smoothing, temperature=1.0, prior=prior, explore=explore)
        self.low = check_float("low", low, low=0.0, high=1.0)
        self.high = check_float("high", high, low=0.0, high=1.0)
        if self.low > self.high:
            raise ConfigError(f"low must not exceed high; got low={low}, high={high}")

    def kept(self) -> np.ndarray:
        """Mask of the arms whose pass rate is in the band."""
        return (self.success >= self.low) & (self.success <= self.high)

    def distribution(self, info) -> np.ndarray:
        self._read_probe_accuracy(info)
        keep = self.kept()
        if not keep.any():
            distance = np.maximum(self.low - self.success, 0.0) + np.maximum(self.success - self.high, 0.0)
            keep = distance == distance.min()
        return keep / keep.sum()
