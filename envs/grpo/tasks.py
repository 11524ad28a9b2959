"""Task families with verifiable answers: what the LM student practises under GRPO.

A task family is a list of *arms* (a skill at a difficulty); each arm draws
``(prompt, answer)`` problems. Everything here is plain numpy and Python: no
torch, so the envs can describe and sample lessons without loading a model.

Problems are short character strings (``"47+38="`` -> ``"85"``) so that a tiny
character-level LM can learn them on a CPU. Two families:

- :class:`ArithmeticTasks`: addition, subtraction, multiplication by a digit;
  1-4 digits; with or without carries (borrows for subtraction).
- :class:`StringTasks`: reverse, sort, de-duplicate a string of letters; four
  lengths. Not arithmetic, so a teacher cannot overfit one domain.

Fixed probe and test sets are drawn from seeds that depend only on the family,
so every env instance measures the student on the same problems. Training
problems avoid the probe and test problems for every arm with a large enough
problem space (``Arm.small`` is False); for the handful of tiny arms (e.g. the
55 one-digit additions without carry) held-out problems cannot exist and the
sets overlap.

Warm-up data and misconceptions: :meth:`TaskFamily.warmup_problems` writes the
examples a student sees before GRPO. On each arm a fraction of them come from
a classic *buggy procedure* (Brown & Burton, 1978) instead of the right one: the
dropped carry or borrow for arithmetic, copying the input for the string tasks.
The warmed student can then produce the right answer but does not prefer it
(pass@k well above greedy accuracy), which is the regime in which reinforcement
learning with verifiable rewards works on real LMs: GRPO sharpens what sampling
sometimes gets right. The fraction of correct warm-up answers falls with the
arm's level, so arms differ in how much GRPO signal they give.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from teachgym.envs.grpo.rewards import REWARD_FUNCTIONS
from teachgym.validation import ConfigError, check_choice, check_int

ARITHMETIC_SKILLS = ("add", "sub", "mul")
STRING_SKILLS = ("rev", "sort", "uniq")
_OPERATOR = {"add": "+", "sub": "-", "mul": "*"}


@dataclass(frozen=True)
class Arm:
    """One skill at one difficulty.

    Attributes:
        name: e.g. ``"add-2d-carry"``.
        skill: the skill (``"add"``, ``"rev"``, ...).
        level: difficulty within the skill (digits, or string length).
        flag: the second difficulty axis (carry / borrow) or False.
        small: True when the arm has too few distinct problems to hold any out.
    """

    name: str
    skill: str
    level: int
    flag: bool
    small: bool


def _seed(*parts) -> int:
    """A stable 63-bit seed from strings (Python's hash() is salted per process)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def _digit_sum(values: np.ndarray) -> np.ndarray:
    values = values.copy()
    total = np.zeros_like(values)
    while np.any(values):
        total += values % 10
        values //= 10
    return total


class TaskFamily:
    """Base class: arms, problem sampling, fixed probe/test sets, warm-up data."""

    name = "family"
    max_answer_chars = 1  # longest answer, so generation can stop early

    def __init__(self, arms: list[Arm]):
        self.arms = arms
        self.arm_names = [arm.name for arm in arms]

    @property
    def n_arms(self) -> int:
        return len(self.arms)

    @property
    def alphabet(self) -> str:
        """Every character a prompt or an answer may contain."""
        raise NotImplementedError

    def _draw(self, arm: Arm, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        """``n`` problems of ``arm`` (duplicates allowed)."""
        raise NotImplementedError

    def sample(self, arm: int, n: int, rng: np.random.Generator,
               exclude: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
        """``n`` training problems of arm ``arm``, avoiding prompts in ``exclude`` unless the arm is small."""
        spec = self.arms[arm]
        if spec.small or not exclude:
            return self._draw(spec, n, rng)
        out: list[tuple[str, str]] = []
        while len(out) < n:
            out += [p for p in self._draw(spec, 2 * (n - len(out)), rng) if p[0] not in exclude]
        return out[:n]

    def fixed_set(self, kind: str, per_arm: int) -> list[list[tuple[str, str]]]:
        """A deterministic set of distinct problems per arm (``kind``: "probe" or "test").

        Depends only on the family, ``kind`` and ``per_arm``; a small arm may hold fewer
        distinct problems than ``per_arm``, and then gives all it can find.
        """
        per_arm = check_int("per_arm", per_arm, low=1, high=100_000)
        out = []
        for arm in self.arms:
            rng = np.random.default_rng(_seed(self.name, kind, arm.name))
            seen: dict[str, str] = {}
            for _ in range(20):
                for prompt, answer in self._draw(arm, 4 * per_arm, rng):
                    if len(seen) < per_arm:
                        seen.setdefault(prompt, answer)
                if len(seen) >= per_arm:
                    break
            out.append(sorted(seen.items()))
        return out

    def buggy_answer(self, arm: Arm, prompt: str) -> str:
        """The answer of the family's classic buggy procedure (may equal the right one)."""
        raise NotImplementedError

    def warmup_problems(self, n: int, correct_fraction=(0.6, 0.4, 0.25, 0.1), seed: int = 0) -> list[tuple[str, str]]:
        """``n`` problems over all arms for the student's SFT warm-up (fixed by the arguments).

        Args:
            n: number of problems, drawn uniformly over arms.
            correct_fraction: per level rank (the family's sorted distinct levels),
                the fraction of problems whose answer is right; the others carry
                :meth:`buggy_answer`. A single number applies to every level;
                the last entry repeats for higher levels.
            seed: seeds the draw.
        """
        n = check_int("n", n, low=1)
        fractions = np.atleast_1d(np.asarray(correct_fraction, dtype=np.float64))
        if fractions.ndim != 1 or fractions.size == 0 or not np.all((fractions >= 0.0) & (fractions <= 1.0)):
            raise ConfigError(f"correct_fraction must be numbers in [0, 1], got {correct_fraction!r}")
        levels = sorted({arm.level for arm in self.arms})
        rng = np.random.default_rng(_seed(self.name, "warmup", seed))
        counts = np.bincount(rng.integers(self.n_arms, size=n), minlength=self.n_arms)
        problems = []
        for arm, count in zip(self.arms, counts.tolist()):
            rank = min(levels.index(arm.level), fractions.size - 1)
            for prompt, answer in self._draw(arm, count, rng):
                if rng.random() >= fractions[rank]:
                    answer = self.buggy_answer(arm, prompt)
                problems.append((prompt, answer))
        order = rng.permutation(len(problems))
        return [problems[i] for i in order]

    def easy_to_hard_order(self) -> list[int]:
        """Arms from easiest to hardest: level, then flag, then skill order."""
        return sorted(range(self.n_arms), key=lambda i: (self.arms[i].level, self.arms[i].flag, i))

    def reward_function(self, name: str):
        """The GRPO reward function called ``name`` (``"exact"`` or ``"char"``, see :mod:`.rewards`)."""
        return REWARD_FUNCTIONS[check_choice("grpo_reward", name, tuple(REWARD_FUNCTIONS))]

    def describe(self) -> dict:
        return {"family": self.name, "arms": self.arm_names}


class ArithmeticTasks(TaskFamily):
    """``a op b = c`` for add / sub / mul, ``1..max_digits`` digits, with or without carries.

    - add, d digits: two d-digit operands (0-9 for d = 1); *carry* when any column
      carries (detected as ``digitsum(a) + digitsum(b) != digitsum(a + b)``).
    - sub, d digits: d-digit ``a >= b``; *borrow* when any column borrows. One-digit
      subtraction cannot borrow, so its borrow arm is a teen minus a digit (``13-5``).
    - mul, d digits: a d-digit number times a digit in 2-9; *carry* when any digit
      product reaches 10.

    Notation (``notation``): by default (``"little-endian"``) every number is
    written least-significant digit first and operands are zero-padded to
    ``max_digits`` digits (47 + 38 = 85 is ``7400+8300=`` -> ``58``), so the
    digits of one column always sit at the same distances from each other and
    from the answer digit they make: a tiny rotary transformer can learn the
    column algorithm, carries included, in a minute of CPU (cf. Lee et al., 2023,
    "Teaching Arithmetic to Small Transformers", on reversed outputs).
    ``"reversed-answer"`` writes operands as usual and only the answer reversed;
    ``"natural"`` is the usual notation (for pretrained LMs; much harder for the
    tiny student). The buggy procedure (:meth:`buggy_answer`) drops every carry,
    and subtracts the smaller digit from the larger in each column (the classic
    "smaller-from-larger" bug); on arms without carries it gives the right answer.

    Args:
        skills: subset of ``("add", "sub", "mul")``.
        max_digits: 1-4.
        notation: "little-endian" (default), "reversed-answer" or "natural".
    """

    name = "arithmetic"

    NOTATIONS = ("little-endian", "reversed-answer", "natural")

    def __init__(self, skills=ARITHMETIC_SKILLS, max_digits: int = 4, notation: str = "little-endian"):
        skills = tuple(skills)
        unknown = [s for s in skills if s not in ARITHMETIC_SKILLS]
        if not skills or unknown or len(set(skills)) != len(skills):
            raise ConfigError(f"skills must be distinct names from {ARITHMETIC_SKILLS}, got {skills!r}")
        self.max_digits = check_int("max_digits", max_digits, low=1, high=4)
        self.skills = skills
        self.notation = check_choice("notation", notation, self.NOTATIONS)
        arms = [Arm(f"{skill}-{d}d-{'carry' if flag else 'nocarry'}", skill, d, flag, small=d == 1)
                for skill in skills for d in range(1, self.max_digits + 1) for flag in (False, True)]
        super().__init__(arms)
        self.max_answer_chars = self.max_digits + 1

    @property
    def alphabet(self) -> str:
        return "0123456789+-*="

    def _operands(self, arm: Arm, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        low = 0 if arm.level == 1 else 10 ** (arm.level - 1)
        a = rng.integers(low, 10**arm.level, size=size)
        if arm.skill == "mul":
            return a, rng.integers(2, 10, size=size)
        if arm.skill == "sub" and arm.level == 1 and arm.flag:
            return rng.integers(10, 19, size=size), rng.integers(0, 10, size=size)
        b = rng.integers(low, 10**arm.level, size=size)
        if arm.skill == "sub":
            a, b = np.maximum(a, b), np.minimum(a, b)
        return a, b

    @staticmethod
    def _has_carry(skill: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if skill == "add":
            return _digit_sum(a) + _digit_sum(b) != _digit_sum(a + b)
        if skill == "sub":  # a - b borrows exactly when (a - b) + b carries
            return _digit_sum(a - b) + _digit_sum(b) != _digit_sum(a)
        digits, carry = a.copy(), np.zeros(a.shape, dtype=bool)
        while np.any(digits):
            carry |= (digits % 10) * b >= 10
            digits //= 10
        return carry

    def _draw(self, arm: Arm, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        op = _OPERATOR[arm.skill]
        out: list[tuple[str, str]] = []
        while len(out) < n:
            a, b = self._operands(arm, max(16, 4 * (n - len(out))), rng)
            keep = self._has_carry(arm.skill, a, b) == arm.flag
            if arm.skill == "sub" and arm.level == 1 and arm.flag:
                keep &= a - b < 10
            for x, y in zip(a[keep].tolist(), b[keep].tolist()):
                value = x + y if arm.skill == "add" else x - y if arm.skill == "sub" else x * y
                right = str(y) if arm.skill == "mul" else self._operand(y)
                out.append((f"{self._operand(x)}{op}{right}=", self._format(value)))
        return out[:n]

    def _operand(self, value: int) -> str:
        if self.notation == "little-endian":
            return f"{value:0{self.max_digits}d}"[::-1]
        return str(value)

    def _format(self, value: int) -> str:
        return str(value) if self.notation == "natural" else str(value)[::-1]

    def operands(self, arm: Arm, prompt: str) -> tuple[int, int]:
        """The two numbers of a prompt of ``arm``."""
        left, right = prompt[:-1].split(_OPERATOR[arm.skill])
        if self.notation == "little-endian":
            left = left[::-1]
            right = right if arm.skill == "mul" else right[::-1]
        return int(left), int(right)

    def buggy_answer(self, arm: Arm, prompt: str) -> str:
        x, y = self.operands(arm, prompt)
        a, b = str(x)[::-1], str(y)[::-1]  # least-significant digit first
        if arm.skill == "mul":
            digits = [int(c) * y % 10 for c in a]
        else:
            width = max(len(a), len(b))
            a, b = a.ljust(width, "0"), b.ljust(width, "0")
            pairs = [(int(x), int(y)) for x, y in zip(a, b)]
            digits = [(x + y) % 10 if arm.skill == "add" else abs(x - y) for x, y in pairs]
        return self._format(int("".join(map(str, reversed(digits)))))


class StringTasks(TaskFamily):
    """``op:letters=`` -> the transformed letters, for reverse / sort / uniq at four lengths.

    ``rev:cab=`` -> ``bac``; ``sort:cab=`` -> ``abc``; ``uniq:abca=`` -> ``abc`` (first
    occurrences, in order). Letters come from ``a``-``h``; arm levels are the
    string lengths ``lengths``. The buggy procedure copies the input unchanged.

    Args:
        skills: subset of ``("rev", "sort", "uniq")``.
        lengths: string lengths, one arm per skill and length (each 1-12).
    """

    name = "strings"

    def __init__(self, skills=STRING_SKILLS, lengths=(2, 4, 6, 8)):
        skills = tuple(skills)
        unknown = [s for s in skills if s not in STRING_SKILLS]
        if not skills or unknown or len(set(skills)) != len(skills):
            raise ConfigError(f"skills must be distinct names from {STRING_SKILLS}, got {skills!r}")
        lengths = tuple(check_int("lengths[i]", n, low=1, high=12) for n in lengths)
        if not lengths or len(set(lengths)) != len(lengths):
            raise ConfigError(f"lengths must be distinct integers in [1, 12], got {lengths!r}")
        self.skills = skills
        self.letters = "abcdefgh"  # few letters, so that uniq has duplicates to drop
        arms = [Arm(f"{skill}-{n}", skill, n, False, small=len(self.letters) ** n < 2000)
                for skill in skills for n in lengths]
        super().__init__(arms)
        self.max_answer_chars = max(lengths)

    @property
    def alphabet(self) -> str:
        return self.letters + ":=" + "".join(sorted(set("".join(self.skills))))

    def _draw(self, arm: Arm, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        codes = rng.integers(len(self.letters), size=(n, arm.level))
        out = []
        for row in codes.tolist():
            text = "".join(self.letters[c] for c in row)
            if arm.skill == "rev":
                answer = text[::-1]
            elif arm.skill == "sort":
                answer = "".join(sorted(text))
            else:
                answer = "".join(dict.fromkeys(text))
            out.append((f"{arm.skill}:{text}=", answer))
        return out

    def buggy_answer(self, arm: Arm, prompt: str) -> str:
        return prompt[len(arm.skill) + 1:-1]


FAMILIES = {"arithmetic": ArithmeticTasks, "strings": StringTasks}


def make_family(name: str, **kwargs) -> TaskFamily:
    """The task family called ``name`` ("arithmetic", "strings" or "reasoning", see :mod:`.reasoning`)."""
    if name == "reasoning":  # imports reasoning-gym, an optional dependency
        from teachgym.envs.grpo.reasoning import ReasoningTasks

        return ReasoningTasks(**kwargs)
    if name not in FAMILIES:
        raise ConfigError(f"family must be one of {', '.join(map(repr, (*FAMILIES, 'reasoning')))}; got {name!r}")
    return FAMILIES[name](**kwargs)
