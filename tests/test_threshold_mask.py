"""The threshold tutor on a review-mask deck env (MultiBinary): the day's review set from its fitted recall."""

import json

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.registry import env_meta
from teachgym.teachers.tutoring.threshold import ThresholdTutor
from teachgym.validation import ConfigError

ENV = "teachgym/SpacedRepetition-FSRS-v0"


def _days(threshold, n_days=8, **env_kwargs):
    env = gym.make(ENV, **{**env_meta(ENV).smoke, "n_steps": n_days, **env_kwargs})
    teacher = ThresholdTutor(threshold=threshold)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    obs, info = env.reset(seed=0)
    days = []
    for _ in range(n_days):
        mask = teacher.act(obs, info)
        introduced = np.asarray(obs)[:env.unwrapped.deck_size] > 0
        obs, reward, terminated, truncated, info = env.step(mask)
        teacher.update(mask, reward, obs, info)
        days.append((mask.copy(), introduced, info["review_log"]))
    return teacher, days


def test_marks_only_introduced_cards_and_reviews_per_threshold():
    _, never = _days(threshold=0.0)
    assert all(mask.sum() == 0 for mask, _, _ in never)
    teacher, always = _days(threshold=1.0)
    for mask, introduced, _ in always:
        assert not np.any(mask.astype(bool) & ~introduced)
    assert always[-1][0].sum() > 0
    assert teacher._recall_model.n_events > 0  # it learnt from the reviews in the day's review_log


def test_review_set_is_the_lowest_predicted_recall_within_the_budget():
    teacher, days = _days(threshold=1.0, n_days=6, deck_size=60, new_per_day=20, minutes_per_day=3.0)
    mask, _, _ = days[-1]
    # the budget estimate is minutes_per_day over the mean seconds per study seen so far
    per_study = teacher._study_s / teacher._studies
    assert mask.sum() <= np.ceil(180.0 / per_study)
    assert mask.sum() < 60


def test_oracle_needs_a_discrete_env():
    env = gym.make(ENV, **env_meta(ENV).smoke)
    with pytest.raises(ConfigError, match="oracle"):
        ThresholdTutor(model="oracle").reset(env.action_space, env.observation_space, seed=0)


def test_mask_mode_is_reproducible_and_scores():
    a = teachgym.run(ENV, "threshold", seed=3, teacher_kwargs={"threshold": 0.9}, **env_meta(ENV).smoke)
    b = teachgym.run(ENV, "threshold", seed=3, teacher_kwargs={"threshold": 0.9}, **env_meta(ENV).smoke)
    assert a.score == b.score and 0.0 < a.score <= 100.0


def test_rl_tutor_script_trains_a_review_mask_policy(tmp_path):
    pytest.importorskip("stable_baselines3")
    from scripts.train_rl_tutor import main
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    smoke = env_meta(ENV).smoke
    assert main(["--env", ENV, "--total-timesteps", "40", "--n-envs", "2", "--n-steps", "10", "--batch-size", "20",
                 "--out", str(tmp_path), "--eval-episodes", "1", "--env-kwargs", json.dumps(smoke)]) == 0
    path = tmp_path / "SpacedRepetition-FSRS-v0__ppo-itemwise-rates-skip-rrbase__0.safetensors"
    tutor = PPOTutor(str(path))
    env = gym.make(ENV, **smoke)
    obs, info = env.reset(seed=1)
    tutor.reset(env.action_space, env.observation_space, seed=0)
    mask = tutor.act(obs, info)
    assert mask.shape == env.action_space.shape and env.action_space.contains(mask)
    # the deterministic mask is the Bernoulli head's mode: the cards at probability >= 0.5
    import torch

    from teachgym.teachers.tutoring.ppo_tutor import tutor_features
    with torch.no_grad():
        observation, _ = tutor._policy.policy.obs_to_tensor(tutor_features(obs, tutor._features, smoke["deck_size"]))
        probs = tutor._policy.policy.get_distribution(observation).distribution.probs[0].numpy()
    assert np.array_equal(mask.astype(bool), probs >= 0.5)
    sampled = [teachgym.run(ENV, PPOTutor(str(path), deterministic=False), seed=3, **smoke).lessons.tolist()
               for _ in range(2)]
    assert sampled[0] == sampled[1]
