"""Batched per-step updates (``Teacher.update_steps``) leave a teacher exactly as one ``update`` per pair does.

A teacher fed a vector env's steps through its ``update_steps`` and its twin fed
the same steps through :func:`teachgym.teacher.update_each` (the plain path)
must choose the same task at every act and end in the same state, bit for bit,
over a stream with reset steps (None tasks), non-finite, int and NumPy rewards,
and lessons the fast paths hand to the general update (NumPy ints, arms out of
range).
"""

from __future__ import annotations

import functools
import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from teachgym.integrations import TaskCurriculum, TaskSetter, TeacherVectorEnv
from teachgym.teacher import update_each

# The bandits (every one takes BanditTeacher's batched loop; ucb and thompson DiscountedBandit's), the random
# teacher (the base's no-op), and teachers that keep the plain path.
DISCRETE = ["ucb", "thompson", "exp3", "tscl-window", "tscl-sampling", "sec", "dump", "learnability", "random"]
BOX = ["random", "alp-gmm"]


def _state(value, depth: int = 0):
    """A comparable snapshot of a teacher's state: arrays as bytes, floats as hex (NaN equals NaN, -0.0 not 0.0)."""
    if depth > 6:
        return None
    if isinstance(value, float):
        return float.hex(value)
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return _state(value.item(), depth)
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_state(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: _state(v, depth + 1) for k, v in value.items()}
    if isinstance(value, np.random.Generator):
        return value.bit_generator.state
    if callable(value):
        return None  # bound methods cached on an instance
    if hasattr(value, "__dict__") and not isinstance(value, (type, spaces.Space)):
        return type(value).__name__, _state(vars(value), depth + 1)
    if isinstance(value, (int, str, bool, type(None), spaces.Space)):
        return repr(value)
    return type(value).__name__  # e.g. a KD-tree over arrays compared above


def _reward(rng: np.random.Generator, task, step: int):
    """Mostly a float that depends on the task; sometimes NaN, +-inf, an int or a NumPy float."""
    level = float(np.asarray(task, dtype=np.float64).reshape(-1)[0])
    reward = math.sin(0.05 * step * (1.0 + level)) + 0.1 * float(rng.normal())
    kind = int(rng.integers(40))
    return {0: math.nan, 1: math.inf, 2: -math.inf, 3: 1, 4: np.float64(reward)}.get(kind, reward)


def _drive(name: str, space: spaces.Space, batched: bool, rounds: int = 300, n_envs: int = 8):
    """A teacher fed ``rounds`` vector steps of ``n_envs`` sub-envs through report_steps; every task it chose."""
    curriculum = TaskCurriculum(name, space, seed=7, teacher_info={"teaching_budget": 4000})
    teacher = curriculum.teacher
    if not batched:
        teacher.update_steps = functools.partial(update_each, teacher)
    rng = np.random.default_rng(3)
    playing = curriculum.next_tasks(n_envs)
    chosen = list(playing)
    for t in range(rounds):
        curriculum.budget_used = t / rounds
        tasks = list(playing)
        rewards = [_reward(rng, task, t) if task is not None else 0.0 for task in tasks]
        if isinstance(space, spaces.Discrete) and t % 17 == 3:  # lessons the fast paths leave to general_update
            tasks[t % n_envs] = np.int64(space.start + t % space.n) if t % 2 else int(space.start + space.n + 4)
        curriculum.report_steps(tasks, rewards)
        for i in range(n_envs):
            if playing[i] is None:  # the reset step is over: the next episode's task
                playing[i] = curriculum.next_task()
                chosen.append(playing[i])
            elif rng.random() < 0.15:  # the episode ended: its reset step has no task
                playing[i] = None
    return [np.asarray(task).tolist() for task in chosen], curriculum


@pytest.mark.parametrize("name,space", [(name, spaces.Discrete(5, start=1)) for name in DISCRETE] +
                         [(name, spaces.Box(0.0, 1.0, (2,), dtype=np.float32)) for name in BOX],
                         ids=[f"{name}-discrete" for name in DISCRETE] + [f"{name}-box" for name in BOX])
def test_batched_step_updates_make_the_plain_paths_choices_and_state(name, space):
    plain_tasks, plain = _drive(name, space, batched=False)
    batched_tasks, batched = _drive(name, space, batched=True)
    assert batched_tasks == plain_tasks
    assert len(set(map(str, plain_tasks))) > 1
    assert batched.episodes == plain.episodes > 1500
    plain_state, batched_state = vars(plain.teacher), vars(batched.teacher)
    plain_state.pop("update_steps")
    assert _state(batched_state) == _state(plain_state)


