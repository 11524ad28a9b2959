"""Data-generation engines: turn a teacher's data requests into verified training data.

An engine receives :class:`DataRequest` s (skill, optional subskill and
difficulty, count) and returns :class:`~teachgym.envs.datagen.domain.Datum` s
with ids and provenance, plus an :class:`EngineReport` of what it made and
dropped. Every engine must avoid the held-out sets (content keys in ``avoid``).

- :class:`ProgrammaticEngine` (default): the domain's own generator.
- :class:`~teachgym.envs.datagen.lm_engine.LMDataEngine`: a causal LM writes the
  examples; they are parsed, verified and quality-checked.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from teachgym.envs.datagen.domain import Datum, Domain, Example


@dataclass(frozen=True)
class DataRequest:
    """``count`` examples of ``skill`` (and of ``subskill`` / at ``difficulty`` where given; else drawn uniformly)."""

    skill: int
    count: int
    subskill: int | None = None
    difficulty: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EngineReport:
    """What an engine did with one iteration's requests.

    Attributes:
        requested: examples asked for.
        accepted: examples kept as training data.
        dropped: reason -> count of examples made but not kept (wrong answer, duplicate,
            held-out collision, unparseable, too long for the student, ...).
        dropped_examples: up to a few dropped examples per reason, for the log.
    """

    requested: int = 0
    accepted: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_examples: list[dict[str, Any]] = field(default_factory=list)

    def drop(self, reason: str, detail: dict[str, Any] | None = None, keep: int = 3) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        if detail is not None and self.dropped[reason] <= keep:
            self.dropped_examples.append({"reason": reason, **detail})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DataEngine(abc.ABC):
    """Base class of data-generation engines."""

    name: str = "engine"

    @abc.abstractmethod
    def generate(self, domain: Domain, requests: Sequence[DataRequest], rng: np.random.Generator, *,
                 avoid: frozenset[str] | set[str], seen: set[str], fits: Callable[[Example], bool],
                 id_prefix: str, provenance: dict[str, Any]) -> tuple[list[Datum], EngineReport]:
        """Make the requested data.

        Args:
            avoid: content keys the data must never have (held-out sets).
            seen: content keys of the training data so far (engines that drop duplicates
                use it, and add the keys of what they accept).
            fits: whether the student can read an example.
            id_prefix: prefix of the new data's ids (``"it3"``).
            provenance: recorded with every datum (iteration, ...), extended by the engine.
        """


def resolve(request: DataRequest, domain: Domain, rng: np.random.Generator) -> tuple[int, int]:
    """The request's subskill and difficulty, drawing the ones left open uniformly (difficulty: from ``domain.levels``)."""
    n_sub = len(domain.skills[request.skill].subskills)
    subskill = int(rng.integers(n_sub)) if request.subskill is None else request.subskill
    levels = domain.levels
    difficulty = levels[int(rng.integers(len(levels)))] if request.difficulty is None else request.difficulty
    return subskill, difficulty


class ProgrammaticEngine(DataEngine):
    """The domain's generator: always-correct data, held-out items redrawn (duplicates allowed, as any sampler).

    Args:
        max_redraws: draws per example before giving up on one that avoids the held-out sets.
    """

    name = "programmatic"

    def __init__(self, max_redraws: int = 50):
        self.max_redraws = int(max_redraws)

    def generate(self, domain, requests, rng, *, avoid, seen, fits, id_prefix, provenance):
        report = EngineReport()
        data: list[Datum] = []
        for entry, request in enumerate(requests):
            report.requested += request.count
            for _ in range(request.count):
                subskill, difficulty = resolve(request, domain, rng)
                for _ in range(self.max_redraws):
                    example = domain.generate(request.skill, subskill, difficulty, rng)
                    key = domain.content_key(example)
                    if key not in avoid and fits(example):
                        break
                else:
                    report.drop("held_out_or_too_long", {"question": example.question})
                    continue
                seen.add(key)
                data.append(Datum(f"{id_prefix}-{len(data):04d}", request.skill, subskill, difficulty, example,
                                  {**provenance, "engine": self.name, "plan_entry": entry}))
        report.accepted = len(data)
        return data, report


def make_engine(engine: str | DataEngine, **kwargs: Any) -> DataEngine:
    """An engine from its name (``"programmatic"``, ``"lm"``) or an instance."""
    if isinstance(engine, DataEngine):
        return engine
    if engine == "programmatic":
        return ProgrammaticEngine(**kwargs)
    if engine == "lm":
        from teachgym.envs.datagen.lm_engine import LMDataEngine

        return LMDataEngine(**kwargs)
    from teachgym.validation import ConfigError

    raise ConfigError(f"engine must be 'programmatic', 'lm' or a DataEngine instance; got {engine!r}")
