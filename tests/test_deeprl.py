"""Deep-RL students (SB3 agents on parameterised tasks) and their curriculum envs."""

from __future__ import annotations

import itertools
import pickle

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import teachgym  # noqa: E402
from teachgym.envs.deeprl.cartpole_task import CartPoleTask  # noqa: E402
from teachgym.envs.deeprl.mountain_car_task import MountainCarTask  # noqa: E402
from teachgym.envs.deeprl.stump_track_task import StumpTrackTask  # noqa: E402
from teachgym.students.deeprl.param_task import ParamTaskEnv, rollout  # noqa: E402
from teachgym.students.deeprl.sb3_agent import SB3Student  # noqa: E402
from tests.conftest import fast_kwargs  # noqa: E402

TINY_PPO = {"n_steps": 32, "batch_size": 32, "n_epochs": 1}
DEEPRL_IDS = ["teachgym/MountainCarCurriculum-v0", "teachgym/CartPoleCurriculum-v0",
              "teachgym/StumpTrackCurriculum-v0"]


def _student(family=MountainCarTask, algo="ppo", algo_kwargs=None, seed=0) -> SB3Student:
    student = SB3Student(family, algo=algo, n_envs=2, device="cpu",
                         algo_kwargs=TINY_PPO if algo_kwargs is None else algo_kwargs)
    student.reset(np.random.default_rng(seed))
    return student


def _params(student: SB3Student) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in student.model.policy.parameters()])


# -- the student -------------------------------------------------------------------------
def test_student_is_deterministic_under_a_seed_and_seeds_differ():
    runs = []
    for seed in (3, 3, 4):
        student = _student(seed=seed)
        outcomes = [student.learn([task], 64).outcome for task in (2.0, 1.0)]
        runs.append((_params(student), outcomes, student.evaluate(np.array([[1.0], [3.0]]))))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_student_leaves_the_global_random_generators_alone():
    import random

    import torch

    np.random.seed(0)
    random.seed(0)
    torch.manual_seed(0)
    before = (np.random.get_state()[1].copy(), random.getstate(), torch.get_rng_state().clone())
    student = _student()
    student.learn([1.5], 64)
    student.evaluate(np.array([[1.0]]))
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]
    assert torch.equal(torch.get_rng_state(), before[2])


@pytest.mark.parametrize("family, algo, kwargs", [
    (MountainCarTask, "ppo", TINY_PPO),
    (CartPoleTask, "dqn", {"learning_starts": 16, "buffer_size": 500, "batch_size": 16, "train_freq": 4}),
    (StumpTrackTask, "sac", {"learning_starts": 16, "buffer_size": 500, "batch_size": 16}),
])
def test_student_checkpoint_resumes_the_same_run(family, algo, kwargs):
    task = np.asarray(family.default_task)
    student = _student(family, algo, kwargs, seed=7)
    student.learn(task, 64)
    state = pickle.loads(pickle.dumps(student.state_dict()))  # a checkpoint must survive the disk
    student.learn(task, 64)
    expected = _params(student)
    resumed = _student(family, algo, kwargs, seed=99)
    resumed.load_state_dict(state)
    report = resumed.learn(task, 64)
    np.testing.assert_array_equal(_params(resumed), expected)
    assert report.work == 64 and resumed.env_steps == 128


def test_wrong_algorithm_for_the_action_space_is_refused():
    with pytest.raises(teachgym.ConfigError, match="algo 'sac'"):
        SB3Student(CartPoleTask, algo="sac", device="cpu")
    with pytest.raises(teachgym.ConfigError, match="algo 'dqn'"):
        SB3Student(MountainCarTask, algo="dqn", device="cpu")
    with pytest.raises(teachgym.ConfigError, match="power_scale"):
        _student().learn([0.5], 64)


def test_fast_actor_matches_policy_predict():
    from teachgym.students.deeprl.sb3_fast_actor import fast_deterministic_actor

    rng = np.random.default_rng(0)
    cases = [(MountainCarTask, "ppo", TINY_PPO), (CartPoleTask, "ppo", TINY_PPO), (CartPoleTask, "dqn", {}),
             (StumpTrackTask, "sac", {"buffer_size": 100})]
    for family, algo, kwargs in cases:
        model = _student(family, algo, kwargs).model
        obs = rng.uniform(-1, 1, (16, *model.observation_space.shape)).astype(np.float32)
        expected = model.policy.predict(obs, deterministic=True)[0]
        np.testing.assert_allclose(fast_deterministic_actor(model)(obs), expected, atol=1e-5)


