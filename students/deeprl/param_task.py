"""Parameterised tasks: Gymnasium envs whose task parameters a student sets between episodes.

A deep-RL student (:mod:`teachgym.students.deeprl.sb3_agent`) trains on a *task
family*: one :class:`ParamTaskEnv` subclass whose task vector (engine power,
pole length, obstacle size, ...) is set with :meth:`ParamTaskEnv.set_task`
and takes effect at the next ``reset``. The family also says how good an
episode was on a common scale (:meth:`ParamTaskEnv.episode_score`, in
``[0, 1]``), which is what the student reports as its outcome and competence.

:func:`rollout` plays many episodes in lockstep, one env per episode, with one
batched policy call per step: the cheap way to evaluate a student on a probe
set of tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from teachgym.validation import ConfigError


class ParamTaskEnv(gym.Env):
    """A Gymnasium env with settable task parameters (see the module docstring).

    Subclasses set the class attributes, call :meth:`_init_task` in ``__init__``,
    read ``self.task`` in ``reset``/``step`` and put ``info["is_success"]`` (the
    SB3 convention) in the info of the last step of every episode. Episodes end
    by ``terminated`` or by ``truncated`` after ``max_episode_steps`` steps,
    counted by the env itself so that batched evaluation needs no wrapper.
    """

    task_names: ClassVar[tuple[str, ...]] = ()
    task_low: ClassVar[tuple[float, ...]] = ()
    task_high: ClassVar[tuple[float, ...]] = ()
    default_task: ClassVar[tuple[float, ...]] = ()
    max_episode_steps: ClassVar[int] = 1000

    def _init_task(self) -> None:
        self.task = np.asarray(self.default_task, dtype=np.float64)
        self._pending_task: np.ndarray | None = None

    def set_task(self, task: Sequence[float]) -> None:
        """Use ``task`` from the next ``reset`` on; raise ConfigError if it is outside the family."""
        self._pending_task = check_task(type(self), task)

    def _apply_pending_task(self) -> None:
        if self._pending_task is not None:
            self.task = self._pending_task
            self._pending_task = None
            self._on_task_change()

    def _on_task_change(self) -> None:
        """Recompute whatever the env derives from ``self.task`` (called at reset when it changed)."""

    @classmethod
    def batch_rollout(cls, act: Callable[[np.ndarray], np.ndarray], tasks: np.ndarray, seeds: Sequence[int],
                      max_steps: int) -> Episodes | None:
        """Optional fast path of :func:`rollout`: the same episodes, vectorised; None if not provided."""
        return None

    @classmethod
    def episode_score(cls, episode_return: float, success: bool) -> float:
        """How good one episode was, in [0, 1]. Default: 1 for a success, else 0."""
        return float(success)


def check_task(family: type[ParamTaskEnv], task: Any) -> np.ndarray:
    """``task`` as a float64 vector inside the family's bounds, or a ConfigError naming the parameter."""
    try:
        values = np.asarray(task, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ConfigError(f"task must be a numeric vector {family.task_names}, got {task!r}") from None
    if values.size != len(family.task_names):
        raise ConfigError(f"task must have {len(family.task_names)} values {family.task_names}, got {values.size}")
    for name, value, low, high in zip(family.task_names, values, family.task_low, family.task_high):
        if not low <= value <= high:
            raise ConfigError(f"task parameter {name} must be in [{low}, {high}], got {value}")
    return values


@dataclass(frozen=True)
class Episodes:
    """Results of episodes played by :func:`rollout`, one entry per episode.

    Attributes:
        returns: undiscounted episode returns.
        successes: ``info["is_success"]`` of the last step.
        scores: :meth:`ParamTaskEnv.episode_score` of each episode.
        lengths: steps played.
    """

    returns: np.ndarray
    successes: np.ndarray
    scores: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, family: type[ParamTaskEnv], returns, successes, lengths) -> Episodes:
        """Episodes of ``family``, scored with its :meth:`ParamTaskEnv.episode_score`."""
        scores = np.array([family.episode_score(float(r), bool(s)) for r, s in zip(returns, successes)])
        return cls(np.asarray(returns, dtype=np.float64), np.asarray(successes, dtype=bool), scores,
                   np.asarray(lengths, dtype=np.int64))


def rollout(envs: Sequence[ParamTaskEnv], act: Callable[[np.ndarray], np.ndarray], tasks: np.ndarray,
            seeds: Sequence[int], max_steps: int | None = None) -> Episodes:
    """Play one episode in each env, in lockstep, with one batched ``act`` call per step.

    Args:
        envs: at least ``len(tasks)`` envs of one family (reused between calls).
        act: maps a batch of observations to a batch of actions (deterministic
            for a noise-free evaluation).
            A family that implements :meth:`ParamTaskEnv.batch_rollout` plays the
            episodes there instead, with the same results.
        tasks: ``(n, d)`` task vectors, one per episode.
        seeds: reset seed of each episode: a fixed seed per probe makes the probe
            set (task and start state) the same at every evaluation.
        max_steps: stop the episodes after this many steps (default: the
            family's ``max_episode_steps``); an episode stopped early is not a
            success and is scored on its return so far.

    Returns:
        :class:`Episodes` for the ``n`` episodes, in the order of ``tasks``.
    """
    tasks = np.atleast_2d(np.asarray(tasks, dtype=np.float64))
    n = len(tasks)
    if n == 0:
        return Episodes(np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0, dtype=np.int64))
    if len(envs) < n or len(seeds) != n:
        raise ConfigError(f"rollout needs >= {n} envs and {n} seeds, got {len(envs)} envs and {len(seeds)} seeds")
    family = type(envs[0])
    horizon = family.max_episode_steps if max_steps is None else min(int(max_steps), family.max_episode_steps)
    fast = family.batch_rollout(act, tasks, seeds, horizon)
    if fast is not None:
        return fast
    first_obs = []
    for env, task, seed in zip(envs, tasks, seeds):
        env.set_task(task)
        first_obs.append(env.reset(seed=int(seed))[0])
    obs = np.stack(first_obs)
    returns = np.zeros(n)
    successes = np.zeros(n, dtype=bool)
    lengths = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    for _ in range(horizon):
        if not active.size:
            break
        actions = act(obs)
        still, next_obs = [], []
        for i, action in zip(active.tolist(), actions):
            o, reward, terminated, truncated, info = envs[i].step(action)
            returns[i] += float(reward)
            lengths[i] += 1
            if terminated or truncated:
                successes[i] = bool(info.get("is_success", False))
            else:
                still.append(i)
                next_obs.append(o)
        active = np.asarray(still, dtype=np.int64)
        if next_obs:
            obs = np.stack(next_obs)
    return Episodes.of(family, returns, successes, lengths)
