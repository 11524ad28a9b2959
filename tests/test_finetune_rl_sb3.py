"""FineTuneRL-SB3: the mixed replay buffer, offline dataset files, determinism and resume."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
import torch  # noqa: E402

from teachgym.students.finetune_rl.offline_data import DatasetError, save_npz  # noqa: E402
from teachgym.students.finetune_rl.offline_sb3 import MixedReplayBuffer  # noqa: E402
from teachgym.students.finetune_rl.sb3_data import generate_dataset, load_dataset, save_dataset  # noqa: E402
from tests.conftest import fast_kwargs  # noqa: E402

ENV_ID = "teachgym/FineTuneRL-SB3-v1"


def _buffer(share: float, n_online: int) -> MixedReplayBuffer:
    space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    n_offline = 50
    offline = {"observations": np.zeros((n_offline, 2)), "next_observations": np.zeros((n_offline, 2)),
               "actions": np.zeros(n_offline, np.int64), "rewards": np.full(n_offline, -1.0),
               "terminals": np.zeros(n_offline, bool)}
    buffer = MixedReplayBuffer(100, space, gym.spaces.Discrete(3), device="cpu", offline=offline, offline_share=share)
    for _ in range(n_online):  # online rewards are +1, offline -1: the sign tells the source
        buffer.add(np.zeros((1, 2)), np.zeros((1, 2)), np.array([1]), np.array([1.0]), np.array([False]), [{}])
    return buffer


@pytest.mark.parametrize("share, n_online, expected_offline", [
    (0.5, 10, 32), (0.0, 10, 0), (1.0, 10, 64), (0.25, 10, 16), (0.5, 0, 64)])
def test_each_batch_draws_the_offline_share_from_offline_data(share, n_online, expected_offline):
    np.random.seed(0)
    batch = _buffer(share, n_online).sample(64)
    assert batch.rewards.shape == (64, 1) and batch.actions.dtype == torch.int64
    assert int((batch.rewards < 0).sum()) == expected_offline


def test_a_saved_dataset_loads_back_unchanged(tmp_path):
    data = generate_dataset("CartPole-v1", 120, epsilon=0.5, seed=3)
    save_dataset(tmp_path / "cartpole.npz", data, "CartPole-v1")
    loaded = load_dataset(tmp_path / "cartpole.npz", "CartPole-v1")
    for key, value in data.items():
        np.testing.assert_array_equal(loaded[key], value)
    env = gym.make(ENV_ID, **dict(fast_kwargs(ENV_ID), offline_dataset=str(tmp_path / "cartpole.npz"))).unwrapped
    assert len(env.offline["rewards"]) == 120


def _save_with(tmp_path, change):
    data = generate_dataset("CartPole-v1", 40, seed=0)
    meta = {"task": "CartPole-v1", "observation_shape": [4], "action_space": repr(gym.make("CartPole-v1").action_space)}
    change(data, meta)
    save_npz(tmp_path / "bad.npz", data, **meta)
    return tmp_path / "bad.npz"


@pytest.mark.parametrize("change, message", [
    (lambda d, m: d.update(observations=d["observations"][:, :3]), "'observations' must have shape \\(N, 4\\)"),
    (lambda d, m: d.update(actions=d["actions"] + 2), "'actions' must be in \\[0, 1\\]"),
    (lambda d, m: d.update(terminals=np.full(40, 0.5)), "'terminals' must hold 0/1"),
    (lambda d, m: d.pop("next_observations"), "lacks field.*'next_observations'"),
    (lambda d, m: m.update(task="Acrobot-v1"), "made for task='Acrobot-v1'"),
])
def test_a_malformed_dataset_is_refused_with_a_clear_error(tmp_path, change, message):
    with pytest.raises(DatasetError, match=message):
        load_dataset(_save_with(tmp_path, change), "CartPole-v1")


def test_a_dataset_for_another_task_is_refused(tmp_path):
    save_dataset(tmp_path / "pendulum.npz", generate_dataset("Pendulum-v1", 30, seed=0), "Pendulum-v1")
    with pytest.raises(DatasetError, match="observations.*shape \\(N, 4\\)"):
        gym.make(ENV_ID, **dict(fast_kwargs(ENV_ID), offline_dataset=str(tmp_path / "pendulum.npz")))


def _run(seed: int, shares=(0.5, 0.0, 1.0, 0.3)):
    env = gym.make(ENV_ID, **fast_kwargs(ENV_ID)).unwrapped
    env.reset(seed=seed)
    rewards = [env.step(np.array([s], np.float32))[1] for s in shares]
    return env, rewards, [p.detach().clone() for p in env.student.model.policy.parameters()]


def test_same_seed_same_network_and_seeds_differ():
    _, rewards_a, params_a = _run(3)
    _, rewards_b, params_b = _run(3)
    _, _, params_c = _run(4)
    assert rewards_a == rewards_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b))
    assert not all(torch.equal(a, c) for a, c in zip(params_a, params_c))


def test_resume_from_a_checkpoint_gives_the_same_network():
    env = gym.make(ENV_ID, **fast_kwargs(ENV_ID)).unwrapped
    env.reset(seed=1)
    env.step(np.array([0.5], np.float32))
    state = env.state_dict()
    env.step(np.array([0.2], np.float32))
    fresh = gym.make(ENV_ID, **fast_kwargs(ENV_ID)).unwrapped
    fresh.reset(seed=7)
    fresh.load_state_dict(state)
    fresh.step(np.array([0.2], np.float32))
    for a, b in zip(env.student.model.policy.parameters(), fresh.student.model.policy.parameters()):
        assert torch.equal(a, b)
    assert env.student.model.num_timesteps == fresh.student.model.num_timesteps == 64


def test_sac_on_a_box_task_runs_and_mixes_offline_data():
    env = gym.make(ENV_ID, task="Pendulum-v1", algo="sac", n_steps=2, steps_per_step=16, n_offline_transitions=100,
                   eval_episodes=1, eval_max_steps=20, learning_starts=4, batch_size=8).unwrapped
    obs, info = env.reset(seed=0)
    obs, reward, _, truncated, info = env.step(np.array([0.5], np.float32))
    assert env.observation_space.contains(obs) and np.isfinite(reward)
    assert env.student.model.replay_buffer.offline_share == 0.5


def test_dqn_on_a_box_task_is_refused():
    import teachgym

    with pytest.raises(teachgym.ConfigError, match="algo='dqn' needs a task with Discrete actions"):
        gym.make(ENV_ID, task="Pendulum-v1", algo="dqn", n_offline_transitions=10)


def test_the_student_leaves_the_callers_global_random_state_alone():
    np.random.seed(0)
    torch.manual_seed(0)
    before_np, before_torch = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    _run(2, shares=(0.5,))
    assert np.array_equal(np.random.get_state()[1], before_np)
    assert torch.equal(torch.get_rng_state(), before_torch)
