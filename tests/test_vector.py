"""Vectorised teacher envs: sub-env i is the single env seeded seed + i; populations are disjoint."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import teachgym
from teachgym.students.curriculum.competence_grid import GRID_NOISE, GRID_RATE, draw_grid_student
from teachgym.students.populations import Interleaved
from tests.conftest import lockstep

CASES = [
    ("teachgym/ToyCurriculum-v0", {"n_steps": 120, "score_every": 25}),
    ("teachgym/ToyCurriculum-v0", {"n_steps": 120, "outcome_noise": 0.1, "n_useless_dims": 1,
                                   "reward_mode": "outcome"}),
    ("teachgym/ToyCurriculumDiscrete-v0", {"n_steps": 120, "population": "train", "n_cells": 5, "arms_per_dim": 5, "score_every": 40}),
    ("teachgym/ToyCurriculum-v0", {"n_steps": 120, "population": "held_out", "n_cells": 4, "arms_per_dim": 4}),
]


def _actions(space: gym.Space, n: int, t: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(space, gym.spaces.Discrete):
        return rng.integers(0, min(space.n, 3 + t // 10), size=n)  # drift outwards so cells unlock
    return (rng.random((n, space.shape[0])) * min(1.0, 0.1 + t / 150)).astype(np.float32)


@pytest.mark.parametrize("env_id,kwargs", CASES)
def test_sub_env_i_is_the_single_env_seeded_seed_plus_i(env_id, kwargs):
    n, rng = 4, np.random.default_rng(0)
    space = gym.make(env_id, **kwargs).action_space
    scored, learned = 0, False
    for t, _, info, singles in lockstep(env_id, kwargs, n, 11, lambda t: _actions(space, n, t, rng),
                                        ("task", "outcome", "score", "budget_used", "episode_start")):
        if t < 0:
            assert np.array_equal(info["score"], [i["score"] for i in singles]) and info["_score"].all()
            continue
        scored += "score" in info
        learned = learned or bool(np.any(info.get("outcome", 0.0) > 0))
    assert scored >= 3 and learned


def test_batched_info_matches_gymnasium_sync_vector_env():
    kwargs = {"n_steps": 30, "score_every": 10, "population": "train"}
    vec = gym.make_vec("teachgym/ToyCurriculumDiscrete-v0", num_envs=3, vectorization_mode="vector_entry_point",
                       **kwargs)
    sync = gym.make_vec("teachgym/ToyCurriculumDiscrete-v0", num_envs=3, vectorization_mode="sync", **kwargs)
    for a, b in zip(vec.reset(seed=5), sync.reset(seed=5)):
        assert sorted(a) == sorted(b) if isinstance(a, dict) else np.array_equal(a, b)
    for t in range(35):
        actions = np.array([t % 5, (t * 3) % 25, 0])
        mine, theirs = vec.step(actions), sync.step(actions)
        for k in range(4):
            assert np.array_equal(mine[k], theirs[k]), (t, k)
        assert sorted(mine[4]) == sorted(theirs[4]), t
        for key, value in mine[4].items():
            if key not in ("lesson_space", "easy_to_hard"):
                assert np.array_equal(value, theirs[4][key]), (t, key)


def test_same_step_autoreset_returns_the_final_observation_and_the_next_episode():
    vec = gym.make_vec("teachgym/ToyCurriculum-v0", num_envs=2, vectorization_mode="vector_entry_point",
                       n_steps=3, autoreset_mode="SameStep")
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    vec.reset(seed=0)
    for _ in range(2):
        vec.step(np.zeros((2, 2), np.float32))
    obs, _, _, truncated, info = vec.step(np.zeros((2, 2), np.float32))
    assert truncated.all() and info["episode_start"].all() and info["_final_obs"].all()
    assert info["final_obs"][0][0] == pytest.approx(0.03) and info["final_info"]["score"].shape == (2,)
    assert obs[:, 0].tolist() == [0.0, 0.0]  # the next students start from scratch


def test_invalid_batches_name_the_sub_env():
    vec = gym.make_vec("teachgym/ToyCurriculum-v0", num_envs=3, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    bad = np.full((3, 2), 0.5, np.float32)
    bad[2, 1] = 1.5
    with pytest.raises(teachgym.InvalidLessonError, match=r"actions\[2, 1\]"):
        vec.step(bad)
    with pytest.raises(teachgym.InvalidLessonError, match="shape"):
        vec.step(np.zeros((2, 2), np.float32))
    discrete = gym.make_vec("teachgym/ToyCurriculumDiscrete-v0", num_envs=2, vectorization_mode="vector_entry_point")
    discrete.reset(seed=0)
    with pytest.raises(teachgym.InvalidLessonError, match=r"actions\[1\]"):
        discrete.step(np.array([0, 25]))
    with pytest.raises(teachgym.ConfigError, match="population"):
        gym.make_vec("teachgym/ToyCurriculum-v0", num_envs=2, vectorization_mode="vector_entry_point",
                     population="test")


def test_populations_are_disjoint_by_construction():
    rng = np.random.default_rng(0)
    for part in ("train", "held_out"):
        for _ in range(300):
            student = draw_grid_student(rng, part, 2)
            assert GRID_RATE.part_of(student["rate"]) == part and GRID_NOISE.part_of(student["noise"]) == part
            assert 0.5 <= student["rate"] < 2.0
    band = Interleaved(0.0, 1.0, bands=2)
    assert [band.part_of(x) for x in (0.1, 0.3, 0.6, 0.8)] == ["train", "held_out", "train", "held_out"]


def test_population_students_differ_and_the_default_student_is_unchanged():
    default = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", "tscl-window", 0, n_steps=800)
    same = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", "tscl-window", 0, n_steps=800, population=None)
    assert same.curve == default.curve and np.array_equal(same.tasks, default.tasks)
    env = gym.make("teachgym/ToyCurriculum-v0", population="held_out")
    rates = set()
    for seed in range(6):
        env.reset(seed=seed)
        rates.add(env.unwrapped.student.params["rate"])
    assert len(rates) == 6


def test_sb3_view_stacks_history_and_reports_truncated_episodes():
    from teachgym.training.vector_sb3 import TeacherVecEnv

    env = TeacherVecEnv("teachgym/ToyCurriculum-v0", num_envs=3, history=2, seed=0, n_steps=4)
    obs = env.reset()
    assert obs.shape == (3, 2 * 101) and np.array_equal(obs[:, :101], obs[:, 101:])
    actions = -np.ones((3, 2), np.float32)  # [-1, 1] maps to the origin corner
    for _ in range(3):
        obs, rewards, dones, infos = env.step(actions)
        assert not dones.any()
    assert obs[0, 101] == pytest.approx(0.03) and obs[0, 0] == pytest.approx(0.02)  # newest last
    obs, rewards, dones, infos = env.step(actions)
    assert dones.all() and infos[0]["TimeLimit.truncated"] and infos[0]["episode"]["l"] == 4
    assert infos[0]["terminal_observation"][101] == pytest.approx(0.04) and obs[0, 0] == 0.0


def test_a_trained_teacher_file_runs_as_an_ordinary_teacher(tmp_path):
    from teachgym.teachers.learned.ppo_teacher import LearnedTeacher
    from teachgym.training.learned_teacher import LearnedTeacherConfig, paired_comparison, train

    config = LearnedTeacherConfig(env_id="teachgym/ToyCurriculumDiscrete-v0", env_kwargs={"n_steps": 16},
                                  total_timesteps=64, num_envs=4, rollout_steps=8, batch_size=16, n_epochs=1,
                                  history=3, out_dir=str(tmp_path), run_name="tiny", progress=False,
                                  checkpoint_every=32, eval_seeds=0)
    path, report = train(config)
    assert path.is_file() and (tmp_path / "tiny" / "progress.csv").is_file() and report["teacher_steps"] >= 64
    teacher = LearnedTeacher(path=str(path))
    result = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", teacher, 0, n_steps=16, population="held_out")
    assert result == teachgym.run("teachgym/ToyCurriculumDiscrete-v0", LearnedTeacher(path=str(path)), 0,
                                  n_steps=16, population="held_out")
    config.total_timesteps = 128  # resumes from the checkpoint
    _, report = train(config)
    assert report["teacher_steps"] == 64
    paired = paired_comparison({"learned": [2.0, 3.0, 4.0], "other": [1.0, 1.0, 1.0]}, "learned")["other"]
    assert paired["mean_difference"] == pytest.approx(2.0) and paired["excludes_zero"]
