"""Bad actions, bad plans and bad settings: every one is refused with an error naming the field.

Actions follow the rules in :mod:`teachgym.lessons` (checked on every registered env by
``tests/test_envs.py`` through :func:`teachgym.testing.check_invalid_lessons`); settings
are checked at construction (:mod:`teachgym.validation`). The registry-wide sweep of
constructor arguments is in ``tests/test_bad_config.py``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.lessons import InvalidLessonError, read_arm, read_int_vector, read_real_vector
from teachgym.validation import ConfigError, check_bool, check_float, check_int, check_mapping
from tests.conftest import fast_kwargs

HUGE = 10**400


# -- actions -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", [HUGE, complex(1, 1), complex(1, 0), b"1", True, "1", 1.0, [1], np.float64(1.0),
                                    np.array([1, 1]), np.array(1.0), np.array([True]), None],
                         ids=lambda a: repr(a)[:16])
def test_discrete_arms_refuse_every_other_type(action):
    with pytest.raises(InvalidLessonError, match=r"action must be an integer arm id in \[0, 4\].*got"):
        read_arm(action, 5)


@pytest.mark.parametrize("action", [1, np.int64(1), np.uint8(1), np.array(1), np.array([1]), np.array([1], np.int32)])
def test_discrete_arms_accept_ints_and_what_sb3_predict_returns(action):
    assert read_arm(action, 5) == 1


@pytest.mark.parametrize("action", ids=lambda a: type(a).__name__,
                         argvalues=[[HUGE, 0.5], np.array([0.5 + 1j, 0.5]), ["0.5", "0.5"], [b"0.5", b"0.5"],
                                    np.array([0.5, 0.5], dtype=object), [True, 0.5], np.zeros(2, bool),
                                    np.zeros((1, 2)), 0.5, "0.5", {"a": 1}])
def test_box_vectors_refuse_complex_strings_objects_bools_and_wrong_shapes(action):
    with pytest.raises(InvalidLessonError, match=r"action must be real numbers .* of shape \(2,\)"):
        read_real_vector(action, (2,))


def test_box_vectors_accept_real_arrays_and_number_lists():
    for action in ([0, 0.5], (np.float32(0.25), 1), np.array([1, 2], np.int16), np.array([0.5, 0.5], np.float32)):
        assert read_real_vector(action, (2,)).dtype == np.float64


@pytest.mark.parametrize("action", ids=lambda a: type(a).__name__,
                         argvalues=[[HUGE, 0], np.zeros(2) + 1j, np.zeros(2), ["0", "0"], [True, 0], np.zeros(2, bool)])
def test_multidiscrete_vectors_take_integers_only(action):
    with pytest.raises(InvalidLessonError, match=r"action must be integers of shape \(2,\)"):
        read_int_vector(action, (2,))


@pytest.mark.parametrize("env_id", ["teachgym/ToyCurriculumDiscrete-v0", "teachgym/Flashcards-EFC-v1",
                                    "teachgym/PrerequisiteTutor-BKT-v1"])
@pytest.mark.parametrize("action", [HUGE, complex(1, 1), b"1", True, "1", 1.0, [1]],
                         ids=["10**400", "complex", "bytes", "True", "str", "float", "list"])
def test_a_refused_arm_leaves_the_env_as_it_was(env_id, action):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=0)
    rng_state = env.np_random.bit_generator.state
    before = env.state_dict()
    with pytest.raises(InvalidLessonError, match="action must be an integer arm id"):
        env.step(action)
    assert env._t == 0 and env.np_random.bit_generator.state == rng_state
    np.testing.assert_equal(env.state_dict(), before)
    for t, ok in enumerate((1, np.int64(1), np.array(1), np.array([1])), start=1):  # teachers' and SB3's arms
        env.step(ok)
        assert env._t == t


@pytest.mark.parametrize("env_id", ["teachgym/ToyCurriculum-v0", "teachgym/DataGen-Math-SkillList-v0",
                                    "teachgym/DataGen-Math-OpenEnded-v0"])
def test_huge_and_complex_vectors_are_refused_on_box_and_multidiscrete_envs(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=0)
    shape = env.action_space.shape
    valid = env.action_space.sample() if env_id.endswith("OpenEnded-v0") else (env.action_space.low + 0.5)
    for action in ([HUGE] * shape[0], valid + 1j, [str(v) for v in valid], valid.astype(object)):
        with pytest.raises(InvalidLessonError, match="action"):
            env.step(action)
    assert env._t == 0
    env.step(valid)
    assert env._t == 1


# -- DataGen text plans ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def text_env():
    env_id = "teachgym/DataGen-Math-OpenEnded-v0"
    env = gym.make(env_id, **{**fast_kwargs(env_id), "mode": "text", "n_steps": 20}).unwrapped
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("count, why", [("Infinity", "Infinity is not a number"), ("NaN", "NaN is not a number"),
                                        ("1e400", "count must be a whole number, got inf"),
                                        ("2.5", "count must be a whole number"), ("true", "count must be a whole")])
def test_text_plans_with_impossible_counts_are_rejected_plans(text_env, count, why):
    skill = text_env.domain.skills[0].name
    t = text_env._t
    *_, info = text_env.step(f'[{{"skill": "{skill}", "count": {count}}}]')
    assert info["rejected"] and why in info["plan_errors"][0] and text_env._t == t + 1
    assert info["task"].sum() == 0


def test_deeply_nested_text_plans_are_rejected_plans(text_env):
    *_, info = text_env.step("[" * 1999)
    assert info["rejected"] and "nested too deeply" in info["plan_errors"][0]


def test_text_plans_with_huge_counts_are_cut_to_the_budget(text_env):
    skill = text_env.domain.skills[0].name
    *_, info = text_env.step(f"{skill} {'9' * 1500}")
    assert info["rejected"] is None and info["task"].sum() == text_env.budget
    assert len(info["plan_errors"][0]) < 200  # the count is shortened in the message


def test_text_plans_must_be_strings(text_env):
    with pytest.raises(InvalidLessonError, match="text plan"):
        text_env.step(b"add 3")


# -- validation helpers ----------------------------------------------------------------------
@pytest.mark.parametrize("value", ["false", "False", "true", 0, 1, None, "", np.array([True]), 0.0])
def test_check_bool_takes_only_bools(value):
    with pytest.raises(ConfigError, match="oracle must be True or False"):
        check_bool("oracle", value)


def test_check_bool_tells_the_command_line_user_what_to_write():
    with pytest.raises(ConfigError, match="oracle=false"):
        check_bool("oracle", "False")
    assert check_bool("oracle", np.bool_(True)) is True and check_bool("oracle", False) is False


@pytest.mark.parametrize("value", ["3", "0.5", True, b"1", [1], None])
def test_numbers_are_never_read_from_strings_bools_or_lists(value):
    with pytest.raises(ConfigError, match="n must be"):
        check_int("n", value)
    with pytest.raises(ConfigError, match="x must be"):
        check_float("x", value)


def test_check_float_refuses_ints_too_large_for_a_float():
    with pytest.raises(ConfigError, match="finite"):
        check_float("x", HUGE)


@pytest.mark.parametrize("value", [(), "a=1", [("a", 1)], {1: 2}])
def test_check_mapping_wants_a_dict_with_string_keys(value):
    with pytest.raises(ConfigError, match="student_kwargs must be a dict"):
        check_mapping("student_kwargs", value)


# -- settings named in the hardening report ----------------------------------------------------
@pytest.mark.parametrize("env_id", ["teachgym/Flashcards-EFC-v1", "teachgym/PrerequisiteTutor-BKT-v1"])
@pytest.mark.parametrize("oracle", ["false", "False", 0, 1, None])
def test_oracle_must_be_a_bool_so_a_string_never_turns_it_on(env_id, oracle):
    with pytest.raises(ConfigError, match="oracle must be True or False"):
        gym.make(env_id, oracle=oracle)
    plain = gym.make(env_id, oracle=False, n_steps=5).unwrapped
    assert "recall" not in plain.reset(seed=0)[1]["tutor_log"]["fields"]  # no leak of the student's true recall


def test_the_command_line_oracle_false_turns_oracle_mode_off():
    from teachgym.cli import parse_kwargs

    for spelling in ("False", "false"):
        kwargs = parse_kwargs([f"oracle={spelling}"], "--env-kwarg")
        assert gym.make("teachgym/Flashcards-HLR-v1", **kwargs).unwrapped.oracle is False
    with pytest.raises(ConfigError, match="oracle"):  # a string that is not a boolean stays refused
        gym.make("teachgym/Flashcards-HLR-v1", oracle="no")


@pytest.mark.parametrize("kwargs, field", [({"warmup_correct": ()}, "warmup_correct must be a list"),
                                           ({"warmup_correct": ("a", 0.5)}, r"warmup_correct\[0\] must be a number"),
                                           ({"tasks": "add"}, "tasks must be a dict"),
                                           ({"device": 3}, "device must be")])
def test_grpo_settings_name_the_field(kwargs, field):
    pytest.importorskip("trl")
    env_id = "teachgym/GRPOArithmetic-v0"
    with pytest.raises(ConfigError, match=field):
        gym.make(env_id, **{**fast_kwargs(env_id), **kwargs})


@pytest.mark.parametrize("env_id", ["teachgym/ToyCurriculum-v0", "teachgym/Flashcards-EFC-v1",
                                    "teachgym/PrerequisiteTutor-BKT-v1", "teachgym/FineTuneRL-Linear-v0"])
def test_sizes_of_10_to_the_12_are_refused_at_construction(env_id):
    sizes = {"teachgym/ToyCurriculum-v0": "n_cells", "teachgym/Flashcards-EFC-v1": "n_items",
             "teachgym/PrerequisiteTutor-BKT-v1": "n_skills", "teachgym/FineTuneRL-Linear-v0": "n_states"}
    with pytest.raises(ConfigError, match=sizes[env_id]):
        gym.make(env_id, **{sizes[env_id]: 10**12})


def test_deeprl_task_bounds_and_algo_kwargs_are_checked():
    pytest.importorskip("stable_baselines3")
    env_id = "teachgym/MountainCarCurriculum-v0"
    smoke = fast_kwargs(env_id)
    for kwargs, field in [({"task_low": ("a",)}, r"task_low\[0\] must be a number"),
                          ({"task_low": 1.0}, "task_low must be a list"),
                          ({"algo_kwargs": {"n_epochs": "2"}}, r"algo_kwargs\['n_epochs'\]"),
                          ({"algo_kwargs": {"no_such": 1}}, "unknown keys"),
                          ({"algo_kwargs": ()}, "algo_kwargs must be a dict"),
                          ({"algo_kwargs": {"seed": 1}}, "must not set")]:
        with pytest.raises(ConfigError, match=field):
            gym.make(env_id, **{**smoke, **kwargs})
