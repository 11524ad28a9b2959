"""Prioritized Level Replay (Jiang, Grefenstette & Rocktäschel, ICML 2021) and Robust PLR
(Jiang, Dennis, Parker-Holder, Foerster, Grefenstette & Rocktäschel, NeurIPS 2021,
"Replay-Guided Adversarial Environment Design").

PLR keeps a bounded buffer of *levels* (tasks) it has seen, each with a score
``S_i`` (how much the student has left to learn there) and the clock ``C_i`` of its
last visit. Each step it either samples a new level from the training
distribution or replays one from the buffer with probability

    P_replay(i) = (1 - rho) * P_S(i) + rho * P_C(i),

where ``P_S`` prioritises by score (``rank``: ``h_i = 1 / rank(S_i)``, or ``power``:
``h_i = S_i``; then ``P_S(i) = h_i^(1/beta) / sum_j h_j^(1/beta)``) and ``P_C(i) = (c - C_i) /
sum_j (c - C_j)`` favours stale levels, whose scores were measured by an older
student (``c`` is the number of steps so far). After the step the level's score
is replaced by the new one. A new level enters the buffer if there is room or if
its score beats the lowest score in the buffer, which it then replaces.

**Levels.** On a ``Box`` action space a level is a task vector (new levels are
drawn uniformly in the box); on a ``Discrete`` one a level is an arm.

**Scores.** The papers score a level by the student's value loss on it (PLR:
L1 value loss, i.e. mean |GAE|; Robust PLR: positive value loss, mean max(GAE, 0)).
A teacher env has no critic, so the value prediction is replaced by the
outcome the teacher would have predicted: the level's outcome at its previous
visit; for a new Box level, the last outcome of the nearest level in the buffer;
for a new arm (or an empty buffer), the running mean of all outcomes. Then

- ``"value_l1"``: ``|outcome - prediction|`` (absolute learning progress; PLR's default),
- ``"positive_value"``: ``max(outcome - prediction, 0)`` (Robust PLR's default),
- ``"learnability"``: ``p (1 - p)`` with ``p`` the mean of the level's outcomes clipped into
  [0, 1] (the success-variance score of SFL and of the LLM-RL filters).

**Replay schedule.** ``"proportionate"`` (PLR's, for a finite set of levels:
a new level is drawn with probability equal to the share of arms never seen,
from the unseen ones) applies to ``Discrete`` spaces; on a ``Box`` there are
infinitely many levels, so a fixed ``replay_prob`` is used, once the buffer is
``min_fill`` full, as in Robust PLR.

**Robust PLR.** Its distinctive change is that the student takes gradient steps
only on replayed levels: new levels are rolled out to be scored, never trained
on. A teacher env has no probe-only step (every lesson trains the student), so
that part cannot be expressed here; :class:`RobustPLRTeacher` is the
sampling and prioritisation side of Robust PLR, faithfully: a fixed replay
probability for every space, positive-value-loss scores, the maze settings of
the paper's code (replay probability 0.5, temperature 0.1, staleness 0.3,
minimum fill 0.5), and the buffer replacement rule.

Budget-relative default: the buffer holds ``teaching_budget // 10`` Box levels
(16 to 4000; the papers use 1,000-4,000 levels for 10^8-10^9 student steps).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.common.bandit import MAX_PROGRESS, arm_of, random_choice, sample_index
from teachgym.teachers.curriculum.task_box import TaskBox, clipped_success, teaching_budget
from teachgym.validation import ConfigError, check_choice, check_float, check_int

SCORES = ("value_l1", "positive_value", "learnability")
PRIORITISATIONS = ("rank", "power")
SCHEDULES = ("proportionate", "fixed")


class LevelBuffer:
    """A bounded set of levels with scores, last-visit clocks and outcome statistics.

    Attributes:
        levels: ``(capacity, dim)`` level parameters (the arm id in column 0 for arms).
        scores: each level's latest score.
        last_visit: the teacher's clock at each level's last visit.
        last_outcome: each level's outcome at its last visit.
        success_sum, visits: sum of clipped outcomes and number of scored visits.
        size: levels held.
    """

    def __init__(self, capacity: int, dim: int):
        self.capacity = capacity
        self.levels = np.zeros((capacity, dim))
        self.scores = np.zeros(capacity)
        self.last_visit = np.zeros(capacity)
        self.last_outcome = np.zeros(capacity)
        self.success_sum = np.zeros(capacity)
        self.visits = np.zeros(capacity)
        self.size = 0

    def replay_distribution(self, clock: float, prioritisation: str, temperature: float,
                            staleness_coef: float) -> np.ndarray:
        """PLR's replay probabilities of the levels held (see the module docstring)."""
        n = self.size
        scores = self.scores[:n]
        if prioritisation == "rank":
            ranks = average_ranks(scores)
            with np.errstate(under="ignore"):
                weights = ranks ** (-1.0 / temperature)
        else:
            top = scores.max() if n else 0.0
            with np.errstate(under="ignore"):
                weights = (np.maximum(scores, 0.0) / top) ** (1.0 / temperature) if top > 0.0 else np.ones(n)
        by_score = _normalised(weights)
        if staleness_coef == 0.0:
            return by_score
        by_staleness = _normalised(np.maximum(clock - self.last_visit[:n], 0.0))
        return (1.0 - staleness_coef) * by_score + staleness_coef * by_staleness

    def nearest(self, level: np.ndarray) -> int | None:
        """The slot of the level closest to ``level`` (Euclidean), or None if the buffer is empty."""
        if self.size == 0:
            return None
        diff = self.levels[: self.size] - level
        return int(np.argmin(np.einsum("ij,ij->i", diff, diff)))

    def add(self, level: np.ndarray, score: float, outcome: float, clock: float) -> int | None:
        """Insert a new level; when full, replace the lowest-scored level if ``score`` beats it.

        Returns the slot used, or None if the level was not kept.
        """
        if self.size < self.capacity:
            slot = self.size
            self.size += 1
        else:
            slot = int(np.argmin(self.scores))
            if not score > self.scores[slot]:
                return None
        self.levels[slot] = level
        self.success_sum[slot] = 0.0
        self.visits[slot] = 0.0
        self.visit(slot, score, outcome, clock)
        return slot

    def visit(self, slot: int, score: float, outcome: float, clock: float) -> None:
        """Record a scored visit of the level in ``slot``."""
        self.scores[slot] = score
        self.last_visit[slot] = clock
        self.last_outcome[slot] = outcome
        self.success_sum[slot] += clipped_success(outcome)
        self.visits[slot] += 1.0


