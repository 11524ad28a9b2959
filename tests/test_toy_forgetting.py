"""ToyCurriculum's forgetting option: off by default (bit for bit), unpractised cells decay and lose mastery and
the unlocks they gave, determinism, checkpoints, the conformance kit, and the vector env's refusal."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import teachgym
from teachgym import testing
from teachgym.registry import env_meta

TOY, TOY_D = "teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0"
ORIGIN, NEXT = np.array([0.05, 0.05], np.float32), np.array([0.15, 0.05], np.float32)  # cells (0, 0) and (1, 0)


@pytest.mark.parametrize("env_id", [TOY, TOY_D])
def test_forgetting_zero_is_the_default_env_bit_for_bit(env_id):
    plain = teachgym.run(env_id, "random", 3, n_steps=400, outcome_noise=0.1)
    explicit = teachgym.run(env_id, "random", 3, n_steps=400, outcome_noise=0.1, forgetting=0.0)
    np.testing.assert_array_equal(plain.lessons, explicit.lessons)
    np.testing.assert_array_equal(plain.outcomes, explicit.outcomes)
    assert plain.curve == explicit.curve and plain.score == explicit.score


def test_unpractised_cells_decay_lose_mastery_and_relock_their_successors():
    env = gym.make(TOY, n_steps=400, forgetting=0.5)
    obs, info = env.reset(seed=0)
    for _ in range(80):  # the origin reaches 80: mastered, and its successors unlock
        obs, reward, _, _, info = env.step(ORIGIN.copy())
    assert obs[0] == pytest.approx(0.80) and info["outcome"] == pytest.approx(0.80)
    gains = []
    for step in range(12):  # practise (1, 0): it gains 1 per episode while the origin loses 0.5
        obs, reward, _, _, info = env.step(NEXT.copy())
        gains.append(info["outcome"])
        assert obs[0] == pytest.approx(0.80 - 0.005 * (step + 1))
    # The origin fell to 74.5 at the 11th step: no longer mastered (reward -1 cell of 100) and (1, 0) relocked.
    assert gains == pytest.approx([0.01 * (k + 1) for k in range(11)] + [0.11])  # locked: no gain, no decay
    student = env.unwrapped.student
    assert student.n_mastered == 0 and not student.batch.unlocked[0, 10] and student.batch.unlocked[0, 0]
    obs, reward, _, _, info = env.step(ORIGIN.copy())  # the practised cell never decays in its own episode
    assert obs[0] == pytest.approx(0.74 + 0.01)  # 74 after 12 episodes of decay


def test_mastery_gain_reward_turns_negative_when_mastery_is_lost():
    env = gym.make(TOY, n_steps=400, forgetting=1.0)
    env.reset(seed=0)
    rewards = [env.step(ORIGIN.copy())[1] for _ in range(76)]
    assert rewards[-1] == pytest.approx(0.01) and sum(rewards) == pytest.approx(0.01)  # mastered at 76
    _, reward, _, _, info = env.step(NEXT.copy())
    assert reward == pytest.approx(-0.01) and env.unwrapped.score() == 0.0


def test_unfeasible_tasks_practise_no_cell_and_everything_decays():
    env = gym.make(TOY, n_steps=400, forgetting=0.5, task_range=(0.0, 4.0))
    env.reset(seed=0)
    for _ in range(10):
        obs, *_ = env.step(ORIGIN.copy())
    obs, reward, _, _, info = env.step(np.array([3.0, 3.0], np.float32))
    assert info["outcome"] == 0.0 and obs[0] == pytest.approx(0.095)


def test_same_seed_same_run_and_checkpoints_with_forgetting():
    kwargs = {"n_steps": 600, "forgetting": 0.05, "outcome_noise": 0.1}
    first = teachgym.run(TOY_D, "tscl-window", 4, **kwargs)
    second = teachgym.run(TOY_D, "tscl-window", 4, **kwargs)
    never = teachgym.run(TOY_D, "tscl-window", 4, n_steps=600, outcome_noise=0.1)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    np.testing.assert_array_equal(first.outcomes, second.outcomes)
    assert first.score == second.score and not np.array_equal(first.outcomes, never.outcomes)
    make = lambda: gym.make(TOY, n_steps=300, forgetting=0.3)  # noqa: E731
    testing.check_determinism(make)
    testing.check_checkpoint(make())


def test_conformance_kit_and_check_env_pass_with_forgetting():
    kwargs = {**env_meta(TOY_D).smoke, "forgetting": 0.2}
    testing.check_teacher_env(gym.make(TOY_D, **kwargs))
    gym_check_env(gym.make(TOY, **{**env_meta(TOY).smoke, "forgetting": 0.2}).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("value", [-0.1, float("nan"), 101.0, "fast"])
def test_bad_forgetting_is_refused_naming_the_field(value):
    with pytest.raises(teachgym.ConfigError, match="forgetting"):
        gym.make(TOY, forgetting=value)


def test_the_vector_env_refuses_forgetting():
    from teachgym.envs.curriculum.toy_vector import ToyCurriculumVectorEnv

    with pytest.raises(teachgym.ConfigError, match="forgetting"):
        ToyCurriculumVectorEnv(num_envs=2, forgetting=0.1)
