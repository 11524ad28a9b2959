"""A batched teacher env as a Stable-Baselines3 ``VecEnv``, with an optional history window.

:class:`TeacherVecEnv` drives a :class:`teachgym.vector.TeacherVectorEnv` (built by
``gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` in
``SAME_STEP`` autoreset mode) under SB3's ``VecEnv`` contract: the step that ends an
episode returns the next episode's first observation, with
``infos[i]["terminal_observation"]``, ``"TimeLimit.truncated"`` (teaching budgets
truncate, so PPO bootstraps) and ``"episode"`` (return and length, as SB3's
``VecMonitor`` writes them, for ``rollout/ep_rew_mean``).

Box lessons are learned in [-1, 1] and mapped to the env's bounds with
Gymnasium's ``rescale_box``, exactly as :class:`teachgym.teachers.generic.sb3_policy.SB3PolicyTeacher`
maps them back. ``history=k`` stacks the last ``k`` observations (oldest first,
the first one repeated at an episode's start), so that a feed-forward teacher sees
how the student has been changing and can tell which student it faces; the trained
teacher stacks its own observations with the same :class:`History`.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from teachgym.validation import check_int


class History:
    """The last ``k`` observations of ``n`` students, flattened oldest first (one row per student)."""

    def __init__(self, k: int, n: int, obs_dim: int):
        self.k, self.obs_dim = check_int("history", k, low=1, high=64), obs_dim
        self.window = np.zeros((n, self.k * obs_dim), dtype=np.float32)

    @staticmethod
    def space(single: spaces.Box, k: int) -> spaces.Box:
        """The observation space of ``k`` stacked observations of ``single``."""
        return spaces.Box(np.tile(single.low, k), np.tile(single.high, k), dtype=np.float32)

    def start(self, obs: np.ndarray, rows: Any = slice(None)) -> np.ndarray:
        """A new episode for ``rows``: their window is ``k`` copies of ``obs``."""
        self.window[rows] = np.tile(obs, (1, self.k)) if obs.ndim == 2 else np.tile(obs, self.k)
        return self.window.copy()

    def push(self, obs: np.ndarray) -> np.ndarray:
        """Append one observation per student; return the windows."""
        if self.k > 1:
            self.window[:, : -self.obs_dim] = self.window[:, self.obs_dim:]
        self.window[:, -self.obs_dim:] = obs
        return self.window.copy()


def _vec_env_base():
    from stable_baselines3.common.vec_env import VecEnv

    return VecEnv


class TeacherVecEnv(_vec_env_base()):
    """SB3's view of ``num_envs`` students of ``env_id`` stepped as one batch (see the module docstring).

    Args:
        env_id: a teachgym env id with a ``vector_entry_point``.
        num_envs: students per batch.
        history: observations stacked per policy input (1: the env's own observation).
        seed: sub-env ``i`` is seeded ``seed + i`` at the first reset.
        **env_kwargs: passed to ``gym.make_vec`` (``population="train"``, ...).
    """

    def __init__(self, env_id: str, num_envs: int, history: int = 1, seed: int | None = None, **env_kwargs: Any):
        self.vector = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point",
                                   autoreset_mode="SameStep", **env_kwargs)
        single_obs, single_action = self.vector.single_observation_space, self.vector.single_action_space
        self.history = History(history, num_envs, int(np.prod(single_obs.shape)))
        self._to_env = None
        action_space = single_action
        if isinstance(single_action, spaces.Box):
            from gymnasium.wrappers.utils import rescale_box

            action_space = spaces.Box(-1.0, 1.0, single_action.shape, dtype=np.float32)
            self._to_env = rescale_box(single_action, action_space.low, action_space.high)[2]
        super().__init__(num_envs, History.space(single_obs, history), action_space)
        self._first_seed = seed
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(num_envs)
        self._lengths = 0
        self._episode_start = time.perf_counter()
        self.step_seconds = 0.0  # time spent in the batched env (for the benchmark's time split)

    def reset(self) -> np.ndarray:
        seed, self._first_seed = self._first_seed, None
        obs, _ = self.vector.reset(seed=seed)
        self._returns[:], self._lengths = 0.0, 0
        return self.history.start(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        actions = self._actions
        if self._to_env is not None:
            space = self.vector.single_action_space
            actions = np.clip(self._to_env(np.asarray(actions, dtype=np.float32)), space.low, space.high)
            actions = actions.astype(space.dtype)
        else:
            actions = np.asarray(actions).reshape(self.num_envs).astype(np.int64)
        start = time.perf_counter()
        obs, rewards, terminated, truncated, info = self.vector.step(actions)
        self.step_seconds += time.perf_counter() - start
        self._returns += rewards
        self._lengths += 1
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final = np.stack(info["final_obs"])
            windows = self.history.push(final)
            now = time.perf_counter()
            for i in np.flatnonzero(dones):
                infos[i] = {"terminal_observation": windows[i], "TimeLimit.truncated": bool(truncated[i]),
                            "episode": {"r": float(self._returns[i]), "l": self._lengths,
                                        "t": round(now - self._episode_start, 6)}}
            self._returns[dones] = 0.0
            self._lengths = 0
            return self.history.start(obs), rewards.astype(np.float32), dones, infos
        return self.history.push(obs), rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.vector.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        value = getattr(self.vector, attr_name, None)
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.vector, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        result = getattr(self.vector, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
