"""Math domain: eight arithmetic skills, each with subskills and three difficulty levels.

Every question has one canonical written form (``"47+38"``, ``"47 div 5"``,
``"simplify 4/8"``, ``"Ann had 12, got 5, gave 3. Left?"``) and one canonical
answer (integers, ``"9r2"`` for quotient and remainder, fractions in lowest
terms ``"5/6"``). :meth:`MathDomain.verify` re-derives the answer from the
question text alone (regular expressions and integer / Fraction arithmetic,
never ``eval``), so data an LM writes can be checked.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from teachgym.envs.datagen.domain import Example, Skill, TextDomain
from teachgym.validation import ConfigError

SKILLS = (
    Skill("add_carry", "multi-digit addition with carries",
          (("one_carry", "exactly one column carries"), ("many_carries", "two or more columns carry"),
           ("three_addends", "three numbers added"))),
    Skill("sub_borrow", "multi-digit subtraction with borrows",
          (("one_borrow", "exactly one column borrows"), ("many_borrows", "two or more columns borrow"),
           ("across_zero", "the first number has an inner zero the borrow passes"))),
    Skill("multiply", "multiplication",
          (("by_one_digit", "times a one-digit number"), ("by_two_digits", "times a two-digit number"),
           ("by_power_of_ten", "times 10, 100 or 1000"))),
    Skill("divide_remainder", "division with remainder, written 'q' or 'qrR'",
          (("exact", "divides with no remainder"), ("with_remainder", "one-digit divisor, non-zero remainder"),
           ("two_digit_divisor", "two-digit divisor"))),
    Skill("fractions", "fraction addition and simplification, answers in lowest terms",
          (("same_denominator", "add two fractions with equal denominators"),
           ("different_denominators", "add two fractions with different denominators"),
           ("simplify", "reduce a fraction to lowest terms"))),
    Skill("percentages", "whole-number percentages",
          (("percent_of", "p% of n"), ("what_percent", "a is what percent of b"),
           ("percent_increase", "n increased by p%"))),
    Skill("order_of_operations", "expressions with precedence and parentheses",
          (("mul_before_add", "one product and one sum or difference"), ("parentheses", "a parenthesised sum times a number"),
           ("two_products", "a difference or sum of two products"))),
    Skill("word_problems", "two-step word problems",
          (("gain_then_lose", "has a, gets b, gives c away"), ("groups_plus_extra", "a groups of b, plus c"),
           ("share_then_add", "a shared equally by b, then c more each"))),
)
NAMES = ("Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal")


def _number(rng: np.random.Generator, digits: int) -> int:
    return int(rng.integers(10 ** (digits - 1), 10**digits))


def _carries(*terms: int) -> int:
    count, carry = 0, 0
    while any(terms) or carry:
        column = sum(t % 10 for t in terms) + carry
        carry = column // 10
        count += carry > 0
        terms = tuple(t // 10 for t in terms)
    return count


def _borrows(a: int, b: int) -> int:
    count, borrow = 0, 0
    while a or b:
        column = a % 10 - b % 10 - borrow
        borrow = int(column < 0)
        count += borrow
        a, b = a // 10, b // 10
    return count


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _until(make: Callable[[], tuple[str, Any] | None], tries: int = 500) -> tuple[str, Any]:
    """Rejection sampling: ``make`` returns None for a draw that misses the subskill's condition."""
    for _ in range(tries):
        out = make()
        if out is not None:
            return out
    raise RuntimeError("generator could not meet its subskill condition; this is a bug")


def _addition(rng, sub, level):
    n = level + 1 + (sub == 1)  # two carries need two digits
    def make():
        if sub == 2:
            terms = (_number(rng, n), _number(rng, n), _number(rng, max(1, n - 1)))
        else:
            terms = (_number(rng, n), _number(rng, int(rng.integers(max(1, n - 1), n + 1))))
        carries = _carries(*terms)
        if (sub == 0 and carries != 1) or (sub == 1 and carries < 2) or (sub == 2 and carries < 1):
            return None
        return "+".join(map(str, terms)), sum(terms)
    return _until(make)


