"""One teacher in the main process feeding every sub-env of a Gymnasium vector env.

The sub-envs are :class:`~teachgym.integrations.tasks.TaskSetter` wrappers
holding a queue of tasks. :class:`TeacherVectorEnv` keeps a mirror of every
queue; when a sub-env is about to need a task its queue no longer has, it asks
the teacher for enough tasks to fill *every* queue to ``buffer`` and sends them
in one ``set_attr`` round trip, each task with an id (an int pickles far
faster than a task array). So the sub-envs never wait for the teacher, and the main
process pays one round trip per ``buffer`` episodes of the busiest sub-env.

Outcomes: when every sub-env's outcome is a named one ("return", "success",
"length") or a callable that pickles, the main process forms them itself: it
sums the rewards and counts the steps of all sub-envs with two NumPy
operations per vector step, and at an episode's end applies the outcome to the
return, the length and that sub-env's last info. The sub-envs' own reports are
then turned off, so a sub-env step costs what the bare env's does. Otherwise
(e.g. a lambda outcome in an ``AsyncVectorEnv``) the sub-envs report, and the
outcomes come back in the infos of the steps that end episodes.

Overlap: in an ``AsyncVectorEnv`` (``NEXT_STEP`` autoreset, outcomes formed in
the main process) the teacher learns from a step's outcomes while the sub-envs
play the next one: ``step`` sends the actions, reports the previous step, then
collects. Before the teacher acts (a top-up), a reset, or a read of
:attr:`TeacherVectorEnv.curriculum`, :attr:`~TeacherVectorEnv.teacher` or
:attr:`~TeacherVectorEnv.current_tasks`, every step taken is reported, so the
teacher's choices and updates are exactly those of a ``SyncVectorEnv``.

Per-step updates (``update="step"``): every step's ``(task, reward)`` pairs are
gathered and reported in one :meth:`~teachgym.integrations.curriculum.TaskCurriculum.report_steps`
call right before the teacher acts (a top-up) or is read, so a teacher with a
batched :meth:`~teachgym.Teacher.update_steps` learns many vector steps in one
call. It makes the same updates in the same order as one call per vector step;
steps with different ``budget_used`` (``total_steps`` given) are reported in
separate calls, each with its own.

Freshness: a task is chosen when its queue is filled, up to ``buffer``
episodes before it is played. With ``buffer=1`` and ``NEXT_STEP`` autoreset
(Gymnasium's default) a single sub-env runs exactly as a teacher env does: act,
play, update, act... With ``SAME_STEP`` autoreset the reset happens in the very
step that ends the episode, so each task is chosen one episode ahead at least.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, VectorEnv, VectorWrapper

from teachgym.integrations.curriculum import TaskCurriculum
from teachgym.integrations.tasks import REPORT_KEY
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError, check_choice, check_int


# update="step": sub-env steps gathered at most before they are reported to the teacher.
MAX_GATHERED_STEPS = 8192


class TeacherVectorEnv(VectorWrapper):
    """A vector env whose sub-envs play the tasks one shared teacher picks (see the module docstring).

    Args:
        env: a ``SyncVectorEnv`` or ``AsyncVectorEnv`` (``NEXT_STEP``,
            ``SAME_STEP`` or ``DISABLED`` autoreset) whose sub-envs are wrapped in
            :class:`~teachgym.integrations.tasks.TaskSetter`.
        teacher: a registered teacher name, an import path, or a Teacher.
        task_space: the teacher's tasks (Box or Discrete).
        seed: the teacher's seed (as :func:`teachgym.run` seeds it).
        buffer: tasks each sub-env holds ahead (>= 1): larger means fewer round
            trips and older choices.
        update: "episode" (the teacher learns from each episode's outcome) or
            "step" (from every step's reward, with the task of its episode).
        total_steps: the training budget in sub-env steps; gives the teacher
            ``info["budget_used"]`` (hand-made schedules need it). None: unknown.
        teacher_kwargs: keyword arguments for a teacher given by name.
        teacher_info: constant ``info`` keys for the teacher (e.g. ``easy_to_hard``).

    Attributes:
        curriculum: the :class:`TaskCurriculum` (``curriculum.teacher`` is the teacher).
        env_steps: sub-env steps taken (reset steps of ``NEXT_STEP`` autoreset excluded).
    """

    def __init__(self, env: VectorEnv, teacher: str | Teacher, task_space: spaces.Space, *,
                 seed: int | None = None, buffer: int = 8, update: str = "episode", total_steps: int | None = None,
                 teacher_kwargs: dict[str, Any] | None = None, teacher_info: dict[str, Any] | None = None):
        super().__init__(env)
        self._curriculum = TaskCurriculum(teacher, task_space, seed=seed, teacher_kwargs=teacher_kwargs,
                                         teacher_info=teacher_info)
        self.buffer = check_int("buffer", buffer, low=1)
        self.update_mode = check_choice("update", update, ("episode", "step"))
        self.total_steps = None if total_steps is None else check_int("total_steps", total_steps, low=1)
        self.autoreset_mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        n = self.num_envs
        self._pending: list[deque] = [deque() for _ in range(n)]  # ids of tasks sent, not started yet
        self._current: list[int | None] = [None] * n  # the id of each sub-env's episode's task
        self._playing: list[Any] = [None] * n  # that task until its episode is reported (None: no step updates)
        self._tasks: dict[int, Any] = {}  # id -> task, from sending to the episode's report
        self._next_id = 0
        self._n_envs = n
        self._resetting: list[int] = []  # NEXT_STEP: sub-envs that reset during the next step call
        self._mask_key = "_" + REPORT_KEY
        self.env_steps = 0
        self.round_trips = 0
        outcomes = list(self.env.call("main_process_outcome"))
        # Outcomes formed here (one per sub-env), or None: the sub-envs report them.
        self._outcomes: list | None = None
        if all(outcome is not None for outcome in outcomes):
            self._outcomes = outcomes
            self._returns = np.zeros(n, dtype=np.float64)
            self._starts = [0] * n  # the vector step after which each sub-env's episode began
            self.env.set_attr("worker_reports", False)
        self._t = 0  # vector steps taken
        self._no_ends = bytes(n)  # the raw bytes of a bool array of n False
        self._same_step = self.autoreset_mode == AutoresetMode.SAME_STEP
        self._next_step = self.autoreset_mode == AutoresetMode.NEXT_STEP
        self._outcomes_read_info = self._outcomes is not None and any(o not in ("return", "length")
                                                                       for o in self._outcomes)
        # An AsyncVectorEnv whose outcomes form here: the teacher learns from step t while step t + 1 plays.
        self._pipelined = (isinstance(env, AsyncVectorEnv) and self._next_step and self._outcomes is not None)
        self._deferred: tuple | None = None  # the step the teacher has not learnt from yet
        # update="step": the (task, reward) pairs of the steps learnt from but not yet reported, all with the
        # same budget_used; reported in one call before the teacher acts or is read.
        self._step_tasks: list[Any] = []
        self._step_rewards: list[float] = []
        self._step_budget: float | None = None

    # -- queue bookkeeping -------------------------------------------------------
    def _top_up(self) -> None:
        """Fill every sub-env's queue to ``buffer`` in one ``set_attr`` round trip."""
        self._report_steps()
        curriculum = self._curriculum
        batches = []
        for pending in self._pending:
            pairs = []
            for task in curriculum.next_tasks(max(0, self.buffer - len(pending))):
                pairs.append((self._next_id, task))
                self._tasks[self._next_id] = task
                pending.append(self._next_id)
                self._next_id += 1
            batches.append(pairs)
        self.env.set_attr("incoming_tasks", batches)
        self.round_trips += 1

    def _start(self, i: int) -> None:
        """Sub-env ``i`` reset: it took the head of its queue (nothing if the queue was empty)."""
        task_id = self._current[i] = self._pending[i].popleft() if self._pending[i] else None
        self._playing[i] = self._tasks.get(task_id)

    def _resync(self, i: int, queued: int) -> None:
        """Drop tasks that resets this wrapper did not see consumed (the sub-env reported ``queued`` left)."""
        pending = self._pending[i]
        while len(pending) > queued:
            pending.popleft()

    # -- gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        self._flush()
        mask = None if not options or "reset_mask" not in options else np.asarray(options["reset_mask"], dtype=bool)
        resets = np.arange(self.num_envs) if mask is None else np.flatnonzero(mask)
        if any(not self._pending[i] for i in resets):
            self._top_up()
        obs, infos = self.env.reset(seed=seed, options=options)
        # Ask each sub-env what it took: a task passed in ``options`` leaves the queue as it was.
        states = self.env.call("task_state")
        for i in resets.tolist():
            current, queued = states[i]
            self._resync(i, queued)
            self._current[i] = current
            self._playing[i] = self._tasks.get(current)
        if self._outcomes is not None:
            self._returns[resets] = 0.0
            for i in resets.tolist():
                self._starts[i] = self._t
        reset_now = set(resets.tolist())
        self._resetting = [i for i in self._resetting if i not in reset_now]
        if self.autoreset_mode == AutoresetMode.SAME_STEP and any(not pending for pending in self._pending):
            self._top_up()  # a reset can happen inside any step: every queue must hold the next task
        return obs, infos

    def step(self, actions):
        if self._pipelined:
            # Send the actions, learn from the previous step while the sub-envs play, then collect.
            self.env.step_async(actions)
            self._learn_deferred()
            obs, rewards, terminations, truncations, infos = self.env.step_wait()
        else:
            obs, rewards, terminations, truncations, infos = self.env.step(actions)
        self._t += 1
        # NEXT_STEP: the sub-envs whose previous step ended an episode reset in this call (no transition).
        resetting = self._resetting
        self.env_steps += self._n_envs - len(resetting)
        # Comparing the raw bytes with zeros is several times cheaper than count_nonzero or ndarray.any()
        # on a few envs, and this runs every step (other dtypes than bool just take the general path).
        zeros = self._no_ends
        ended = np.flatnonzero(terminations | truncations).tolist() \
            if terminations.tobytes() != zeros or truncations.tobytes() != zeros else []
        if self._next_step:
            self._resetting = ended
        source = infos.get("final_info", {}) if self._same_step else infos
        if self._outcomes is None:  # the sub-envs' reports resynchronise the queue mirror: read them now
            self._learn(rewards, resetting, ended, source, self._t, self.env_steps)
        else:
            if ended and self._outcomes_read_info:
                source = dict(source)  # the caller may change the infos before the deferred reports read them
            self._deferred = (rewards, resetting, ended, source, self._t, self.env_steps)
            # A queue the next step takes from must not be empty: the teacher then acts, so it learns first.
            if not self._pipelined or (ended and any(not self._pending[i] for i in ended)):
                self._learn_deferred()
        if ended and (self._next_step or self._same_step):
            if self._same_step:
                for i in ended:
                    self._start(i)
            if any(not self._pending[i] for i in ended):
                self._top_up()
        return obs, rewards, terminations, truncations, infos

    def _flush(self) -> None:
        """Bring the teacher up to date with every step taken (before it acts or is read)."""
        self._learn_deferred()
        self._report_steps()

    def _learn_deferred(self) -> None:
        """Learn from the step whose outcomes were deferred, if any."""
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            self._learn(*deferred)

    def _report_steps(self) -> None:
        """Report the step rewards gathered since the last report, in one call (update="step")."""
        if not self._step_tasks:
            return
        tasks, rewards = self._step_tasks, self._step_rewards
        self._step_tasks, self._step_rewards = [], []
        curriculum = self._curriculum
        budget_now, curriculum.budget_used = curriculum.budget_used, self._step_budget
        curriculum.report_steps(tasks, rewards)
        curriculum.budget_used = budget_now

    def _learn(self, rewards, resetting: list[int], ended: list[int], source: dict, t: int, env_steps: int) -> None:
        """The teacher's side of vector step ``t``: budget, step rewards, episode starts and outcomes."""
        curriculum = self._curriculum
        if self.total_steps is not None:
            curriculum.budget_used = min(1.0, env_steps / self.total_steps)
        if self.update_mode == "step":
            # Gathered, and reported in one call before the teacher next acts or is read (it makes the same
            # updates in the same order: report_steps over consecutive steps is one report_steps over them all,
            # when their budget_used is the same).
            if self._step_tasks and curriculum.budget_used != self._step_budget:
                self._report_steps()
            if resetting:  # a NEXT_STEP reset step is no transition of any episode
                playing = self._playing.copy()
                for i in resetting:
                    playing[i] = None
                self._step_tasks += playing
            else:
                self._step_tasks += self._playing
            self._step_rewards += rewards.tolist()
            self._step_budget = curriculum.budget_used
            if len(self._step_tasks) >= MAX_GATHERED_STEPS:
                self._report_steps()
        for i in resetting:
            self._start(i)
        if self._outcomes is None:
            mask = source.get(self._mask_key)
            if mask is not None:
                reports = source[REPORT_KEY]
                for i in np.flatnonzero(mask).tolist():
                    task_id, outcome, episode_return, length, queued = reports[i]
                    self._resync(i, queued)
                    task = self._tasks.pop(task_id, None)
                    if self._current[i] == task_id:
                        self._playing[i] = None
                    if task is not None and self.update_mode == "episode":
                        curriculum.report(task, outcome, episode_return=episode_return, episode_length=length)
        else:
            if self.update_mode == "episode":  # a NEXT_STEP reset step adds 0 to a return already set back to 0
                self._returns += rewards
            if ended:
                self._report_ended(ended, source, t)

    def _report_ended(self, ended: list[int], source: dict, t: int) -> None:
        """Form and report the outcomes of the episodes that sub-envs ``ended`` finished in vector step ``t``."""
        returns, starts = self._returns, self._starts
        # NEXT_STEP: the next step is the reset step, not a transition of the next episode.
        start = t + 1 if self._next_step else t
        by_episode = self.update_mode == "episode"  # else: no outcomes, so no returns or lengths to keep
        for i in ended:
            task = self._tasks.pop(self._current[i], None)
            self._playing[i] = None
            if not by_episode:
                continue
            episode_return, length = float(returns[i]), t - starts[i]
            returns[i], starts[i] = 0.0, start
            if task is None:
                continue
            outcome = self._outcomes[i]
            if outcome == "return":
                outcome = episode_return
            elif outcome == "length":
                outcome = float(length)
            elif outcome == "success":  # as OUTCOMES["success"], without rebuilding the sub-env's info dict
                mask = source.get("_is_success")
                outcome = float(bool(mask is not None and mask[i] and source["is_success"][i]))
            else:
                outcome = float(outcome(episode_return, length, _sub_info(source, i)))
            self._curriculum.report(task, outcome, episode_return=episode_return, episode_length=length)

    @property
    def curriculum(self) -> TaskCurriculum:
        """The :class:`TaskCurriculum`, up to date with every step taken."""
        self._flush()
        return self._curriculum

    @property
    def teacher(self) -> Teacher:
        return self.curriculum.teacher

    @property
    def current_tasks(self) -> list[Any]:
        """The task each sub-env's current episode runs on (None: no task, or one this wrapper did not send)."""
        self._flush()
        return [self._tasks.get(task_id) for task_id in self._current]

    def close(self, **kwargs: Any) -> None:
        self._flush()
        super().close(**kwargs)


def _sub_info(infos: dict, i: int) -> dict:
    """Sub-env ``i``'s own info dict, taken back out of a vector env's merged ``infos``."""
    info = {}
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get("_" + key)
        if mask is None or not mask[i]:
            continue
        info[key] = _sub_info(value, i) if isinstance(value, dict) else value[i]
    return info
