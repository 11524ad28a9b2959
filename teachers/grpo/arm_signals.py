"""What the GRPO curriculum teachers share: exploration, a per-arm distribution, mixture lessons.

An *arm* is one lesson of a ``Discrete`` action space, or one coordinate of a
:class:`teachgym.lessons.MixtureBox` action: unnormalised mixture weights over
arms (the distribution-level envs, as in DUMP). A plain ``Box`` (task
parameters, as on ``ToyCurriculum-v0``) is not supported: read as mixture
weights it would be meaningless, so the registry never pairs these teachers
with such envs, and ``reset`` refuses one. :class:`ArmTeacher` turns a per-arm
distribution into an action; the per-arm signals it learns from (mean
|advantage| or success rate, from the GRPO env's ``info`` with fall-backs so
that the teachers run on any env) are read by the bandit base,
:class:`teachgym.teachers.common.bandit.BanditTeacher`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.lessons import MixtureBox
from teachgym.teachers.common.bandit import BanditTeacher, sample_index
from teachgym.validation import check_float

_FLOAT64 = np.dtype(np.float64)


def stable_softmax(values: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(values / temperature)`` that survives inf/NaN: +inf entries share all mass, NaN counts as -inf.

    >>> stable_softmax(np.array([0.0, np.inf, np.inf]), 1.0).tolist()
    [0.0, 0.5, 0.5]
    >>> stable_softmax(np.array([np.nan, np.nan]), 0.1).tolist()
    [0.5, 0.5]
    """
    if isinstance(values, np.ndarray) and values.dtype is _FLOAT64 and values.ndim == 1:
        listed = values.tolist()
        largest = max(listed)
        lowest = (min(listed) - largest) / temperature
        if math.isfinite(sum(listed)) and math.isfinite(lowest):  # all finite, no overflow: no masks needed
            scaled = (values - largest) / temperature
            if lowest < -700.0:
                scaled = np.maximum(scaled, -700.0)
            weights = np.exp(scaled)  # the largest weight is exp(0) = 1, so the total is in [1, n]
            return weights / np.add.reduce(weights)
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


class ArmTeacher(BanditTeacher):
    """Base of the arm-level GRPO curriculum teachers (see the module docstring).

    Subclasses implement :meth:`distribution` (a probability per arm) and
    :meth:`_learn` (one arm's signal), and set ``signal`` to the kind of per-arm
    signal they learn from: ``"advantage"`` or ``"success"`` (see
    :mod:`teachgym.teachers.common.bandit`).

    :meth:`softmax_sample` draws an arm from ``softmax(scores / temperature)`` in
    place, with the arithmetic of the general path, operation for operation, so
    it makes the same choices.

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

    def distribution(self, info: dict[str, Any]) -> np.ndarray:
        """Probability of each arm for the next lesson (non-negative, sums to 1)."""
        raise NotImplementedError

    def _choose(self, info) -> int:
        if self.explore > 0.0 and self.rng.random() < self.explore:
            return int(self.rng.integers(self.n_arms))
        return sample_index(self.distribution(info), self.rng)

    def act(self, obs, info):
        if self._discrete:
            return super().act(obs, info)
        space = self.action_space
        if self.explore > 0.0 and self.rng.random() < self.explore:
            return self.random_action()
        weights = np.nan_to_num(self.distribution(info), nan=0.0, posinf=1.0, neginf=0.0).reshape(space.shape)
        low, high = space.low.astype(np.float64), space.high.astype(np.float64)
        return np.clip(low + weights * (high - low), low, high).astype(space.dtype)

    def _reset_arms(self) -> None:
        self._scores = np.zeros(self.n_arms)  # work buffers of softmax_sample
        self._scalar = np.zeros(())

    def softmax_sample(self, values: np.ndarray, temperature: float, listed: list[float] | None = None) -> int:
        """A 0-based arm drawn from ``softmax(values / temperature)``, computed in the work buffer ``self._scores``.

        The same draw as ``sample_index(stable_softmax(values, temperature), self.rng)``: the same NumPy operations
        on the same values, with 0-d arrays for the scalars and no temporaries. ``values`` may be the work buffer
        itself; ``listed`` is ``values.tolist()``, if the caller has it.
        """
        if listed is None:
            listed = values.tolist()
        largest = max(listed)
        lowest = (min(listed) - largest) / temperature
        if not (math.isfinite(lowest) and math.isfinite(sum(listed))):
            return sample_index(stable_softmax(values, temperature), self.rng)
        scores, scalar = self._scores, self._scalar
        scalar[()] = largest
        np.subtract(values, scalar, out=scores)
        scalar[()] = temperature
        np.divide(scores, scalar, out=scores)
        if lowest < -700.0:
            np.maximum(scores, -700.0, out=scores)
        np.exp(scores, out=scores)
        np.divide(scores, np.add.reduce(scores, 0, None, scalar), out=scores)
        cumulative = list(itertools.accumulate(scores.tolist()))
        total = cumulative[-1]
        if not (math.isfinite(total) and total > 0.0):
            return int(self.rng.integers(self.n_arms))
        return min(bisect.bisect_right(cumulative, self.rng.random() * total), self.n_arms - 1)
