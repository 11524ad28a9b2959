"""The Student contract: something that learns and can be measured."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class LearnReport:
    """What one call to :meth:`Student.learn` did.

    Attributes:
        outcome: the student's result on the lesson while learning it (e.g. the
            episodic return, normalised where the student documents it). This is
            what a bandit teacher sees as ``info["outcome"]``.
        work: units of work spent (episodes, env steps, gradient steps).
        extras: student-specific statistics (losses, success counts, ...).
    """

    outcome: float
    work: int = 1
    extras: dict[str, Any] = field(default_factory=dict)


class Student(abc.ABC):
    """A learner a teacher environment wraps.

    A student knows nothing of who teaches it or which env wraps it. The env
    seeds it through :meth:`reset`; under the same seed (on CPU) every call
    sequence gives the same results.
    """

    @abc.abstractmethod
    def reset(self, rng: np.random.Generator) -> None:
        """Forget everything learned and take ``rng`` as the only source of randomness."""

    @abc.abstractmethod
    def learn(self, lesson: Any, budget: int = 1) -> LearnReport:
        """Train on ``lesson`` (a task, a distribution, a dataset) for ``budget`` units of work."""

    @abc.abstractmethod
    def evaluate(self, probes: Any) -> np.ndarray:
        """Competence on each probe (a fixed probe set), as a float array in the student's units."""

    @abc.abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume learning exactly (including RNG state)."""

    @abc.abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`state_dict`."""
