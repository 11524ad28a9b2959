"""The problem strings of LMProblemWriter: formats, solvers and samplers of its five skills.

Two knobs set the problem spaces (see :class:`ProblemSpace`):

- ``digits``: operand digits of ``add`` and ``sub``. With 1 (LMProblemWriter-v0),
  ``a+b=`` over one-digit operands, answer written as usual (``9+9=`` -> ``18``):
  100 problems, an addition *table* the student can only memorise (no rule links
  the training pool to the held-out problems). With 2 or 3, every number is
  written least-significant digit first and zero-padded, the answer to
  ``digits + 1`` digits for ``add`` and ``digits`` for ``sub`` (47 + 38 = 85 is
  ``74+83=`` -> ``580``): the digits of one column sit at
  fixed distances from each other and from the answer digit they make, so the
  column rule with its carry is learnable by a tiny transformer, and the
  problem space (10,000 sums) is too large to memorise.
- ``word_length``: letters of the ``cpy`` / ``rev`` / ``hash`` words over
  ``abcde`` (3: 125 words, v0; 5: 3,125 words, so that the hash distractor cannot
  be memorised either).

Held-out sets and probe sets are distinct problems drawn from a fixed seed: a
permutation of every problem when the skill has at most :data:`ENUMERATE_LIMIT`
of them (as in v0), rejection sampling otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from teachgym.validation import check_int

SKILLS = ("add", "sub", "cpy", "rev", "hash")
DISTRACTOR = "hash"
LETTERS = "abcde"
ALPHABET = "0123456789" + LETTERS + "+-=:chr"
MAX_PROBLEM_CHARS = 8  # "r:abcde=" and "123+456=" (the largest spaces allowed)
ENUMERATE_LIMIT = 4096
DEFAULT_DIGITS, DEFAULT_WORD_LENGTH = 2, 5


@dataclass(frozen=True)
class ProblemSpace:
    """The five skills' problems at ``digits`` operand digits and ``word_length`` letters (see the module docstring).

    Args:
        digits: operand digits of add / sub, 1-3.
        word_length: letters of the cpy / rev / hash words, 1-5.
    """

    digits: int = DEFAULT_DIGITS
    word_length: int = DEFAULT_WORD_LENGTH

    def __post_init__(self):
        check_int("digits", self.digits, low=1, high=3)
        check_int("word_length", self.word_length, low=1, high=5)

    @functools.cached_property
    def formats(self) -> dict[str, re.Pattern]:
        d, n = self.digits, self.word_length
        return {"add": re.compile(rf"^(\d{{{d}}})\+(\d{{{d}}})=$"), "sub": re.compile(rf"^(\d{{{d}}})-(\d{{{d}}})=$"),
                **{s: re.compile(rf"^{s[0]}:([{LETTERS[0]}-{LETTERS[-1]}]{{{n}}})=$") for s in ("cpy", "rev", "hash")}}

    def _number(self, text: str) -> int:
        return int(text if self.digits == 1 else text[::-1])

    def _write(self, value: int, width: int) -> str:
        return str(value) if self.digits == 1 else f"{value:0{width}d}"[::-1]

    def solve(self, problem: Any) -> tuple[str, str] | None:
        """``(skill, answer)`` of a problem string, or None if it matches no skill's format."""
        if not isinstance(problem, str):
            return None
        for skill, pattern in self.formats.items():
            match = pattern.match(problem)
            if match is None:
                continue
            if skill in ("add", "sub"):
                a, b = self._number(match[1]), self._number(match[2])
                if skill == "add":
                    return skill, self._write(a + b, self.digits + 1)
                return (skill, self._write(a - b, self.digits)) if a >= b else None
            word = match[1]
            if skill == "cpy":
                return skill, word
            if skill == "rev":
                return skill, word[::-1]
            return skill, str(int(hashlib.sha256(word.encode()).hexdigest(), 16) % 100).zfill(2)
        return None

    def random_problem(self, skill: str, rng: np.random.Generator) -> str:
        """A uniformly random valid problem of ``skill`` (sub: a uniform pair, ordered so that a >= b)."""
        if skill in ("add", "sub"):
            a, b = (int(x) for x in rng.integers(10 ** self.digits, size=2))
            if skill == "sub":
                a, b = max(a, b), min(a, b)
            return f"{self._write(a, self.digits)}{'+' if skill == 'add' else '-'}{self._write(b, self.digits)}="
        word = "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=self.word_length))
        return f"{skill[0]}:{word}="

    def size(self, skill: str) -> int:
        """How many valid problems ``skill`` has."""
        if skill == "add":
            return 100 ** self.digits
        if skill == "sub":
            return 10 ** self.digits * (10 ** self.digits + 1) // 2
        return len(LETTERS) ** self.word_length

    def all_problems(self, skill: str) -> list[str]:
        """Every valid problem of ``skill`` (at most 1,000,000)."""
        if skill in ("add", "sub"):
            top = 10 ** self.digits
            out = [f"{self._write(a, self.digits)}{'+' if skill == 'add' else '-'}{self._write(b, self.digits)}="
                   for a in range(top) for b in range(top)]
            return [p for p in out if self.solve(p) is not None]
        words = [""]
        for _ in range(self.word_length):
            words = [w + c for w in words for c in LETTERS]
        return [f"{skill[0]}:{w}=" for w in words]

    def distinct(self, skill: str, n: int, rng: np.random.Generator, exclude=frozenset()) -> list[str]:
        """``n`` distinct problems of ``skill`` not in ``exclude`` (fewer if the skill has fewer)."""
        if self.size(skill) <= ENUMERATE_LIMIT:
            return [p for p in rng.permutation(self.all_problems(skill)) if p not in exclude][:n]
        out: dict[str, None] = {}
        while len(out) < min(n, self.size(skill) - len(exclude)):
            problem = self.random_problem(skill, rng)
            if problem not in exclude:
                out.setdefault(problem)
        return list(out)


DEFAULT_SPACE = ProblemSpace()


def solve(problem: Any, space: ProblemSpace = DEFAULT_SPACE) -> tuple[str, str] | None:
    """``(skill, answer)`` of a problem string of ``space``, or None (see :meth:`ProblemSpace.solve`)."""
    return space.solve(problem)


def random_problem(skill: str, rng: np.random.Generator, space: ProblemSpace = DEFAULT_SPACE) -> str:
    """A uniformly random valid problem of ``skill`` in ``space``."""
    return space.random_problem(skill, rng)


def all_problems(skill: str, space: ProblemSpace = DEFAULT_SPACE) -> list[str]:
    """Every valid problem of ``skill`` in ``space``."""
    return space.all_problems(skill)
