"""Vectorised FineTuneRL-Linear: sub-env i is the single env seeded seed + i, across autoreset."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.students.finetune_rl.offline_data import linear_dataset, save_linear_dataset

ENV_ID = "teachgym/FineTuneRL-Linear-v0"
KEYS = ("task", "outcome", "score", "value", "online_episodes", "eps_optimal", "episodes_to_eps",
        "episodes_per_policy")
CASES = [
    {"n_steps": 10, "n_offline_episodes": 200, "score_every": 4},
    {"n_steps": 10, "n_offline_episodes": 100, "reward_mode": "regret", "score_mode": "value",
     "reward_noise": "none", "episodes_per_step": 3},
    {"n_steps": 10, "instance": "random", "offline_coverage": 0.5, "episodes_per_step": 5, "fixed_data": True},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_sub_env_i_is_the_single_env_seeded_seed_plus_i(kwargs, tmp_path):
    kwargs = dict(kwargs)
    if kwargs.pop("fixed_data", False):  # one offline dataset read from a file by every learner
        single = gym.make(ENV_ID, **kwargs).unwrapped
        path = tmp_path / "offline.npz"
        save_linear_dataset(path, linear_dataset(single.mdp, 150, 0.5, np.random.default_rng(1)), single.mdp)
        kwargs["offline_dataset"] = str(path)
    n, seed = 3, 4
    vec = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    singles = [gym.make(ENV_ID, **kwargs) for _ in range(n)]
    obs, info = vec.reset(seed=seed)
    single_resets = [env.reset(seed=seed + i) for i, env in enumerate(singles)]
    assert np.array_equal(obs, np.stack([o for o, _ in single_resets]))
    for key in ("score", "value", "eps_optimal", "episodes_to_eps"):
        assert np.array_equal(info[key], [i[key] for _, i in single_resets]), key
    rng = np.random.default_rng(0)
    shares = []
    for t in range(2 * kwargs["n_steps"] + 1):  # across an autoreset into the second episode
        actions = rng.random((n, 5)).astype(np.float32)
        if t % 4 == 2:
            actions[:, :4] = 0.0  # no mixture weight: the uniform mixture
        obs, rewards, terminated, truncated, info = vec.step(actions)
        results = []
        for i, env in enumerate(singles):
            if t == kwargs["n_steps"]:  # NEXT_STEP: the step after truncation resets
                o, inf = env.reset()
                results.append((o, 0.0, False, False, inf))
            else:
                results.append(env.step(actions[i]))
        assert np.array_equal(obs, np.stack([r[0] for r in results])), t
        assert np.array_equal(rewards, [r[1] for r in results]), t
        assert np.array_equal(truncated, [r[3] for r in results]) and not terminated.any()
        for key in KEYS:
            present = [key in r[4] for r in results]
            assert np.array_equal(info.get(f"_{key}", np.zeros(n, bool)), present), (t, key)
            if any(present):
                assert np.array_equal(info[key], np.stack([r[4][key] for r in results])), (t, key)
        shares.extend(obs[:, 1])
    assert len(set(np.round(shares, 4))) > 5  # online data was added: the pooled share moved
