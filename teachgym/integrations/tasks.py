"""A task-setting wrapper: a teacher picks each episode's task of any Gymnasium env.

:class:`TaskSetter` wraps one env whose task is set through
``reset(options=...)`` or a setter. At every reset it takes the next task from
its queue and applies it; at every episode end it computes the episode's
outcome and puts an :class:`EpisodeReport` (as a tuple) in that step's
``info`` under :data:`REPORT_KEY`. Two ways to run it:

- **in process** (one env, your own loop): ``TaskSetter(env,
  curriculum=TaskCurriculum(...))`` asks the teacher at reset when its queue
  is empty and reports each outcome to it directly;
- **in a vector env** (``SyncVectorEnv``, ``AsyncVectorEnv``, SB3 VecEnvs):
  the sub-env only holds a queue of ``(task_id, task)`` pairs; the one
  teacher lives in the main process (:class:`teachgym.integrations.vector.TeacherVectorEnv`,
  :class:`teachgym.integrations.sb3.TeacherCallback`), tops the queues up in
  batched calls and reads the reports from the infos. A sub-env never waits
  for the teacher.

In a :class:`~teachgym.integrations.vector.TeacherVectorEnv` the main process
forms the outcomes itself from the rewards and infos it receives anyway, and
turns the sub-envs' reports off (:attr:`TaskSetter.worker_reports`): the
wrapper's ``step`` is then the inner env's bound method, adding no call per step.

A task passed explicitly as ``reset(options={task_key: task})`` wins over the
queue. An episode whose reset found no task (an empty queue and no curriculum)
runs on whatever task the env has, and is not reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import pickle

import gymnasium as gym

from teachgym.validation import ConfigError, check_choice

REPORT_KEY = "teacher_episode"  # info key of the EpisodeReport on an episode's last step

OutcomeFn = Callable[[float, int, dict], float]


class EpisodeReport(NamedTuple):
    """What a sub-env tells the teacher's process about one finished episode.

    On the wire (``info[REPORT_KEY]``) it is a plain tuple in this field order,
    which pickles about four times faster between processes than a named one;
    ``EpisodeReport(*info[REPORT_KEY])`` names the fields.

    Attributes:
        task_id: the id the main process gave the task with :meth:`TaskSetter.push_tasks`
            (None: a task set in process or passed explicitly to ``reset``).
        outcome: the episode's outcome (see ``TaskSetter(outcome=...)``).
        episode_return: the undiscounted return.
        length: steps in the episode.
        queued: tasks left in the sub-env's queue when the episode ended (lets
            the main process resynchronise its count after resets it did not see).
    """

    task_id: int | None
    outcome: float
    episode_return: float
    length: int
    queued: int


def _return(episode_return: float, length: int, info: dict) -> float:
    return episode_return


def _success(episode_return: float, length: int, info: dict) -> float:
    return float(bool(info.get("is_success", False)))


def _length(episode_return: float, length: int, info: dict) -> float:
    return float(length)


OUTCOMES: dict[str, OutcomeFn] = {"return": _return, "success": _success, "length": _length}


class TaskSetter(gym.Wrapper):
    """Sets each episode's task from a queue (or a curriculum) and reports each episode's outcome.

    Args:
        env: the env to teach.
        task_key: how a task reaches ``env.reset``: a str puts it in ``options``
            under that key; a callable maps the task to the ``options`` dict
            (e.g. ``lambda t: {"low": -t[0], "high": t[0]}``). Ignored with ``setter``.
        setter: instead of options, a callable ``setter(env, task)`` or the name
            of a method of the env (``"set_task"``), called right before ``reset``.
        outcome: the episode's outcome: "return" (default), "success"
            (``info["is_success"]`` of the last step, SB3's convention), "length",
            or a callable ``(episode_return, length, last_info) -> float``.
        curriculum: a :class:`~teachgym.integrations.curriculum.TaskCurriculum`
            to ask and report to in this process (single env); None in a vector env.
        update: with a curriculum: "episode" (report each episode's outcome) or
            "step" (report every step's reward as the outcome).
    """

    def __init__(self, env: gym.Env, task_key: str | Callable[[Any], dict] = "task",
                 setter: Callable[[gym.Env, Any], None] | str | None = None,
                 outcome: str | OutcomeFn = "return", curriculum=None, update: str = "episode"):
        super().__init__(env)
        if not (isinstance(task_key, str) or callable(task_key)):
            raise ConfigError(f"task_key must be an options key (str) or a callable task -> options dict, "
                              f"got {task_key!r}")
        if setter is not None and not (isinstance(setter, str) or callable(setter)):
            raise ConfigError(f"setter must be None, a callable (env, task) or a method name, got {setter!r}")
        if isinstance(outcome, str):
            self.outcome_name: str | None = check_choice("outcome", outcome, tuple(OUTCOMES))
            outcome = OUTCOMES[outcome]
        elif callable(outcome):
            self.outcome_name = None
        else:
            raise ConfigError(f"outcome must be one of {tuple(OUTCOMES)} or a callable, got {outcome!r}")
        self.task_key = task_key
        self.setter = setter
        self.outcome_fn = outcome
        self.curriculum = curriculum
        self.update_mode = check_choice("update", update, ("episode", "step"))
        self._report_steps = curriculum is not None and update == "step"
        self._report_episodes = curriculum is not None and update == "episode"
        self._queue: deque = deque()
        self.current_task: Any = None
        self.current_task_id: int | None = None
        self._return = 0.0
        self._length = 0

    # -- the queue (what the main process calls) ------------------------------------
    def push_tasks(self, tasks: Iterable[Any], ids: Iterable[int] | None = None) -> int:
        """Append tasks for the coming episodes (with the ids their reports will carry); return the queue's length."""
        tasks = list(tasks)
        self._queue.extend(zip([None] * len(tasks) if ids is None else list(ids), tasks, strict=True))
        return len(self._queue)

    def queue_length(self) -> int:
        return len(self._queue)

    def task_state(self) -> tuple[int | None, int]:
        """``(current_task_id, queue_length)``: lets the main process resynchronise its mirror after a reset."""
        return self.current_task_id, len(self._queue)

    def main_process_outcome(self) -> str | OutcomeFn | None:
        """How the main process can form this env's outcomes: the outcome's name, the outcome callable
        (when it pickles, so it can cross a process boundary), or None (only this wrapper can)."""
        if self.outcome_name is not None:
            return self.outcome_name
        try:
            pickle.dumps(self.outcome_fn)
        except Exception:  # lambdas, closures: whatever pickle refuses
            return None
        return self.outcome_fn

    @property
    def worker_reports(self) -> bool:
        """Whether episode ends put a report in ``info`` (True by default; the SB3 callback reads them).

        Set it to False when the main process forms the outcomes itself and no curriculum lives in this
        process: ``step`` then becomes the inner env's own bound method.
        """
        return "step" not in self.__dict__

    @worker_reports.setter
    def worker_reports(self, on: bool) -> None:
        if on:
            self.__dict__.pop("step", None)
        elif self.curriculum is not None:
            raise ConfigError("worker_reports=False needs curriculum=None: an in-process curriculum "
                              "learns from this wrapper's reports")
        else:
            self.step = self.env.step

    @property
    def incoming_tasks(self) -> tuple:
        """The queued ``(task_id, task)`` pairs. Assigning a list of pairs *appends* it:
        ``VectorEnv.set_attr("incoming_tasks", lists)`` sends every sub-env its own tasks in one round trip."""
        return tuple(self._queue)

    @incoming_tasks.setter
    def incoming_tasks(self, pairs: Iterable[tuple[int | None, Any]]) -> None:
        self._queue.extend(pairs)

    # -- gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        options = dict(options) if options else {}
        explicit = isinstance(self.task_key, str) and self.setter is None and self.task_key in options
        task_id = None
        if explicit:
            task = options[self.task_key]
        elif self._queue:
            task_id, task = self._queue.popleft()
        elif self.curriculum is not None:
            task = self.curriculum.next_task()
        else:
            task = None
        if task is not None and not explicit:
            if isinstance(self.setter, str):
                self.env.get_wrapper_attr(self.setter)(task)
            elif self.setter is not None:
                self.setter(self.env, task)
            elif isinstance(self.task_key, str):
                options[self.task_key] = task
            else:
                options.update(self.task_key(task))
        self.current_task, self.current_task_id = task, task_id
        self._return, self._length = 0.0, 0
        return self.env.reset(seed=seed, options=options or None)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._length += 1
        task = self.current_task
        if task is not None:
            if self._report_steps:
                self.curriculum.report(task, float(reward), step_reward=True)
            if terminated or truncated:
                outcome = float(self.outcome_fn(self._return, self._length, info))
                info[REPORT_KEY] = (self.current_task_id, outcome, self._return, self._length, len(self._queue))
                if self._report_episodes:
                    self.curriculum.report(task, outcome, episode_return=self._return, episode_length=self._length)
        return obs, reward, terminated, truncated, info
