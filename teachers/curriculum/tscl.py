"""TSCL bandit teachers (Matiisen et al., 2017, "Teacher-Student Curriculum Learning").

Both follow the paper's intuition: practise the task whose learning curve is
steepest, in either direction, so forgetting (a negative slope) is revisited too.

- :class:`TSCLWindowTeacher` ("Window" algorithm): the slope of a linear
  regression over each task's last K (time, score) pairs.
- :class:`TSCLSamplingTeacher` ("Sampling" algorithm): one draw from each task's
  last K score changes, Thompson-sampling style, and no explicit exploration.

Scores are the env's ``info["outcome"]`` on the practised task.

The window K is relative to the teaching budget the env publishes at reset
(``info["teaching_budget"]``), resolved at the first lesson of a run unless
given: the paper's K = 10 at 5,000 teacher steps, the same share of longer
runs, and never below the paper's 10 (a slope or a draw from fewer recent
points is mostly noise). The paper states no budget in teacher steps, so the
reference is this project's
(:data:`~teachgym.utils.budget.BANDIT_REFERENCE_BUDGET`). Without a
published budget K is 10.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.common.bandit import MAX_PROGRESS, BanditTeacher, argmax_random, random_choice, sample_index
from teachgym.utils.budget import BANDIT_REFERENCE_BUDGET, budget_relative
from teachgym.validation import check_choice, check_float, check_int

PAPER_WINDOW = 10  # Matiisen et al.'s K, for both algorithms
MAX_WINDOW = 100_000


def budget_window(teaching_budget: int | None) -> int:
    """The default window K for a run of ``teaching_budget`` teacher steps (at least the paper's 10)."""
    return min(MAX_WINDOW, budget_relative(teaching_budget, PAPER_WINDOW, BANDIT_REFERENCE_BUDGET, PAPER_WINDOW))


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


class _BudgetWindowTeacher(BanditTeacher):
    """A bandit teacher whose per-arm window defaults to :func:`budget_window`, resolved at the first lesson."""

    budget_setting = "window"
    budget_reference = PAPER_WINDOW

    def _init_window(self, window: int | None, low: int) -> None:
        self.window_given = None if window is None else check_int("window", window, low=low, high=MAX_WINDOW)
        self.window = self.window_given or PAPER_WINDOW

    def _budget_default(self, teaching_budget: int | None) -> int:
        return budget_window(teaching_budget)


class TSCLWindowTeacher(_BudgetWindowTeacher):
    """TSCL "Window": argmax |slope| of each task's recent learning curve.

    Each task keeps a FIFO of its last ``window`` (step, outcome) pairs; its
    learning progress is the slope of a linear regression of outcome on step.
    A task with fewer than two pairs has slope 0. The task is chosen
    epsilon-greedily (the paper's default) or by a Boltzmann distribution over
    |slope|.

    Args:
        window: FIFO length K (the paper: 10; None: relative to the teaching budget, see
            :func:`budget_window`).
        policy: "epsilon-greedy" or "boltzmann".
        epsilon: probability of a uniformly random task (epsilon-greedy; the paper: 0.1).
        temperature: Boltzmann temperature, in outcome units per step. The default
            4e-4 is not from the paper: it is the order of one slope of a task
            that gains 1 % of its outcome range per visit among 25 tasks.
    """

    def __init__(self, window: int | None = None, policy: str = "epsilon-greedy", epsilon: float = 0.1,
                 temperature: float = 4e-4):
        super().__init__()
        self._init_window(window, low=2)
        self.policy = check_choice("policy", policy, ("epsilon-greedy", "boltzmann"))
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)

    def _reset_arms(self) -> None:
        self._times = np.zeros((self.n_arms, self.window))
        self._scores = np.zeros((self.n_arms, self.window))
        self._time_rows, self._score_rows = list(self._times), list(self._scores)  # row views
        self._filled = [0] * self.n_arms  # total pairs ever written per arm
        self._time_sums = [0] * self.n_arms  # exact sum of the (integer) steps in each arm's window
        self._step_lists = [[0] * self.window for _ in range(self.n_arms)]  # the windows again, as Python lists
        self._score_lists = [[0.0] * self.window for _ in range(self.n_arms)]
        self._spans = [0.0] * self.n_arms  # the largest |score| in each arm's window
        self._slopes = np.zeros(self.n_arms)
        self._magnitudes = [0.0] * self.n_arms

    def _observe(self, arm: int, outcome: float | None) -> None:
        if outcome is None:
            return
        window, filled, steps = self.window, self._filled[arm], self.steps
        position = filled % window  # ring buffer: overwrite the oldest pair
        scores, span, magnitude = self._score_lists[arm], self._spans[arm], abs(outcome)
        if filled >= window:
            self._time_sums[arm] -= self._step_lists[arm][position]
            evicted = abs(scores[position])
        else:
            evicted = 0.0
        self._times[arm, position] = steps
        self._scores[arm, position] = outcome
        self._step_lists[arm][position] = steps
        scores[position] = outcome
        self._time_sums[arm] += steps
        self._filled[arm] = filled = filled + 1
        if magnitude >= span:
            span = magnitude
        elif evicted == span:  # the largest left the window (the window is full here)
            span = max(map(abs, scores))
        self._spans[arm] = span
        slope = self._window_slope(arm, filled if filled < window else window, span)
        self._slopes[arm] = slope
        self._magnitudes[arm] = abs(slope)

    def _window_slope(self, arm: int, size: int, span: float) -> float:
        """:func:`regression_slope` of the arm's window, rounded exactly as it rounds, with fewer array calls.

        ``span`` is the largest |score| in the window; the mean of integer steps is exact in any order, so it is
        taken from a running integer sum.
        """
        if size < 2 or span == 0.0:
            return 0.0
        times, scores = self._time_rows[arm], self._score_rows[arm]
        if size < self.window:
            times, scores = times[:size], scores[:size]
        centred_times = times - self._time_sums[arm] / size
        unit_scores = scores / span
        deviations = unit_scores - np.add.reduce(unit_scores) / size
        # ndarray.dot is the same BLAS dot product as ``@`` (the same rounding), with less overhead per call.
        slope = float(centred_times.dot(deviations)) / float(centred_times.dot(centred_times))
        return min(max(slope * span, -MAX_PROGRESS), MAX_PROGRESS)

    def learning_progress(self) -> np.ndarray:
        """Current slope of every task's window (signed; the teacher uses its magnitude)."""
        return self._slopes.copy()

    def _choose(self, info) -> int:
        if self.policy == "epsilon-greedy":
            if self.rng.random() < self.epsilon:
                return int(self.rng.integers(self.n_arms))
            return argmax_random(self._magnitudes, self.rng)
        with np.errstate(over="ignore"):  # a huge slope over a small temperature overflows to inf: cap it
            logits = np.minimum(np.abs(self._slopes) / self.temperature, MAX_PROGRESS)
        return sample_index(np.exp(logits - logits.max()), self.rng)


