"""The one base of the bandit teachers: arms, per-arm signals, and the choice helpers they share.

An *arm* is one lesson of a ``Discrete`` action space or, for teachers that
declare :class:`teachgym.lessons.MixtureBox` support, one coordinate of a
mixture lesson (unnormalised weights over arms). :class:`BanditTeacher` turns
each ``update`` into per-arm signals and calls the subclass's hooks with them;
``update_steps`` does so for a batch of steps (a vector env's sub-envs) in one
loop, with the same hook calls in the same order.

Signals (``BanditTeacher.signal``):

- ``"progress"``: the absolute learning progress (LP) of the practised arm,
  ``|outcome_t - outcome_t'|`` since the arm was last practised (Oudeyer et al.,
  2007; Matiisen et al., 2017), read from ``info["outcome"]``, never from the env
  reward, so the teacher behaves the same whatever reward mode the env uses. The
  first finite outcome of an arm is only a baseline; an unusable outcome (missing
  or not finite) counts as zero progress, so that an arm whose outcome is always
  NaN does not stay "untried" and get chosen forever.
- ``"advantage"``: mean |advantage| per practised arm (``info["arm_advantage_abs"]``,
  else ``info["advantage_abs_mean"]`` for the whole lesson; see
  :class:`teachgym.envs.grpo.env.GRPOCurriculumEnv`), else the learning progress
  rescaled into [0, 1] by its running max; unusable values are dropped.
- ``"success"``: success rate per practised arm (``info["arm_reward_mean"]``,
  GRPO's sampled accuracy), else ``info["outcome"]``; clipped into [0, 1].

Mixture lessons credit every arm with its share of the lesson.

The helpers work on Python floats where that is exact (comparisons, running
sums in order, + - * / of scalars) and leave to NumPy what must round as NumPy
rounds (pairwise sums, ``exp``, dot products), so a faster teacher makes the
same choices, bit for bit, as a plain NumPy one. For the same reason a bandit
teacher's ``rng`` is a :class:`~teachgym.teachers.common.block_rng.BlockGenerator`
(unless the class sets ``block_draws = False``): the draws of a plain Generator,
taken in blocks.
"""

from __future__ import annotations

import bisect
import itertools
import math
import sys
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher, finite_outcome, pair_info
from teachgym.teachers.common.block_rng import BlockGenerator
from teachgym.utils.budget import published_budget
from teachgym.utils.numeric import finite_float
from teachgym.utils.progress import ProgressScale, random_choice  # noqa: F401  (the bandits' shared helpers)

MAX_PROGRESS = sys.float_info.max  # |a - b| of two finite floats can overflow to inf; cap it here
SIGNALS = ("progress", "advantage", "success")
_FLOAT64 = np.dtype(np.float64)
_OUTCOME, _ARM_REWARD_MEAN = keys.OUTCOME.name, keys.ARM_REWARD_MEAN.name
_ARM_ADVANTAGE_ABS, _ADVANTAGE_ABS_MEAN = keys.ARM_ADVANTAGE_ABS.name, keys.ADVANTAGE_ABS_MEAN.name


