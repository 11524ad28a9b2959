"""Decoding teacher actions into data plans: allocation arithmetic and action checks.

An action outside the action space (wrong shape, NaN, out of bounds) raises
:class:`teachgym.InvalidLessonError` as in every teachgym env. An action inside
the space that makes no usable plan (all-zero weights, exploring a skill whose
tree is full, an unparseable text plan) is *rejected*: the step still costs a
budget unit, no data is made, and ``info["rejected"]`` says why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from teachgym.lessons import InvalidLessonError, read_int_vector, read_real_vector


def box_action(action, space: spaces.Box, what: str = "action") -> np.ndarray:
    """``action`` as float64 inside ``space``, or InvalidLessonError naming the bad entry.

    What an action may be: :func:`teachgym.lessons.read_real_vector`.
    """
    values = read_real_vector(action, space.shape, what)
    bad = ~((values >= space.low) & (values <= space.high) & np.isfinite(values))
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise InvalidLessonError(f"{what}[{i}] must be in [{space.low.reshape(-1)[i]}, {space.high.reshape(-1)[i]}], "
                                 f"got {values.reshape(-1)[i]}")
    return values


def multidiscrete_action(action, space: spaces.MultiDiscrete, what: str = "action") -> np.ndarray:
    """``action`` as int64 inside ``space``, or InvalidLessonError naming the bad entry.

    What an action may be: :func:`teachgym.lessons.read_int_vector` (integers only, never floats).
    """
    values = read_int_vector(action, space.shape, what)
    bad = ~((values >= 0) & (values < space.nvec))
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise InvalidLessonError(f"{what}[{i}] must be an integer in [0, {space.nvec.reshape(-1)[i] - 1}], "
                                 f"got {values.reshape(-1)[i]}")
    return values


class SpaceLessons:
    """A lesson space for the DataGen envs: the action space plus its JSON description."""

    def __init__(self, action_space: spaces.Space, description: dict):
        self.action_space = action_space
        self._description = description

    def describe(self) -> dict:
        return dict(self._description)

    def update(self, **fields) -> None:
        """Add settings known only once the env is built (e.g. the budget)."""
        self._description.update(fields)
