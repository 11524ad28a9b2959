"""The Box task space as the level-based teachers see it: bounds, lessons, and what an env published.

PLR, SFL, ADR, SPDL, ACCEL and the generative task setters treat a ``Box`` action
as a space of task parameters with finite bounds. These helpers read those
bounds once, turn a float64 task into a lesson that is inside the space after
the cast to the space's dtype, and read the optional ``info`` values the
teachers use (the teaching budget, the env's easy and hard tasks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.validation import ConfigError

DEFAULT_BUDGET = 1000  # teacher steps assumed when the env does not publish info["teaching_budget"]


class TaskBox:
    """Finite bounds of a Box action space, flattened to float64 vectors.

    Attributes:
        low, high: the bounds, shape ``(dim,)``.
        width: ``high - low``.
        dim: number of task parameters.
    """

    def __init__(self, space: spaces.Box):
        low = np.asarray(space.low, dtype=np.float64).reshape(-1)
        high = np.asarray(space.high, dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ConfigError(f"this teacher needs a Box action space with finite bounds; got {space}")
        self.space = space
        self.low, self.high = low, high
        self.width = high - low
        self.dim = low.size

    def uniform(self, rng: np.random.Generator) -> np.ndarray:
        """A task drawn uniformly in the box."""
        return rng.uniform(self.low, self.high)

    def clip(self, task: np.ndarray) -> np.ndarray:
        """``task`` with NaN replaced by the box centre and every entry clipped into the bounds."""
        task = np.asarray(task, dtype=np.float64).reshape(-1)
        task = np.where(np.isnan(task), (self.low + self.high) / 2, task)
        return np.minimum(np.maximum(task, self.low), self.high)

    def lesson(self, task: np.ndarray) -> np.ndarray:
        """``task`` as an element of the action space (clipped after the cast, so rounding cannot leave it)."""
        space = self.space
        out = self.clip(task).astype(space.dtype)
        return np.minimum(np.maximum(out, space.low.reshape(-1)), space.high.reshape(-1)).reshape(space.shape)

    def read_task(self, info: Mapping[str, Any], action: Any) -> np.ndarray | None:
        """The task the student practised (``info["task"]``, else the action) as float64, or None if unusable."""
        for candidate in (keys.TASK.get(info) if isinstance(info, Mapping) else None, action):
            try:
                task = np.asarray(candidate, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                continue
            if task.size >= self.dim and np.all(np.isfinite(task[: self.dim])):
                return task[: self.dim].copy()
        return None

    def published_task(self, info: Mapping[str, Any], which: str) -> np.ndarray | None:
        """``info["easy_to_hard"][which]`` (``"easy"`` or ``"hard"``) clipped into the box, or None if absent."""
        schedule = keys.EASY_TO_HARD.get(info) if isinstance(info, Mapping) else None
        if not isinstance(schedule, Mapping) or which not in schedule:
            return None
        try:
            task = np.asarray(schedule[which], dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            return None
        if task.size != self.dim or not np.all(np.isfinite(task)):
            return None
        return self.clip(task)


def teaching_budget(info: Mapping[str, Any], default: int = DEFAULT_BUDGET) -> int:
    """The env's ``info["teaching_budget"]`` (teacher steps in the episode), else ``default``."""
    budget = keys.TEACHING_BUDGET.get(info) if isinstance(info, Mapping) else None
    try:
        budget = int(budget)
    except (TypeError, ValueError, OverflowError):
        return default
    return budget if budget >= 1 else default


def clipped_success(outcome: float) -> float:
    """An outcome read as a success rate: clipped into [0, 1]."""
    return min(1.0, max(0.0, outcome))