def average_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score; tied scores share the mean of their ranks, so they get one priority."""
    n = scores.size
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)
    return ranks


def _normalised(weights: np.ndarray) -> np.ndarray:
    total = float(weights.sum())
    if not (math.isfinite(total) and total > 0.0):
        return np.full(weights.size, 1.0 / max(weights.size, 1))
    return weights / total


class PLRTeacher(Teacher):
    """Prioritized Level Replay (see the module docstring).

    Args:
        score: ``"value_l1"``, ``"positive_value"`` or ``"learnability"``.
        prioritisation: ``"rank"`` or ``"power"``.
        temperature: ``beta`` > 0 of the score prioritisation (paper: 0.1).
        staleness_coef: ``rho`` in [0, 1], the staleness share of the replay distribution (paper: 0.1).
        replay_prob: probability of replaying once the buffer is ready (fixed schedule; Box spaces).
        replay_schedule: ``"proportionate"`` or ``"fixed"`` for Discrete spaces (Box: always fixed).
        capacity: Box levels the buffer holds (None: ``teaching_budget // 10``, 16 to 4000).
        min_fill: share of the buffer filled before the fixed schedule replays, in [0, 1].
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box, spaces.Discrete)

    def __init__(self, score: str = "value_l1", prioritisation: str = "rank", temperature: float = 0.1,
                 staleness_coef: float = 0.1, replay_prob: float = 0.5, replay_schedule: str = "proportionate",
                 capacity: int | None = None, min_fill: float = 0.5):
        super().__init__()
        self.score = check_choice("score", score, SCORES)
        self.prioritisation = check_choice("prioritisation", prioritisation, PRIORITISATIONS)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True, high=100.0)
        self.staleness_coef = check_float("staleness_coef", staleness_coef, low=0.0, high=1.0)
        self.replay_prob = check_float("replay_prob", replay_prob, low=0.0, high=1.0)
        self.replay_schedule = check_choice("replay_schedule", replay_schedule, SCHEDULES)
        self.capacity = None if capacity is None else check_int("capacity", capacity, low=1, high=10**6)
        self.min_fill = check_float("min_fill", min_fill, low=0.0, high=1.0)

    # -- set-up ------------------------------------------------------------------
    def _setup(self) -> None:
        self._discrete = isinstance(self.action_space, spaces.Discrete)
        self.box = None if self._discrete else TaskBox(self.action_space)
        self.buffer: LevelBuffer | None = None
        self.clock = 0
        self.replays = 0
        self._outcome_mean, self._n_outcomes = 0.0, 0
        self._pending: tuple[Any, int | None] | None = None  # (lesson, buffer slot if replayed)
        if self._discrete:
            self.n_arms = int(self.action_space.n)
            self._slot_of_arm = np.full(self.n_arms, -1)
            self.buffer = LevelBuffer(self.n_arms, 1)

    def _make_buffer(self, info: dict[str, Any]) -> None:
        capacity = self.capacity or int(min(4000, max(16, teaching_budget(info) // 10)))
        self.buffer = LevelBuffer(capacity, self.box.dim)

    # -- acting --------------------------------------------------------------------
    def act(self, obs, info):
        if self.buffer is None:
            self._make_buffer(info)
        slot = self._replay_slot()
        if slot is not None:
            self.replays += 1
            level = self.buffer.levels[slot]
        else:
            level = self._new_level()
        lesson = self._lesson(level)
        self._pending = (lesson, slot)
        return lesson

    def _replay_slot(self) -> int | None:
        """The buffer slot to replay this step, or None to draw a new level."""
        buffer = self.buffer
        if buffer.size == 0:
            return None
        if self._discrete and self.replay_schedule == "proportionate":
            if self.rng.random() < (self.n_arms - buffer.size) / self.n_arms:
                return None
        elif buffer.size < self.min_fill * buffer.capacity or not self.rng.random() < self.replay_prob:
            return None
        return self._sample_slot()

    def _sample_slot(self) -> int:
        probabilities = self.buffer.replay_distribution(self.clock, self.prioritisation, self.temperature,
                                                        self.staleness_coef)
        return sample_index(probabilities, self.rng)

    def _new_level(self) -> np.ndarray:
        if not self._discrete:
            return self.box.uniform(self.rng)
        if self.replay_schedule == "proportionate":
            arm = random_choice(self._slot_of_arm < 0, self.rng)
            if arm is not None:
                return np.array([float(arm)])
        return np.array([float(self.rng.integers(self.n_arms))])

    def _lesson(self, level: np.ndarray):
        if self._discrete:
            return int(self.action_space.start) + int(level[0])
        return self.box.lesson(level)

    # -- learning ------------------------------------------------------------------
    def update(self, action, reward, obs, info) -> None:
        self.clock += 1
        if self.buffer is None:
            self._make_buffer(info)
        level, slot = self._level_of(action, info)
        if level is None:
            return
        replayed = slot is not None
        outcome = finite_outcome(info)
        if outcome is None:
            if replayed:
                self.buffer.last_visit[slot] = self.clock
            return
        prediction = self._prediction(level, slot)
        self._record_outcome(outcome)
        if replayed:
            self.buffer.visit(slot, self._score_of(outcome, prediction, slot), outcome, self.clock)
        else:
            slot = self.buffer.add(level, self._score_of(outcome, prediction, None), outcome, self.clock)
            if slot is not None and self._discrete:
                self._slot_of_arm[int(level[0])] = slot
        self._after_update(level, slot, replayed)

    def _after_update(self, level: np.ndarray, slot: int | None, replayed: bool) -> None:
        """Hook run after a scored step (used by ACCEL to queue edits of replayed levels)."""

    def _level_of(self, action, info) -> tuple[np.ndarray | None, int | None]:
        """The level practised and its buffer slot (None: a new level)."""
        pending, self._pending = self._pending, None
        if self._discrete:
            arm = arm_of(action, self.action_space)
            if arm is None:
                return None, None
            slot = int(self._slot_of_arm[arm])
            return np.array([float(arm)]), (slot if slot >= 0 else None)
        task = self.box.read_task(info, action)
        if task is None:
            return None, None
        if pending is not None and pending[1] is not None and np.array_equal(
                np.asarray(action).reshape(-1), np.asarray(pending[0]).reshape(-1)):
            return self.buffer.levels[pending[1]].copy(), pending[1]
        return task, None

    def _prediction(self, level: np.ndarray, slot: int | None) -> float | None:
        """The outcome the teacher expected on ``level`` before this visit (None: no basis yet)."""
        if slot is not None:
            return float(self.buffer.last_outcome[slot])
        if not self._discrete:
            nearest = self.buffer.nearest(level)
            if nearest is not None:
                return float(self.buffer.last_outcome[nearest])
        return self._outcome_mean if self._n_outcomes else None

    def _record_outcome(self, outcome: float) -> None:
        step = (outcome - self._outcome_mean) / (self._n_outcomes + 1)
        if math.isfinite(step):
            self._outcome_mean += step
            self._n_outcomes += 1

    def _score_of(self, outcome: float, prediction: float | None, slot: int | None) -> float:
        if self.score == "learnability":
            success, visits = clipped_success(outcome), 1.0  # this visit, then the level's earlier ones
            if slot is not None:
                success, visits = success + self.buffer.success_sum[slot], visits + self.buffer.visits[slot]
            p = float(success / visits)
            return p * (1.0 - p)
        if prediction is None:
            return 0.0
        error = outcome - prediction
        if not math.isfinite(error):
            error = math.copysign(MAX_PROGRESS, error) if error == error else 0.0
        return abs(error) if self.score == "value_l1" else max(error, 0.0)


class RobustPLRTeacher(PLRTeacher):
    """Robust PLR's level sampling (see the module docstring for what "replay-only updates" become here).

    Same arguments as :class:`PLRTeacher`, with Robust PLR's defaults: positive
    value loss, rank prioritisation at temperature 0.1, staleness 0.3, a fixed
    replay probability 0.5 once the buffer is half full, for Box and Discrete
    spaces alike.
    """

    def __init__(self, score: str = "positive_value", prioritisation: str = "rank", temperature: float = 0.1,
                 staleness_coef: float = 0.3, replay_prob: float = 0.5, replay_schedule: str = "fixed",
                 capacity: int | None = None, min_fill: float = 0.5):
        super().__init__(score=score, prioritisation=prioritisation, temperature=temperature,
                         staleness_coef=staleness_coef, replay_prob=replay_prob, replay_schedule=replay_schedule,
                         capacity=capacity, min_fill=min_fill)
        if self.replay_schedule != "fixed":
            raise ConfigError("replay_schedule of Robust PLR must be 'fixed' (it replays with a fixed probability)")
