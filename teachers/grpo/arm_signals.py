"""What the GRPO curriculum teachers share: arms, lesson shares, per-arm signals.

An *arm* is one lesson of a ``Discrete`` action space, or one coordinate of a
:class:`teachgym.lessons.MixtureBox` action: unnormalised mixture weights over
arms (the distribution-level envs, as in DUMP). A plain ``Box`` (task
parameters, as on ``ToyCurriculum-v0``) is not supported: read as mixture
weights it would be meaningless, so the registry never pairs these teachers
with such envs, and ``reset`` refuses one. :class:`ArmTeacher` turns a per-arm
distribution into an action and each step's ``info`` into per-arm signals.

Signals, from the GRPO env's ``info`` (see :class:`teachgym.envs.grpo.env.GRPOCurriculumEnv`),
with fall-backs so that the teachers run on any env:

- :meth:`ArmTeacher.advantage_signals`: mean |advantage| per practised arm
  (``info["arm_advantage_abs"]``, else ``info["advantage_abs_mean"]`` for the
  whole lesson); without either, the absolute learning progress of
  ``info["outcome"]`` (``|outcome - previous outcome|``, rescaled by its running
  max into [0, 1]).
- :meth:`ArmTeacher.success_signals`: success rate per practised arm
  (``info["arm_reward_mean"]``, GRPO's sampled accuracy), else
  ``info["outcome"]`` clipped into [0, 1].

Box lessons credit every arm with its share of the lesson; non-finite values
are dropped, never learned.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.lessons import MixtureBox
from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.learning_progress import MAX_PROGRESS, ProgressScale, arm_of, sample_index
from teachgym.validation import check_float


def stable_softmax(values: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(values / temperature)`` that survives inf/NaN: +inf entries share all mass, NaN counts as -inf.

    >>> stable_softmax(np.array([0.0, np.inf, np.inf]), 1.0).tolist()
    [0.0, 0.5, 0.5]
    >>> stable_softmax(np.array([np.nan, np.nan]), 0.1).tolist()
    [0.5, 0.5]
    """
    values = np.where(np.isnan(values), -np.inf, np.asarray(values, dtype=np.float64))
    top = values == np.inf
    if top.any():
        return top / top.sum()
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(values.size, 1.0 / values.size)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (values - values[finite].max()) / temperature
        weights = np.where(finite, np.exp(np.clip(scaled, -700.0, 0.0)), 0.0)
    total = weights.sum()
    return weights / total if total > 0.0 and math.isfinite(total) else np.full(values.size, 1.0 / values.size)