def arm_of(action: Any, space: spaces.Discrete) -> int | None:
    """The 0-based arm of ``action`` in ``space``, or None if it names no arm.

    Accepts Python and numpy integers, integral floats and size-1 arrays; subtracts ``space.start``.
    """
    if type(action) is int or isinstance(action, np.integer):
        arm = int(action) - int(space.start)
        return arm if 0 <= arm < int(space.n) else None
    try:
        value = float(np.asarray(action, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None
    arm = value - float(space.start)
    if not (math.isfinite(arm) and arm.is_integer() and 0 <= arm < int(space.n)):
        return None
    return int(arm)


def argmax_random(values: np.ndarray | list[float], rng: np.random.Generator) -> int:
    """Index of the largest value, ties broken uniformly with ``rng`` (NaN counts as -inf); ``values`` is not changed."""
    if type(values) is list:
        listed = values
    else:
        listed = values.tolist() if isinstance(values, np.ndarray) else list(values)
    best = max(listed)
    if best != best or best == -math.inf:  # NaN first, or nothing above -inf: the general case below
        array = np.asarray(listed, dtype=np.float64)
        array = np.where(np.isnan(array), -np.inf, array)
        ties = np.flatnonzero(array == array.max()).tolist()
    elif listed.count(best) == 1:
        return listed.index(best)
    else:
        ties = [index for index, value in enumerate(listed) if value == best]
    return ties[0] if len(ties) == 1 else ties[int(rng.integers(len(ties)))]


def sample_index(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """Draw an index with the given (possibly unnormalised, non-negative) probabilities."""
    if isinstance(probabilities, np.ndarray) and probabilities.dtype is _FLOAT64 and probabilities.ndim == 1:
        cumulative = list(itertools.accumulate(probabilities.tolist()))  # sequential, as np.cumsum adds
    else:
        cumulative = np.cumsum(probabilities).tolist()
    total = cumulative[-1]
    if not (math.isfinite(total) and total > 0.0):
        return int(rng.integers(len(cumulative)))
    # bisect_right never returns an index whose probability is zero.
    return min(bisect.bisect_right(cumulative, rng.random() * total), len(cumulative) - 1)


class BanditTeacher(Teacher):
    """Base of every bandit teacher: arms, per-arm signals, hooks (see the module docstring).

    Subclasses set ``signal`` and ``supported_spaces`` (``Discrete``, optionally
    ``MixtureBox``), implement :meth:`_choose` and some of :meth:`_reset_arms`,
    :meth:`_observe` and :meth:`_learn`; one that supports mixture lessons also
    overrides :meth:`act` for them.

    Attributes:
        n_arms: number of arms of the action space.
        steps: updates since the last reset (the teacher's clock).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete,)
    signal: ClassVar[str] = "progress"
    #: Whether ``self.rng`` takes its ``random()`` and ``integers(n)`` draws in blocks (a
    #: :class:`~teachgym.teachers.common.block_rng.BlockGenerator`: the same values, fewer calls into NumPy). A
    #: teacher that draws mostly through other methods turns it off: each such draw would drop the block.
    block_draws: ClassVar[bool] = True
    #: The setting whose default is relative to the teaching budget (e.g. ``"window"``), or None. Its explicit
    #: value is the attribute ``<name>_given`` (None: the default); until a run's first lesson the setting is
    #: ``budget_reference``, then :meth:`_budget_default` of the budget the env published.
    budget_setting: ClassVar[str | None] = None
    budget_reference: ClassVar[Any] = None

    def _budget_default(self, teaching_budget: int | None) -> Any:
        """The setting's default for a run of ``teaching_budget`` teacher steps (None: not published)."""
        raise NotImplementedError

    def _setup(self) -> None:
        rng = self.rng
        if self.block_draws and type(rng) is np.random.Generator and type(rng.bit_generator) is np.random.PCG64:
            self.rng = BlockGenerator(rng.bit_generator)
        space = self.action_space
        self._discrete = isinstance(space, spaces.Discrete)
        self.n_arms = int(space.n) if self._discrete else int(np.prod(space.shape))
        self._start = int(space.start) if self._discrete else 0
        self.steps = 0
        self._last_outcome = [math.nan] * self.n_arms  # Python floats: a difference overflows to inf silently
        self._progress_scale = ProgressScale()
        self._observes = type(self)._observe is not BanditTeacher._observe  # update() skips a no-op hook
        self._budget_pending = False
        name = self.budget_setting
        if name is not None:
            given = getattr(self, name + "_given")
            setattr(self, name, self.budget_reference if given is None else given)
            self._budget_pending = given is None
        self._reset_arms()

    def act(self, obs, info):
        if self._budget_pending:
            self._resolve_budget_setting(info)
        return self._start + self._choose(info)

    def _resolve_budget_setting(self, info) -> None:
        """At a run's first lesson: the budget-relative default, if nothing is recorded yet (the arms start again)."""
        self._budget_pending = False
        name = self.budget_setting
        value = self._budget_default(published_budget(info))
        if value != getattr(self, name) and self.steps == 0:
            setattr(self, name, value)
            self._reset_arms()

    def update(self, action, reward, obs, info) -> None:
        if type(action) is not int or type(info) is not dict or not self._discrete or not self._outcome_only(info):
            return self.general_update(action, reward, obs, info)
        # general_update() for an int lesson whose signal comes from info["outcome"] alone.
        self.steps += 1
        arm = action - self._start
        if 0 <= arm < self.n_arms:
            self._learn_outcome(arm, info.get(_OUTCOME))

    def _learn_outcome(self, arm: int, outcome: Any) -> None:
        """:meth:`update`'s shortcut for arm ``arm`` (in range) and its raw ``outcome``: the hooks
        :meth:`general_update` calls, with the same arithmetic."""
        signal = self.signal
        if type(outcome) is not float:
            outcome = finite_float(outcome)
        elif not math.isfinite(outcome):
            outcome = None
        if self._observes:
            self._observe(arm, outcome)
        if outcome is None:
            if signal == "progress":
                self._learn(arm, 0.0, 1.0)
            return
        if signal == "success":
            self._learn(arm, min(1.0, max(0.0, outcome)), 1.0)
            return
        previous = self._last_outcome[arm]  # outcome_change(), inline
        self._last_outcome[arm] = outcome
        if previous != previous:
            return
        change = abs(outcome - previous)
        if change > MAX_PROGRESS:
            change = MAX_PROGRESS
        if signal == "progress":
            self._learn(arm, change, 1.0)
            return
        scale = self._progress_scale  # the progress scale's update() and __call__(), inline
        largest = scale.largest
        if change > largest:
            scale.largest = largest = change
        self._learn(arm, change / largest if largest > 0.0 else 0.0, 1.0)

    def update_steps(self, actions, rewards, obs, info) -> None:
        """:meth:`~teachgym.Teacher.update_steps` with :meth:`update`'s shortcut taken for every pair in one loop:
        the same arithmetic and the same hook calls in the same order as one :meth:`update` per pair."""
        if not self._steps_shortcut(info):
            return Teacher.update_steps(self, actions, rewards, obs, info)
        start, n_arms, learn_outcome = self._start, self.n_arms, self._learn_outcome
        learnt = 0
        for action, reward in zip(actions, rewards):
            if action is None:
                continue
            learnt += 1
            if type(action) is not int:
                self.general_update(action, reward, obs, pair_info(info, action, reward, learnt - 1))
                continue
            self.steps += 1
            arm = action - start
            if 0 <= arm < n_arms:
                learn_outcome(arm, reward)

    def _steps_shortcut(self, info) -> bool:
        """Whether every int lesson of an :meth:`update_steps` call takes :meth:`update`'s shortcut (its pairs'
        infos differ only in ``task``, ``outcome`` and ``episodes``, which the shortcut does not read)."""
        return (type(self).update is BanditTeacher.update and type(info) is dict and self._discrete
                and self._outcome_only(info))

    def _outcome_only(self, info: dict) -> bool:
        """Whether the signal comes from ``info["outcome"]`` alone (``info`` has none of the keys it would read)."""
        signal = self.signal
        return signal == "progress" or not (_ARM_REWARD_MEAN in info if signal == "success"
                                            else _ARM_ADVANTAGE_ABS in info or _ADVANTAGE_ABS_MEAN in info)

    def general_update(self, action, reward, obs, info) -> None:
        """:meth:`update` for any lesson and ``info``; :meth:`update` takes a shortcut through the common case
        (an int lesson and a signal read from ``info["outcome"]``) with the same arithmetic."""
        self.steps += 1
        if self._discrete:
            arm = arm_of(action, self.action_space)
            if arm is None:
                return
            outcome = finite_outcome(info)
            self._observe(arm, outcome)
            if self.signal == "progress":
                if outcome is None:
                    self._learn(arm, 0.0, 1.0)
                else:
                    change = self.outcome_change(arm, outcome)
                    if change is not None:
                        self._learn(arm, change, 1.0)
                return
            for signal_arm, value in self._signals(info, [arm], outcome).items():
                self._learn(signal_arm, value, 1.0)
            return
        shares = self.shares(action)
        if shares is None:
            return
        practised = np.flatnonzero(shares > 0).tolist()
        for arm, value in self._signals(info, practised, finite_outcome(info)).items():
            self._learn(arm, value, shares[arm] if shares[arm] > 0 else 1.0)

    # -- hooks -----------------------------------------------------------------
    def _reset_arms(self) -> None:
        """Forget every per-arm statistic (called by :meth:`reset` after ``n_arms`` is set)."""

    def _choose(self, info: dict[str, Any]) -> int:
        """The 0-based arm to practise next (Discrete lessons)."""
        raise NotImplementedError

    def _observe(self, arm: int, outcome: float | None) -> None:
        """Every step of a Discrete lesson: ``arm`` was practised and gave ``outcome`` (None if unusable)."""

    def _learn(self, arm: int, value: float, weight: float) -> None:
        """Learn arm ``arm``'s finite signal ``value``; ``weight`` is its lesson share (1 for a Discrete lesson)."""

    # -- reading a step --------------------------------------------------------
    def outcome_change(self, arm: int, outcome: float) -> float | None:
        """Record ``arm``'s finite ``outcome``; its |change| since the last one (capped finite), None the first time."""
        previous = self._last_outcome[arm]
        self._last_outcome[arm] = outcome
        if previous != previous:
            return None
        return min(abs(outcome - previous), MAX_PROGRESS)

    def shares(self, action) -> np.ndarray | None:
        """Each arm's share of the lesson ``action`` (None if the action names no lesson)."""
        space = self.action_space
        if self._discrete:
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

    def _signals(self, info: dict[str, Any], practised: list[int], outcome: float | None) -> dict[int, float]:
        if self.signal == "success":
            per_arm = _arm_dict(keys.ARM_REWARD_MEAN.get(info), self.n_arms)
            if per_arm:
                return {arm: min(1.0, max(0.0, value)) for arm, value in per_arm.items()}
            if outcome is None:
                return {}
            return {arm: min(1.0, max(0.0, outcome)) for arm in practised}
        per_arm = _arm_dict(keys.ARM_ADVANTAGE_ABS.get(info), self.n_arms)
        if per_arm:
            return per_arm
        whole = finite_float(keys.ADVANTAGE_ABS_MEAN.get(info))
        if whole is not None:
            return {arm: whole for arm in practised}
        if outcome is None:
            return {}
        out = {}
        for arm in practised:
            change = self.outcome_change(arm, outcome)
            if change is not None:
                self._progress_scale.update(change)
                out[arm] = self._progress_scale(change)
        return out


def _arm_dict(value: Any, n_arms: int) -> dict[int, float]:
    """``{arm: finite float}`` from an info mapping, keeping only valid arms."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for arm, signal in value.items():
        signal = finite_float(signal)
        if isinstance(arm, (int, np.integer)) and 0 <= int(arm) < n_arms and signal is not None:
            out[int(arm)] = signal
    return out