# -- the task families ---------------------------------------------------------------------
def _generic_rollout(family, act, tasks, seeds, max_steps):
    envs = [family() for _ in tasks]
    original = family.batch_rollout
    try:
        family.batch_rollout = classmethod(ParamTaskEnv.batch_rollout.__func__)
        return rollout(envs, act, tasks, seeds, max_steps)
    finally:
        family.batch_rollout = original


@pytest.mark.parametrize("family, act, tasks", [
    (MountainCarTask, lambda o: np.where(o[:, 1:2] >= 0, 1.0, -1.0), [[1.0], [1.3], [2.0], [4.0]]),  # rocking
    (CartPoleTask, lambda o: (10 * o[:, 2] + o[:, 3] > 0).astype(np.int64),
     [[0.3, 0.1, 9.8], [1.0, 1.0, 19.6], [4.0, 0.05, 4.9], [0.1, 2.0, 25.0]]),
    (StumpTrackTask, lambda o: np.stack([np.ones(len(o)), np.where(o[:, 4] < 0.12, 1.0, -1.0)], axis=1),
     [[0.0, 6.0], [0.2, 2.0], [1.0, 3.0], [2.5, 3.0]]),
])
@pytest.mark.parametrize("max_steps", [None, 60])
def test_batched_rollout_plays_the_same_episodes_as_single_envs(family, act, tasks, max_steps):
    tasks = np.repeat(np.asarray(tasks, dtype=np.float64), 2, axis=0)
    seeds = list(range(10, 10 + len(tasks)))
    fast = rollout([family() for _ in tasks], act, tasks, seeds, max_steps)
    slow = _generic_rollout(family, act, tasks, seeds, max_steps)
    np.testing.assert_array_equal(fast.lengths, slow.lengths)
    np.testing.assert_array_equal(fast.successes, slow.successes)
    np.testing.assert_allclose(fast.returns, slow.returns, rtol=1e-9)
    if max_steps is not None:
        assert fast.lengths.max() == max_steps  # some episodes were cut


def test_engine_power_decides_whether_full_throttle_climbs():
    tasks = np.array([[1.0], [1.2], [2.0], [4.0]])
    full_throttle = rollout([MountainCarTask() for _ in tasks], lambda o: np.ones((len(o), 1)), tasks, [0] * 4)
    assert full_throttle.successes.tolist() == [False, False, True, True]
    assert full_throttle.lengths[2] > full_throttle.lengths[3]  # the stronger car is faster


def test_cartpole_task_recomputes_what_cartpole_caches():
    env = CartPoleTask()
    env.set_task([2.0, 0.5, 4.0])
    env.reset(seed=0)
    assert (env.length, env.masspole, env.gravity) == (1.0, 0.5, 4.0)
    assert env.total_mass == pytest.approx(1.5) and env.polemass_length == pytest.approx(0.5)
    # Uncontrolled, a long pole under weak gravity stays up longer than a short one under strong gravity.
    push = lambda o: np.zeros(len(o), dtype=np.int64)  # noqa: E731
    episodes = rollout([CartPoleTask(), CartPoleTask()], push, np.array([[4.0, 0.1, 4.0], [0.2, 0.1, 20.0]]), [0, 0])
    assert episodes.lengths[0] > episodes.lengths[1]


def test_stump_tracks_have_trivial_learnable_and_impassable_tasks():
    run_no_jump = lambda o: np.stack([np.ones(len(o)), -np.ones(len(o))], axis=1)  # noqa: E731
    tasks = np.array([[0.0, 6.0], [0.25, 2.0], [1.0, 3.0]])
    walked = rollout([StumpTrackTask() for _ in tasks], run_no_jump, tasks, [0, 0, 0])
    assert walked.successes.tolist() == [True, True, False]
    # Any jump timing: tall stumps stop every attempt, a 1 m stump is passable with the right one.
    heights = {1.0: False, 1.8: False, 2.1: False}
    for height, trigger in itertools.product(heights, np.linspace(0.02, 1.0, 50)):
        act = lambda o, d=trigger: np.stack([np.ones(len(o)), np.where(o[:, 4] < d, 1.0, -1.0)], axis=1)  # noqa: E731
        heights[height] |= bool(rollout([StumpTrackTask()], act, np.array([[height, 6.0]]), [0]).successes[0])
    assert heights == {1.0: True, 1.8: True, 2.1: False}


