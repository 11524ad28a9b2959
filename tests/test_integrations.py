"""Teachers outside the gym: the task-setting wrappers, the SB3 callback and the TRL hook, on real runs."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

import teachgym
from teachgym.integrations import EpisodeReport, TaskCurriculum, TaskSetter, TeacherVectorEnv
from teachgym.lessons import BoxLessons, DiscreteLessons

try:
    from teachgym.env import Taught
except ImportError:  # the first version of the TeacherEnv contract: _teach returns (outcome, reward)
    Taught = None


# -- a fixed outcome stream, played through the gym and through the hooks --------------------------------------
def replay_outcome(task, lesson: int) -> float:
    """The outcome of the ``lesson``-th lesson on ``task``: a fixed pattern in multiples of 1/8 (exact in float32)."""
    x = float(np.asarray(task, dtype=np.float64).reshape(-1)[0])
    return float(((int(x * 7.0) * 3 + lesson * 5) % 9) / 8.0)


class ReplayTeacherEnv(teachgym.TeacherEnv):
    """A teacher env whose student's outcomes are :func:`replay_outcome` of the task and the step."""

    def __init__(self, lessons, n_steps: int):
        super().__init__(lessons, n_steps=n_steps)
        self.observation_space = spaces.Box(0.0, 1.0, (1,), dtype=np.float32)

    def _reset_student(self, rng):
        pass

    def _teach(self, task):
        outcome = replay_outcome(task, self._t)
        return (outcome, outcome) if Taught is None else Taught(outcome, outcome)

    def _observation(self):
        return np.zeros(1, dtype=np.float32)

    def score(self) -> float:
        return 0.0


class OneStepTaskEnv(gym.Env):
    """A user env: the task comes through ``reset(options={"task": ...})``; one step; reward = the replay outcome."""

    observation_space = spaces.Box(0.0, 1.0, (1,), dtype=np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self):
        self.lessons = 0
        self.tasks_seen: list = []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.task = (options or {}).get("task")
        self.tasks_seen.append(self.task)
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        reward = replay_outcome(self.task, self.lessons)
        self.lessons += 1
        return np.zeros(1, dtype=np.float32), reward, True, False, {"is_success": reward > 0.5}


def _as_list(tasks) -> list:
    return [np.asarray(t, dtype=np.float64).reshape(-1).tolist() for t in tasks]


N_LESSONS = 40
CASES = [("tscl-window", DiscreteLessons(5), {}), ("learnability", DiscreteLessons(5), {}),
         ("ucb", DiscreteLessons(5), {}), ("alp-gmm", BoxLessons([0.0], [1.0]), {"fit_rate": 10})]


@pytest.mark.parametrize("teacher,lessons,kwargs", CASES, ids=[c[0] for c in CASES])
def test_the_same_teacher_makes_the_same_choices_in_the_gym_and_through_the_wrappers(teacher, lessons, kwargs):
    gym_run = teachgym.run(ReplayTeacherEnv(lessons, N_LESSONS), teacher, seed=3, teacher_kwargs=kwargs)
    expected = _as_list(gym_run.lessons)
    space = lessons.action_space
    # In process: one env, the teacher asked at each reset.
    env = TaskSetter(OneStepTaskEnv(), curriculum=TaskCurriculum(teacher, space, seed=3, teacher_kwargs=kwargs))
    for _ in range(N_LESSONS):
        env.reset()
        env.step(0)
    assert _as_list(env.unwrapped.tasks_seen) == expected
    # A vector env with one sub-env and buffer 1: act, play, update, act...
    envs = TeacherVectorEnv(gym.vector.SyncVectorEnv([lambda: TaskSetter(OneStepTaskEnv())]), teacher, space, seed=3,
                            buffer=1, teacher_kwargs=kwargs)
    envs.reset(seed=0)
    while envs.curriculum.episodes < N_LESSONS:
        envs.step(np.zeros(1, dtype=np.int64))
    assert _as_list(envs.env.envs[0].unwrapped.tasks_seen[:N_LESSONS]) == expected
    envs.close()


