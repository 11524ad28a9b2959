"""The competence-grid student and ToyCurriculum env behave as the ALP-GMM paper's toy env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.students.curriculum.competence_grid import CompetenceGridStudent


def _student(**kwargs) -> CompetenceGridStudent:
    student = CompetenceGridStudent(**kwargs)
    student.reset(np.random.default_rng(0))
    return student


def test_only_the_origin_cell_learns_from_scratch():
    student = _student()
    assert student.learn([0.05, 0.05]).outcome == pytest.approx(0.01)
    assert student.learn([0.15, 0.05]).outcome == 0.0  # locked: no mastered previous neighbour
    assert student.learn([0.95, 0.95]).outcome == 0.0


def test_a_cell_unlocks_at_75_and_is_mastered_above_75():
    student = _student()
    student.learn([0.0, 0.0], budget=74)
    assert student.learn([0.15, 0.0]).outcome == 0.0
    student.learn([0.0, 0.0])  # competence 75: unlocks neighbours but is not yet mastered
    assert student.n_mastered == 0
    assert student.learn([0.15, 0.0]).outcome == pytest.approx(0.01)
    assert student.learn([0.15, 0.15]).outcome == pytest.approx(0.01)  # diagonal previous neighbour counts
    student.learn([0.0, 0.0])
    assert student.n_mastered == 1 and student.mastered_fraction == pytest.approx(0.01)
    student.learn([0.0, 0.0], budget=500)
    assert student.competence_grid()[0, 0] == 100  # capped


def test_useless_dimensions_and_bounds():
    student = _student(n_dims=2)
    assert student.cell_of([1.0, 1.0, 0.3, 0.9]) == 99  # 1.0 falls in the last cell; extra dims ignored
    assert student.cell_of([0.0, 0.0, 0.99]) == 0


def test_student_state_round_trip():
    a = _student(outcome_noise=0.1)
    for x in np.linspace(0, 0.3, 300):
        a.learn([x, x / 2])
    b = _student(outcome_noise=0.1)
    b.load_state_dict(a.state_dict())
    assert b.n_mastered == a.n_mastered
    for x in np.linspace(0, 0.3, 50):
        assert a.learn([x, 0.1]).outcome == b.learn([x, 0.1]).outcome


def test_invalid_student_config_names_the_field():
    with pytest.raises(teachgym.ConfigError, match="n_cells"):
        CompetenceGridStudent(n_cells=0)
    with pytest.raises(teachgym.ConfigError, match="unlock_threshold"):
        CompetenceGridStudent(unlock_threshold=101)
    with pytest.raises(teachgym.ConfigError, match="reward_mode"):
        gym.make("teachgym/ToyCurriculum-v0", reward_mode="joy")


def test_return_is_the_final_mastered_fraction():
    result = teachgym.run("teachgym/ToyCurriculum-v0", "easy-to-hard", seed=0, n_steps=4000)
    assert result.score > 0
    assert result.episode_return == pytest.approx(result.score / 100)


def test_defaults_are_the_papers():
    env = gym.make("teachgym/ToyCurriculum-v0").unwrapped
    assert env.n_steps == 20_000 and env.student.n_cells == 10 and env.student.n_dims == 2
    assert env.observation_space.shape == (101,) and env.action_space.shape == (2,)
    discrete = gym.make("teachgym/ToyCurriculumDiscrete-v0").unwrapped
    assert discrete.action_space.n == 25


def test_discrete_arm_draws_tasks_inside_its_region():
    env = gym.make("teachgym/ToyCurriculumDiscrete-v0", n_steps=200).unwrapped
    env.reset(seed=0)
    for _ in range(100):
        _, _, _, _, info = env.step(7)  # arm 7 = row 1, column 2 of the 5x5 grid
        assert 0.2 <= info["task"][0] <= 0.4 and 0.4 <= info["task"][1] <= 0.6


def test_alp_gmm_beats_random_as_in_the_paper():
    """Paper: ALP-GMM 36-38 % mastered after 20k episodes, random ~4 %."""
    alp = teachgym.run("teachgym/ToyCurriculum-v0", "alp-gmm", seed=0)
    rnd = teachgym.run("teachgym/ToyCurriculum-v0", "random", seed=0)
    assert rnd.score < 10
    assert alp.score >= 30
    assert alp.curve[-1] == (20_000, alp.score)
