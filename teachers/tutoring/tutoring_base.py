"""What the tutoring teachers share: reading the tutor's log, episode boundaries, outcomes.

Tutoring envs publish the layout of their observation in the reset
``info["tutor_log"]`` (:class:`teachgym.info.TutorLog`: ``n_items``, ``delay``,
``time_unit``, optionally ``answer_lag``, and ``fields``: name -> ``[start, stop)``
of the observation vector). A tutor parses it with the same class the env wrote
it with, as plain data, never by importing an env. On envs without it (e.g. the
toy curriculum) :meth:`TutorTeacher.log` is None and each tutor falls back to a
documented default, so every tutor runs on every Discrete env.

A tutor also treats a reset ``info`` (``info["episode_start"]``) as a new
student and forgets the previous one's cards, even when :meth:`Teacher.reset`
was not called between episodes: no card state leaks from one student to the
next.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.info import TUTOR_LOG, TutorLog, is_episode_start
from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.common.bandit import arm_of


def answered_correctly(info: dict[str, Any]) -> bool | None:
    """The step's outcome as correct (>= 0.5) / incorrect, or None if missing or not finite."""
    outcome = finite_outcome(info)
    return None if outcome is None else outcome >= 0.5


class TutorTeacher(Teacher, abc.ABC):
    """A tutor that picks one item per step (Discrete action spaces only).

    Subclasses implement :meth:`_start_episode` (forget the student),
    :meth:`_choose` (an item in ``[0, n_items)``) and :meth:`_observe`.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete,)

    def _setup(self) -> None:
        self.n_items = int(self.action_space.n)
        self.log: TutorLog | None = None
        self._steps = 0
        self._start_episode()

    def act(self, obs, info):
        if is_episode_start(info):
            if self._steps > 0:
                self._steps = 0
                self._start_episode()
            self.log = TutorLog.from_info(TUTOR_LOG.get(info), self.n_items)
            self._read_reset_info(info)
        item = int(self._choose(obs, info))
        return int(self.action_space.start) + item

    def update(self, action, reward, obs, info):
        self._steps += 1
        item = arm_of(action, self.action_space)
        if item is not None:
            self._observe(item, answered_correctly(info), obs, info)

    def _read_reset_info(self, info: dict[str, Any]) -> None:
        """Read what the env publishes at reset, besides the log layout. Default: nothing."""

    @abc.abstractmethod
    def _start_episode(self) -> None:
        """Forget the previous student (uses ``self.rng`` for any per-episode draw)."""

    @abc.abstractmethod
    def _choose(self, obs: Any, info: dict[str, Any]) -> int:
        """The next item, in ``[0, n_items)``."""

    @abc.abstractmethod
    def _observe(self, item: int, correct: bool | None, obs: Any, info: dict[str, Any]) -> None:
        """Learn from the review of ``item`` (``correct`` None: unusable outcome)."""
