"""SEC, DUMP and learnability teachers: they read the GRPO env's info keys and fall back elsewhere."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from gymnasium import spaces

import teachgym
from teachgym.lessons import MixtureBox, MixtureLessons
from teachgym.teachers.grpo import arm_signals


def _step_info(arm_values: dict[int, float], key: str, n_arms: int, accuracy=None) -> dict:
    share = np.zeros(n_arms)
    share[list(arm_values)] = 1.0 / len(arm_values)
    info = {key: dict(arm_values), "arm_share": share, "outcome": 0.5, "budget_used": 0.5}
    if accuracy is not None:
        info["arm_accuracy"] = np.asarray(accuracy, dtype=float)
    return info


def _counts(teacher, space, n_steps, signal, key, accuracy=None):
    """Drive ``teacher`` with a fixed per-arm signal; return how often each arm was chosen."""
    teacher.reset(space, None, seed=0)
    info = {"budget_used": 0.0} if accuracy is None else {"budget_used": 0.0, "arm_accuracy": accuracy}
    counts = np.zeros(space.n)
    for _ in range(n_steps):
        arm = teacher.act(None, info)
        counts[arm] += 1
        info = _step_info({arm: signal[arm]}, key, space.n, accuracy)
        teacher.update(arm, 0.0, None, info)
    return counts


def test_doctests_of_the_shared_helpers_pass():
    assert doctest.testmod(arm_signals).failed == 0


@pytest.mark.parametrize("name", ["sec", "dump"])
def test_advantage_teachers_prefer_the_arm_with_the_largest_mean_abs_advantage(name):
    signal = np.array([0.0, 0.1, 0.9, 0.2, 0.0])  # arm 2: groups with mixed rewards, the most to learn
    counts = _counts(teachgym.make_teacher(name), spaces.Discrete(5), 300, signal, "arm_advantage_abs")
    assert counts.argmax() == 2 and counts[2] > 0.6 * counts.sum()
    assert np.all(counts > 0)  # every arm was tried


def test_learnability_targets_success_rates_near_one_half():
    success = np.array([1.0, 0.0, 0.5, 0.9, 0.05])
    counts = _counts(teachgym.make_teacher("learnability"), spaces.Discrete(5), 400, success, "arm_reward_mean")
    assert counts.argmax() == 2
    assert counts[0] < 0.05 * counts.sum() and counts[1] < 0.05 * counts.sum()


def test_learnability_starts_from_the_envs_probe_accuracy():
    teacher = teachgym.make_teacher("learnability", explore=0.0)
    teacher.reset(spaces.Discrete(3), None, seed=0)
    probabilities = teacher.distribution({"arm_accuracy": [1.0, 0.5, 0.0]})
    np.testing.assert_allclose(probabilities, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("name", ["sec", "dump", "learnability"])
def test_box_lessons_are_mixture_weights_and_credit_each_arm_its_share(name):
    teacher = teachgym.make_teacher(name, explore=0.0)
    space = MixtureLessons(["a", "b", "c", "d"]).action_space
    teacher.reset(space, None, seed=0)
    key = "arm_reward_mean" if name == "learnability" else "arm_advantage_abs"
    good = 0.5 if name == "learnability" else 1.0
    info = {"budget_used": 0.0}
    for _ in range(60):
        weights = teacher.act(None, info)
        assert space.contains(weights) and weights.sum() == pytest.approx(1.0, abs=1e-5)
        info = {key: {0: 0.0, 1: good, 2: 0.0, 3: 0.0}, "budget_used": 0.5}
        teacher.update(weights, 0.0, None, info)
    assert teacher.act(None, info).argmax() == 1


def test_sec_is_a_td0_bandit_with_boltzmann_choice():
    teacher = teachgym.make_teacher("sec", alpha=0.5, initial_value=0.0, temperature=1.0)
    teacher.reset(spaces.Discrete(2), None, seed=0)
    teacher.update(1, 0.0, None, {"arm_advantage_abs": {1: 0.8}})
    teacher.update(1, 0.0, None, {"arm_advantage_abs": {1: 0.8}})
    np.testing.assert_allclose(teacher.values, [0.0, 0.6])  # 0.4, then 0.4 + 0.5 * (0.8 - 0.4)
    np.testing.assert_allclose(teacher.distribution({}), np.exp([0.0, 0.6]) / np.exp([0.0, 0.6]).sum())


def test_dump_tries_every_arm_before_trusting_its_bounds():
    teacher = teachgym.make_teacher("dump", explore=0.0)
    teacher.reset(spaces.Discrete(4), None, seed=0)
    seen = set()
    for _ in range(4):
        arm = teacher.act(None, {})
        seen.add(arm)
        teacher.update(arm, 0.0, None, {"arm_advantage_abs": {arm: 0.3}})
    assert seen == {0, 1, 2, 3} and np.all(np.isfinite(teacher.upper_bounds()))


@pytest.mark.parametrize("name", ["sec", "dump"])
def test_without_grpo_keys_the_advantage_teachers_learn_from_outcome_progress(name):
    """On a non-GRPO env the signal is |outcome change|: the arm whose outcome moves wins."""
    teacher = teachgym.make_teacher(name, explore=0.0)
    space = spaces.Discrete(3)
    teacher.reset(space, None, seed=1)
    level = np.zeros(3)
    counts = np.zeros(3)
    info = {"budget_used": 0.0}
    for _ in range(300):
        arm = teacher.act(None, info)
        counts[arm] += 1
        level[arm] += 1.0 if arm == 0 else 0.0  # only arm 0 makes progress
        info = {"outcome": level[arm], "budget_used": 0.5}
        teacher.update(arm, 0.0, None, info)
    assert counts.argmax() == 0


@pytest.mark.parametrize("name", ["sec", "dump", "learnability"])
def test_degenerate_signals_never_break_the_teachers(name):
    teacher = teachgym.make_teacher(name)
    teacher.reset(spaces.Discrete(3), None, seed=0)
    bad = [{"arm_advantage_abs": {0: np.nan, 1: np.inf, 7: 1.0, "x": 2.0}, "arm_reward_mean": {2: -np.inf}},
           {"arm_advantage_abs": "junk", "advantage_abs_mean": 1e308, "outcome": np.nan},
           {"arm_accuracy": [np.nan, 2.0, -1.0], "arm_reward_mean": {0: 1e300}}, {}]
    for info in bad * 5:
        arm = teacher.act(None, info)
        assert 0 <= arm < 3
        teacher.update(arm, np.nan, None, info)
        teacher.update("not an arm", 0.0, None, info)


@pytest.mark.parametrize("name, kwargs, field", [
    ("sec", {"alpha": 0.0}, "alpha"), ("sec", {"temperature": -1.0}, "temperature"),
    ("dump", {"window": 0}, "window"), ("dump", {"c": -0.5}, "c"),
    ("learnability", {"smoothing": 1.5}, "smoothing"), ("learnability", {"prior": 2.0}, "prior"),
    ("sec", {"explore": 1.5}, "explore"),
])
def test_invalid_hyperparameters_name_the_field(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        teachgym.make_teacher(name, **kwargs)


@pytest.mark.parametrize("name", ["sec", "dump", "learnability"])
def test_a_plain_box_is_not_read_as_mixture_weights(name):
    """Task-parameter Boxes (ToyCurriculum-v0) are refused; only a MixtureBox is a mixture."""
    cls = teachgym.teacher_registry.entry(name).load()
    box = spaces.Box(0.0, 1.0, (2,), np.float32)
    mixture = MixtureLessons(["a", "b"]).action_space
    assert not isinstance(box, cls.supported_spaces) and isinstance(mixture, cls.supported_spaces)
    with pytest.raises(teachgym.ConfigError, match="MixtureBox"):
        teachgym.make_teacher(name).reset(box, None, seed=0)
    # Every other reader still sees a Box: generic Box teachers run on mixture envs too.
    assert isinstance(mixture, spaces.Box) and repr(mixture).startswith("MixtureBox(")
    random = teachgym.make_teacher("random")
    random.reset(mixture, None, seed=0)
    assert mixture.contains(random.act(None, {}))


@pytest.mark.parametrize("name", ["sec", "dump", "learnability"])
def test_degenerate_outcomes_on_mixture_lessons(name):
    space = MixtureBox(np.zeros(3, np.float32), np.ones(3, np.float32), dtype=np.float32)
    teacher = teachgym.make_teacher(name)
    teacher.reset(space, None, seed=0)
    info = {"budget_used": 0.0}
    for outcome in [np.nan, np.inf, -np.inf, 1e300, -1e300, 0.0, 1.0] * 6:
        weights = teacher.act(None, info)
        assert space.contains(weights), weights
        info = {"outcome": outcome, "task": weights, "budget_used": 0.5,
                "arm_advantage_abs": {0: outcome}, "arm_reward_mean": {1: outcome}}
        teacher.update(weights, outcome, None, info)
        teacher.update(np.full(3, np.nan), 0.0, None, info)
