"""Tutoring students: recall stays a probability, the documented equations hold, seeds and checkpoints work."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teachgym.students.tutoring.actr import ACTRStudent
from teachgym.students.tutoring.bkt import PrerequisiteBKTStudent, check_prerequisites, layered_prerequisites
from teachgym.students.tutoring.forgetting import EFCStudent, HLRStudent
from teachgym.validation import ConfigError

# Parameter draws over (and beyond) the populations' ranges, including the extremes the validators allow.
EFC_PARAMS = st.fixed_dictionaries({"log_theta_mean": st.floats(-20, 20), "log_theta_std": st.floats(0, 5),
                                    "strength_gain": st.floats(0, 1e3)})
HLR_PARAMS = st.fixed_dictionaries({"weights": st.tuples(*[st.floats(-10, 10)] * 3), "difficulty_std": st.floats(0, 5),
                                    "ability_std": st.floats(0, 5),
                                    "base": st.sampled_from([math.e, 2.0, 1.0001, 1e6])})
ACTR_PARAMS = st.fixed_dictionaries({"decay_scale": st.floats(0, 10), "decay_intercept": st.floats(1e-3, 10),
                                     "threshold": st.floats(-100, 100), "noise": st.floats(1e-3, 100),
                                     "item_std": st.floats(0, 5), "student_std": st.floats(0, 5)})
COMMON = st.fixed_dictionaries({"n_items": st.integers(1, 12), "intro_log_mean": st.floats(-20, 20),
                                "intro_log_std": st.floats(0, 5), "student_seed": st.none() | st.integers(0, 2**32)})
SCHEDULES = st.lists(st.tuples(st.integers(0, 11), st.sampled_from([0.0, 1e-9, 0.5, 5.0, 300.0, 1e6]),
                               st.integers(1, 3)), min_size=0, max_size=30)


def _check_recall(student) -> None:
    recall = student.recall_probabilities()
    assert recall.shape == (student.n_items,)
    assert np.all(np.isfinite(recall)) and np.all((recall >= 0.0) & (recall <= 1.0)), recall


@pytest.mark.parametrize("cls, params", [(EFCStudent, EFC_PARAMS), (HLRStudent, HLR_PARAMS),
                                         (ACTRStudent, ACTR_PARAMS)], ids=["efc", "hlr", "actr"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32), schedule=SCHEDULES)
def test_recall_is_a_probability_for_every_parameter_draw(cls, params, data, seed, schedule):
    student = cls(**data.draw(params), **data.draw(COMMON))
    student.reset(np.random.default_rng(seed))
    _check_recall(student)
    for item, delay, budget in schedule:
        student.advance(delay)
        report = student.learn(item % student.n_items, budget)
        assert 0.0 <= report.outcome <= 1.0
        _check_recall(student)
        last_exposure = student.last_seen if hasattr(student, "last_seen") else student.times.max(axis=1)
        assert np.all(last_exposure <= student.now)


def test_items_start_introduced_before_the_session_not_after():
    """Reddy et al.'s code put first exposures after t = 0, so p > 1; here they are always before."""
    for seed in range(20):
        for student in (EFCStudent(intro_log_mean=0.0, intro_log_std=1.0), HLRStudent(intro_log_mean=0.0)):
            student.reset(np.random.default_rng(seed))
            assert np.all(student.last_seen < 0.0)
            assert np.all(student.recall_probabilities() < 1.0)


def test_efc_follows_its_equation():
    student = EFCStudent(n_items=3, strength_gain=2.0)
    student.reset(np.random.default_rng(0))
    theta, intro = student.params["theta"], student.last_seen.copy()
    np.testing.assert_allclose(student.recall_probabilities(), np.exp(-theta * (0.0 - intro)))
    student.advance(10.0)
    student.learn(1)
    student.advance(7.0)
    expected = np.exp(-theta * (17.0 - intro))
    expected[1] = np.exp(-theta[1] * 7.0 / (1.0 + 2.0))
    np.testing.assert_allclose(student.recall_probabilities(), expected)


@pytest.mark.parametrize("base", [math.e, 2.0])
def test_hlr_follows_its_equation(base):
    student = HLRStudent(n_items=2, weights=(0.5, 1.5, -0.25), ability_std=1.0, base=base)
    student.reset(np.random.default_rng(3))
    student.advance(5.0)
    outcomes = [student.learn(0).outcome for _ in range(3)]
    student.advance(40.0)
    correct = sum(outcomes)
    log_h = (0.5 * 3 + 1.5 * correct - 0.25 * (3 - correct) + student.params["difficulty"][0]
             + student.params["ability"][0])
    assert student.recall_probabilities()[0] == pytest.approx(base ** (-40.0 / math.exp(log_h)))


def test_actr_spacing_effect_spaced_beats_massed_at_a_long_retention_interval():
    """Pavlik & Anderson's central prediction: the same practice, spaced, is retained longer."""
    def recall_after(gap: float) -> float:
        student = ACTRStudent(n_items=1, item_std=0.0, student_std=0.0)
        student.reset(np.random.default_rng(0))
        for _ in range(4):
            student.advance(gap)
            student.learn(0)
        student.advance(3600.0)
        return float(student.recall_probabilities()[0])

    assert recall_after(60.0) > recall_after(2.0) + 0.05


