"""Vectorised FineTuneRL-Linear: sub-env i is the single env seeded seed + i, across autoreset."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.students.finetune_rl.offline_data import linear_dataset, save_linear_dataset
from tests.conftest import lockstep

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
    rng = np.random.default_rng(0)

    def choose(t):
        actions = rng.random((3, 5)).astype(np.float32)
        if t % 4 == 2:
            actions[:, :4] = 0.0  # no mixture weight: the uniform mixture
        return actions

    shares = []
    for t, obs, info, singles in lockstep(ENV_ID, kwargs, 3, 4, choose, KEYS):
        if t < 0:
            for key in ("score", "value", "eps_optimal", "episodes_to_eps"):
                assert np.array_equal(info[key], [i[key] for i in singles]), key
            continue
        shares.extend(obs[:, 1])
    assert len(set(np.round(shares, 4))) > 5  # online data was added: the pooled share moved
