"""Discrete-task bandit teachers: determinism, focus on learning progress, robustness, config checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import teachgym
from teachgym.teachers.common.bandit import arm_of, argmax_random

BANDITS = ["tscl-window", "tscl-sampling", "exp3", "ucb", "thompson"]


def _fresh(name: str, n_arms: int, seed: int = 0, start: int = 0, **kwargs):
    teacher = teachgym.make_teacher(name, **kwargs)
    teacher.reset(spaces.Discrete(n_arms, start=start), None, seed=seed)
    return teacher


def _drive(teacher, outcome_of, steps: int) -> list[int]:
    """Run a hand-made teaching loop; ``outcome_of(arm, visits)`` gives the outcome of a practice."""
    visits: dict[int, int] = {}
    chosen = []
    for _ in range(steps):
        action = teacher.act(None, {})
        arm = action - int(teacher.action_space.start)
        visits[arm] = visits.get(arm, 0) + 1
        teacher.update(action, 0.0, None, {"outcome": outcome_of(arm, visits[arm])})
        chosen.append(arm)
    return chosen


@pytest.mark.parametrize("name", BANDITS)
def test_same_seed_same_lessons_on_toy_env(name):
    first = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", name, seed=5, n_steps=1500)
    second = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", name, seed=5, n_steps=1500)
    other = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", name, seed=6, n_steps=1500)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    assert first.score == second.score
    assert not np.array_equal(first.lessons, other.lessons)


@pytest.mark.parametrize("name", BANDITS)
def test_lessons_do_not_depend_on_the_reward_mode(name):
    # The teachers learn from info["outcome"] and their own actions, never from the env reward.
    runs = [teachgym.run("teachgym/ToyCurriculumDiscrete-v0", name, seed=2, n_steps=600, reward_mode=mode)
            for mode in ("mastery_gain", "outcome")]
    assert not np.array_equal(runs[0].rewards, runs[1].rewards)
    np.testing.assert_array_equal(runs[0].lessons, runs[1].lessons)


@pytest.mark.parametrize("name", BANDITS)
def test_reset_forgets_the_previous_run(name):
    used = _fresh(name, 6, seed=1)
    _drive(used, lambda arm, k: 0.1 * k if arm == 2 else float(arm), 300)
    used.reset(spaces.Discrete(6), None, seed=9)
    new = _fresh(name, 6, seed=9)

    def outcome_of(arm, k):
        return math.sin(arm + k)

    assert _drive(used, outcome_of, 200) == _drive(new, outcome_of, 200)


@pytest.mark.parametrize("name", BANDITS)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_arm_that_keeps_improving_is_practised_most(name, seed):
    n_arms, steps, improving = 5, 1000, 3
    noise = np.random.default_rng(seed)

    def outcome_of(arm, k):
        if arm == improving:
            return 0.02 * k  # steady progress: |LP| = 0.02 per practice
        return 0.5 + 0.002 * noise.standard_normal()  # flat tasks: only measurement noise

    chosen = np.asarray(_drive(_fresh(name, n_arms, seed=seed), outcome_of, steps))
    share = np.mean(chosen == improving)
    assert share > 2.5 / n_arms, f"{name} practised the improving task {share:.0%} of the time"


@pytest.mark.parametrize("name", ["tscl-window", "tscl-sampling"])
def test_tscl_also_revisits_a_task_being_forgotten(name):
    # Matiisen et al.: the teacher follows |slope|, so a falling score attracts practice too.
    chosen = np.asarray(_drive(_fresh(name, 4, seed=0), lambda arm, k: -0.05 * k if arm == 1 else 0.3, 500))
    assert np.mean(chosen == 1) > 0.5


@pytest.mark.parametrize("name", BANDITS)
def test_a_task_whose_outcome_is_always_nan_is_not_favoured(name):
    # A never-measurable task counts as making no progress, so it cannot stay "untried" forever.
    chosen = np.asarray(_drive(_fresh(name, 4, seed=0), lambda arm, k: math.nan if arm == 0 else 0.01 * k * arm, 400))
    assert np.mean(chosen == 0) < 0.1
    assert np.argmax(np.bincount(chosen, minlength=4)) == 3


def test_tscl_window_slope_is_the_regression_slope():
    teacher = _fresh("tscl-window", 3, epsilon=0.0)
    for t in range(15):  # arm 0 every step, so times are 1..15; the window keeps the last 10
        teacher.update(0, 0.0, None, {"outcome": 3.0 + 0.5 * t if t < 12 else 100.0})
    times, scores = np.arange(6, 16), np.array([3.0 + 0.5 * t if t < 12 else 100.0 for t in range(5, 15)])
    expected = np.polyfit(times, scores, 1)[0]
    assert teacher.learning_progress()[0] == pytest.approx(expected)
    assert teacher.learning_progress()[1:].tolist() == [0.0, 0.0]


def test_exp3_probabilities_keep_the_exploration_floor():
    teacher = _fresh("exp3", 4, gamma=0.2)
    _drive(teacher, lambda arm, k: 0.1 * k if arm == 0 else 0.0, 2000)
    probabilities = teacher.probabilities()
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities.min() >= 0.2 / 4 - 1e-12
    assert probabilities.argmax() == 0


def test_untried_arms_come_first_for_ucb_thompson_and_sampling():
    for name in ["ucb", "thompson", "tscl-sampling"]:
        chosen = _drive(_fresh(name, 7, seed=3), lambda arm, k: 1.0 if arm == 0 else 0.0, 14)
        assert sorted(chosen) == sorted(list(range(7)) * 2), name  # two outcomes each measure the first LP


def test_helpers():
    space = spaces.Discrete(4, start=2)
    assert [arm_of(a, space) for a in (2, np.int64(5), np.array([3]), 1, 6, 2.5, "x", np.nan)] == [
        0, 3, 1, None, None, None, None, None]
    rng = np.random.default_rng(0)
    assert {argmax_random(np.array([1.0, 3.0, 3.0, np.nan]), rng) for _ in range(50)} == {1, 2}


OUTCOMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324]),
    st.none(),
    st.just("not a number"),
)


VARIANTS = [(name, {}) for name in BANDITS] + [
    ("tscl-window", {"policy": "boltzmann", "temperature": 1e-300}),
    ("tscl-sampling", {"epsilon": 0.2, "window": 1}),
    ("exp3", {"share": 0.05, "gamma": 1.0}),
    ("ucb", {"discount": 0.5, "c": 0.0}),
    ("thompson", {"discount": 1.0, "sigma": 1e-300}),
]


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS)
@settings(max_examples=100, deadline=None)
@given(
    n_arms=st.integers(1, 6),
    start=st.integers(-3, 3),
    seed=st.integers(0, 2**32 - 1),
    outcomes=st.lists(OUTCOMES, min_size=1, max_size=60),
    constant_tail=st.integers(0, 40),
)
def test_any_outcomes_give_valid_arms_without_warnings(name, kwargs, n_arms, start, seed, outcomes, constant_tail):
    teacher = _fresh(name, n_arms, seed=seed, start=start, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value RuntimeWarning is a bug
        for outcome in outcomes + [0.25] * constant_tail:
            action = teacher.act(None, {})
            assert isinstance(action, int) and start <= action < start + n_arms
            info = {} if outcome is None else {"outcome": outcome}
            teacher.update(action, float("nan"), None, info)
        teacher.update(start + n_arms, 0.0, None, {"outcome": 1.0})  # not an arm: ignored
        assert start <= teacher.act(None, {}) < start + n_arms


@pytest.mark.parametrize(
    ("name", "kwargs", "field"),
    [
        ("tscl-window", {"window": 1}, "window"),
        ("tscl-window", {"epsilon": 1.5}, "epsilon"),
        ("tscl-window", {"policy": "greedy"}, "policy"),
        ("tscl-window", {"temperature": 0.0}, "temperature"),
        ("tscl-sampling", {"window": 0}, "window"),
        ("tscl-sampling", {"window": 2.5}, "window"),
        ("tscl-sampling", {"epsilon": -0.1}, "epsilon"),
        ("exp3", {"gamma": 0.0}, "gamma"),
        ("exp3", {"gamma": float("nan")}, "gamma"),
        ("exp3", {"share": -0.1}, "share"),
        ("ucb", {"discount": 1.01}, "discount"),
        ("ucb", {"c": -1.0}, "c"),
        ("thompson", {"discount": 0.0}, "discount"),
        ("thompson", {"sigma": 0.0}, "sigma"),
    ],
)
def test_invalid_hyperparameters_raise_config_error(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=rf"^{field} must"):
        teachgym.make_teacher(name, **kwargs)


@pytest.mark.parametrize("name", BANDITS)
def test_box_action_spaces_are_refused(name):
    with pytest.raises(teachgym.ConfigError, match="Discrete"):
        teachgym.make_teacher(name).reset(spaces.Box(0.0, 1.0, (2,)), None, seed=0)
