"""RIAC teacher: determinism, region splitting, focus on learning progress, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import teachgym
from teachgym.teachers.curriculum.riac import RIACTeacher

BOX = spaces.Box(0.0, 1.0, (2,), dtype=np.float32)


def _fresh(seed=0, space=BOX, **kwargs) -> RIACTeacher:
    teacher = RIACTeacher(**kwargs)
    teacher.reset(space, None, seed=seed)
    return teacher


def _feed(teacher, task, outcome):
    teacher.update(np.asarray(task, dtype=np.float32), 0.0, None, {"task": np.asarray(task), "outcome": outcome})


def test_same_seed_same_run_on_toy_env():
    first = teachgym.run("teachgym/ToyCurriculum-v0", "riac", seed=3, n_steps=3000)
    second = teachgym.run("teachgym/ToyCurriculum-v0", "riac", seed=3, n_steps=3000)
    other = teachgym.run("teachgym/ToyCurriculum-v0", "riac", seed=4, n_steps=3000)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    assert first.score == second.score
    assert not np.array_equal(first.lessons, other.lessons)


def test_a_full_region_splits_and_reset_forgets():
    teacher = _fresh(max_region_size=200)
    rng = np.random.default_rng(0)
    for t in range(200):
        task = rng.uniform(0, 1, 2)
        _feed(teacher, task, t / 200 if task[0] < 0.5 else 0.0)
    assert teacher.n_regions == 1  # holding max_region_size pairs is not yet "more than"
    _feed(teacher, rng.uniform(0, 1, 2), 0.0)
    assert teacher.n_regions == 3
    low, high = teacher.region_bounds()
    # The children tile the root along one dimension.
    assert np.sum(low[1:] == low[0], axis=0).tolist().count(2) == 1
    np.testing.assert_array_equal(np.minimum(low[1], low[2]), low[0])
    np.testing.assert_array_equal(np.maximum(high[1], high[2]), high[0])
    teacher.reset(BOX, None, seed=0)
    assert teacher.n_regions == 1 and teacher.learning_progress().tolist() == [0.0]


def test_no_valid_cut_discards_oldest_pairs_instead_of_splitting():
    teacher = _fresh(max_region_size=40)
    for _ in range(500):  # one repeated task: no cut can populate both children
        _feed(teacher, [0.3, 0.3], 1.0)
    assert teacher.n_regions == 1


def test_samples_the_sub_box_where_outcomes_rise():
    teacher = _fresh(seed=1)
    rng = np.random.default_rng(1)
    practice = 0
    inside_late = []
    for t in range(6000):
        task = teacher.act(None, {})
        inside = bool(np.all(task < 0.3))  # 9 % of the volume
        if inside:
            practice += 1
            outcome = min(1.0, practice / 1500) + 0.05 * rng.standard_normal()
        else:
            outcome = 0.2 + 0.05 * rng.standard_normal()
        _feed(teacher, task, outcome)
        if t >= 3000:
            inside_late.append(inside)
    share = np.mean(inside_late)
    assert share > 0.3, f"RIAC practised the progressing sub-box {share:.0%} of the time (volume 9 %)"


def test_works_on_other_box_shapes_and_bounds():
    space = spaces.Box(np.array([[-5.0, 0.0], [10.0, 2.0]], np.float32), np.array([[5.0, 1.0], [20.0, 3.0]], np.float32))
    teacher = _fresh(space=space, max_region_size=20)
    for t in range(300):
        action = teacher.act(None, {})
        assert action.shape == (2, 2) and action.dtype == np.float32 and space.contains(action)
        teacher.update(action, 0.0, None, {"task": action, "outcome": float(action.sum() * (t % 7))})
    assert teacher.n_regions > 1


def test_unbounded_box_is_refused():
    with pytest.raises(teachgym.ConfigError, match="bounded"):
        _fresh(space=spaces.Box(-np.inf, np.inf, (2,), dtype=np.float32))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_region_size", 1),
        ("max_region_size", 2.5),
        ("alp_window", 1),
        ("nb_split_attempts", 0),
        ("min_region_size", 1000),
        ("min_dims_range_ratio", 0.75),
        ("discard_ratio", 0.0),
        ("random_task_ratio", 1.5),
        ("worst_task_ratio", -0.1),
        ("mutation_std", float("nan")),
        ("sample_leaves_only", "yes"),
    ],
)
def test_invalid_settings_name_the_field(field, value):
    with pytest.raises(teachgym.ConfigError, match=field):
        RIACTeacher(**{field: value})


def test_ratios_that_sum_above_one_are_refused():
    with pytest.raises(teachgym.ConfigError, match="random_task_ratio"):
        RIACTeacher(random_task_ratio=0.6, worst_task_ratio=0.5)


_OUTCOMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 1e300, -1e300, 1.7e308, float("nan"), float("inf"), float("-inf")]),
)
_TASKS = st.one_of(
    st.sampled_from([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.5]]),
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2),
    st.sampled_from([[float("nan"), 0.5], [2.0, -1.0], [0.5], "not a task"]),  # skipped, never fatal
    st.just(None),  # None: practise the teacher's own action
)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.lists(st.tuples(_TASKS, _OUTCOMES), min_size=1, max_size=120))
def test_degenerate_outcomes_always_yield_valid_actions(seed, steps):
    teacher = _fresh(seed=seed, max_region_size=12, nb_split_attempts=5)
    for task, outcome in steps:
        action = teacher.act(None, {})
        assert action.dtype == np.float32 and BOX.contains(action), action
        practised = action if task is None else task
        teacher.update(action, 0.0, None, {"task": practised, "outcome": outcome})
    assert np.all(np.isfinite(teacher.learning_progress()))
    assert BOX.contains(teacher.act(None, {}))


def test_constant_outcomes_keep_sampling_everywhere():
    teacher = _fresh(seed=2, max_region_size=30)
    tasks = []
    for _ in range(2000):
        action = teacher.act(None, {})
        teacher.update(action, 0.0, None, {"task": action, "outcome": 0.5})
        tasks.append(action)
    assert np.all(teacher.learning_progress() == 0.0)
    # Zero progress everywhere: regions are picked uniformly, so no quadrant is starved.
    quadrant_counts = np.bincount((np.asarray(tasks) >= 0.5) @ [2, 1], minlength=4)
    assert quadrant_counts.min() > 300, quadrant_counts
