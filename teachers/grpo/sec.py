"""Self-Evolving Curriculum (SEC): a non-stationary bandit on mean |advantage|."""

from __future__ import annotations

import numpy as np

from teachgym.teachers.grpo.arm_signals import ArmTeacher, stable_softmax
from teachgym.validation import check_float


class SECTeacher(ArmTeacher):
    """SEC (Chen et al., 2025, "Self-Evolving Curriculum for LLM Reasoning").

    Each arm has a value ``Q_i``, learned by TD(0) from the reward of the arms
    practised: ``Q_i <- Q_i + alpha * s_i * (r_i - Q_i)``, where ``r_i`` is the mean
    absolute GRPO advantage of arm ``i``'s completions in the step (a proxy for how
    much the student learns from it: groups that are all right or all wrong
    have zero advantage) and ``s_i`` its share of the lesson (1 for a Discrete
    lesson). Lessons are drawn from the Boltzmann distribution
    ``softmax(Q / temperature)``; on a ``MixtureBox`` (mixture) action space that
    distribution *is* the lesson. Q starts at ``initial_value``, optimistic by
    default so that every arm gets tried. Off the GRPO envs, ``r_i`` is the
    absolute learning progress of ``info["outcome"]`` (see
    :mod:`teachgym.teachers.common.bandit`).

    Args:
        alpha: TD(0) step size in (0, 1].
        temperature: Boltzmann temperature, > 0.
        initial_value: starting ``Q`` of every arm.
        explore: probability of a uniformly random lesson.
    """

    def __init__(self, alpha: float = 0.5, temperature: float = 0.2, initial_value: float = 1.0,
                 explore: float = 0.05):
        super().__init__(explore=explore)
        self.alpha = check_float("alpha", alpha, low=0.0, high=1.0, low_open=True)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)
        self.initial_value = check_float("initial_value", initial_value)

    def _reset_arms(self) -> None:
        super()._reset_arms()
        self.values = np.full(self.n_arms, self.initial_value)
        self._value_list = self.values.tolist()  # the same values, as Python floats

    def act(self, obs, info):
        if not self._discrete:
            return super().act(obs, info)
        rng = self.rng
        if self.explore > 0.0 and rng.random() < self.explore:
            return self._start + int(rng.integers(self.n_arms))
        return self._start + self.softmax_sample(self.values, self.temperature, self._value_list)

    def distribution(self, info) -> np.ndarray:
        return stable_softmax(self.values, self.temperature)

    def _learn(self, arm: int, value: float, weight: float) -> None:
        current = self._value_list[arm]
        self.values[arm] = self._value_list[arm] = current + self.alpha * weight * (value - current)
