"""Shared fixtures: every registered env and teacher is picked up automatically from the registries."""

from __future__ import annotations

import copy

import pytest
from gymnasium import spaces

from teachgym.registry import env_meta


def fast_kwargs(env_id: str) -> dict:
    """The settings the registry-wide tests make ``env_id`` with: its registered smoke configuration."""
    return copy.deepcopy(env_meta(env_id).smoke)


@pytest.fixture(params=[spaces.Box, spaces.Discrete], ids=["box", "discrete"])
def toy_env_id(request) -> str:
    return "teachgym/ToyCurriculum-v0" if request.param is spaces.Box else "teachgym/ToyCurriculumDiscrete-v0"


def lockstep(env_id: str, kwargs: dict, n: int, seed: int, choose, keys, single_action=lambda action: action):
    """Step ``env_id``'s vector env and ``n`` single envs seeded ``seed + i`` side by side and require equal results.

    Two episodes (``kwargs["n_steps"]`` each), across Gymnasium's NEXT_STEP autoreset: observations, rewards,
    truncations (nothing terminates) and, for each of ``keys``, the batched ``info`` entry and its mask. Yields
    ``(t, obs, info, single_infos)`` after the reset (``t = -1``) and after every step; ``choose(t)`` gives the
    step's batch of actions, ``single_action`` maps one row of it to the single env's action.
    """
    import gymnasium as gym
    import numpy as np

    vec = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    singles = [gym.make(env_id, **kwargs) for _ in range(n)]
    obs, info = vec.reset(seed=seed)
    resets = [env.reset(seed=seed + i) for i, env in enumerate(singles)]
    assert np.array_equal(obs, np.stack([o for o, _ in resets]))
    yield -1, obs, info, [i for _, i in resets]
    for t in range(2 * kwargs["n_steps"] + 1):
        actions = choose(t)
        obs, rewards, terminated, truncated, info = vec.step(actions)
        results = []
        for i, env in enumerate(singles):
            if t == kwargs["n_steps"]:  # NEXT_STEP: the step after truncation resets
                o, inf = env.reset()
                results.append((o, 0.0, False, False, inf))
            else:
                results.append(env.step(single_action(actions[i])))
        assert np.array_equal(obs, np.stack([r[0] for r in results])), t
        assert np.array_equal(rewards, [r[1] for r in results]), t
        assert np.array_equal(truncated, [r[3] for r in results]) and not terminated.any()
        for key in keys:
            present = [key in r[4] for r in results]
            assert np.array_equal(info.get(f"_{key}", np.zeros(n, bool)), present), (t, key)
            if any(present):
                assert np.array_equal(info[key], np.stack([r[4][key] for r in results])), (t, key)
        yield t, obs, info, [r[4] for r in results]
