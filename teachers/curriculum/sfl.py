"""Sampling For Learnability (Rutherford, Beukman, Willi, Lacerda, Hawes & Foerster, NeurIPS 2024,
"No Regrets: Investigating and Improving Regret Approximations for Curriculum Discovery").

SFL scores a level by its *learnability* ``p (1 - p)``, where ``p`` is the
student's success rate on it: zero for levels always or never solved, largest
at ``p = 1/2``. Periodically it rolls the current student out on many random
levels, estimates ``p`` for each, and keeps the ``K`` most learnable in a buffer;
training levels are drawn uniformly from that buffer with probability
``buffer_share`` (the paper's ``rho``) and uniformly from the level space otherwise.

In a teacher env each lesson is one rollout that also trains the student, so
the estimation rollouts are the lessons themselves: the uniformly drawn share
of lessons (exploration) and the buffer replays supply the outcomes (clipped
into [0, 1] and read as success rates) from which ``p`` is estimated. Every
``refresh_every`` steps the buffer is rebuilt from the levels practised since the
last refresh, each with the mean of its outcomes in that period, and the
buffer's levels not practised in the period, with their latest estimate;
levels whose learnability is 0 are never kept. On a ``Box`` a level is a task
vector (most are seen once, so their ``p`` comes from one outcome); on a
``Discrete`` space a level is an arm.

Budget-relative defaults: ``refresh_every = teaching_budget // 50`` (at least
1), and a buffer of ``teaching_budget // 100`` levels (4 to 100; the paper keeps
100) on a Box, ``n_arms // 4`` (at least 1) on a Discrete space.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.common.bandit import arm_of
from teachgym.teachers.curriculum.task_box import TaskBox, clipped_success, teaching_budget
from teachgym.validation import check_float, check_int


class SFLTeacher(Teacher):
    """Sampling For Learnability (see the module docstring).

    Args:
        buffer_size: ``K``, levels kept (None: budget-relative, see the module docstring).
        buffer_share: ``rho``, probability of a lesson drawn from the buffer, in [0, 1] (paper: 0.5).
        refresh_every: steps between two buffer rebuilds (None: ``teaching_budget // 50``).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box, spaces.Discrete)

    def __init__(self, buffer_size: int | None = None, buffer_share: float = 0.5, refresh_every: int | None = None):
        super().__init__()
        self.buffer_size = None if buffer_size is None else check_int("buffer_size", buffer_size, low=1, high=10**6)
        self.buffer_share = check_float("buffer_share", buffer_share, low=0.0, high=1.0)
        self.refresh_every = None if refresh_every is None else check_int("refresh_every", refresh_every, low=1,
                                                                            high=10**9)

    def _setup(self) -> None:
        self._discrete = isinstance(self.action_space, spaces.Discrete)
        self.box = None if self._discrete else TaskBox(self.action_space)
        self._configured = False
        self.steps = 0
        self.refreshes = 0
        # The buffer: levels (rows), their latest success estimate.
        dim = 1 if self._discrete else self.box.dim
        self.buffer = np.zeros((0, dim))
        self.buffer_success = np.zeros(0)
        # This period's rollouts: level key -> [level, success sum, count].
        self._period: dict[bytes, list] = {}

    def _configure(self, info) -> None:
        budget = teaching_budget(info)
        self._every = self.refresh_every or max(1, budget // 50)
        if self.buffer_size is not None:
            self._size = self.buffer_size
        elif self._discrete:
            self._size = max(1, int(self.action_space.n) // 4)
        else:
            self._size = int(min(100, max(4, budget // 100)))
        self._configured = True

    def learnability(self, success: np.ndarray) -> np.ndarray:
        """``p (1 - p)`` of success rates ``p``."""
        return success * (1.0 - success)

    def act(self, obs, info):
        if not self._configured:
            self._configure(info)
        if len(self.buffer) and self.rng.random() < self.buffer_share:
            level = self.buffer[int(self.rng.integers(len(self.buffer)))]
        elif self._discrete:
            level = np.array([float(self.rng.integers(int(self.action_space.n)))])
        else:
            level = self.box.uniform(self.rng)
        if self._discrete:
            return int(self.action_space.start) + int(level[0])
        return self.box.lesson(level)

    def update(self, action, reward, obs, info) -> None:
        if not self._configured:
            self._configure(info)
        self.steps += 1
        level = self._level_of(action, info)
        outcome = finite_outcome(info)
        if level is not None and outcome is not None:
            key = level.tobytes()
            entry = self._period.setdefault(key, [level, 0.0, 0])
            entry[1] += clipped_success(outcome)
            entry[2] += 1
        if self.steps % self._every == 0:
            self.refresh()

    def _level_of(self, action, info) -> np.ndarray | None:
        if self._discrete:
            arm = arm_of(action, self.action_space)
            return None if arm is None else np.array([float(arm)])
        # The lesson's float64 value is the key of a buffer level: a replay matches its buffer row exactly.
        task = self.box.read_task({}, action)
        return task if task is not None else self.box.read_task(info, None)

    def refresh(self) -> None:
        """Rebuild the buffer: the ``K`` most learnable levels of this period and of the old buffer."""
        levels, success = [], []
        for level, total, count in self._period.values():
            levels.append(level)
            success.append(total / count)
        for level, estimate in zip(self.buffer, self.buffer_success):
            if level.tobytes() not in self._period:
                levels.append(level)
                success.append(estimate)
        self._period = {}
        self.refreshes += 1
        if not levels:
            return
        levels, success = np.asarray(levels), np.asarray(success)
        scores = self.learnability(success)
        keep = np.argsort(-scores, kind="stable")[: self._size]
        keep = keep[scores[keep] > 0.0]
        self.buffer, self.buffer_success = levels[keep], success[keep]
