"""A Stable-Baselines3 callback: one teacher picks the tasks of an SB3 algorithm's training envs.

Wrap each training env in :class:`~teachgym.integrations.tasks.TaskSetter`
(``make_vec_env(..., wrapper_class=TaskSetter, wrapper_kwargs=...)``) and add
:class:`TeacherCallback` to ``model.learn``. The callback tops up each
sub-env's task queue with ``env_method("push_tasks", ..., indices=[i])`` and
reads every finished episode's :class:`~teachgym.integrations.tasks.EpisodeReport`
from the step's ``infos``. The teacher gets ``info["budget_used"] =
num_timesteps / total_timesteps``.

SB3's VecEnvs reset a sub-env inside the step that ends its episode, so each
task is chosen at least one episode before it is played (``buffer`` episodes
with a larger buffer). ``learn()`` resets the envs before any callback runs;
if those first episodes have no task, the callback fills the queues and
resets the envs once more, so every training episode is the teacher's.

SB3 and torch are imported by this module only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback

from teachgym.integrations.curriculum import TaskCurriculum
from teachgym.integrations.tasks import REPORT_KEY, TaskSetter
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError, check_choice, check_int


class TeacherCallback(BaseCallback):
    """Let a teachgym teacher choose each episode's task of an SB3 training run.

    Args:
        teacher: a registered teacher name, an import path, or a Teacher.
        task_space: the teacher's tasks (Box or Discrete).
        seed: the teacher's seed (as :func:`teachgym.run` seeds it).
        buffer: tasks each sub-env holds ahead (>= 1). With a ``DummyVecEnv`` a
            top-up is a method call, so 1 (the freshest choices) costs nothing;
            with a ``SubprocVecEnv`` each top-up is a round trip to one worker.
        update: "episode" (learn from each episode's outcome) or "step" (from
            every step's reward, as the VecEnv returns it).
        teacher_kwargs: keyword arguments for a teacher given by name.
        teacher_info: constant ``info`` keys for the teacher (e.g. ``easy_to_hard``).
        verbose: SB3 verbosity.

    Attributes:
        curriculum: the :class:`TaskCurriculum` (``curriculum.teacher`` is the teacher).
    """

    def __init__(self, teacher: str | Teacher, task_space: spaces.Space, *, seed: int | None = None,
                 buffer: int = 1, update: str = "episode", teacher_kwargs: dict[str, Any] | None = None,
                 teacher_info: dict[str, Any] | None = None, verbose: int = 0):
        super().__init__(verbose)
        self.curriculum = TaskCurriculum(teacher, task_space, seed=seed, teacher_kwargs=teacher_kwargs,
                                         teacher_info=teacher_info)
        self.buffer = check_int("buffer", buffer, low=1)
        self.update_mode = check_choice("update", update, ("episode", "step"))
        self._pending: list[list[int]] = []  # per sub-env: ids of the tasks sent, not started yet
        self._current: list[int | None] = []  # per sub-env: id of the task of its running episode
        self._tasks: dict[int, Any] = {}  # id -> task, from sending to the episode's report
        self._next_id = 0
        self._total_timesteps = 0

    @property
    def teacher(self) -> Teacher:
        return self.curriculum.teacher

    # -- SB3 hooks ---------------------------------------------------------------
    def _init_callback(self) -> None:
        venv = self.training_env
        wrapped = venv.env_is_wrapped(TaskSetter)
        if not all(wrapped):
            raise ConfigError("TeacherCallback needs every training env wrapped in "
                              "teachgym.integrations.TaskSetter (e.g. make_vec_env(..., wrapper_class=TaskSetter)); "
                              f"wrapped: {list(wrapped)}")
        n = venv.num_envs
        if len(self._pending) != n:
            self._pending = [[] for _ in range(n)]
            self._current = [None] * n

    def _on_training_start(self) -> None:
        self._total_timesteps = int(self.locals.get("total_timesteps", 0))
        self._set_budget()
        venv = self.training_env
        # Tasks queued by an earlier learn() call are still in the sub-envs; mirror what is there.
        for i, (queued, current) in enumerate(zip(venv.env_method("queue_length"), venv.get_attr("current_task_id"))):
            pending = self._pending[i]
            del pending[:max(0, len(pending) - int(queued))]
            self._current[i] = current if current in self._tasks else None
        for i in range(venv.num_envs):
            if not self._pending[i]:
                self._top_up(i)
        if any(task is None for task in self._current):
            self._restart_episodes()

    def _on_step(self) -> bool:
        dones = self.locals["dones"]
        infos = self.locals["infos"]
        curriculum = self.curriculum
        self._set_budget()
        if self.update_mode == "step":
            tasks = self._tasks
            curriculum.report_steps([tasks.get(task_id) for task_id in self._current],
                                    np.asarray(self.locals["rewards"], dtype=np.float64).tolist())
        if not dones.any():
            return True
        for i in np.flatnonzero(dones).tolist():
            report = infos[i].get(REPORT_KEY)
            pending = self._pending[i]
            if report is not None:
                task_id, outcome, episode_return, length, queued = report
                del pending[:max(0, len(pending) - queued)]  # resets this callback did not see
                task = self._tasks.pop(task_id, None)
                if task is not None and self.update_mode == "episode":
                    curriculum.report(task, outcome, episode_return=episode_return, episode_length=length)
            self._current[i] = pending.pop(0) if pending else None  # the reset inside this step took it
            if not pending:
                self._top_up(i)
        return True

    # -- helpers -------------------------------------------------------------------
    def _set_budget(self) -> None:
        if self._total_timesteps > 0:
            self.curriculum.budget_used = min(1.0, self.num_timesteps / self._total_timesteps)

    def _top_up(self, i: int) -> None:
        tasks = self.curriculum.next_tasks(self.buffer - len(self._pending[i]))
        ids = list(range(self._next_id, self._next_id + len(tasks)))
        self._next_id += len(tasks)
        self._tasks.update(zip(ids, tasks))
        self._pending[i].extend(ids)
        self.training_env.env_method("push_tasks", tasks, ids, indices=[i])

    def _restart_episodes(self) -> None:
        """Reset the training envs so that every episode runs on a teacher's task."""
        model = self.model
        obs = self.training_env.reset()
        for i in range(self.training_env.num_envs):
            self._current[i] = self._pending[i].pop(0) if self._pending[i] else None
            if not self._pending[i]:
                self._top_up(i)
        model._last_obs = obs
        model._last_episode_starts = np.ones((self.training_env.num_envs,), dtype=bool)
        normalizer = model.get_vec_normalize_env()
        if normalizer is not None and hasattr(model, "_last_original_obs"):
            model._last_original_obs = normalizer.get_original_obs()