def _subtraction(rng, sub, level):
    n = level + 2 + (sub == 1)  # a borrow needs two digits, two borrows three
    def make():
        a, b = _number(rng, n), _number(rng, int(rng.integers(max(1, n - 1), n + 1)))
        if a <= b:
            return None
        borrows = _borrows(a, b)
        ok = {0: borrows == 1, 1: borrows >= 2, 2: borrows >= 1 and "0" in str(a)[1:]}[sub]
        return (f"{a}-{b}", a - b) if ok else None
    return _until(make)


def _multiplication(rng, sub, level):
    a = _number(rng, level + 1)
    b = {0: int(rng.integers(2, 10)), 1: _number(rng, 2), 2: 10 ** int(rng.integers(1, 4))}[sub]
    return f"{a}*{b}", a * b


def _division(rng, sub, level):
    quotient = int(rng.integers(2, (10, 30, 100)[level]))
    divisor = int(rng.integers(10, 26)) if sub == 2 else int(rng.integers(2, 10))
    remainder = 0 if sub == 0 else int(rng.integers(1, divisor))
    return f"{quotient * divisor + remainder} div {divisor}", (quotient, remainder)


def _fractions(rng, sub, level):
    top = (6, 10, 13)[level]
    if sub == 2:
        d = int(rng.integers(2, top))
        n = int(rng.integers(1, d))
        k = int(rng.integers(2, 5 + level))
        return f"simplify {n * k}/{d * k}", Fraction(n, d)
    if sub == 0:
        d = int(rng.integers(3, top + 2))
        a, b = int(rng.integers(1, d)), int(rng.integers(1, d))
        return f"{a}/{d}+{b}/{d}", Fraction(a, d) + Fraction(b, d)
    def make():
        d1, d2 = int(rng.integers(2, top)), int(rng.integers(2, top))
        if d1 == d2:
            return None
        a, b = int(rng.integers(1, d1)), int(rng.integers(1, d2))
        return f"{a}/{d1}+{b}/{d2}", Fraction(a, d1) + Fraction(b, d2)
    return _until(make)


