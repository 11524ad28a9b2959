"""reasoning-gym's fixed curriculum: raise a skill's level when its accuracy passes a threshold."""

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.lessons import MixtureBox
from teachgym.teacher import Teacher
from teachgym.utils.numeric import finite_float
from teachgym.validation import ConfigError, check_choice, check_float, check_int


class RGThresholdTeacher(Teacher):
    """The fixed threshold curriculum reasoning-gym's users run (``BaseCurriculum.increment_attr_level``).

    Every skill (a reasoning-gym dataset; on the other GRPO envs an operation)
    starts at its lowest level. The teacher cycles over the skills, practising
    each at its current level (an arm drawn uniformly among the skill's arms at
    that level); once the skill's accuracy at that level, averaged over its last
    ``window`` practice steps, reaches ``threshold``, the skill moves up one
    level. With ``failure_threshold`` set it also moves down a level when that
    average falls to or below it. On a ``MixtureBox`` (mixture) action space the
    lesson weights every skill's current arms equally.

    The accuracy is, per ``signal``: ``"reward"``, the mean GRPO reward of the
    arm's completions in the step (``info["arm_reward_mean"]``, what reasoning-gym's
    training scripts track), falling back on ``info["outcome"]``; or ``"probe"``,
    the env's greedy probe accuracy of the arm (``info["arm_accuracy"]``).

    Args:
        threshold: accuracy in (0, 1] that moves a skill up a level.
        window: practice steps averaged, >= 1.
        signal: "reward" or "probe".
        failure_threshold: None, or an accuracy in [0, threshold) that moves a skill down a level.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete, MixtureBox)
    required_info: ClassVar[tuple[str, ...]] = (keys.ARM_SKILL.name, keys.ARM_LEVEL.name)

    def __init__(self, threshold: float = 0.7, window: int = 2, signal: str = "reward",
                 failure_threshold: float | None = None):
        super().__init__()
        self.threshold = check_float("threshold", threshold, low=0.0, high=1.0, low_open=True)
        self.window = check_int("window", window, low=1, high=10_000)
        self.signal = check_choice("signal", signal, ("reward", "probe"))
        if failure_threshold is not None:
            failure_threshold = check_float("failure_threshold", failure_threshold, low=0.0, high=self.threshold,
                                            high_open=True)
        self.failure_threshold = failure_threshold

    def _setup(self) -> None:
        space = self.action_space
        self.n_arms = int(space.n) if isinstance(space, spaces.Discrete) else int(np.prod(space.shape))
        self._discrete = isinstance(space, spaces.Discrete)
        self.skills: list[str] = []
        self._ladders: list[list[list[int]]] = []  # per skill, per level rank: its arms
        self.level_index: list[int] = []  # per skill: rank of its current level
        self._recent: list[deque] = []
        self._turn = 0

    # -- curriculum state ------------------------------------------------------
    def _read_arms(self, info: dict[str, Any]) -> None:
        skills, levels = keys.ARM_SKILL.get(info), keys.ARM_LEVEL.get(info)
        if skills is None or levels is None:
            if self.skills:
                return  # a step's info: the arms were read at reset
            raise ConfigError("rg-threshold needs info['arm_skill'] and info['arm_level'] at reset (GRPO envs)")
        skills, levels = list(skills), [float(v) for v in levels]
        if len(skills) != self.n_arms or len(levels) != self.n_arms:
            raise ConfigError(f"info['arm_skill'] and info['arm_level'] must have one entry per arm ({self.n_arms}), "
                              f"got {len(skills)} and {len(levels)}")
        self.skills = list(dict.fromkeys(skills))
        self._ladders = []
        for skill in self.skills:
            mine = [i for i in range(self.n_arms) if skills[i] == skill]
            ranks = sorted({levels[i] for i in mine})
            self._ladders.append([[i for i in mine if levels[i] == level] for level in ranks])
        self.level_index = [0] * len(self.skills)
        self._recent = [deque(maxlen=self.window) for _ in self.skills]
        self._turn = 0

    def current_arms(self, skill: int) -> list[int]:
        """The arms of skill ``skill`` at its current level."""
        return self._ladders[skill][self.level_index[skill]]

    def levels(self) -> dict[str, int]:
        """Each skill's current level rank (0 = its lowest level)."""
        return dict(zip(self.skills, self.level_index))

    # -- Teacher API -----------------------------------------------------------
    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        if keys.EPISODE_START.get(info, False) or not self.skills:
            self._read_arms(info)
        if self._discrete:
            skill = self._turn % len(self.skills)
            self._turn += 1
            arms = self.current_arms(skill)
            return int(self.action_space.start + arms[int(self.rng.integers(len(arms)))])
        weights = np.zeros(self.n_arms)
        for skill in range(len(self.skills)):
            arms = self.current_arms(skill)
            weights[arms] = 1.0 / (len(arms) * len(self.skills))
        space = self.action_space
        low, high = space.low.astype(np.float64).reshape(-1), space.high.astype(np.float64).reshape(-1)
        return np.clip(low + weights * (high - low), low, high).reshape(space.shape).astype(space.dtype)

    def update(self, action: Any, reward: float, obs: Any, info: dict[str, Any]) -> None:
        if not self.skills:
            return
        for skill in range(len(self.skills)):
            value = self._accuracy(self.current_arms(skill), action, info)
            if value is None:
                continue
            recent = self._recent[skill]
            recent.append(value)
            if len(recent) < self.window:
                continue
            mean = float(np.mean(recent))
            top = len(self._ladders[skill]) - 1
            if mean >= self.threshold and self.level_index[skill] < top:
                self.level_index[skill] += 1
                recent.clear()
            elif (self.failure_threshold is not None and mean <= self.failure_threshold
                  and self.level_index[skill] > 0):
                self.level_index[skill] -= 1
                recent.clear()

    def _accuracy(self, arms: list[int], action: Any, info: dict[str, Any]) -> float | None:
        """Accuracy of the step on these arms (None if they were not practised)."""
        if self._discrete:
            practised = [int(action) - int(self.action_space.start)]
        else:
            share = keys.ARM_SHARE.get(info)
            practised = [] if share is None else [i for i, s in enumerate(np.asarray(share).reshape(-1)) if s > 0]
        practised = [a for a in arms if a in practised]
        if not practised:
            return None
        if self.signal == "probe":
            accuracy = keys.ARM_ACCURACY.get(info)
            if accuracy is None:
                return None
            values = [finite_float(np.asarray(accuracy, dtype=np.float64).reshape(-1)[a]) for a in practised]
        else:
            by_arm = keys.ARM_REWARD_MEAN.get(info) or {}
            values = [finite_float(by_arm.get(a)) for a in practised]
            if all(v is None for v in values) and self._discrete:
                values = [finite_float(keys.OUTCOME.get(info))]
        values = [v for v in values if v is not None and math.isfinite(v)]
        return float(np.mean(values)) if values else None
