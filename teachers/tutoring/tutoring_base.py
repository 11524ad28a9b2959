"""What the tutoring teachers share: reading the tutor's log, episode boundaries, outcomes.

Tutoring envs publish the layout of their observation in the reset
``info["tutor_log"]`` (``n_items``, ``delay``, ``time_unit``, optionally ``answer_lag``, and ``fields``:
name -> ``[start, stop)`` of the observation vector; see
``teachgym.envs.tutoring.tutor_log``). A tutor reads it from there, as plain
data, never by importing an env. On envs without it (e.g. the toy curriculum)
:meth:`TutorTeacher.log` is None and each tutor falls back to a documented
default, so every tutor runs on every Discrete env.

A tutor also treats a reset ``info`` (``budget_used == 0`` and no ``lesson``)
as a new student and forgets the previous one's cards, even when
:meth:`Teacher.reset` was not called between episodes: no card state leaks
from one student to the next.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.learning_progress import arm_of

LOG_FIELDS = ("attempts", "correct", "since_review")


@dataclass(frozen=True)
class TutorLog:
    """The layout of a tutor-log observation."""

    n_items: int
    delay: float
    time_unit: str
    fields: dict[str, slice]
    #: time from an observation to the student's next answer (the env's ``answer_lag``; ``delay`` if unpublished)
    answer_lag: float = math.nan

    @classmethod
    def from_info(cls, description: Any, n_items: int) -> TutorLog | None:
        """Parse ``info["tutor_log"]``; None if it is missing or does not fit ``n_items`` actions."""
        if not isinstance(description, dict):
            return None
        try:
            fields = {name: slice(int(start), int(stop)) for name, (start, stop) in description["fields"].items()}
            delay = float(description["delay"])
            log = cls(int(description["n_items"]), delay, str(description.get("time_unit", "")), fields,
                      float(description.get("answer_lag", delay)))
        except (KeyError, TypeError, ValueError):
            return None
        sizes_ok = all(name in fields and fields[name].stop - fields[name].start == n_items for name in LOG_FIELDS)
        times_ok = all(math.isfinite(t) and t >= 0 for t in (log.delay, log.answer_lag))
        if log.n_items != n_items or not sizes_ok or not times_ok:
            return None
        return log

    def read(self, obs: Any, name: str) -> np.ndarray | None:
        """Field ``name`` of ``obs`` as float64, or None if absent or ``obs`` has the wrong shape."""
        if name not in self.fields or obs is None:
            return None
        vector = np.asarray(obs, dtype=np.float64).reshape(-1)
        part = self.fields[name]
        return vector[part].copy() if part.stop <= vector.size else None


def is_episode_start(info: dict[str, Any]) -> bool:
    """Whether ``info`` is a reset info (a new student)."""
    try:
        return "lesson" not in info and float(info.get("budget_used", -1.0)) == 0.0
    except (TypeError, ValueError):
        return False


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
            self.log = TutorLog.from_info(info.get("tutor_log"), self.n_items)
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