# -- the teacher envs ------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", DEEPRL_IDS)
def test_teaching_run_checkpoints_and_resumes_to_the_same_score(env_id):
    kwargs = fast_kwargs(env_id)
    env = gym.make(env_id, **kwargs).unwrapped
    env.reset(seed=2)
    env.action_space.seed(2)
    actions = [env.action_space.sample() for _ in range(kwargs["n_steps"])]
    env.step(actions[0])
    state = pickle.loads(pickle.dumps(env.state_dict()))
    for a in actions[1:]:
        *_, info = env.step(a)
    resumed = gym.make(env_id, **kwargs).unwrapped
    resumed.reset(seed=5)
    resumed.load_state_dict(state)
    for a in actions[1:]:
        *_, resumed_info = resumed.step(a)
    assert resumed_info["score"] == info["score"] and resumed_info["outcome"] == info["outcome"]


def test_easy_to_hard_teacher_runs_on_every_deeprl_env():
    for env_id in DEEPRL_IDS:
        result = teachgym.run(env_id, "easy-to-hard", seed=0, **fast_kwargs(env_id))
        assert result.steps == fast_kwargs(env_id)["n_steps"] and np.isfinite(result.score)
    for env_id in DEEPRL_IDS:
        regions = gym.make(env_id, lesson_mode="regions", arms_per_dim=2, **fast_kwargs(env_id))
        _, info = regions.reset(seed=0)
        assert sorted(info["easy_to_hard"]["order"]) == list(range(regions.action_space.n))
    stumps = gym.make("teachgym/StumpTrackCurriculum-v0", lesson_mode="regions", arms_per_dim=2,
                      **fast_kwargs("teachgym/StumpTrackCurriculum-v0"))
    assert stumps.action_space == gym.spaces.Discrete(4)
    cartpole = gym.make("teachgym/CartPoleCurriculum-v0", lesson_mode="regions", arms_per_dim=2,
                        **fast_kwargs("teachgym/CartPoleCurriculum-v0"))
    _, info = cartpole.reset(seed=0)
    centres = (cartpole.unwrapped.lessons.region_low + cartpole.unwrapped.lessons.region_high) / 2
    order = info["easy_to_hard"]["order"]
    easiest, hardest = centres[order[0]], centres[order[-1]]
    assert easiest[0] > hardest[0] and easiest[1] < hardest[1] and easiest[2] < hardest[2]


def test_the_float32_edges_of_the_lesson_box_are_lessons():
    # CartPole's bounds 0.1 and 0.02 are not float32 numbers: the Box's corners must still be accepted as lessons.
    env_id = "teachgym/CartPoleCurriculum-v0"
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=0)
    for corner in (env.action_space.low, env.action_space.high):
        *_, info = env.step(corner)
        family = env.family
        assert np.all(np.asarray(family.task_low) <= info["task"]) and np.all(info["task"] <= family.task_high)


def test_forgetting_student_loses_its_network_on_schedule():
    env_id = "teachgym/StumpTrackCurriculum-v0"
    env = gym.make(env_id, forget_at=0.5, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=0)
    lesson = np.array([0.5, 3.0], np.float32)
    env.step(lesson)
    env.step(lesson)
    assert env.student.model.num_timesteps == 128
    env.step(lesson)  # lesson 2 of 4: the networks are re-initialised first
    assert env.student.model.num_timesteps == 64 and env.student.env_steps == 192
    with pytest.raises(teachgym.ConfigError, match="task_low/task_high of stump_height"):
        gym.make(env_id, task_low=(-5.0, 0.0), **fast_kwargs(env_id))


@pytest.mark.parametrize("env_id", ["teachgym/MountainCarCurriculum-v0", "teachgym/FineTuneRL-SB3-v1"])
def test_sb3_students_leave_no_log_folders_in_the_temporary_directory(env_id, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    result = teachgym.run(env_id, "random", seed=0, **fast_kwargs(env_id))
    assert result.steps == fast_kwargs(env_id)["n_steps"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("SB3-")] == []
