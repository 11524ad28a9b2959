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

What an action may be (the same in every env; :func:`read_arm`,
:func:`read_real_vector`, :func:`read_int_vector`):

- Discrete arm: a Python ``int`` (not ``bool``), a numpy integer scalar, or a
  numpy integer array of shape ``()`` or ``(1,)`` (what SB3's ``predict``
  returns). Floats (even ``1.0``), strings, bytes, lists and complex numbers are
  refused.
- Box vector: a numpy array of an integer or real floating dtype, or a list or
  tuple of Python / numpy ints and floats (not bools), of exactly the space's
  shape, every entry finite and inside the bounds. Complex, bool, string and
  object arrays are refused.
- MultiDiscrete vector: a numpy integer array, or a list or tuple of Python /
  numpy ints (not bools), of exactly the space's shape, every entry in range.

A refused action raises :class:`InvalidLessonError` before the env changes (no
random draw, no step counted).
"""

from __future__ import annotations

import itertools
import reprlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.validation import ConfigError, check_int


class InvalidLessonError(ValueError):
    """The teacher's action is not a valid lesson for this env."""


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxtuple, _REPR.maxlong = 60, 60, 8, 8, 40
_REAL_KINDS = "iuf"  # numpy dtype kinds of integers and real floats


def brief(value: Any) -> str:
    """A ``repr`` of ``value`` cut to a readable length (a 400-digit int or a 2,000-char plan is shortened)."""
    return _REPR.repr(value)


def show(action: Any) -> str:
    """``brief(action)`` with the action's type, for error messages."""
    return f"{brief(action)} ({type(action).__name__})"


def read_arm(action: Any, n_arms: int, what: str = "action") -> int:
    """The arm id ``action`` names, as an int in ``[0, n_arms)``, or InvalidLessonError.

    Accepted: a Python int (not bool), a numpy integer scalar, a numpy integer
    array of shape ``()`` or ``(1,)``.
    """
    allowed = (f"{what} must be an integer arm id in [0, {n_arms - 1}] (a Python int, a numpy integer, or an "
               f"integer array of shape () or (1,))")
    if isinstance(action, np.ndarray) and action.dtype.kind in "iu" and action.shape in ((), (1,)):
        action = action.reshape(())[()]
    if isinstance(action, bool) or not isinstance(action, (int, np.integer)):
        raise InvalidLessonError(f"{allowed}; got {show(action)}")
    value = int(action)
    if not 0 <= value < n_arms:
        raise InvalidLessonError(f"{allowed}; got {show(action)}")
    return value


def _numbers(action: Any, shape: tuple[int, ...], what: str, kinds: str, allowed: str) -> np.ndarray:
    """``action`` as a numpy array of one of the dtype ``kinds`` and exactly ``shape``, or InvalidLessonError."""
    if isinstance(action, (list, tuple)):
        items = list(action)
        while items and isinstance(items[0], (list, tuple)):
            items = [x for row in items for x in (row if isinstance(row, (list, tuple)) else [row])]
        if any(isinstance(x, (bool, np.bool_)) for x in items):
            raise InvalidLessonError(f"{what} must be {allowed} of shape {shape}, not bools; got {show(action)}")
    elif not isinstance(action, np.ndarray):
        raise InvalidLessonError(f"{what} must be {allowed} of shape {shape} (a numpy array, list or tuple); "
                                 f"got {show(action)}")
    try:
        values = np.asarray(action)
    except (TypeError, ValueError, OverflowError):  # ragged or unconvertible
        raise InvalidLessonError(f"{what} must be {allowed} of shape {shape}; got {show(action)}") from None
    if values.dtype.kind not in kinds:
        raise InvalidLessonError(f"{what} must be {allowed} of shape {shape}; got dtype {values.dtype} "
                                 f"({show(action)})")
    if values.shape != tuple(shape):
        raise InvalidLessonError(f"{what} must be {allowed} of shape {shape}; got shape {values.shape}")
    return values


def read_real_vector(action: Any, shape: tuple[int, ...], what: str = "action") -> np.ndarray:
    """``action`` as a float64 array of exactly ``shape``, or InvalidLessonError (see the module docstring).

    Finiteness and bounds are the caller's checks; the values returned are a copy.
    """
    values = _numbers(action, shape, what, _REAL_KINDS, "real numbers (int or float)")
    return values.astype(np.float64)


def read_int_vector(action: Any, shape: tuple[int, ...], what: str = "action") -> np.ndarray:
    """``action`` as an int64 array of exactly ``shape``, or InvalidLessonError (see the module docstring).

    Ranges are the caller's check.
    """
    values = _numbers(action, shape, what, "iu", "integers")
    if values.dtype.kind == "u" and values.size and values.max() > np.iinfo(np.int64).max:
        raise InvalidLessonError(f"{what} has an entry beyond int64; got {show(action)}")
    return values.astype(np.int64)


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
        values = read_real_vector(action, (self.dim,))  # a copy: the rounding fix below writes into it
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
        """The arm id of ``action`` (rules: :func:`read_arm`), or InvalidLessonError."""
        return read_arm(action, self.n_arms)

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
