"""Challenge profiles: env kwargs that keep the default env bit for bit, what each profile changes,
budget-relative teacher defaults, and the profile suite's data."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.leaderboard import get_suite

TOY, TOY_D = "teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0"

# Scores of the code before the profile kwargs and the budget-relative GMM defaults existed (same seeds).
GOLDEN = [
    (TOY, "alp-gmm", {}, [36.0, 40.0]),  # the paper's budget: ALP-GMM's fit_rate resolves to its 250
    (TOY, "covar-gmm", {}, [72.0, 61.0]),
    (TOY, "random", {}, [4.0, 5.0]),
    (TOY, "easy-to-hard", {"n_steps": 3000}, [9.0, 9.0]),
    (TOY_D, "exp3", {"n_steps": 5000}, [4.0, 4.0]),
    (TOY_D, "thompson", {"n_steps": 5000, "outcome_noise": 0.1}, [1.0, 1.0]),
    (TOY, "riac", {"n_steps": 5000, "n_useless_dims": 2}, [4.0, 4.0]),
    (TOY, "random", {"n_steps": 5000, "population": "train"}, [1.0, 0.0]),
]


@pytest.mark.parametrize("env_id, teacher, kwargs, scores", GOLDEN, ids=[f"{g[1]}-{i}" for i, g in enumerate(GOLDEN)])
def test_defaults_keep_the_scores_of_every_seed(env_id, teacher, kwargs, scores):
    assert [teachgym.run(env_id, teacher, seed, **kwargs).score for seed in range(2)] == pytest.approx(scores)


@pytest.mark.parametrize("env_id", [TOY, TOY_D])
def test_explicit_default_profile_kwargs_give_the_same_lessons(env_id):
    plain = teachgym.run(env_id, "random", 3, n_steps=400, outcome_noise=0.1)
    explicit = teachgym.run(env_id, "random", 3, n_steps=400, outcome_noise=0.1, task_range=(0.0, 1.0),
                            cell_order="ascending")
    np.testing.assert_array_equal(plain.lessons, explicit.lessons)
    np.testing.assert_array_equal(plain.outcomes, explicit.outcomes)
    assert plain.curve == explicit.curve and plain.score == explicit.score


def test_alp_gmm_fit_rate_is_relative_to_the_teaching_budget_and_exact_on_the_toy_env():
    from teachgym.teachers.curriculum.alp_gmm import budget_fit_rate

    assert budget_fit_rate(20_000) == 250 and budget_fit_rate(None) == 250
    assert budget_fit_rate(5000) == 62 and budget_fit_rate(500) == 50  # ten fits in a 500-step run
    default = teachgym.run(TOY, "alp-gmm", 0)
    explicit = teachgym.run(TOY, "alp-gmm", 0, teacher_kwargs={"fit_rate": 250})
    np.testing.assert_array_equal(default.lessons, explicit.lessons)  # bit-identical reproduction
    teacher = teachgym.make_teacher("covar-gmm")
    env = gym.make("teachgym/GridworldCurriculum-v0")
    obs, info = env.reset(seed=0)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    teacher.act(obs, info)
    assert teacher.fit_rate == 50  # 500 teacher steps
    assert teachgym.make_teacher("alp-gmm", fit_rate=30).fit_rate == 30  # a given value is kept


def _env(**kwargs):
    env = gym.make(TOY, n_steps=50, **kwargs)
    obs, info = env.reset(seed=0)
    return env, obs, info


def test_unfeasible_and_trivial_tasks_teach_nothing():
    env, obs, info = _env(task_range=(-1.0, 2.0))
    assert env.action_space.low.tolist() == [-1.0, -1.0] and env.action_space.high.tolist() == [2.0, 2.0]
    for task, outcome in (([1.5, 0.05], 0.0), ([0.05, -0.5], 1.0), ([1.5, -0.5], 0.0)):
        obs, reward, _, _, info = env.step(np.array(task, dtype=np.float32))
        assert info["outcome"] == outcome and reward == 0.0 and not obs[:-1].any()
    obs, reward, _, _, info = env.step(np.array([0.05, 0.05], dtype=np.float32))
    assert info["outcome"] == pytest.approx(0.01) and obs[0] == pytest.approx(0.01)


def test_descending_cells_start_at_the_far_corner_without_a_schedule():
    env, obs, info = _env(cell_order="descending")
    assert "easy_to_hard" not in info
    _, _, _, _, info = env.step(np.array([0.05, 0.05], dtype=np.float32))
    assert info["outcome"] == 0.0
    obs, _, _, _, info = env.step(np.array([0.95, 0.95], dtype=np.float32))
    assert info["outcome"] == pytest.approx(0.01) and obs[99] == pytest.approx(0.01)  # the last cell, row-major


def test_shuffled_cells_are_rugged_and_observed_in_the_teachers_layout():
    env, obs, info = _env(cell_order="shuffled")
    assert "easy_to_hard" not in info
    permutation = env.unwrapped._cell_permutation
    assert sorted(permutation[0]) == list(range(10)) and not np.array_equal(permutation[0], np.arange(10))
    origin = [int(np.flatnonzero(permutation[d] == 0)[0]) for d in range(2)]  # teacher cell of the student's origin
    task = (np.array(origin) + 0.5) / 10
    obs, _, _, _, info = env.step(task.astype(np.float32))
    assert info["outcome"] == pytest.approx(0.01) and obs[origin[0] * 10 + origin[1]] == pytest.approx(0.01)
    np.testing.assert_array_equal(info["task"], task.astype(np.float32))  # the teacher's task is reported
    if origin != [0, 0]:
        _, _, _, _, info = env.step(np.array([0.05, 0.05], dtype=np.float32))
        assert info["outcome"] == 0.0


@pytest.mark.parametrize("kwargs, field", [({"task_range": (0.5, 1.0)}, "task_range"),
                                           ({"task_range": (0.0,)}, "task_range"),
                                           ({"cell_order": "sideways"}, "cell_order")])
def test_bad_profile_kwargs_name_the_field(kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        gym.make(TOY, **kwargs)


def test_the_vector_env_refuses_profiles_it_does_not_implement():
    from teachgym.envs.curriculum.toy_vector import ToyCurriculumVectorEnv

    with pytest.raises(teachgym.ConfigError, match="cell_order"):
        ToyCurriculumVectorEnv(num_envs=2, cell_order="shuffled")


PROFILES = {"unfeasible", "trivial", "distractors", "forgetting", "noisy", "rugged", "population", "no-prior"}


def test_the_profile_suite_covers_every_challenge_with_a_description_and_valid_envs():
    suite = get_suite("profiles")
    assert {e.profile for e in suite.envs} == PROFILES
    for entry in suite.envs:
        assert len(entry.description) > 40, entry.label
        env = gym.make(entry.env_id, **entry.kwargs)
        env.close()
    assert suite.tuning is not None and suite.tuning.configs >= 2