def _percentages(rng, sub, level):
    percents = ((10, 20, 25, 50, 75), tuple(range(5, 100, 5)), tuple(range(1, 100)))[level]
    p = int(rng.choice(percents))
    step = 100 // math.gcd(p, 100)  # n must be a multiple of this for p% of n to be whole
    # Level 0 reaches n = 40: up to 10 would leave only 12 distinct questions per subskill, too few for
    # disjoint held-out sets at the default level range (0,).
    n = step * int(rng.integers(1, max(2, (40, 50, 200)[level] // step + 1)))
    if sub == 0:
        return f"{p}% of {n}", p * n // 100
    if sub == 1:
        return f"{p * n // 100} of {n} in %", p
    return f"{n} plus {p}%", n + p * n // 100


def _order_of_operations(rng, sub, level):
    top = (10, 20, 50)[level]
    a, b, c, d = (int(x) for x in rng.integers(1, top, size=4))
    if sub == 0:
        form = int(rng.integers(4))
        text = (f"{a}+{b}*{c}", f"{a}*{b}+{c}", f"{a}*{b}-{c}", f"{a}-{b}*{c}")[form]
    elif sub == 1:
        text = f"({a}+{b})*{c}" if rng.random() < 0.5 else f"{c}*({a}+{b})"
    else:
        text = f"{a}*{b}{'+' if rng.random() < 0.5 else '-'}{c}*{d}"
    return text, _evaluate_expression(text)


def _word_problem(rng, sub, level):
    top = (10, 30, 100)[level]
    name = str(rng.choice(NAMES))
    if sub == 0:
        a, b = int(rng.integers(2, top)), int(rng.integers(1, top))
        c = int(rng.integers(1, a + b))
        return f"{name} had {a}, got {b}, gave {c}. Left?", a + b - c
    if sub == 1:
        a, b, c = int(rng.integers(2, 10)), int(rng.integers(2, top // 2 + 3)), int(rng.integers(1, top))
        return f"{a} bags of {b}, plus {c}. Total?", a * b + c
    b, each, c = int(rng.integers(2, 10)), int(rng.integers(1, top // 2 + 3)), int(rng.integers(1, top))
    return f"{b * each} shared by {b}, {c} more each. Each?", each + c


_GENERATORS = (_addition, _subtraction, _multiplication, _division, _fractions, _percentages,
               _order_of_operations, _word_problem)


def _answer_text(skill: int, value: Any) -> str:
    if skill == 3:
        quotient, remainder = value
        return f"{quotient}r{remainder}" if remainder else str(quotient)
    if isinstance(value, Fraction):
        return _fraction_text(value)
    return str(value)


# -- verification: re-derive the answer from the question text ------------------
_TOKEN = re.compile(r"\s*(\d+|[-+*()])")


def _evaluate_expression(text: str) -> int:
    """Integer value of ``text`` (digits, + - *, parentheses) by recursive descent; ValueError if malformed."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"unexpected character at {pos}: {text[pos]!r}")
        tokens.append(match.group(1))
        pos = match.end()
    if len(tokens) > 64:
        raise ValueError("expression too long")
    index = 0

    def peek():
        return tokens[index] if index < len(tokens) else None

    def take():
        nonlocal index
        index += 1
        return tokens[index - 1]

    def atom() -> int:
        token = take() if peek() is not None else None
        if token is None:
            raise ValueError("expression ends early")
        if token == "(":
            value = expression()
            if take() != ")" if peek() is not None else True:
                raise ValueError("missing ')'")
            return value
        if token.isdigit():
            return int(token)
        raise ValueError(f"unexpected {token!r}")

    def term() -> int:
        value = atom()
        while peek() == "*":
            take()
            value *= atom()
        return value

    def expression() -> int:
        value = term()
        while peek() in ("+", "-"):
            value = value + term() if take() == "+" else value - term()
        return value

    value = expression()
    if index != len(tokens):
        raise ValueError(f"unexpected {tokens[index]!r}")
    return value


_PATTERNS: tuple[tuple[re.Pattern, Callable[..., str]], ...] = (
    (re.compile(r"(\d+)\+(\d+)(?:\+(\d+))?"), lambda *g: str(sum(int(x) for x in g if x))),
    (re.compile(r"(\d+)-(\d+)"), lambda a, b: str(int(a) - int(b)) if int(a) > int(b) else None),
    (re.compile(r"(\d+)\*(\d+)"), lambda a, b: str(int(a) * int(b))),
    (re.compile(r"(\d+) div (\d+)"),
     lambda a, b: _answer_text(3, divmod(int(a), int(b))) if int(b) > 1 else None),
    (re.compile(r"(\d+)/(\d+)\+(\d+)/(\d+)|simplify (\d+)/(\d+)"),
     lambda a, b, c, d, e, f: (_fraction_text(Fraction(int(e), int(f))) if e else
                               _fraction_text(Fraction(int(a), int(b)) + Fraction(int(c), int(d))))
     if "0" not in {b, d, f} else None),
    (re.compile(r"(\d+)% of (\d+)|(\d+) of (\d+) in %|(\d+) plus (\d+)%"),
     lambda p, n, a, b, m, q: _whole(Fraction(int(p), 100) * int(n)) if p else
     (_whole(Fraction(int(a) * 100, int(b))) if a and int(b) else
      (_whole(int(m) + Fraction(int(q), 100) * int(m)) if m else None))),
    (re.compile(r"[\d()*+-]+"), lambda: None),  # answer computed by the expression parser below
    (re.compile(r"([A-Z][a-z]+) had (\d+), got (\d+), gave (\d+)\. Left\?|(\d+) bags of (\d+), plus (\d+)\. Total\?|"
                r"(\d+) shared by (\d+), (\d+) more each\. Each\?"),
     lambda _n, a, b, c, g, s, e, t, k, m: (str(int(a) + int(b) - int(c)) if a else
                                            str(int(g) * int(s) + int(e)) if g else
                                            (str(int(t) // int(k) + int(m)) if int(k) and int(t) % int(k) == 0 else None))),
)


def _whole(value: Fraction) -> str | None:
    return str(value.numerator) if value.denominator == 1 else None


BASE_SKILLS = ("add_carry", "multiply", "fractions", "order_of_operations")
FOUNDATION_SEED = 20241124  # fixed: the base is part of the benchmark, like the held-out sets
N_FOUNDATION = 20_000


@functools.lru_cache(maxsize=8)
def _foundation(domain: "MathDomain", avoid: frozenset[str]) -> tuple[tuple[str, str], ...]:
    rng = np.random.default_rng([FOUNDATION_SEED, *domain.config()[0]])
    skills = [domain.skill_index(name) for name in domain.base_skills]
    out: list[tuple[str, str]] = []
    while skills and len(out) < N_FOUNDATION:
        skill = skills[int(rng.integers(len(skills)))]
        example = domain.generate(skill, int(rng.integers(len(SKILLS[skill].subskills))),
                                  domain.levels[int(rng.integers(len(domain.levels)))], rng)
        if domain.content_key(example) not in avoid:
            out.append((example.question, example.answer))
    return tuple(out)


class MathDomain(TextDomain):
    """DataEnvGym's math domain, built from arithmetic skills a small model can learn (see module docstring).

    The default student is a character transformer fine-tuned from a pretrained base
    (as DataEnvGym's students are pretrained LMs weak on some skills): the base is
    trained once, from a fixed seed, on a foundation corpus of ``base_skills`` at the
    default ``levels`` (disjoint from the held-out sets), and cached on disk. The
    teacher's data must teach the other skills without letting the base's skills be
    forgotten.

    Args:
        levels: the default difficulty range (held-out sets, the foundation corpus, and
            requests that leave the difficulty open); level 0 by default, the range the
            default student learns within its CPU budget (plans may still ask for 1 or 2).
        base_skills: the skills of the foundation corpus (names); empty for a base
            without pretraining (then set ``student_kwargs={"base_steps": 0}``).
    """

    name = "math"
    default_train_steps = 200
    # Fine-tuning a pretrained base wants a lower lr than training from scratch (3e-3), and a quarter
    # of each batch replayed from the foundation corpus, else 200 steps on a few hundred pairs erase
    # the base's skills (CHANGELOG.md, 0.1.0: the DataGen math default).
    student_defaults = {"max_len": 48, "max_answer_len": 10, "reverse_answer": True, "lr": 1e-3,
                        "base_steps": 3000, "base_batch_size": 64, "base_lr": 3e-3, "replay_fraction": 0.25}

    def __init__(self, levels: tuple[int, ...] | list[int] = (0,),
                 base_skills: tuple[str, ...] | list[str] = BASE_SKILLS) -> None:
        self.skills = SKILLS
        levels = tuple(int(x) for x in levels)
        if not levels or len(set(levels)) != len(levels) or not all(0 <= x < self.n_difficulties for x in levels):
            raise ConfigError(f"levels must be distinct difficulty levels in [0, {self.n_difficulties - 1}], "
                              f"got {levels}")
        names = {s.name for s in SKILLS}
        unknown = [x for x in base_skills if x not in names]
        if unknown:
            raise ConfigError(f"base_skills must be skill names from {sorted(names)}; unknown: {unknown}")
        self._levels = levels
        self.base_skills = tuple(base_skills)

    def config(self) -> tuple:
        return (self._levels, self.base_skills)

    @property
    def levels(self) -> tuple[int, ...]:
        return self._levels

    def foundation_problems(self, avoid: frozenset[str]) -> list[tuple[str, str]]:
        """``N_FOUNDATION`` pairs of ``base_skills`` at ``levels`` from a fixed seed, none in ``avoid``."""
        return list(_foundation(self, frozenset(avoid)))

    def generate(self, skill: int, subskill: int, difficulty: int, rng: np.random.Generator) -> Example:
        question, value = _GENERATORS[skill](rng, subskill, difficulty)
        return Example(question, _answer_text(skill, value))

    def verify(self, skill: int, example: Example) -> str | None:
        if not 0 <= skill < len(SKILLS):
            return f"unknown skill index {skill}"
        pattern, solve = _PATTERNS[skill]
        match = pattern.fullmatch(example.question.strip())
        if match is None:
            return f"question {example.question!r} is not in the form of skill {SKILLS[skill].name!r}"
        try:
            expected = _evaluate_expression(match.group(0)) if skill == 6 else solve(*match.groups())
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            return f"question {example.question!r} cannot be solved: {err}"
        if expected is None:
            return f"question {example.question!r} has no whole-number answer in this skill's form"
        expected = str(expected)
        if example.answer.strip() != expected:
            return f"answer {example.answer!r} is wrong (expected {expected!r})"
        return None