# -- the task-setting wrapper --------------------------------------------------------------------------------
class CountdownEnv(gym.Env):
    """Episodes last ``task`` steps, each rewarded ``task``: the return is ``task ** 2``."""

    observation_space = spaces.Box(0.0, 10.0, (1,), dtype=np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self):
        self.task, self.left = 1, 1
        self.tasks_seen: list = []

    def set_task(self, task):
        self.pending = int(task)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if options and "level" in options:
            self.task = int(options["level"])
        elif getattr(self, "pending", None) is not None:
            self.task, self.pending = self.pending, None
        self.left = self.task
        self.tasks_seen.append(self.task)
        return np.array([self.left], dtype=np.float32), {}

    def step(self, action):
        self.left -= 1
        done = self.left == 0
        return np.array([self.left], dtype=np.float32), float(self.task), done, False, {"is_success": self.task >= 3}


class LoggingCycle(teachgym.Teacher):
    """Tasks 1, 2, ..., n, 1, 2, ... in turn; keeps every update it receives."""

    supported_spaces = (spaces.Discrete,)

    def _setup(self):
        self.i, self.updates = 0, []

    def act(self, obs, info):
        task = int(self.action_space.start) + self.i % int(self.action_space.n)
        self.i += 1
        return task

    def update(self, action, reward, obs, info):
        self.updates.append((int(action), float(reward), info.get("budget_used")))


@pytest.mark.parametrize("vector", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv], ids=["sync", "async"])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP], ids=["next_step", "same_step"])
def test_vector_env_plays_every_episode_on_the_teachers_task_and_reports_it_once(vector, mode):
    n_envs, steps = 3, 120
    envs = vector([lambda: TaskSetter(CountdownEnv(), task_key="level") for _ in range(n_envs)], autoreset_mode=mode)
    envs = TeacherVectorEnv(envs, LoggingCycle(), spaces.Discrete(4, start=1), seed=0, buffer=3, total_steps=1000)
    envs.reset(seed=0)
    ended = 0
    for _ in range(steps):
        _, _, terminations, truncations, _ = envs.step(np.zeros(n_envs, dtype=np.int64))
        ended += int(np.sum(terminations | truncations))
    teacher = envs.teacher
    assert len(teacher.updates) == ended > 50  # every finished episode reported, none untaught
    assert all(reward == task ** 2 for task, reward, _ in teacher.updates)  # outcome = the episode's return
    assert 0.0 < teacher.updates[-1][2] <= 1.0  # budget_used from total_steps
    if vector is gym.vector.SyncVectorEnv:  # every task the teacher chose was played or is still queued
        played = [t for env in envs.env.envs for t in env.unwrapped.tasks_seen]
        queued = [envs._tasks[task_id] for pending in envs._pending for task_id in pending]
        assert sorted(played + queued) == sorted(1 + i % 4 for i in range(teacher.i))
    assert list(envs.env.call("queue_length")) == [len(p) for p in envs._pending]
    assert envs.round_trips < ended  # tasks travel in batches
    assert len(envs._tasks) <= n_envs * (3 + 1)  # ids are forgotten once their episode is reported
    envs.close()


@pytest.mark.parametrize("vector,mode", [(gym.vector.SyncVectorEnv, AutoresetMode.NEXT_STEP),
                                         (gym.vector.SyncVectorEnv, AutoresetMode.SAME_STEP),
                                         (gym.vector.AsyncVectorEnv, AutoresetMode.NEXT_STEP)],
                         ids=["sync-next_step", "sync-same_step", "async-next_step"])
def test_step_updates_report_every_reward_with_its_episodes_task(vector, mode):
    streams = {}
    for where, outcome in (("main", "return"), ("worker", lambda r, n, info: r)):  # a lambda: the sub-envs report
        envs = TeacherVectorEnv(vector([lambda: TaskSetter(CountdownEnv(), task_key="level", outcome=outcome)] * 3,
                                       autoreset_mode=mode),
                                LoggingCycle(), spaces.Discrete(4, start=1), seed=0, buffer=2, update="step")
        envs.reset(seed=0)
        for t in range(40):
            if t == 25:  # an explicit reset mid-episode
                envs.reset(seed=1)
            envs.step(np.zeros(3, dtype=np.int64))
        updates = envs.teacher.updates
        assert updates and all(reward == task for task, reward, _ in updates)
        assert len(updates) == envs.env_steps == envs.curriculum.episodes
        streams[where] = updates
        envs.close()
    assert streams["main"] == streams["worker"]


class InfoLog(LoggingCycle):
    """LoggingCycle that keeps each update's whole info, in key order."""

    def update(self, action, reward, obs, info):
        self.updates.append((action, reward, list(info.items())))


