"""Budget-relative defaults: resolved from the env's teaching budget, the paper's value at the paper's budget,
explicit values kept, the paper's value when no budget is published."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import teachgym
from teachgym.utils.budget import budget_relative, published_budget
from teachgym.teachers.curriculum.riac import RIACTeacher, budget_max_region_size

BOX = spaces.Box(0.0, 1.0, (2,), dtype=np.float32)


def _start(budget: int | None) -> dict:
    info = {"episode_start": True}
    if budget is not None:
        info["teaching_budget"] = budget
    return info


def _drive(teacher, space, budget, steps, seed=0):
    """Reset ``teacher``, act on a reset info with ``budget``, then feed ``steps`` synthetic outcomes; the lessons."""
    teacher.reset(space, None, seed=seed)
    outcome_rng = np.random.default_rng(seed + 100)
    info, lessons = _start(budget), []
    for _ in range(steps):
        lesson = teacher.act(None, info)
        lessons.append(np.asarray(lesson, dtype=np.float64).ravel())
        task = np.asarray(lesson, dtype=np.float64).ravel()
        outcome = float(task[0] < 0.4) * outcome_rng.uniform(0.3, 1.0)
        info = {"task": lesson, "outcome": outcome}
        teacher.update(lesson, 0.0, None, info)
    return np.array(lessons)


def test_budget_relative_is_the_papers_share_with_a_floor():
    assert budget_relative(20_000, 200, 20_000, 20) == 200
    assert budget_relative(40_000, 200, 20_000, 20) == 400
    assert budget_relative(1000, 200, 20_000, 20) == 20  # 10 is under the floor
    assert budget_relative(None, 200, 20_000, 20) == 200
    assert published_budget({"teaching_budget": 500}) == 500
    for info in ({}, None, {"teaching_budget": 0}, {"teaching_budget": "many"}, {"teaching_budget": True}):
        assert published_budget(info) is None


def test_riac_region_size_follows_the_budget():
    assert budget_max_region_size(20_000) == 200  # the ALP-GMM paper's toy run: teachDeepRL's value
    assert budget_max_region_size(5000) == 50 and budget_max_region_size(500) == 20
    teacher = RIACTeacher()
    for env_id, kwargs, size in (("teachgym/ToyCurriculum-v0", {"n_steps": 5000}, 50),
                                 ("teachgym/GridworldCurriculum-v0", {}, 20)):  # 500 teacher steps
        env = gym.make(env_id, **kwargs)
        obs, info = env.reset(seed=0)
        teacher.reset(env.action_space, env.observation_space, seed=0)
        teacher.act(obs, info)
        assert (teacher.max_region_size, teacher.alp_window) == (size, size)
        assert teacher.min_region_size == size / 20
        env.close()


def test_riac_explicit_values_and_no_budget():
    teacher = RIACTeacher(max_region_size=30)
    teacher.reset(BOX, None, seed=0)
    teacher.act(None, _start(5000))
    assert teacher.max_region_size == 30 and teacher.alp_window == 30
    teacher = RIACTeacher(alp_window=12, min_region_size=1.0)  # the size resolves, the given window stays
    teacher.reset(BOX, None, seed=0)
    teacher.act(None, _start(5000))
    assert (teacher.max_region_size, teacher.alp_window, teacher.min_region_size) == (50, 12, 1.0)
    teacher = RIACTeacher()
    teacher.reset(BOX, None, seed=0)
    teacher.act(None, _start(None))
    assert teacher.max_region_size == 200  # no published budget: the paper's value
    teacher = RIACTeacher(min_region_size=15.0)  # fits 200, not the 20 of a 500-step run
    teacher.reset(BOX, None, seed=0)
    with pytest.raises(teachgym.ConfigError, match="min_region_size"):
        teacher.act(None, _start(500))


def test_riac_default_at_the_papers_budget_is_the_explicit_paper_value_bit_for_bit():
    default = _drive(RIACTeacher(), BOX, 20_000, 900)
    explicit = _drive(RIACTeacher(max_region_size=200), BOX, 20_000, 900)
    np.testing.assert_array_equal(default, explicit)
    shorter = _drive(RIACTeacher(), BOX, 5000, 900)  # regions of 50 split earlier: other lessons
    assert not np.array_equal(default, shorter)


BANDITS = [("tscl-window", 10), ("tscl-sampling", 10), ("dump", 20)]


def _drive_arms(teacher, n_arms, budget, steps, seed=0):
    """Like :func:`_drive` on ``n_arms`` arms whose skill rises with practice at different rates, with noise."""
    teacher.reset(spaces.Discrete(n_arms), None, seed=seed)
    rng = np.random.default_rng(seed + 100)
    skill, rates = np.zeros(n_arms), np.linspace(0.002, 0.05, n_arms)
    info, lessons = _start(budget), []
    for _ in range(steps):
        arm = int(teacher.act(None, info))
        lessons.append(arm)
        skill[arm] += rates[arm] * (1.0 - skill[arm])
        info = {"outcome": float(skill[arm] + rng.normal(0.0, 0.05))}
        teacher.update(arm, 0.0, None, info)
    return np.array(lessons)


@pytest.mark.parametrize("name, paper", BANDITS)
def test_bandit_windows_follow_the_budget_above_the_reference(name, paper):
    space = spaces.Discrete(25)
    for budget, window in ((None, paper), (400, paper), (5000, paper), (20_000, 4 * paper), (12_345, round(paper * 2.469))):
        teacher = teachgym.make_teacher(name)
        teacher.reset(space, None, seed=0)
        teacher.act(None, _start(budget))
        assert teacher.window == window, (budget, teacher.window)
    teacher = teachgym.make_teacher(name, window=7)
    teacher.reset(space, None, seed=0)
    teacher.act(None, _start(20_000))
    assert teacher.window == 7  # a given value is kept


@pytest.mark.parametrize("name, paper", BANDITS)
def test_bandit_default_is_the_old_value_bit_for_bit_up_to_the_reference_and_differs_beyond(name, paper):
    default = _drive_arms(teachgym.make_teacher(name), 9, 5000, 600, seed=1)
    explicit = _drive_arms(teachgym.make_teacher(name, window=paper), 9, 5000, 600, seed=1)
    np.testing.assert_array_equal(default, explicit)
    longer = _drive_arms(teachgym.make_teacher(name), 9, 40_000, 600, seed=1)  # 8x the window
    assert not np.array_equal(default, longer)


def test_a_bandit_fed_before_its_first_lesson_keeps_its_buffers():
    teacher = teachgym.make_teacher("tscl-window")
    teacher.reset(spaces.Discrete(4), None, seed=0)
    teacher.update(1, 0.0, None, {"outcome": 0.5})
    teacher.act(None, _start(20_000))
    assert teacher.window == 10 and teacher._filled[1] == 1


@pytest.mark.parametrize("name", ["ucb", "thompson"])
def test_discounted_bandits_memory_follows_the_budget_above_the_reference(name):
    space = spaces.Discrete(25)
    for budget, discount in ((None, 0.99), (400, 0.99), (5000, 0.99), (20_000, 1.0 - 1.0 / 400), (7_500, 1.0 - 1.0 / 150)):
        teacher = teachgym.make_teacher(name)
        teacher.reset(space, None, seed=0)
        teacher.act(None, _start(budget))
        assert teacher.discount == discount and teacher._progress.discount == discount, (budget, teacher.discount)
    teacher = teachgym.make_teacher(name, discount=0.9)
    teacher.reset(space, None, seed=0)
    teacher.act(None, _start(20_000))
    assert teacher.discount == 0.9 and teacher._progress.discount == 0.9  # a given value is kept


@pytest.mark.parametrize("name", ["ucb", "thompson"])
def test_discounted_bandits_default_is_the_old_value_bit_for_bit_up_to_the_reference_and_differs_beyond(name):
    default = _drive_arms(teachgym.make_teacher(name), 9, 5000, 600, seed=2)
    explicit = _drive_arms(teachgym.make_teacher(name, discount=0.99), 9, 5000, 600, seed=2)
    np.testing.assert_array_equal(default, explicit)
    longer = _drive_arms(teachgym.make_teacher(name), 9, 40_000, 600, seed=2)  # 8x the memory
    assert not np.array_equal(default, longer)