class TSCLSamplingTeacher(_BudgetWindowTeacher):
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
        window: buffer length K (the paper's setting: 10; None: relative to the teaching
            budget, see :func:`budget_window`).
        epsilon: probability of a uniformly random task (default 0, the paper's algorithm).
    """

    block_draws = False  # random(n_arms) every decision: one call into NumPy either way

    def __init__(self, window: int | None = None, epsilon: float = 0.0):
        super().__init__()
        self._init_window(window, low=1)
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)

    def _reset_arms(self) -> None:
        self._rewards = np.zeros((self.n_arms, self.window))
        self._filled = np.zeros(self.n_arms, dtype=np.int64)
        self._n_empty = self.n_arms
        self._sizes = np.zeros(self.n_arms, dtype=np.int64)  # min(filled, window)
        self._last_index = np.full(self.n_arms, -1, dtype=np.int64)  # sizes - 1
        self._arm_index = np.arange(self.n_arms)

    def _learn(self, arm: int, progress: float, weight: float) -> None:
        filled = int(self._filled[arm])
        self._rewards[arm, filled % self.window] = progress
        self._filled[arm] = filled + 1
        if filled == 0:
            self._n_empty -= 1
        if filled < self.window:
            self._sizes[arm] = filled + 1
            self._last_index[arm] = filled

    def _choose(self, info) -> int:
        if self._n_empty:
            return random_choice(self._filled == 0, self.rng)
        if self.epsilon > 0.0 and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_arms))
        # One uniform draw per arm; floor(u * size) is an index into the filled part of the buffer.
        picks = np.minimum((self.rng.random(self.n_arms) * self._sizes).astype(np.int64), self._last_index)
        return argmax_random(self._rewards[self._arm_index, picks], self.rng)
