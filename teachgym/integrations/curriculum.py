"""The teacher side of every integration: one teacher choosing tasks in a declared task space.

:class:`TaskCurriculum` is what the task-setting wrappers, the SB3 callback
and the TRL hook share. It builds the teacher, seeds it as
:func:`teachgym.run` does, asks it for tasks (:meth:`TaskCurriculum.next_task`)
and feeds it outcomes (:meth:`TaskCurriculum.report`) through the same
``act(obs, info)`` / ``update(action, reward, obs, info)`` contract a teacher
env uses. What a teacher reads from ``info``:

================  ==============================================================
key               meaning
================  ==============================================================
``task``          (update) the task the outcome belongs to
``outcome``       (update) the outcome (episode return, success flag, reward...)
``budget_used``   fraction of the training budget spent, when the integration
                  knows the budget (SB3: ``total_timesteps``; TRL: ``max_steps``)
``episodes``      outcomes reported so far
...               ``teacher_info``: constant keys the user supplies, e.g. an
                  ``easy_to_hard`` schedule for the ``easy-to-hard`` teacher
================  ==============================================================

There is no teacher observation outside a teacher env: ``obs`` is None, and the
teacher's ``observation_space`` is None. Bandit teachers and hand-made
curricula need none.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.lessons import InvalidLessonError
from teachgym.loop import teacher_seed
from teachgym.registry import make_teacher
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError


class TaskCurriculum:
    """A teacher that picks tasks from ``task_space`` and learns from reported outcomes.

    Args:
        teacher: a registered teacher name (``"alp-gmm"``), an import path
            ``"pkg.mod:Class"``, or a :class:`~teachgym.Teacher` instance.
        task_space: the tasks it may pick: a ``Box`` of task parameters or a
            ``Discrete`` set of task ids (what the teacher supports).
        seed: seeds the teacher exactly as :func:`teachgym.run` does under the
            same seed (so one seed gives the same choices here and in the gym
            for the same outcome stream); None: unseeded.
        teacher_kwargs: keyword arguments for a teacher given by name.
        teacher_info: constant ``info`` keys passed to every ``act`` and ``update``.

    Attributes:
        teacher: the :class:`~teachgym.Teacher`.
        budget_used: fraction of the budget spent, set by the integration (None: unknown).
        episodes: outcomes reported so far.
    """

    def __init__(self, teacher: str | Teacher, task_space: spaces.Space, *, seed: int | None = None,
                 teacher_kwargs: dict[str, Any] | None = None, teacher_info: dict[str, Any] | None = None):
        if not isinstance(task_space, (spaces.Box, spaces.Discrete)):
            raise ConfigError(f"task_space must be a gymnasium Box or Discrete space, got {task_space!r}")
        if isinstance(teacher, str):
            teacher = make_teacher(teacher, **dict(teacher_kwargs or {}))
        elif teacher_kwargs:
            raise ConfigError("teacher_kwargs apply to a teacher given by name; got a Teacher instance")
        if not isinstance(teacher, Teacher):
            raise ConfigError(f"teacher must be a registered name, an import path or a teachgym.Teacher, "
                              f"got {teacher!r}")
        if teacher_info is not None and not isinstance(teacher_info, dict):
            raise ConfigError(f"teacher_info must be a dict of info keys, got {type(teacher_info).__name__}")
        self.teacher = teacher
        self.task_space = task_space
        self.teacher_info = dict(teacher_info or {})
        self.budget_used: float | None = None
        self.episodes = 0
        teacher.reset(task_space, None, seed=None if seed is None else teacher_seed(int(seed)))
        if isinstance(task_space, spaces.Box):
            self._lows = task_space.low.astype(np.float64).ravel().tolist()
            self._highs = task_space.high.astype(np.float64).ravel().tolist()

    def _info(self) -> dict[str, Any]:
        info = dict(self.teacher_info)
        info["episodes"] = self.episodes
        if self.budget_used is not None:
            info["budget_used"] = self.budget_used
        return info

    def next_task(self) -> Any:
        """Ask the teacher for the next task: an ``int`` (Discrete) or an array of the Box's dtype and shape.

        Raises:
            InvalidLessonError: the teacher chose something outside ``task_space``.
        """
        return self.check_task(self.teacher.act(None, self._info()))

    def next_tasks(self, n: int) -> list[Any]:
        """``n`` tasks in a row (no outcome reported in between)."""
        return [self.next_task() for _ in range(n)]

    def report(self, task: Any, outcome: float, **extra: Any) -> None:
        """Tell the teacher the ``outcome`` of ``task``; ``extra`` keys go into its ``info``."""
        info = self._info()
        info.update(extra)
        info["task"] = task
        info["outcome"] = outcome
        self.episodes += 1
        self.teacher.update(task, outcome, None, info)

    def report_steps(self, tasks: list[Any], rewards: list[float]) -> None:
        """Report one step's reward of every sub-env: what ``report(task, reward, step_reward=True)`` for each pair
        in order does, skipping a None task, in one :meth:`~teachgym.Teacher.update_steps` call (the teacher sees
        exactly those updates; the shared ``info`` keys are read once)."""
        info = self._info()
        info["step_reward"] = True
        self.teacher.update_steps(tasks, rewards, None, info)
        self.episodes += sum(task is not None for task in tasks)

    def check_task(self, task: Any) -> Any:
        """``task`` in the canonical form of ``task_space``, or InvalidLessonError naming the bounds."""
        space = self.task_space
        if isinstance(space, spaces.Discrete):
            if isinstance(task, (bool, np.bool_)):
                raise InvalidLessonError(f"task must be an integer in {space}, got the bool {task!r}")
            if isinstance(task, (int, np.integer)):
                value = int(task)
            else:
                try:
                    number = float(np.asarray(task).reshape(()))
                except (TypeError, ValueError):
                    raise InvalidLessonError(f"task must be one integer in {space}, got {task!r}") from None
                if not number.is_integer():
                    raise InvalidLessonError(f"task must be an integer in {space}, got {task!r}")
                value = int(number)
            if not space.start <= value < space.start + space.n:
                raise InvalidLessonError(f"task must be an integer in [{space.start}, {space.start + space.n - 1}], "
                                         f"got {task!r}")
            return value
        if not (isinstance(task, np.ndarray) and task.dtype == space.dtype and task.shape == space.shape):
            try:
                task = np.asarray(task, dtype=np.float64).reshape(space.shape)
            except (TypeError, ValueError):
                raise InvalidLessonError(f"task must be an array of shape {space.shape}, got {task!r}") from None
        # Python floats: for the few parameters of a task this is several times faster than numpy's comparisons.
        if not all(low <= value <= high for value, low, high in zip(task.ravel().tolist(), self._lows, self._highs)):
            raise InvalidLessonError(f"task must lie in [{space.low.tolist()}, {space.high.tolist()}], "
                                     f"got {task.tolist()}")
        return task if task.dtype == space.dtype else task.astype(space.dtype)
