"""The batched teacher env: ``N`` students stepped as one batch, behind Gymnasium's ``VectorEnv`` API.

A family whose student is numpy-fast registers a ``vector_entry_point``, so that
``gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` builds a
:class:`TeacherVectorEnv`. It is the batched twin of :class:`teachgym.TeacherEnv`:
the same hooks, over arrays of ``N`` students, and the student's dynamics come
from the same pure batched functions the single env calls.

Contract (what a family may rely on, and what users get):

- **Seeding.** ``reset(seed=s)`` seeds sub-env ``i`` exactly as ``env.reset(seed=s + i)``
  seeds the single env (Gymnasium's convention, as ``SyncVectorEnv``); a list of ``N``
  seeds seeds each sub-env with its own. Every random draw of sub-env ``i`` (the
  student's, a region lesson's task) comes from sub-env ``i``'s own generator in the
  order the single env draws it, so sub-env ``i`` reproduces the single env exactly.
- **Lockstep.** Every sub-env has the same teaching budget and none terminates early,
  so all are truncated on the same step and reset together.
- **Autoreset.** ``autoreset_mode`` ``NEXT_STEP`` (Gymnasium's default: the step after
  truncation resets, ignores the actions and returns reward 0) or ``SAME_STEP``
  (the truncating step returns the new episode's first observation, with
  ``info["final_obs"]`` and ``info["final_info"]``).
- **Info.** Batched the Gymnasium way: ``info[key]`` holds one entry per sub-env and
  ``info["_" + key]`` a boolean mask of the sub-envs that set it; the keys are those
  of the single env (:mod:`teachgym.info`).
- **Actions.** A batch of lessons, one row per sub-env, validated as the single env
  validates one (:class:`teachgym.InvalidLessonError` naming the sub-env).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from teachgym import info as keys
from teachgym.env import TeacherEnv
from teachgym.lessons import BoxLessons, DiscreteLessons, InvalidLessonError, RegionLessons, show
from teachgym.validation import ConfigError, check_int

#: steps of region-lesson randomness drawn per sub-env at a time (never past the episode's end)
_DRAW_BLOCK = 256


@dataclass
class TaughtBatch:
    """What one batch of lessons did (the batched :class:`teachgym.env.Taught`).

    Attributes:
        outcome: ``(N,)`` each student's result on the task it practised.
        reward: ``(N,)`` the teacher's rewards.
        task: ``(N, ...)`` the tasks practised, when they differ from the decoded lessons.
        info: family keys, each an array with one entry per sub-env.
    """

    outcome: np.ndarray
    reward: np.ndarray
    task: np.ndarray | None = None
    info: dict[str, np.ndarray] = field(default_factory=dict)


class TeacherVectorEnv(VectorEnv, abc.ABC):
    """Base class of batched teacher envs (see the module docstring).

    Args:
        env: a single env of the family built with the same settings; it supplies the
            spaces, the lesson space and the reset ``info`` a sub-env publishes.
        num_envs: students stepped together.
        autoreset_mode: ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP`` (or their values).
    """

    def __init__(self, env: TeacherEnv, num_envs: int, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP):
        self.num_envs = check_int("num_envs", num_envs, low=1)
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            raise ConfigError(f"autoreset_mode must be 'NextStep' or 'SameStep', got {autoreset_mode!r}") from None
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ConfigError(f"autoreset_mode must be NEXT_STEP or SAME_STEP (sub-envs step in lockstep), got {mode}")
        self.metadata = {**getattr(env, "metadata", {}), "autoreset_mode": mode}
        self.single_env = env
        self.lessons = env.lessons
        self.n_steps, self.score_every = env.n_steps, env.score_every
        self.single_action_space = env.action_space
        self.single_observation_space = env.observation_space
        self.action_space = batch_space(env.action_space, self.num_envs)
        self.observation_space = batch_space(env.observation_space, self.num_envs)
        self.env_rngs: list[np.random.Generator] = []
        self._t = -1
        self._autoreset = False
        if isinstance(self.lessons, BoxLessons):
            accept_low = np.minimum(self.lessons.low, self.lessons.action_space.low.astype(np.float64))
            accept_high = np.maximum(self.lessons.high, self.lessons.action_space.high.astype(np.float64))
            self._accept = (accept_low, accept_high)
        elif isinstance(self.lessons, RegionLessons):
            self._region_size = self.lessons.region_high - self.lessons.region_low
            self._uniforms = np.zeros((self.num_envs, 0))
            self._next_uniform = 0
        else:
            raise ConfigError(f"lessons must be BoxLessons or RegionLessons, got {type(self.lessons).__name__}")

    # -- hooks ---------------------------------------------------------------------
    @abc.abstractmethod
    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        """Start fresh students: student ``i`` draws all its randomness from ``rngs[i]``."""

    @abc.abstractmethod
    def _teach(self, lessons: np.ndarray) -> TaughtBatch:
        """Let every student learn on its decoded lesson (row ``i`` of ``lessons``)."""

    @abc.abstractmethod
    def _observations(self) -> np.ndarray:
        """The batch of observations now (a fresh array)."""

    @abc.abstractmethod
    def scores(self) -> np.ndarray:
        """Every student's headline score now, in [0, 100]."""

    def _score_info(self) -> dict[str, np.ndarray]:
        """Family keys published with every headline score, one entry per sub-env. Default: none."""
        return {}

    # -- lessons -------------------------------------------------------------------------
    def _read_lessons(self, actions: Any) -> np.ndarray:
        """Decode a batch of actions as the single env's lesson space does; InvalidLessonError if one is invalid."""
        if isinstance(self.lessons, BoxLessons):
            return self._read_boxes(actions)
        arms = self._read_arms(actions)
        if isinstance(self.lessons, DiscreteLessons):  # the task is the item id: no draw, as in the single env
            return arms[:, None].astype(np.float64)
        return self.lessons.region_low[arms] + self._region_size[arms] * self._draw_uniforms()

    def _read_boxes(self, actions: Any) -> np.ndarray:
        shape = (self.num_envs, self.lessons.dim)
        if not isinstance(actions, np.ndarray) or actions.shape != shape or actions.dtype.kind not in "iuf":
            raise InvalidLessonError(f"actions must be a real numpy array of shape {shape} (one lesson per "
                                     f"sub-env); got {show(actions)}")
        values = actions.astype(np.float64)
        low, high = self._accept
        inside = (values >= low) & (values <= high)  # False for NaN
        if not inside.all():
            env, dim = np.argwhere(~inside)[0]
            raise InvalidLessonError(f"actions[{env}, {dim}] ({self.lessons.names[dim]}) must be in "
                                     f"[{self.lessons.low[dim]}, {self.lessons.high[dim]}], got {values[env, dim]}")
        return np.clip(values, self.lessons.low, self.lessons.high, out=values)  # float32 rounding gap: exact bound

    def _read_arms(self, actions: Any) -> np.ndarray:
        n_arms = self.lessons.n_arms
        if not isinstance(actions, np.ndarray) or actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            raise InvalidLessonError(f"actions must be an integer numpy array of shape ({self.num_envs},) (one arm "
                                     f"per sub-env); got {show(actions)}")
        bad = (actions < 0) | (actions >= n_arms)
        if bad.any():
            env = int(np.flatnonzero(bad)[0])
            raise InvalidLessonError(f"actions[{env}] must be an arm id in [0, {n_arms - 1}], got {actions[env]}")
        return actions.astype(np.intp)

    def _draw_uniforms(self) -> np.ndarray:
        """This step's uniforms of every sub-env, from its own generator, as ``rng.uniform`` would draw them.

        Drawn in blocks per sub-env, never past the episode's end, so that each
        generator is in the single env's state at the next reset.
        """
        dim = self.lessons.region_low.shape[1]
        if self._next_uniform >= self._uniforms.shape[1]:
            steps = min(_DRAW_BLOCK, self.n_steps - self._t)
            self._uniforms = np.stack([rng.random(steps * dim) for rng in self.env_rngs])
            self._next_uniform = 0
        start = self._next_uniform
        self._next_uniform += dim
        return self._uniforms[:, start:start + dim]

    # -- gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        if options and "reset_mask" in options:
            raise ConfigError("options['reset_mask'] is not supported: sub-envs step in lockstep and reset together")
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ConfigError(f"seed must be an int, None or a list of num_envs={self.num_envs} seeds, "
                                  f"got {len(seeds)} seeds")
        if seed is not None or not self.env_rngs:
            self.env_rngs = [seeding.np_random(s)[0] for s in seeds]
            self._np_random, self._np_random_seed = seeding.np_random(seeds[0])
        return self._reset_all()

    def _reset_all(self):
        self._t = 0
        self._autoreset = False
        self._uniforms = np.zeros((self.num_envs, 0))
        self._reset_students([np.random.default_rng(rng.integers(2**63)) for rng in self.env_rngs])
        return self._observations(), self._reset_infos()

    def _reset_infos(self) -> dict[str, Any]:
        """The reset info of every sub-env, batched with Gymnasium's own ``_add_info`` (once per episode)."""
        scores, family = self.scores(), self._score_info()
        schedule = self.single_env.easy_to_hard()
        infos: dict[str, Any] = {}
        for i in range(self.num_envs):
            one = {keys.EPISODE_START.name: True, keys.TEACHING_BUDGET.name: self.n_steps,
                   keys.BUDGET_USED.name: 0.0, keys.SCORE_KEY.name: float(scores[i]),
                   **{k: v[i] for k, v in family.items()}, keys.LESSON_SPACE.name: self.lessons.describe(),
                   **self.single_env._reset_info()}
            if schedule is not None:
                one[keys.EASY_TO_HARD.name] = schedule
            infos = self._add_info(infos, one, i)
        return infos

    def step(self, actions):
        if self._t < 0:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._autoreset:  # NEXT_STEP: the step after truncation starts the next students
            obs, infos = self._reset_all()
            zeros = np.zeros(self.num_envs, dtype=bool)
            return obs, np.zeros(self.num_envs), zeros, zeros.copy(), infos
        lessons = self._read_lessons(actions)
        taught = self._teach(lessons)
        self._t += 1
        truncated = self._t >= self.n_steps
        everyone = np.ones(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {keys.LESSON.name: np.array(actions), keys.TASK.name: lessons if taught.task is None
                                 else taught.task, keys.OUTCOME.name: taught.outcome,
                                 keys.BUDGET_USED.name: np.full(self.num_envs, self._t / self.n_steps),
                                 **taught.info}
        if truncated or (self.score_every is not None and self._t % self.score_every == 0):
            infos[keys.SCORE_KEY.name] = self.scores()
            infos.update(self._score_info())
        for key in list(infos):
            infos["_" + key] = everyone
        obs = self._observations()
        rewards = np.asarray(taught.reward, dtype=np.float64)
        truncations = np.full(self.num_envs, truncated)
        if truncated and self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP:
            final_obs = np.empty(self.num_envs, dtype=object)
            final_obs[:] = list(obs)
            obs, reset_infos = self._reset_all()
            infos = {**reset_infos, "final_obs": final_obs, "_final_obs": everyone, "final_info": infos,
                     "_final_info": everyone}
        else:
            self._autoreset = truncated
        return obs, rewards, np.zeros(self.num_envs, dtype=bool), truncations, infos

    def close_extras(self, **kwargs: Any) -> None:
        self.single_env.close()