def test_report_steps_gives_the_teacher_what_one_report_per_step_does():
    curricula = [TaskCurriculum(InfoLog(), spaces.Discrete(3), seed=0, teacher_info={"easy_to_hard": [0, 1, 2]})
                 for _ in range(2)]
    for curriculum in curricula:
        curriculum.budget_used = 0.25
    rounds = [([0, None, 2], [1.0, 5.0, -0.5]), ([None, None, None], [0.0, 0.0, 0.0]), ([1, 1, 0], [2.0, 3.0, 4.0])]
    for tasks, rewards in rounds:
        for task, reward in zip(tasks, rewards):
            if task is not None:
                curricula[0].report(task, reward, step_reward=True)
        curricula[1].report_steps(tasks, rewards)
    assert curricula[0].teacher.updates == curricula[1].teacher.updates
    assert len(curricula[1].teacher.updates) == curricula[1].episodes == 5
    assert [dict(items)["episodes"] for _, _, items in curricula[1].teacher.updates] == [0, 1, 2, 3, 4]


class EpisodeLog(LoggingCycle):
    """LoggingCycle that also keeps each update's episode return and length."""

    def update(self, action, reward, obs, info):
        self.updates.append((int(action), float(reward), info.get("episode_return"), info.get("episode_length")))


def success_bonus(episode_return: float, length: int, info: dict) -> float:
    """A custom outcome reading the last step's info."""
    return episode_return + 100.0 * bool(info.get("is_success")) + length / 8.0


@pytest.mark.parametrize("outcome", ["return", "success", "length", success_bonus], ids=["return", "success",
                                                                                            "length", "custom"])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP], ids=["next_step", "same_step"])
def test_outcomes_formed_in_the_main_process_equal_the_sub_envs_reports(outcome, mode):
    named = teachgym.integrations.tasks.OUTCOMES.get(outcome, outcome)
    logs = {}
    for where, fn in (("main", outcome), ("worker", lambda r, n, info: named(r, n, info))):  # a lambda never pickles
        envs = gym.vector.SyncVectorEnv([lambda: TaskSetter(CountdownEnv(), task_key="level", outcome=fn)] * 3,
                                        autoreset_mode=mode)
        envs = TeacherVectorEnv(envs, EpisodeLog(), spaces.Discrete(4, start=1), seed=0, buffer=2)
        assert [env.worker_reports for env in envs.env.envs] == [where == "worker"] * 3
        envs.reset(seed=0)
        for t in range(60):
            if t == 30:  # an explicit reset mid-episode: the interrupted episodes are not reported
                envs.reset(seed=1)
            envs.step(np.zeros(3, dtype=np.int64))
        logs[where] = envs.teacher.updates
        envs.close()
    assert len(logs["main"]) > 40 and logs["main"] == logs["worker"]
    assert all(length == task and episode_return == task ** 2 for task, _, episode_return, length in logs["main"])


class UpdateLog(teachgym.Teacher):
    """Wraps a registered teacher and keeps every task it chose and every update it received, in order."""

    supported_spaces = (spaces.Discrete,)

    def __init__(self, name: str):
        super().__init__()
        self.inner = teachgym.registry.make_teacher(name)

    def _setup(self):
        self.inner.reset(self.action_space, None, seed=int(self.rng.integers(2**31)))
        self.events = []

    def act(self, obs, info):
        task = self.inner.act(obs, info)
        self.events.append(("act", int(task), info.get("budget_used")))
        return task

    def update(self, action, reward, obs, info):
        self.events.append(("update", int(action), float(reward), info.get("budget_used")))
        self.inner.update(action, reward, obs, info)


@pytest.mark.parametrize("update", ["episode", "step"])
@pytest.mark.parametrize("teacher", ["ucb", "tscl-window"])
def test_an_async_vector_env_teaches_exactly_as_a_sync_one(teacher, update):
    """In an AsyncVectorEnv the teacher learns from a step while the next one plays: same choices, same updates."""
    events, played = {}, {}
    rng = np.random.default_rng(0)
    actions = rng.integers(2, size=(150, 3))
    for vector in (gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv):
        envs = TeacherVectorEnv(vector([lambda: TaskSetter(CountdownEnv(), task_key="level")] * 3), UpdateLog(teacher),
                                spaces.Discrete(4, start=1), seed=5, buffer=2, update=update, total_steps=400)
        assert envs._pipelined == (vector is gym.vector.AsyncVectorEnv)
        envs.reset(seed=0)
        for t, a in enumerate(actions):
            if t == 100:
                envs.reset(seed=1)
            envs.step(a)
        events[vector], played[vector] = envs.teacher.events, list(envs.env.get_attr("tasks_seen"))
        envs.close()
    sync, pipelined = events[gym.vector.SyncVectorEnv], events[gym.vector.AsyncVectorEnv]
    assert sum(e[0] == "update" for e in sync) > 60 and len({e[1] for e in sync if e[0] == "act"}) > 1
    assert pipelined == sync
    assert played[gym.vector.AsyncVectorEnv] == played[gym.vector.SyncVectorEnv]


