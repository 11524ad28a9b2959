"""Offline datasets for the SB3 FineTuneRL student: made locally by a behaviour policy, stored as ``.npz``.

Fields (one row per transition): ``observations`` and ``next_observations``
``(N, *obs_shape)`` float, ``actions`` ``(N,)`` int for Discrete tasks or
``(N, *action_shape)`` float for Box tasks, ``rewards`` ``(N,)`` float,
``terminals`` ``(N,)`` (true termination, not a time limit; bool or 0/1).
Metadata: ``observation_shape`` and ``action_space`` (checked against the
task), ``task`` (checked where present). The behaviour policy is a simple
hand-written controller of the task (:data:`CONTROLLERS`) that takes a
uniformly random action with probability ``epsilon`` (``behaviour="random"``:
always random).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import gymnasium as gym
import numpy as np

from teachgym.students.finetune_rl.offline_data import DatasetError, check_range, load_npz, save_npz
from teachgym.validation import ConfigError, check_choice, check_float, check_int


def _cartpole(obs: np.ndarray) -> int:
    # Push towards where the pole is falling: its angle plus a share of its angular velocity.
    return int(obs[2] + 0.5 * obs[3] > 0)


def _pendulum(obs: np.ndarray) -> np.ndarray:
    cos, sin, speed = (float(x) for x in obs)
    if cos > 0.85 and abs(speed) < 4.0:  # near upright and slow: PD control
        torque = -10.0 * math.atan2(sin, cos) - 2.0 * speed
    else:
        # Swing up: 0.5 speed^2 + 15 cos(angle) is conserved without torque and is 15 upright;
        # torque along the motion adds energy, against it removes energy.
        energy = 0.5 * speed**2 + 15.0 * cos
        torque = 2.0 * math.copysign(1.0, speed or 1.0) * math.copysign(1.0, 15.0 - energy)
    return np.array([min(2.0, max(-2.0, torque))], dtype=np.float32)


CONTROLLERS: dict[str, Callable[[np.ndarray], object]] = {"CartPole-v1": _cartpole, "Pendulum-v1": _pendulum}
# Returns of the worst and best policies, to scale returns into [0, 1] for observations.
RETURN_RANGES: dict[str, tuple[float, float]] = {"CartPole-v1": (0.0, 500.0), "Pendulum-v1": (-1600.0, 0.0)}


def generate_dataset(task: str, n_transitions: int, behaviour: str = "heuristic", epsilon: float = 0.3,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """``n_transitions`` transitions of the behaviour policy on ``task`` (episodes run to their end or limit)."""
    n_transitions = check_int("n_offline_transitions", n_transitions, low=0, high=100_000_000)
    behaviour = check_choice("behaviour", behaviour, ("heuristic", "random"))
    epsilon = check_float("behaviour_epsilon", epsilon, low=0.0, high=1.0)
    if behaviour == "heuristic" and task not in CONTROLLERS:
        raise ConfigError(f"behaviour='heuristic' has controllers for {sorted(CONTROLLERS)}, not {task!r}; "
                          "use behaviour='random' or give an offline_dataset file")
    env = gym.make(task)
    env.action_space.seed(seed)
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("observations", "actions", "rewards", "next_observations", "terminals")}
    obs, _ = env.reset(seed=seed)
    for _ in range(n_transitions):
        if behaviour == "random" or rng.random() < epsilon:
            action = env.action_space.sample()
        else:
            action = CONTROLLERS[task](obs)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        for key, value in zip(rows, (obs, action, reward, next_obs, terminated)):
            rows[key].append(value)
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
    env.close()
    space = env.action_space
    shapes = {"observations": env.observation_space.shape, "next_observations": env.observation_space.shape,
              "actions": () if isinstance(space, gym.spaces.Discrete) else space.shape, "rewards": (),
              "terminals": ()}
    dtypes = {"actions": np.int64 if isinstance(space, gym.spaces.Discrete) else np.float32, "terminals": bool}
    return {k: np.asarray(v, dtype=dtypes.get(k, np.float32)).reshape(len(v), *shapes[k]) for k, v in rows.items()}


def _meta(env: gym.Env) -> dict:
    return {"observation_shape": list(env.observation_space.shape), "action_space": repr(env.action_space)}


def save_dataset(path: str | os.PathLike, data: dict[str, np.ndarray], task: str) -> None:
    """Write a dataset made for ``task`` with the metadata :func:`load_dataset` checks."""
    env = gym.make(task)
    save_npz(path, data, task=task, **_meta(env))
    env.close()


def load_dataset(path: str | os.PathLike, task: str) -> dict[str, np.ndarray]:
    """Load a dataset and check it against ``task``'s spaces (shapes, action range, metadata)."""
    env = gym.make(task)
    obs_shape, space = env.observation_space.shape, env.action_space
    env.close()
    discrete = isinstance(space, gym.spaces.Discrete)
    spec = {"observations": ("f", obs_shape), "next_observations": ("f", obs_shape),
            "actions": ("iu", ()) if discrete else ("f", space.shape), "rewards": ("f", ()),
            "terminals": ("biuf", ())}
    data = load_npz(path, spec, _meta(env), {"task": task})
    terminals = data["terminals"].astype(np.float64)
    if not np.all((terminals == 0) | (terminals == 1)):
        raise DatasetError(f"offline dataset {os.fspath(path)!r}: field 'terminals' must hold 0/1 (or bool) values")
    if discrete:
        check_range(path, data, "actions", space.start, space.start + space.n - 1, f"({task} has {space})")
    elif len(data["actions"]) and (np.any(data["actions"] < space.low) or np.any(data["actions"] > space.high)):
        raise DatasetError(f"offline dataset {os.fspath(path)!r}: field 'actions' leaves {task}'s action box {space}")
    data["terminals"] = terminals.astype(bool)
    return data
