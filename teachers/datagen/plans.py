"""Shared logic of the data-generation teachers: read the env's feedback, write any structure's action.

The DataGen envs publish, at reset, ``info["lesson_space"]`` (the structure:
``kind`` = ``allocation`` / ``open_ended`` / ``skill_tree``, the ``budget``,
skill names...) and on every step ``skill_accuracy``, ``subskill_accuracy``,
``data_counts`` (and ``tree`` / ``action_mask`` on the Skill-Tree). A data
teacher decides *how much of each skill (or subskill slot)* to teach;
:class:`DataTeacher` turns that into the structure's action. Feedback is
sanitised (NaN / inf / out-of-range values become 0 or are clipped), so odd
input never crashes a teacher.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.utils.numeric import largest_remainder
from teachgym.validation import ConfigError


def _clean(values: Any, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """``values`` as a finite float array in [0, 1] of ``shape`` (None if missing or malformed)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if shape is not None and array.shape != shape:
        return None
    return np.clip(np.nan_to_num(array, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


class DataTeacher(Teacher):
    """Base of the data-generation teachers (see the module docstring).

    Subclasses implement :meth:`plan`, returning skill weights (length ``n_skills``)
    and optionally slot weights (``(n_skills, max_subskills)``), or override :meth:`act`.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box, spaces.MultiDiscrete, spaces.Text)
    required_info: ClassVar[tuple[str, ...]] = ("taxonomy",)

    def _setup(self) -> None:
        self.layout: dict[str, Any] | None = None
        self.taxonomy: dict[str, Any] | None = None
        self.skill_accuracy: np.ndarray | None = None
        self.subskill_accuracy: np.ndarray | None = None
        self.tree: np.ndarray | None = None
        self.steps = 0

    # -- feedback ------------------------------------------------------------------
    def _read(self, info: dict[str, Any]) -> None:
        space = keys.LESSON_SPACE.get(info)
        if isinstance(space, dict) and space.get("kind") in (
                "allocation", "open_ended", "skill_tree"):
            self.layout = space
        if isinstance(keys.TAXONOMY.get(info), dict):
            self.taxonomy = keys.TAXONOMY.get(info)
        if self.layout is None:
            raise ConfigError(f"{type(self).__name__} needs a teachgym DataGen env (info['lesson_space'] with kind "
                              "'allocation', 'open_ended' or 'skill_tree' at reset)")
        k, s = self.n_skills, int(self.layout.get("max_subskills", 1))
        self.skill_accuracy = _pick(_clean(keys.SKILL_ACCURACY.get(info), (k,)), self.skill_accuracy, np.zeros(k))
        self.subskill_accuracy = _pick(_clean(keys.SUBSKILL_ACCURACY.get(info), (k, s)), self.subskill_accuracy,
                                       np.zeros((k, s)))
        tree = _clean(keys.TREE.get(info), (k, s))
        if tree is not None:
            self.tree = tree > 0.5

    @property
    def n_skills(self) -> int:
        return len(self.layout["skills"])

    def update(self, action, reward, obs, info) -> None:
        self.steps += 1

    # -- decisions -------------------------------------------------------------------
    def plan(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(skill_weights, slot_weights or None)`` for the next iteration."""
        raise NotImplementedError

    def act(self, obs, info):
        self._read(info)
        skill_weights, slot_weights = self.plan()
        return self.encode(skill_weights, slot_weights)

    def exploit_action(self, slot_weights: np.ndarray) -> np.ndarray:
        """A Skill-Tree exploit action with these (already masked) slot weights."""
        levels = int(self.layout["n_levels"])
        top = slot_weights.max()
        quantised = np.zeros(slot_weights.size, dtype=np.int64) if top <= 0 else np.rint(
            slot_weights.reshape(-1) / top * (levels - 1)).astype(np.int64)
        if not quantised.any():  # nothing discovered carries weight: fall back to the first discovered slot
            tree = self.tree if self.tree is not None else np.eye(1, slot_weights.size, dtype=bool).reshape(slot_weights.shape)
            quantised[int(np.flatnonzero(tree.reshape(-1))[0]) if tree.any() else 0] = 1
        return np.concatenate([[0, 0], quantised]).astype(np.int64)

    def encode(self, skill_weights: np.ndarray, slot_weights: np.ndarray | None = None):
        """The action of the env's structure that teaches in proportion to the weights."""
        skill_weights = np.clip(np.nan_to_num(np.asarray(skill_weights, dtype=np.float64)), 0.0, None)
        if skill_weights.sum() <= 0:
            skill_weights = np.ones(self.n_skills)
        kind, space = self.layout["kind"], self.action_space
        if kind == "skill_tree":
            if slot_weights is None:
                slot_weights = np.repeat(skill_weights[:, None], int(self.layout["max_subskills"]), axis=1)
            tree = self.tree if self.tree is not None else np.zeros_like(slot_weights, dtype=bool)
            return self.exploit_action(np.where(tree, slot_weights, 0.0))
        if isinstance(space, spaces.Box):
            return (skill_weights / skill_weights.max()).astype(space.dtype)
        if isinstance(space, spaces.Text):
            counts = largest_remainder(skill_weights, int(self.layout["budget"]))
            return "\n".join(f"{name} {c}" for name, c in zip(self.layout["skills"], counts) if c > 0)
        if kind == "allocation":
            levels = int(space.nvec[0])
            quantised = np.rint(skill_weights / skill_weights.max() * (levels - 1)).astype(np.int64)
            return quantised
        return self._open_ended_entries(skill_weights, slot_weights)

    def _open_ended_entries(self, skill_weights: np.ndarray, slot_weights: np.ndarray | None) -> np.ndarray:
        nvec = self.action_space.nvec.reshape(-1, 4)
        n_entries, any_subskill, any_difficulty, amounts = len(nvec), nvec[0, 1] - 1, nvec[0, 2] - 1, nvec[0, 3]
        if slot_weights is not None:
            flat = slot_weights.reshape(-1)
            choices = [(i // slot_weights.shape[1], i % slot_weights.shape[1], w) for i, w in enumerate(flat)]
        else:
            choices = [(k, any_subskill, w) for k, w in enumerate(skill_weights)]
        # Highest weights first; ties broken at random so equal weights rotate over steps.
        noise = self.rng.random(len(choices))
        order = sorted(range(len(choices)), key=lambda i: (-choices[i][2], noise[i]))[:n_entries]
        top = max(choices[order[0]][2], 1e-12)
        action = np.zeros((n_entries, 4), dtype=np.int64)
        for row, i in enumerate(order):
            skill, subskill, weight = choices[i]
            amount = int(np.clip(np.rint(weight / top * (amounts - 1)), 1 if weight > 0 else 0, amounts - 1))
            action[row] = (skill, subskill, any_difficulty, amount)
        if not action[:, 3].any():
            action[0, 3] = 1
        return action.reshape(-1)


def _pick(new, old, default):
    if new is not None:
        return new
    return old if old is not None else default
