"""What every data-generation domain provides: a skill taxonomy, a generator, a verifier.

A domain (math, code, VQA) names its skills, each with subskills and
``n_difficulties`` difficulty levels, generates a verifiable example for any
``(skill, subskill, difficulty)``, checks examples written by someone else (an
LM engine), and builds the student that learns it.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from teachgym.student import Student


@dataclass(frozen=True)
class Skill:
    """One skill of a domain's taxonomy.

    Attributes:
        name: short identifier (used in text plans, e.g. ``add_carry``).
        description: one line a person or an LM teacher can read.
        subskills: ``(name, description)`` pairs; a Skill-Tree env reveals them one by one.
    """

    name: str
    description: str
    subskills: tuple[tuple[str, str], ...]

    @property
    def subskill_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.subskills)


@dataclass(frozen=True)
class Example:
    """A question with its verified answer (``scene``: the VQA scene it is about, else None)."""

    question: str
    answer: str
    scene: tuple | None = None


@dataclass
class Datum:
    """One example with its place in the taxonomy and where it came from.

    Attributes:
        id: unique within an episode (``"it3-0012"``; held-out sets ``"val-0007"``, ``"test-0007"``).
        provenance: who made it (``engine``, ``iteration``, the plan entry it served, the LM's
            name for LM data).
    """

    id: str
    skill: int
    subskill: int
    difficulty: int
    example: Example
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return self.example.question

    @property
    def answer(self) -> str:
        return self.example.answer

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "skill": self.skill, "subskill": self.subskill, "difficulty": self.difficulty,
               "question": self.example.question, "answer": self.example.answer, "provenance": self.provenance}
        if self.example.scene is not None:
            out["scene"] = [list(obj) for obj in self.example.scene]
        return out

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> "Datum":
        scene = tuple(tuple(obj) for obj in row["scene"]) if row.get("scene") is not None else None
        return cls(row["id"], int(row["skill"]), int(row["subskill"]), int(row["difficulty"]),
                   Example(row["question"], row["answer"], scene), dict(row.get("provenance", {})))


def parse_qa(text: str) -> Example | str:
    """The first ``<question>\\nA: <answer>`` in ``text`` (an LM's continuation of ``Q:``), or why there is none."""
    question, sep, rest = text.partition("\nA:")
    if not sep:
        return "no 'A:' line after the question"
    question, answer = question.strip(), rest.split("\n", 1)[0].strip()
    if not question or not answer or "\n" in question:
        return "empty question or answer, or a question over several lines"
    return Example(question, answer)


class Domain(abc.ABC):
    """A data-generation domain (see the module docstring).

    Attributes:
        name: ``"math"``, ``"code"``, ``"vqa"``.
        skills: the taxonomy.
        n_difficulties: difficulty levels ``0 .. n_difficulties - 1`` (0 easiest).
        text_only: whether an example is plain text (no scene to render).
        example_prefix: what an LM engine's prompt ends with; the LM continues an example
            in :meth:`format_example`'s form from there.
        default_train_steps: gradient steps per iteration that keep one teacher step
            (generate + train + evaluate) within about 3 s of one CPU core.
    """

    name: ClassVar[str]
    skills: tuple[Skill, ...]
    n_difficulties: ClassVar[int] = 3
    text_only: ClassVar[bool] = True
    example_prefix: ClassVar[str] = "Q:"
    default_train_steps: ClassVar[int] = 150

    def config(self) -> tuple:
        """The settings that change what the domain generates (domains with equal config are equal)."""
        return ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config() == self.config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.config()))

    @property
    def levels(self) -> tuple[int, ...]:
        """The default difficulty range: the levels the held-out sets cover and that requests
        leaving the difficulty open draw from (all levels unless a domain narrows it; a plan may
        still ask for any level ``0 .. n_difficulties - 1``)."""
        return tuple(range(self.n_difficulties))

    def foundation_problems(self, avoid: frozenset[str]) -> list[tuple[str, str]]:
        """The corpus the default student's base is pretrained on (none unless a domain has one).

        Args:
            avoid: content keys the corpus must not hold (the held-out sets).
        """
        return []

    @property
    def n_skills(self) -> int:
        return len(self.skills)

    @property
    def max_subskills(self) -> int:
        return max(len(s.subskills) for s in self.skills)

    def skill_index(self, name: str) -> int | None:
        for i, skill in enumerate(self.skills):
            if skill.name == name:
                return i
        return None

    @abc.abstractmethod
    def generate(self, skill: int, subskill: int, difficulty: int, rng: np.random.Generator) -> Example:
        """A fresh example of this skill/subskill at this difficulty, with its correct answer."""

    def content_key(self, example: Example) -> str:
        """What two examples must share to count as duplicates (held-out disjointness uses it)."""
        scene = "" if example.scene is None else repr(example.scene)
        return f"{example.question}\x1f{scene}"

    def verify(self, skill: int, example: Example) -> str | None:
        """None if ``example`` is a well-formed example of ``skill`` with the correct answer, else why not.

        Domains whose data only the programmatic generator writes may keep this default.
        """
        return "this domain cannot verify outside examples"

    def subskill_of(self, skill: int, example: Example) -> int | None:
        """The subskill a verified ``example`` of ``skill`` actually exercises, where the domain can tell.

        An LM asked for one subskill may write another; the engine labels its data with
        this when it is not None (VQA: the question's template), else with the subskill it asked for.
        """
        return None

    def format_example(self, example: Example) -> str:
        """``example`` as an LM engine shows it (it starts with :attr:`example_prefix`)."""
        return f"Q: {example.question}\nA: {example.answer}"

    def parse_example(self, text: str) -> Example | str:
        """The example in an LM's continuation of :attr:`example_prefix`, or why there is none.

        Text domains read ``<question>\nA: <answer>`` (the first such pair).
        """
        return parse_qa(text)

    @abc.abstractmethod
    def make_student(self, kind: str = "default", avoid: frozenset[str] = frozenset(), **kwargs: Any) -> Student:
        """A fresh (not yet reset) student for this domain.

        Args:
            kind: ``"default"`` (the domain's small torch model) or ``"lm"`` (a causal LM, text
                domains only).
            avoid: content keys a student's pretraining data must not hold (the held-out sets).
            kwargs: the student's settings.
        """

    @abc.abstractmethod
    def lesson(self, data: Sequence[Datum]) -> list:
        """``data`` in the form the student's ``learn``/``evaluate`` take."""

    @abc.abstractmethod
    def predict(self, student: Student, data: Sequence[Datum]) -> list[str]:
        """The student's answers to the questions of ``data``."""

    def fits(self, student: Student, example: Example) -> bool:
        """Whether the student can read ``example`` (e.g. its context length)."""
        return True

    def describe(self) -> dict[str, Any]:
        """The taxonomy as JSON (published at reset for teachers)."""
        return {
            "domain": self.name,
            "n_difficulties": self.n_difficulties,
            "levels": list(self.levels),
            "skills": [{"name": s.name, "description": s.description,
                        "subskills": [{"name": n, "description": d} for n, d in s.subskills]} for s in self.skills],
        }


