"""GRPO curriculum, torch-free parts: task families and verifiable reward functions."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import teachgym
from teachgym.envs.grpo import rewards, tasks
from teachgym.envs.grpo.rewards import char_match_reward, exact_match_reward, parse_answer
from teachgym.envs.grpo.tasks import ArithmeticTasks, StringTasks, make_family


def test_doctests_of_the_reward_functions_pass():
    assert doctest.testmod(rewards).failed == 0


def _column_carries(skill: str, a: int, b: int) -> bool:
    """Carry / borrow by schoolbook column arithmetic (an independent check of the arm predicate)."""
    carry, any_carry = 0, False
    while a or b or carry:
        x, y = a % 10, b % 10
        if skill == "add":
            total = x + y + carry
            carry = int(total >= 10)
        elif skill == "sub":
            carry = int(x - y - carry < 0)
        else:
            carry = (x * b + carry) // 10 if b < 10 else 0
            a //= 10
            any_carry |= carry > 0
            continue
        any_carry |= bool(carry)
        a, b = a // 10, b // 10
    return any_carry


@pytest.mark.parametrize("notation", ArithmeticTasks.NOTATIONS)
def test_arithmetic_answers_and_arms_are_right(notation):
    family = ArithmeticTasks(notation=notation)
    rng = np.random.default_rng(0)
    assert family.n_arms == 24 and family.arm_names[3] == "add-2d-carry"
    for index, arm in enumerate(family.arms):
        for prompt, answer in family.sample(index, 30, rng):
            a, b = family.operands(arm, prompt)
            value = {"add": a + b, "sub": a - b, "mul": a * b}[arm.skill]
            assert answer == (str(value) if notation == "natural" else str(value)[::-1])
            assert value >= 0
            assert len(str(a)) == arm.level or (arm.skill == "sub" and arm.level == 1 and arm.flag)
            if notation == "little-endian":
                assert prompt.startswith(f"{a:04d}"[::-1])  # padded, least-significant digit first
            if arm.skill == "mul":
                assert 2 <= b <= 9
                assert any((int(d) * b) >= 10 for d in str(a)) == arm.flag
            else:
                assert _column_carries(arm.skill, a, b) == arm.flag, (arm.name, prompt)
            buggy = family.buggy_answer(arm, prompt)
            assert (buggy == answer) != arm.flag or arm.skill == "mul" and buggy == answer


def test_string_answers_are_right_and_the_bug_copies():
    family = StringTasks()
    rng = np.random.default_rng(1)
    for index, arm in enumerate(family.arms):
        for prompt, answer in family.sample(index, 20, rng):
            text = prompt.split(":")[1][:-1]
            assert len(text) == arm.level
            expected = {"rev": text[::-1], "sort": "".join(sorted(text)), "uniq": "".join(dict.fromkeys(text))}
            assert answer == expected[arm.skill]
            assert family.buggy_answer(arm, prompt) == text


def test_fixed_sets_are_deterministic_distinct_and_held_out():
    one, two = ArithmeticTasks(), ArithmeticTasks()
    probes, tests = one.fixed_set("probe", 12), one.fixed_set("test", 12)
    assert probes == two.fixed_set("probe", 12)
    assert probes != tests
    held_out = frozenset(p for arm in probes + tests for p, _ in arm)
    rng = np.random.default_rng(2)
    for index, arm in enumerate(one.arms):
        assert len({p for p, _ in probes[index]}) == len(probes[index]) > 0
        drawn = {p for p, _ in one.sample(index, 200, rng, held_out)}
        if not arm.small:
            assert not drawn & held_out, arm.name
    # Tiny arms cannot hold problems out: the 22 one-digit products without carry.
    assert len(one.fixed_set("probe", 100)[16]) == 22


def test_warmup_mixes_right_and_buggy_answers_by_level():
    family = ArithmeticTasks()
    problems = family.warmup_problems(6000, correct_fraction=(0.9, 0.1))
    assert problems == family.warmup_problems(6000, correct_fraction=(0.9, 0.1))
    right: dict[int, list[bool]] = {1: [], 4: []}
    for prompt, answer in problems:
        arm = next(arm for arm in family.arms if _OPS[arm.skill] in prompt)
        a, b = family.operands(arm, prompt)
        carry = ArithmeticTasks._has_carry(arm.skill, np.array([a]), np.array([b]))[0]
        if carry and len(str(a)) in right:  # with a carry the buggy answer is always wrong
            right[len(str(a))].append(answer == str({"add": a + b, "sub": a - b, "mul": a * b}[arm.skill])[::-1])
    assert 0.8 < np.mean(right[1]) <= 1.0 and 0.0 < np.mean(right[4]) < 0.2


_OPS = {"add": "+", "sub": "-", "mul": "*"}


@pytest.mark.parametrize("kwargs, field", [
    ({"skills": ("add", "div")}, "skills"), ({"max_digits": 5}, "max_digits"), ({"notation": "roman"}, "notation"),
])
def test_invalid_arithmetic_settings_name_the_field(kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        ArithmeticTasks(**kwargs)


def test_invalid_family_settings_name_the_field():
    with pytest.raises(teachgym.ConfigError, match="lengths"):
        StringTasks(lengths=(2, 2))
    with pytest.raises(teachgym.ConfigError, match="family"):
        make_family("chess")
    with pytest.raises(teachgym.ConfigError, match="correct_fraction"):
        ArithmeticTasks().warmup_problems(10, correct_fraction=1.5)


def test_easy_to_hard_order_starts_with_one_digit_without_carry():
    family = ArithmeticTasks()
    order = family.easy_to_hard_order()
    assert sorted(order) == list(range(24))
    assert [family.arms[i].name for i in order[:3]] == ["add-1d-nocarry", "sub-1d-nocarry", "mul-1d-nocarry"]
    assert family.arms[order[-1]].name == "mul-4d-carry"
    assert tasks.ArithmeticTasks(max_digits=2).n_arms == 12


# Anything a model may write: text (any unicode), overlong text, control characters, non-strings, messages.
COMPLETIONS = st.one_of(
    st.text(), st.text(min_size=300, max_size=400), st.none(), st.integers(), st.floats(), st.binary(),
    st.lists(st.dictionaries(st.sampled_from(["role", "content"]), st.one_of(st.text(), st.integers()))),
)


@settings(max_examples=200, deadline=None)
@given(completions=st.lists(COMPLETIONS, max_size=8), answers=st.lists(st.one_of(st.text(), st.none()), max_size=8))
def test_reward_functions_never_raise_and_stay_in_unit_interval(completions, answers):
    for reward in (exact_match_reward, char_match_reward):
        values = reward(completions=completions, answer=answers, prompts=None, trainer_state=None)
        assert len(values) == len(completions)
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in values)


def test_reward_edge_cases():
    answers = ["58"] * 7
    completions = ["", "   ", "58</s>", "5" * 1000, "58\n\n", "\u0665\u0668", "58 58"]
    assert exact_match_reward(completions, answers) == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert parse_answer("\x1b[31m58") is None
    assert exact_match_reward(["58"], []) == [0.0]  # a missing answer scores 0, it does not raise
    assert char_match_reward(["ab"], ["abc"]) == [pytest.approx(2 / 3)]
