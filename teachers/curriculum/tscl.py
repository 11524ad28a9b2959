"""TSCL bandit teachers (Matiisen et al., 2017, "Teacher-Student Curriculum Learning").

Both follow the paper's intuition: practise the task whose learning curve is
steepest, in either direction, so forgetting (a negative slope) is revisited too.

- :class:`TSCLWindowTeacher` ("Window" algorithm): the slope of a linear
  regression over each task's last K (time, score) pairs.
- :class:`TSCLSamplingTeacher` ("Sampling" algorithm): one draw from each task's
  last K score changes, Thompson-sampling style, and no explicit exploration.

Scores are the env's ``info["outcome"]`` on the practised task.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.curriculum.learning_progress import (
    MAX_PROGRESS,
    LearningProgressTeacher,
    argmax_random,
    random_choice,
    sample_index,
)
from teachgym.validation import check_choice, check_float, check_int


def regression_slope(times: np.ndarray, scores: np.ndarray) -> float:
    """Least-squares slope of ``scores`` against ``times``; 0 with fewer than two points.

    Scores are divided by their largest magnitude first so that values near the
    float limit cannot overflow the products; the slope is capped to a finite float.
    """
    if times.size < 2:
        return 0.0
    span = float(np.max(np.abs(scores)))
    if span == 0.0:
        return 0.0
    centred_times = times - times.mean()
    unit_scores = scores / span
    slope = float(centred_times @ (unit_scores - unit_scores.mean())) / float(centred_times @ centred_times)
    with np.errstate(over="ignore"):
        return float(np.clip(slope * span, -MAX_PROGRESS, MAX_PROGRESS))


class TSCLWindowTeacher(LearningProgressTeacher):
    """TSCL "Window": argmax |slope| of each task's recent learning curve.

    Each task keeps a FIFO of its last ``window`` (step, outcome) pairs; its
    learning progress is the slope of a linear regression of outcome on step.
    A task with fewer than two pairs has slope 0. The task is chosen
    epsilon-greedily (the paper's default) or by a Boltzmann distribution over
    |slope|.

    Args:
        window: FIFO length K (the paper: 10).
        policy: "epsilon-greedy" or "boltzmann".
        epsilon: probability of a uniformly random task (epsilon-greedy; the paper: 0.1).
        temperature: Boltzmann temperature, in outcome units per step. The default
            4e-4 is not from the paper: it is the order of one slope of a task
            that gains 1 % of its outcome range per visit among 25 tasks.
    """

    def __init__(self, window: int = 10, policy: str = "epsilon-greedy", epsilon: float = 0.1,
                 temperature: float = 4e-4):
        super().__init__()
        self.window = check_int("window", window, low=2, high=100_000)
        self.policy = check_choice("policy", policy, ("epsilon-greedy", "boltzmann"))
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)

    def _reset_arms(self) -> None:
        self._times = np.zeros((self.n_arms, self.window))
        self._scores = np.zeros((self.n_arms, self.window))
        self._filled = np.zeros(self.n_arms, dtype=np.int64)  # total pairs ever written per arm
        self._slopes = np.zeros(self.n_arms)

    def _observe(self, arm: int, outcome: float | None) -> None:
        if outcome is None:
            return
        position = self._filled[arm] % self.window  # ring buffer: overwrite the oldest pair
        self._times[arm, position] = self.steps
        self._scores[arm, position] = outcome
        self._filled[arm] += 1
        size = min(int(self._filled[arm]), self.window)
        self._slopes[arm] = regression_slope(self._times[arm, :size], self._scores[arm, :size])

    def learning_progress(self) -> np.ndarray:
        """Current slope of every task's window (signed; the teacher uses its magnitude)."""
        return self._slopes.copy()

    def _choose(self) -> int:
        magnitude = np.abs(self._slopes)
        if self.policy == "epsilon-greedy":
            if self.rng.random() < self.epsilon:
                return int(self.rng.integers(self.n_arms))
            return argmax_random(magnitude, self.rng)
        with np.errstate(over="ignore"):  # a huge slope over a small temperature overflows to inf: cap it
            logits = np.minimum(magnitude / self.temperature, MAX_PROGRESS)
        return sample_index(np.exp(logits - logits.max()), self.rng)


class TSCLSamplingTeacher(LearningProgressTeacher):
    """TSCL "Sampling": draw one recent reward per task, practise argmax |draw|.

    A task's reward is its outcome change since it was last practised; each task
    keeps its last ``window`` rewards. Every step one reward is drawn uniformly
    from each buffer and the task with the largest |draw| is practised. A task
    with an empty buffer counts as +inf, so each task is tried (twice: the first
    outcome is only the baseline of the first change) before any is repeated.
    Since the choice uses |draw|, the buffers hold absolute changes.

    The paper relies on the noise of the draws for exploration; a task whose
    buffer holds only zeros (e.g. not yet learnable when first tried) is then
    never revisited. ``epsilon > 0`` practises a uniformly random task with
    that probability, as the Window teacher does.

    Args:
        window: buffer length K (the paper's setting: 10).
        epsilon: probability of a uniformly random task (default 0, the paper's algorithm).
    """

    def __init__(self, window: int = 10, epsilon: float = 0.0):
        super().__init__()
        self.window = check_int("window", window, low=1, high=100_000)
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)

    def _reset_arms(self) -> None:
        self._rewards = np.zeros((self.n_arms, self.window))
        self._filled = np.zeros(self.n_arms, dtype=np.int64)

    def _learn(self, arm: int, progress: float) -> None:
        self._rewards[arm, self._filled[arm] % self.window] = progress
        self._filled[arm] += 1

    def _choose(self) -> int:
        empty = random_choice(self._filled == 0, self.rng)
        if empty is not None:
            return empty
        if self.epsilon > 0.0 and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_arms))
        sizes = np.minimum(self._filled, self.window)
        # One uniform draw per arm; floor(u * size) is an index into the filled part of the buffer.
        picks = np.minimum((self.rng.random(self.n_arms) * sizes).astype(np.int64), sizes - 1)
        return argmax_random(self._rewards[np.arange(self.n_arms), picks], self.rng)