def test_main_process_outcomes_in_an_async_vector_env_and_a_reset_with_an_explicit_task():
    envs = gym.vector.AsyncVectorEnv([lambda: TaskSetter(CountdownEnv(), task_key="level", outcome=success_bonus)] * 2)
    envs = TeacherVectorEnv(envs, EpisodeLog(), spaces.Discrete(4, start=1), seed=0, buffer=2)
    assert list(envs.env.get_attr("worker_reports")) == [False, False]
    envs.reset(seed=0)
    for _ in range(20):
        envs.step(np.zeros(2, dtype=np.int64))
    envs.reset(seed=1, options={"level": 4})  # the task comes from the options: the queues keep theirs
    assert envs.current_tasks == [None, None]
    assert list(envs.env.call("queue_length")) == [len(p) for p in envs._pending]
    reported = len(envs.teacher.updates)
    for _ in range(4):  # the explicit episodes (4 steps) end unreported
        envs.step(np.zeros(2, dtype=np.int64))
    assert len(envs.teacher.updates) == reported
    envs.step(np.zeros(2, dtype=np.int64))  # the NEXT_STEP resets: the queued tasks come next
    assert None not in envs.current_tasks
    for _ in range(20):
        envs.step(np.zeros(2, dtype=np.int64))
    assert all(outcome == success_bonus(task ** 2, task, {"is_success": task >= 3})
               for task, outcome, _, _ in envs.teacher.updates)
    envs.close()