def test_actr_decay_rises_with_activation_at_practice():
    student = ACTRStudent(n_items=1, item_std=0.0, student_std=0.0)
    student.reset(np.random.default_rng(0))
    student.advance(1.0)
    student.learn(0)  # activation: one trace, about 90 s old
    student.advance(1.0)
    student.learn(0)  # activation: also a trace 1 s old, so higher, so this exposure decays faster
    decays = student.decays[0, : student.n_traces[0]]
    assert decays[0] == pytest.approx(student.decay_intercept)
    assert decays[2] > decays[1] > decays[0]


@pytest.mark.parametrize("cls", [EFCStudent, HLRStudent, ACTRStudent])
def test_student_seed_fixes_the_student_and_none_draws_new_ones(cls):
    fixed = cls(student_seed=7)
    fixed.reset(np.random.default_rng(1))
    first = {k: v.copy() for k, v in fixed.params.items()}
    fixed.reset(np.random.default_rng(2))
    for key in first:
        np.testing.assert_array_equal(first[key], fixed.params[key])
    population = cls()
    population.reset(np.random.default_rng(1))
    a = np.concatenate([v for v in population.params.values()])
    population.reset(np.random.default_rng(2))
    assert not np.array_equal(a, np.concatenate([v for v in population.params.values()]))


@pytest.mark.parametrize("cls", [EFCStudent, HLRStudent, ACTRStudent])
def test_flashcard_state_dict_resumes_exactly(cls):
    student = cls(n_items=5)
    student.reset(np.random.default_rng(4))
    for item in [0, 1, 0, 2, 0, 0, 0, 0, 0, 0]:  # > 8 traces of item 0: ACT-R grows its arrays
        student.advance(5.0)
        student.learn(item)
    state = student.state_dict()
    tail = [(student.advance(3.0), student.learn(i).outcome, student.evaluate().tolist())[1:] for i in [3, 0, 4, 0]]
    other = cls(n_items=5)
    other.reset(np.random.default_rng(99))
    other.load_state_dict(state)
    assert tail == [(other.advance(3.0), other.learn(i).outcome, other.evaluate().tolist())[1:] for i in [3, 0, 4, 0]]


@pytest.mark.parametrize("lesson", [5, -1, 0.5, "a", np.nan, [0, 1]])
def test_invalid_items_are_refused_with_the_range(lesson):
    student = EFCStudent(n_items=5)
    with pytest.raises(ConfigError, match=r"item id in \[0, 4\]"):
        student.learn(lesson)


def test_invalid_settings_name_the_field():
    with pytest.raises(ConfigError, match="n_items"):
        EFCStudent(n_items=0)
    with pytest.raises(ConfigError, match="base"):
        HLRStudent(base=1.0)
    with pytest.raises(ConfigError, match="noise"):
        ACTRStudent(noise=0.0)
    with pytest.raises(ConfigError, match="seconds"):
        EFCStudent().advance(-1.0)


# -- BKT ---------------------------------------------------------------------------------------------


def test_layered_graph_is_topological_and_respects_max_parents():
    prerequisites = layered_prerequisites(12, 4, 2, np.random.default_rng(0))
    assert check_prerequisites(prerequisites) == prerequisites
    assert all(1 <= len(p) <= 2 for p in prerequisites[3:]) and all(p == [] for p in prerequisites[:3])
    with pytest.raises(ConfigError, match=r"prerequisites\[1\]"):
        check_prerequisites([[], [1]])


def test_unmastered_prerequisites_block_learning():
    sure = {"init": 1e-9, "learn": 1 - 1e-9, "forget": 1e-9}
    student = PrerequisiteBKTStudent([[], [0]], means=sure, concentration=1e6, speed_std=0.0, blocked_factor=0.0)
    student.reset(np.random.default_rng(0))
    for _ in range(20):
        student.learn(1)
    assert not student.mastered[1]
    student.learn(0)
    student.learn(1)
    assert student.mastered.all() and student.mastered_fraction == 1.0


def test_reviews_consolidate_and_retention_decays():
    student = PrerequisiteBKTStudent([[]], means={"init": 1 - 1e-9, "forget": 0.05}, concentration=1e6)
    student.reset(np.random.default_rng(0))
    before = student.expected_retention(50)
    assert student.expected_retention(0) == 1.0 and 0.0 < before < student.expected_retention(10)
    for _ in range(3):
        student.learn(0)
    assert student.forget_rates()[0] == pytest.approx(student.params["forget"][0] / 4)
    assert student.expected_retention(50) > before


def test_bkt_correct_probabilities_use_guess_and_slip():
    student = PrerequisiteBKTStudent([[], [0], [1]], student_seed=3)
    student.reset(np.random.default_rng(0))
    p = student.evaluate()
    expected = np.where(student.mastered, 1 - student.params["slip"], student.params["guess"])
    np.testing.assert_array_equal(p, expected)
    assert np.all((p >= 0) & (p <= 1))


def test_bkt_state_dict_resumes_exactly():
    student = PrerequisiteBKTStudent(layered_prerequisites(8, 3, 2, np.random.default_rng(1)))
    student.reset(np.random.default_rng(5))
    for skill in [0, 1, 2, 0, 3]:
        student.learn(skill)
    state = student.state_dict()
    tail = [(student.learn(s).outcome, student.mastered.tolist()) for s in [4, 0, 5, 6, 7]]
    other = PrerequisiteBKTStudent(layered_prerequisites(8, 3, 2, np.random.default_rng(1)))
    other.load_state_dict(state)
    assert tail == [(other.learn(s).outcome, other.mastered.tolist()) for s in [4, 0, 5, 6, 7]]