class TextDomain(Domain):
    """A domain of text ``question -> answer`` pairs (math, code), learnt by a character transformer or a causal LM.

    Attributes:
        student_defaults: the character transformer's settings for this domain (context length, ...).
        n_warmup_problems: size of the tiny LM student's warm-up corpus.
    """

    student_defaults: ClassVar[dict[str, Any]] = {}
    n_warmup_problems: ClassVar[int] = 4096

    def make_student(self, kind: str = "default", avoid: frozenset[str] = frozenset(), **kwargs: Any) -> Student:
        if kind == "lm":
            from teachgym.students.datagen.causal_lm import CausalLMSFTStudent
            from teachgym.students.datagen.char_transformer import CHARSET

            max_len = kwargs.setdefault("max_len", self.student_defaults.get("max_len", 64) + 8)
            kwargs.setdefault("max_answer_len", self.student_defaults.get("max_answer_len", 12) + 1)
            if kwargs.get("model") is None:
                kwargs.setdefault("alphabet", CHARSET.replace("\n", ""))
                kwargs["tiny"] = {"max_positions": max_len, **(kwargs.get("tiny") or {})}
                if "warmup_problems" not in kwargs:
                    kwargs["warmup_problems"] = self.warmup_problems(self.n_warmup_problems, avoid)
            return CausalLMSFTStudent(**kwargs)
        from teachgym.students.datagen.char_transformer import CharTransformerStudent

        kwargs = {**self.student_defaults, **kwargs}
        if kwargs.get("base_steps") and "base_problems" not in kwargs:
            kwargs["base_problems"] = self.foundation_problems(frozenset(avoid))
        return CharTransformerStudent(**kwargs)

    def warmup_problems(self, n: int, avoid: frozenset[str] | set[str]) -> list[tuple[str, str]]:
        """``n`` pairs over every (skill, subskill, difficulty) in turn, from a fixed seed, none in ``avoid``."""
        rng = np.random.default_rng([7, *map(ord, self.name)])
        slots = [(k, sub, level) for k, skill in enumerate(self.skills) for sub in range(len(skill.subskills))
                 for level in range(self.n_difficulties)]
        out: list[tuple[str, str]] = []
        for i in range(50 * n):
            if len(out) == n:
                break
            example = self.generate(*slots[i % len(slots)], rng)
            if self.content_key(example) not in avoid:
                out.append((example.question, example.answer))
        return out

    def lesson(self, data: Sequence[Datum]) -> list:
        return [(d.question, d.answer) for d in data]

    def predict(self, student, data: Sequence[Datum]) -> list[str]:
        return student.predict([d.question for d in data])

    def fits(self, student, example: Example) -> bool:
        return student.fits(example.question, example.answer)
