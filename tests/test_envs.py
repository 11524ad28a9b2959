"""Registry-driven checks: every registered teachgym env gets these tests automatically."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import teachgym
from teachgym.envs import env_ids
from tests.conftest import fast_kwargs

ENV_IDS = env_ids()


def test_the_foundation_envs_are_registered():
    for env_id in ("teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0",
                   "teachgym/GridworldCurriculum-v0", "teachgym/GridworldCurriculumDiscrete-v0"):
        assert env_id in ENV_IDS


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_check_env(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id))
    gym_check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env(env_id):
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(gym.make(env_id, **fast_kwargs(env_id)), warn=True)


def _rollout(env_id: str, seed: int):
    env = gym.make(env_id, **fast_kwargs(env_id))
    env.action_space.seed(seed)
    obs, info = env.reset(seed=seed)
    trace = [obs]
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        trace += [obs, np.float64(reward), np.asarray(info["task"]), np.float64(info["outcome"])]
        done = terminated or truncated
    return trace, info


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_rollout(env_id):
    first, _ = _rollout(env_id, seed=3)
    second, _ = _rollout(env_id, seed=3)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_episode_contract(env_id):
    """Budget truncation, score at reset and end, info keys on every step, obs in space."""
    env = gym.make(env_id, **fast_kwargs(env_id))
    obs, info = env.reset(seed=0)
    assert "score" in info and "lesson_space" in info and info["budget_used"] == 0.0
    steps = 0
    while True:
        action = env.action_space.sample()
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward)
        assert {"lesson", "task", "outcome", "budget_used"} <= set(info)
        assert not terminated
        if truncated:
            break
    assert steps == fast_kwargs(env_id)["n_steps"]
    assert info["budget_used"] == 1.0 and np.isfinite(info["score"])
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.step(action)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_invalid_actions_are_refused_not_clipped(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=0)
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        bad = [space.n, -1, 0.5, np.nan]
    elif isinstance(space, gym.spaces.MultiDiscrete):
        bad = [space.nvec, np.full(space.shape, -1), np.full(space.shape, 0.5), np.zeros(space.shape[0] + 1)]
    else:
        bad = [space.high + 1.0, np.full(space.shape, np.nan), np.zeros(space.shape[0] + 1)]
    for action in bad:
        with pytest.raises(teachgym.InvalidLessonError, match="action"):
            env.step(action)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_step_before_reset_is_refused(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step(env.action_space.sample())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_checkpoint_resume_gives_the_same_continuation(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    env.reset(seed=1)
    env.action_space.seed(1)
    actions = [env.action_space.sample() for _ in range(fast_kwargs(env_id)["n_steps"])]
    half = len(actions) // 2
    for a in actions[:half]:
        env.step(a)
    state = env.state_dict()
    tail = [env.step(a) for a in actions[half:]]
    fresh = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    fresh.reset(seed=99)
    fresh.load_state_dict(state)
    resumed = [fresh.step(a) for a in actions[half:]]
    for (o1, r1, *_), (o2, r2, *_) in zip(tail, resumed):
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2
