"""Lesson spaces: how a teacher's action becomes the task a student practises.

A teacher env owns one lesson space. It builds the env's ``action_space`` and
turns each action into task parameters, refusing invalid actions with an error
that names the field and the allowed range (actions are never clipped).

- :class:`BoxLessons`: the action *is* the task-parameter vector.
- :class:`RegionLessons`: the action is one of K arms; each arm is a box region
  of the task space and the env draws the task uniformly inside it, so discrete
  bandits can teach on a continuous task space.
- :class:`DiscreteLessons`: the action is one of K items with no task space
  around them (a flashcard, a skill); the task is the item id itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from teachgym.validation import ConfigError, check_int


class InvalidLessonError(ValueError):
    """The teacher's action is not a valid lesson for this env."""


class BoxLessons:
    """Continuous lessons: the action is a task vector inside ``[low, high]``.

    The action space is a float32 Box, and float32 cannot hold every bound
    (``0.02`` becomes ``0.0199999995...``). Every point of that Box is a valid
    lesson: an action is checked against the union of the exact and the
    float32-rounded bounds, and a value in the rounding gap is returned as the
    exact bound, so tasks always lie in ``[low, high]``. Anything farther out
    is refused.
    """

    def __init__(self, low: Sequence[float], high: Sequence[float], names: Sequence[str] | None = None):
        self.low = np.asarray(low, dtype=np.float64)
        self.high = np.asarray(high, dtype=np.float64)
        if self.low.shape != self.high.shape or self.low.ndim != 1:
            raise ConfigError(f"task bounds must be two 1-D sequences of equal length, got {self.low.shape} and {self.high.shape}")
        if not np.all(self.low < self.high):
            raise ConfigError(f"every task lower bound must be below its upper bound, got low={low}, high={high}")
        self.names = tuple(names) if names is not None else tuple(f"task[{i}]" for i in range(self.low.size))
        self.action_space = spaces.Box(self.low.astype(np.float32), self.high.astype(np.float32), dtype=np.float32)
        # (accepted low, accepted high, exact low, exact high) per dimension; see the class docstring.
        accept_low = np.minimum(self.low, self.action_space.low.astype(np.float64))
        accept_high = np.maximum(self.high, self.action_space.high.astype(np.float64))
        self._bounds = list(zip(accept_low.tolist(), accept_high.tolist(), self.low.tolist(), self.high.tolist()))

    @property
    def dim(self) -> int:
        return self.low.size

    def to_task(self, action, rng: np.random.Generator) -> np.ndarray:
        """Return the task vector for ``action`` (float64), or raise InvalidLessonError."""
        try:
            values = np.array(action, dtype=np.float64).reshape(-1)  # a copy: the rounding fix below writes into it
        except (TypeError, ValueError):
            raise InvalidLessonError(f"action must be a numeric vector of length {self.dim}, got {action!r}") from None
        if values.size != len(self._bounds):
            raise InvalidLessonError(f"action must have length {self.dim}, got shape {np.shape(action)}")
        # One Python pass beats several numpy reductions for the 1-6 dims teachers use.
        for i, (value, (lo, hi, exact_lo, exact_hi)) in enumerate(zip(values.tolist(), self._bounds)):
            if not lo <= value <= hi:  # also catches NaN
                raise InvalidLessonError(f"action[{i}] ({self.names[i]}) must be in [{exact_lo}, {exact_hi}], "
                                         f"got {value}")
            if value < exact_lo:
                values[i] = exact_lo
            elif value > exact_hi:
                values[i] = exact_hi
        return values

    def describe(self) -> dict:
        return {"kind": "box", "low": self.low.tolist(), "high": self.high.tolist(), "names": list(self.names)}


