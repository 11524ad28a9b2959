"""Shared base of the FineTuneRL teachers: read the lesson layout, write mixture + offline share.

FineTuneRL envs name their lessons in ``info["lesson_space"]["names"]`` at
reset: ``offline_share`` (always) and, where the env offers exploration
policies, ``explore:<policy>`` mixture weights. They describe their
observation in ``info["observation_layout"]`` (name -> ``[start, stop)``).
A teacher built on :class:`OfflineOnlineTeacher` says which share and which
mixture it wants; mixture entries the env does not offer are dropped, so the
same teacher drives the linear env (a cover of exploration policies) and the
SB3 env (a share only).

These teachers only make sense on such envs: ``required_info`` names the
observation layout, so the registry matches them to FineTuneRL envs only.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError


class OfflineOnlineTeacher(Teacher):
    """Base class: subclasses implement :meth:`choose` -> ``(mixture by policy name, offline share)``."""

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box,)
    required_info: ClassVar[tuple[str, ...]] = ("observation_layout",)

    def _setup(self) -> None:
        self._names: list[str] | None = None
        self._layout: dict[str, tuple[int, int]] = {}

    def act(self, obs: Any, info: dict[str, Any]):
        if self._names is None:
            self._read_layout(info)
        mixture, share = self.choose(obs, info)
        action = np.zeros(len(self._names), dtype=np.float64)
        for name, weight in mixture.items():
            key = f"explore:{name}"
            if key in self._names:
                action[self._names.index(key)] = weight
        if not math.isfinite(share):
            share = 1.0
        action[self._names.index("offline_share")] = min(1.0, max(0.0, share))
        explore = [i for i, n in enumerate(self._names) if n.startswith("explore:")]
        if explore and not action[explore].sum() > 0:  # nothing offered or all NaN: exploit
            action[explore] = 0.0
            action[self._names.index("explore:greedy") if "explore:greedy" in self._names else explore[0]] = 1.0
        return np.clip(action, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)

    def choose(self, obs: Any, info: dict[str, Any]) -> tuple[dict[str, float], float]:
        """The next lesson: weights of exploration policies by name, and the offline share."""
        raise NotImplementedError

    # -- reading what the env published -----------------------------------------
    def _read_layout(self, info: dict[str, Any]) -> None:
        names = (keys.LESSON_SPACE.get(info) or {}).get("names")
        if not names or "offline_share" not in names or len(names) != self.action_space.shape[0]:
            raise ConfigError(f"{self.name} needs a FineTuneRL env: reset info['lesson_space']['names'] must name "
                              f"an 'offline_share' lesson (one name per action dimension); got {names!r}")
        self._names = list(names)
        layout = keys.OBSERVATION_LAYOUT.get(info) or {}
        self._layout = {key: (int(span[0]), int(span[1])) for key, span in layout.items()}

    def observed(self, obs: Any, key: str, default: float | np.ndarray) -> np.ndarray:
        """The observation entries named ``key``, finite, or ``default`` where the env publishes none."""
        span = self._layout.get(key)
        values = None
        if span is not None and obs is not None:
            flat = np.asarray(obs, dtype=np.float64).reshape(-1)
            if span[1] <= flat.size:
                values = flat[span[0]:span[1]]
        if values is None:
            values = np.atleast_1d(np.asarray(default, dtype=np.float64))
        return np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)

    def cover_names(self) -> list[str]:
        return [n.removeprefix("explore:") for n in self._names if n.startswith("explore:")]