@pytest.mark.parametrize("loop", ["python", "compiled"])
def test_the_discounted_statistics_replay_the_plain_ticks_and_measurements(loop, monkeypatch):
    """DiscountedProgress.replay against tick()/add() on NumPy, including a growing scale and untried arms, in the
    Python loop and in the compiled one (numba) that long replays take."""
    from teachgym.utils import progress as progress_module
    from teachgym.utils.progress import COMPILED_REPLAY_MIN, DiscountedProgress

    if loop == "compiled":
        pytest.importorskip("numba")
        assert progress_module._replay_kernel() is not None
    else:
        monkeypatch.setattr(progress_module, "_replay_kernel", lambda: None)
    rng = np.random.default_rng(0)
    plain, replayed = DiscountedProgress(4, 0.97), DiscountedProgress(4, 0.97)
    for _ in range(50):
        steps = []
        for _ in range(int(rng.integers(0, 3 * COMPILED_REPLAY_MIN))):
            arm = int(rng.integers(3))  # arm 3 stays untried
            kind = rng.random()
            steps.append((arm, None if kind < 0.2 else 0.0 if kind < 0.3 else float(rng.random() ** 3 * 1e3)))
        for arm, progress in steps:
            plain.tick()
            if progress is not None:
                plain.add(arm, progress)
        replayed.replay([arm for arm, _ in steps], [math.nan if x is None else x for _, x in steps])
        assert _state(vars(replayed)) == _state(vars(plain))
    assert replayed.untried().tolist() == [False, False, False, True] and replayed.scale.largest > 100.0


class NoisyLevels(gym.Env):
    """Episodes of ``level`` + 0..2 steps whose rewards depend on the level, with noise and an occasional NaN."""

    observation_space = spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self):
        self.level, self.left = 1, 1
        self.tasks_seen: list = []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if options and "level" in options:
            self.level = int(options["level"])
        self.left = self.level + int(self.np_random.integers(3))
        self.tasks_seen.append(self.level)
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        self.left -= 1
        reward = math.nan if self.np_random.random() < 0.02 else 0.2 * self.level * float(self.np_random.random())
        return np.zeros(1, dtype=np.float32), reward, self.left <= 0, False, {}


@pytest.mark.parametrize("total_steps", [600, None], ids=["budget", "no-budget"])
@pytest.mark.parametrize("teacher", ["ucb", "exp3"])
def test_sync_and_async_vector_envs_play_the_plain_paths_tasks_with_batched_step_updates(teacher, total_steps,
                                                                                          monkeypatch):
    """The plain path reports every vector step at once, one update per pair; the others gather the steps
    until the teacher acts (without a budget: one batched call for many steps) and learn them in a batch."""
    from teachgym.integrations import vector as vector_module

    runs = {}
    actions = np.random.default_rng(0).integers(2, size=(160, 4))
    for label, vector, batched in (("plain", gym.vector.SyncVectorEnv, False),
                                   ("sync", gym.vector.SyncVectorEnv, True),
                                   ("async", gym.vector.AsyncVectorEnv, True)):
        monkeypatch.setattr(vector_module, "MAX_GATHERED_STEPS", 1 if label == "plain" else 8192)
        envs = TeacherVectorEnv(vector([lambda: TaskSetter(NoisyLevels(), task_key="level")] * 4), teacher,
                                spaces.Discrete(5, start=1), seed=2, buffer=3, update="step", total_steps=total_steps)
        calls = []
        report_steps = envs._curriculum.report_steps
        envs._curriculum.report_steps = lambda tasks, rewards: (calls.append(len(tasks)), report_steps(tasks, rewards))
        if not batched:
            envs.teacher.update_steps = functools.partial(update_each, envs.teacher)
        envs.reset(seed=0)
        for t, a in enumerate(actions):
            if t == 120:
                envs.reset(seed=1)
            envs.step(a)
        state = vars(envs.teacher).copy()
        state.pop("update_steps", None)
        runs[label] = (list(envs.env.get_attr("tasks_seen")), _state(state), envs.curriculum.episodes)
        envs.close()
        if label == "plain" or total_steps is not None:
            assert max(calls) == 4  # every vector step in its own call
        else:
            assert np.mean(calls) > 3 * 4  # several vector steps per call
    assert runs["sync"] == runs["plain"] and runs["async"] == runs["plain"]
    assert runs["plain"][2] > 500 and len({task for seen in runs["plain"][0] for task in seen}) > 2