class RegionLessons:
    """Discrete lessons: arm ``k`` draws a task uniformly in box region ``k``."""

    def __init__(self, region_low: np.ndarray, region_high: np.ndarray, names: Sequence[str] | None = None):
        self.region_low = np.asarray(region_low, dtype=np.float64)
        self.region_high = np.asarray(region_high, dtype=np.float64)
        if self.region_low.ndim != 2 or self.region_low.shape != self.region_high.shape:
            raise ConfigError("region bounds must be two (K, d) arrays of equal shape")
        if not np.all(self.region_low <= self.region_high):
            raise ConfigError("every region's lower corner must be <= its upper corner")
        self.n_arms = self.region_low.shape[0]
        self.names = tuple(f"task[{i}]" for i in range(self.region_low.shape[1])) if names is None else tuple(names)
        self.action_space = spaces.Discrete(self.n_arms)

    @classmethod
    def grid(cls, low: Sequence[float], high: Sequence[float], bins: Sequence[int] | int, names=None) -> "RegionLessons":
        """Split the box ``[low, high]`` into a regular grid of ``prod(bins)`` regions (row-major order)."""
        low = np.asarray(low, dtype=np.float64)
        high = np.asarray(high, dtype=np.float64)
        if isinstance(bins, int):
            bins = [bins] * low.size
        bins = [check_int(f"bins[{i}]", b, low=1) for i, b in enumerate(bins)]
        if len(bins) != low.size:
            raise ConfigError(f"bins must have one entry per task dimension ({low.size}), got {len(bins)}")
        edges = [np.linspace(lo, hi, b + 1) for lo, hi, b in zip(low, high, bins)]
        cells = list(itertools.product(*[range(b) for b in bins]))
        region_low = np.array([[edges[d][c[d]] for d in range(low.size)] for c in cells])
        region_high = np.array([[edges[d][c[d] + 1] for d in range(low.size)] for c in cells])
        return cls(region_low, region_high, names)

    def to_task(self, action, rng: np.random.Generator) -> np.ndarray:
        arm = self.arm(action)
        return rng.uniform(self.region_low[arm], self.region_high[arm])

    def arm(self, action) -> int:
        try:
            value = float(np.asarray(action).reshape(()))
        except (TypeError, ValueError):
            raise InvalidLessonError(f"action must be one integer arm id in [0, {self.n_arms - 1}], got {action!r}") from None
        if not (math.isfinite(value) and value.is_integer() and 0 <= value < self.n_arms):
            raise InvalidLessonError(f"action must be an integer arm id in [0, {self.n_arms - 1}], got {action!r}")
        return int(value)

    def describe(self) -> dict:
        return {
            "kind": "regions",
            "n_arms": self.n_arms,
            "low": self.region_low.tolist(),
            "high": self.region_high.tolist(),
            "names": list(self.names),
        }


class DiscreteLessons(RegionLessons):
    """Pure item choice: arm ``k`` is the task ``[k]`` (a point region, so no random draw).

    For envs whose lessons are items rather than regions of a task space
    (flashcards, skills). Validation and ``arm`` are those of RegionLessons.
    """

    def __init__(self, n_items: int, names: Sequence[str] | None = None):
        n_items = check_int("n_items", n_items, low=1)
        ids = np.arange(n_items, dtype=np.float64)[:, None]
        super().__init__(ids, ids.copy(), names=names)

    def to_task(self, action, rng: np.random.Generator) -> np.ndarray:
        return np.array([float(self.arm(action))])

    def describe(self) -> dict:
        return {"kind": "items", "n_arms": self.n_arms, "names": list(self.names)}


class MixtureBox(spaces.Box):
    """A Box whose coordinates are unnormalised mixture weights over arms.

    Envs whose Box action is a mixture (the step's problems are drawn from the
    arms in proportion to the weights) use this space type, so that teachers
    which read a Box as mixture weights declare ``supported_spaces = (Discrete,
    MixtureBox)`` and are matched to those envs only, never to Boxes of task
    parameters. It is a ``Box`` in every other respect (Gymnasium and SB3 see a
    Box; wrappers that rebuild the space, such as ``RescaleAction``, give a
    plain Box back).
    """

    def __repr__(self) -> str:
        return "Mixture" + super().__repr__()


class MixtureLessons(BoxLessons):
    """Distribution-level lessons over ``n`` arms: the action is a :class:`MixtureBox` in ``[0, 1]^n``.

    The task is the weight vector itself; the env normalises it (and documents
    what all-zero weights mean).
    """

    def __init__(self, names: Sequence[str]):
        n_arms = check_int("n_arms", len(names), low=1)
        super().__init__([0.0] * n_arms, [1.0] * n_arms, names=names)
        self.action_space = MixtureBox(self.low.astype(np.float32), self.high.astype(np.float32), dtype=np.float32)

    def describe(self) -> dict:
        return {**super().describe(), "kind": "mixture"}
