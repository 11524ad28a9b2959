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


class Domain(abc.ABC):
    """A data-generation domain (see the module docstring).

    Attributes:
        name: ``"math"``, ``"code"``, ``"vqa"``.
        skills: the taxonomy.
        n_difficulties: difficulty levels ``0 .. n_difficulties - 1`` (0 easiest).
        text_only: whether an example is plain text (an LM engine can write it).
        default_train_steps: gradient steps per iteration that keep one teacher step
            (generate + train + evaluate) within about 3 s of one CPU core.
    """

    name: ClassVar[str]
    skills: tuple[Skill, ...]
    n_difficulties: ClassVar[int] = 3
    text_only: ClassVar[bool] = True
    default_train_steps: ClassVar[int] = 150

    def config(self) -> tuple:
        """The settings that change what the domain generates (domains with equal config are equal)."""
        return ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config() == self.config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.config()))

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

    @abc.abstractmethod
    def make_student(self, **kwargs: Any) -> Student:
        """A fresh (not yet reset) student for this domain."""

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
            "skills": [{"name": s.name, "description": s.description,
                        "subskills": [{"name": n, "description": d} for n, d in s.subskills]} for s in self.skills],
        }