def test_task_setter_setters_outcomes_and_errors():
    curriculum = TaskCurriculum(LoggingCycle(), spaces.Discrete(3, start=1))
    env = TaskSetter(CountdownEnv(), setter="set_task", outcome="success", curriculum=curriculum)
    for _ in range(6):
        env.reset()
        done = False
        while not done:
            _, _, done, _, info = env.step(0)
    assert env.unwrapped.tasks_seen == [1, 2, 3, 1, 2, 3]
    assert [r for _, r, _ in curriculum.teacher.updates] == [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    report = EpisodeReport(*info["teacher_episode"])
    assert report.task_id is None and env.current_task == 3 and report.episode_return == 9.0 and report.length == 3
    calls = []
    env = TaskSetter(CountdownEnv(), setter=lambda e, t: calls.append(t) or e.unwrapped.set_task(t),
                     outcome=lambda ret, length, info: ret / length)
    env.push_tasks([2, 3])
    env.reset()
    assert calls == [2] and env.unwrapped.task == 2 and env.queue_length() == 1
    env.reset(options={"level": 1})  # an explicit task wins over the queue... for the options key only
    assert env.unwrapped.task == 1
    for bad, match in [({"outcome": "score"}, "outcome"), ({"update": "batch"}, "update"), ({"task_key": 3}, "task_key"),
                       ({"setter": 3}, "setter")]:
        with pytest.raises(teachgym.ConfigError, match=match):
            TaskSetter(CountdownEnv(), **bad)
    with pytest.raises(teachgym.ConfigError, match="task_space"):
        TaskCurriculum("random", spaces.MultiDiscrete([2, 2]))
    with pytest.raises(teachgym.ConfigError, match="buffer"):
        TeacherVectorEnv(gym.vector.SyncVectorEnv([lambda: TaskSetter(CountdownEnv())]), "random",
                         spaces.Discrete(2), buffer=0)


def test_a_teacher_outside_the_task_space_raises_an_invalid_lesson_error():
    class Wild(teachgym.Teacher):
        def act(self, obs, info):
            return np.array([2.0], dtype=np.float32)

    with pytest.raises(teachgym.InvalidLessonError, match="task must lie in"):
        TaskCurriculum(Wild(), spaces.Box(0.0, 1.0, (1,))).next_task()


def test_importing_the_integrations_loads_no_sb3_trl_or_torch():
    code = ("import sys, teachgym, teachgym.integrations as i; i.TaskSetter; i.TeacherVectorEnv; "
            "print(sorted(m for m in ('torch', 'trl', 'stable_baselines3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

# -- SB3: one callback on a real PPO run ---------------------------------------------------------------------
def _ppo(vec_env):
    from stable_baselines3 import PPO

    return PPO("MlpPolicy", vec_env, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")


def _countdown_vec_env(n_envs: int = 2):
    from stable_baselines3.common.env_util import make_vec_env

    return make_vec_env(CountdownEnv, n_envs=n_envs, seed=0, wrapper_class=TaskSetter,
                        wrapper_kwargs={"task_key": "level"})


def test_sb3_callback_sets_every_training_episodes_task_and_learns_its_outcome():
    pytest.importorskip("stable_baselines3")
    from teachgym.integrations import TeacherCallback

    vec = _countdown_vec_env()
    model = _ppo(vec)
    callback = TeacherCallback(LoggingCycle(), spaces.Discrete(4, start=1), seed=0)
    model.learn(256, callback=callback)
    teacher = callback.teacher
    finished = sum(len(r) for r in vec.env_method("get_episode_rewards"))  # the Monitor inside each TaskSetter
    assert len(teacher.updates) == finished > 20
    assert all(reward == task ** 2 for task, reward, _ in teacher.updates)
    assert teacher.updates[-1][2] == pytest.approx(1.0, abs=0.15)  # budget_used = num_timesteps / total
    # learn() reset the envs on their default task (1) before the callback ran; it restarted them on the teacher's.
    played = [t for env in vec.envs for t in env.unwrapped.tasks_seen[1:]]
    queued = [callback._tasks[task_id] for pending in callback._pending for task_id in pending]
    assert sorted(played + queued) == sorted(1 + i % 4 for i in range(teacher.i))
    # A second learn() continues the same curriculum, without another restart.
    before, resets_before = len(teacher.updates), [len(env.unwrapped.tasks_seen) for env in vec.envs]
    model.learn(128, callback=callback, reset_num_timesteps=False)
    assert len(teacher.updates) > before
    played = [t for env in vec.envs for t in env.unwrapped.tasks_seen[1:]]
    queued = [callback._tasks[task_id] for pending in callback._pending for task_id in pending]
    assert sorted(played + queued) == sorted(1 + i % 4 for i in range(teacher.i))
    assert sum(len(env.unwrapped.tasks_seen) for env in vec.envs) > sum(resets_before)


def test_sb3_callback_per_step_updates_and_unwrapped_envs():
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_util import make_vec_env

    from teachgym.integrations import TeacherCallback

    model = _ppo(_countdown_vec_env())
    callback = TeacherCallback(LoggingCycle(), spaces.Discrete(4, start=1), update="step")
    model.learn(64, callback=callback)
    assert len(callback.teacher.updates) == model.num_timesteps
    assert all(reward == task for task, reward, _ in callback.teacher.updates)
    with pytest.raises(teachgym.ConfigError, match="wrapper_class=TaskSetter"):
        _ppo(make_vec_env(CountdownEnv, n_envs=1)).learn(32, callback=TeacherCallback("random", spaces.Discrete(3)))


# -- TRL: a real GRPOTrainer -----------------------------------------------------------------------------------
LEVELS = 3


@pytest.fixture(scope="module")
def tiny_lm():
    pytest.importorskip("trl")
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from teachgym.students.grpo.tokenizer import build_char_tokenizer

    tokenizer = build_char_tokenizer("0123456789+=")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32, pad_token_id=0,
                         eos_token_id=1, bos_token_id=None, tie_word_embeddings=True)
    state = torch.random.get_rng_state()
    torch.manual_seed(0)
    weights = LlamaForCausalLM(config).state_dict()
    torch.random.set_rng_state(state)

    def make_model():
        model = LlamaForCausalLM(config)
        model.load_state_dict(weights)
        return model

    return make_model, tokenizer


def _grpo(tiny_lm, tmp_path, reward, **config):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    make_model, tokenizer = tiny_lm
    rows = [{"prompt": f"{a}+{b}=", "answer": str(a + b), "level": (a + b) % LEVELS} for a in range(10) for b in range(10)]
    settings = dict(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=2, max_completion_length=3,
                    max_steps=6, use_cpu=True, bf16=False, report_to="none", logging_steps=1, save_strategy="no",
                    disable_tqdm=True, learning_rate=1e-3, seed=0)
    settings.update(config)
    return GRPOTrainer(model=make_model(), reward_funcs=reward, args=GRPOConfig(**settings),
                       train_dataset=Dataset.from_list(rows), processing_class=tokenizer)


def test_trl_hook_trains_every_batch_on_the_teachers_arm_despite_shuffle_dataset(tiny_lm, tmp_path):
    from teachgym.integrations import ArmCurriculum

    batches = []

    def reward(completions, level, **kwargs):
        batches.append(list(level))
        return [lv / 4.0 for lv in level]  # exact in float32

    trainer = _grpo(tiny_lm, tmp_path, reward, shuffle_dataset=True)
    curriculum = ArmCurriculum(LoggingCycle(), "level", seed=0).attach(trainer)
    trainer.train()
    assert len(batches) == 6 and curriculum.arms == [0, 1, 2]
    assert [set(levels) for levels in batches] == [{i % LEVELS} for i in range(6)]  # 0, 1, 2, 0, 1, 2
    assert curriculum.history == [(i % LEVELS, (i % LEVELS) / 4.0) for i in range(6)]
    assert [u[2] for u in curriculum.teacher.updates][-1] == pytest.approx(5 / 6)  # budget_used = step / max_steps


@pytest.mark.parametrize("teacher", ["tscl-window", "learnability"])
def test_trl_hook_makes_the_gyms_choices_for_the_same_outcome_stream(tiny_lm, tmp_path, teacher):
    from teachgym.integrations import ArmCurriculum

    lessons = 10
    gym_run = teachgym.run(ReplayTeacherEnv(DiscreteLessons(LEVELS), lessons), teacher, seed=3)
    calls = []

    def reward(completions, level, **kwargs):
        calls.append(level[0])
        return [replay_outcome(lv, len(calls) - 1) for lv in level]

    # Two optimisation steps per generation: each batch is chosen after the previous one was scored.
    trainer = _grpo(tiny_lm, tmp_path, reward, steps_per_generation=2, max_steps=2 * lessons)
    curriculum = ArmCurriculum(teacher, "level", seed=3).attach(trainer)
    trainer.train()
    assert [a for a, _ in curriculum.history] == gym_run.lessons.tolist()
    assert [o for _, o in curriculum.history] == gym_run.outcomes.tolist()


def test_trl_hook_mixture_lessons_and_the_advantages_trl_computed(tiny_lm, tmp_path):
    from teachgym.integrations import ArmCurriculum

    def reward(completions, level, **kwargs):
        return [float(len(c)) + 0.5 * lv for c, lv in zip(completions, level)]

    trainer = _grpo(tiny_lm, tmp_path, reward, per_device_train_batch_size=8, num_generations=2, max_steps=3)
    curriculum = ArmCurriculum("dump", "level", seed=0, mixture=True, lessons_per_batch=2).attach(trainer)
    reports = []
    report = curriculum.curriculum.report
    curriculum.curriculum.report = lambda task, outcome, **info: (reports.append(info), report(task, outcome, **info))
    trainer.train()
    assert len(reports) == 6 and all(np.asarray(a).shape == (LEVELS,) for a, _ in curriculum.history)
    trl_advantages = np.abs(np.asarray(trainer._logs["advantages"]))  # the last generation batch, as TRL used it
    mine = np.mean([r["advantage_abs_mean"] for r in reports[-2:]])
    assert mine == pytest.approx(trl_advantages.mean(), rel=1e-5)
    with pytest.raises(teachgym.ConfigError, match="lessons_per_batch"):
        ArmCurriculum("dump", "level", mixture=True, lessons_per_batch=3).attach(trainer)
    with pytest.raises(teachgym.ConfigError, match="arm_column"):
        ArmCurriculum("ucb", "difficulty").attach(trainer)


def test_the_examples_in_docs_integrations_run(tmp_path, monkeypatch):
    pytest.importorskip("stable_baselines3")
    pytest.importorskip("trl")
    import re
    from pathlib import Path

    import torch

    text = (Path(__file__).resolve().parents[1] / "docs" / "integrations.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    from teachgym.utils.threads import single_thread, torch_threads

    monkeypatch.chdir(tmp_path)  # the TRL example writes its output_dir here
    state = torch.random.get_rng_state()
    namespace = {"__name__": "__main__"}
    try:
        with single_thread(), torch_threads(1):  # more threads only spin on a small shared machine
            for block in blocks:
                exec(compile(block, "docs/integrations.md", "exec"), namespace)
    finally:
        torch.random.set_rng_state(state)
    assert namespace["curriculum"].arms == [2, 3, 4] and len(namespace["curriculum"].history) >= 2
    assert namespace["callback"].teacher.name == "easy-to-hard"