class ArmTeacher(Teacher):
    """Base of the arm-level GRPO curriculum teachers (see the module docstring).

    Subclasses implement :meth:`distribution` (a probability per arm) and
    :meth:`learn_arm` (one practised arm's signal), and set ``signal`` to the
    kind of per-arm signal they learn from: ``"advantage"``
    (:meth:`advantage_signals`) or ``"success"`` (:meth:`success_signals`).

    Args:
        explore: probability of a uniformly random lesson instead (epsilon
            exploration; for Box lessons also what makes two seeds differ on a
            deterministic env).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete, MixtureBox)
    signal: ClassVar[str] = "advantage"

    def __init__(self, explore: float = 0.05):
        super().__init__()
        self.explore = check_float("explore", explore, low=0.0, high=1.0)

    def _setup(self) -> None:
        space = self.action_space
        self.n_arms = int(space.n) if isinstance(space, spaces.Discrete) else int(np.prod(space.shape))
        self.steps = 0
        self._last_outcome = np.full(self.n_arms, np.nan)
        self._progress_scale = ProgressScale()
        self._reset_arms()

    def _reset_arms(self) -> None:
        """Forget every per-arm statistic (after ``n_arms`` is set)."""

    def distribution(self, info: dict[str, Any]) -> np.ndarray:
        """Probability of each arm for the next lesson (non-negative, sums to 1)."""
        raise NotImplementedError

    def learn_arm(self, arm: int, value: float, weight: float) -> None:
        """Learn arm ``arm``'s finite signal ``value``; ``weight`` is its lesson share (1 for a Discrete lesson)."""
        raise NotImplementedError

    def update(self, action, reward, obs, info) -> None:
        self.steps += 1
        shares = self.shares(action)
        if shares is None:
            return
        signals = self.success_signals if self.signal == "success" else self.advantage_signals
        for arm, value in signals(info, shares).items():
            self.learn_arm(arm, value, shares[arm] if shares[arm] > 0 else 1.0)

    def act(self, obs, info):
        space = self.action_space
        explore = self.explore > 0.0 and self.rng.random() < self.explore
        if isinstance(space, spaces.Discrete):
            if explore:
                return int(space.start + self.rng.integers(self.n_arms))
            return int(space.start) + sample_index(self.distribution(info), self.rng)
        if explore:
            return self.random_action()
        weights = np.nan_to_num(self.distribution(info), nan=0.0, posinf=1.0, neginf=0.0).reshape(space.shape)
        low, high = space.low.astype(np.float64), space.high.astype(np.float64)
        return np.clip(low + weights * (high - low), low, high).astype(space.dtype)

    # -- reading a step --------------------------------------------------------
    def shares(self, action) -> np.ndarray | None:
        """Each arm's share of the lesson ``action`` (None if the action names no lesson)."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            arm = arm_of(action, space)
            if arm is None:
                return None
            out = np.zeros(self.n_arms)
            out[arm] = 1.0
            return out
        try:
            weights = np.asarray(action, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            return None
        if weights.size != self.n_arms:
            return None
        weights = np.where(np.isfinite(weights), np.maximum(weights - space.low.reshape(-1), 0.0), 0.0)
        total = weights.sum()
        return weights / total if total > 0.0 and math.isfinite(total) else np.full(self.n_arms, 1.0 / self.n_arms)

    def advantage_signals(self, info: dict[str, Any], shares: np.ndarray) -> dict[int, float]:
        """Mean |advantage| per practised arm, with the learning-progress fall-back."""
        per_arm = _arm_dict(info.get("arm_advantage_abs"), self.n_arms)
        if per_arm:
            return per_arm
        whole = _finite_float(info.get("advantage_abs_mean"))
        if whole is not None:
            return {arm: whole for arm in np.flatnonzero(shares > 0).tolist()}
        return self._progress_signals(info, shares)

    def success_signals(self, info: dict[str, Any], shares: np.ndarray) -> dict[int, float]:
        """Success rate in [0, 1] per practised arm (GRPO's sampled accuracy, else the outcome)."""
        per_arm = _arm_dict(info.get("arm_reward_mean"), self.n_arms)
        if per_arm:
            return {arm: min(1.0, max(0.0, value)) for arm, value in per_arm.items()}
        outcome = finite_outcome(info)
        if outcome is None:
            return {}
        return {arm: min(1.0, max(0.0, outcome)) for arm in np.flatnonzero(shares > 0).tolist()}

    def _progress_signals(self, info: dict[str, Any], shares: np.ndarray) -> dict[int, float]:
        outcome = finite_outcome(info)
        if outcome is None:
            return {}
        out = {}
        for arm in np.flatnonzero(shares > 0).tolist():
            previous = float(self._last_outcome[arm])
            self._last_outcome[arm] = outcome
            if not math.isnan(previous):
                progress = min(abs(outcome - previous), MAX_PROGRESS)
                self._progress_scale.update(progress)
                out[arm] = self._progress_scale(progress)
        return out


def _finite_float(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _arm_dict(value: Any, n_arms: int) -> dict[int, float]:
    """``{arm: finite float}`` from an info mapping, keeping only valid arms."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for arm, signal in value.items():
        signal = _finite_float(signal)
        if isinstance(arm, (int, np.integer)) and 0 <= int(arm) < n_arms and signal is not None:
            out[int(arm)] = signal
    return out
