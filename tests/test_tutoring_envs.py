"""Tutoring envs: observations are the tutor's log, seeds fix the student population, rewards follow the docs.

check_env, same-seed rollouts, the episode contract and checkpointing run on these envs through the
registry-driven tests in tests/test_envs.py.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.lessons import DiscreteLessons
from teachgym.validation import ConfigError

FLASHCARDS = ["teachgym/Flashcards-EFC-v1", "teachgym/Flashcards-HLR-v1", "teachgym/Flashcards-ACTR-v1"]
TUTORING = FLASHCARDS + ["teachgym/PrerequisiteTutor-BKT-v1"]


def _rollout(env, seed: int, actions):
    obs, info = env.reset(seed=seed)
    params = {k: v.copy() for k, v in env.unwrapped.student.params.items()}
    trace = [obs]
    for a in actions:
        obs, reward, _, _, info = env.step(a)
        trace += [obs, reward, info["outcome"]]
    return params, trace


@pytest.mark.parametrize("env_id", TUTORING)
def test_same_seed_same_student_population_and_episode(env_id):
    env = gym.make(env_id, n_steps=30)
    actions = np.random.default_rng(0).integers(env.action_space.n, size=30)
    params_a, trace_a = _rollout(env, 5, actions)
    params_b, trace_b = _rollout(gym.make(env_id, n_steps=30), 5, actions)
    params_c, trace_c = _rollout(env, 6, actions)
    for key in params_a:
        np.testing.assert_array_equal(params_a[key], params_b[key])
    for a, b in zip(trace_a, trace_b):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(params_a[k], params_c[k]) for k in params_a)


@pytest.mark.parametrize("env_id", TUTORING)
def test_student_seed_keeps_one_student_across_resets(env_id):
    env = gym.make(env_id, n_steps=10, student_seed=3)
    params_a, _ = _rollout(env, 1, [0] * 10)
    params_b, _ = _rollout(env, 2, [0] * 10)
    for key in params_a:
        np.testing.assert_array_equal(params_a[key], params_b[key])


@pytest.mark.parametrize("env_id", FLASHCARDS)
def test_flashcard_observation_is_the_log_and_oracle_adds_true_recall(env_id):
    env = gym.make(env_id, n_items=6, n_steps=20, delay=2.0, oracle=True).unwrapped
    obs, info = env.reset(seed=0)
    fields = {k: slice(*v) for k, v in info["tutor_log"]["fields"].items()}
    assert obs.shape == (4 * 6 + 1,) and info["tutor_log"]["delay"] == 2.0
    for step, item in enumerate([1, 1, 4, 0, 1]):
        obs, reward, *_ = env.step(item)
        np.testing.assert_allclose(obs[fields["recall"]], env.student.recall_probabilities(), rtol=1e-6, atol=1e-30)
        assert obs[fields["attempts"]].sum() == step + 1 and obs[fields["since_review"]][item] == 0.0
        assert reward == pytest.approx(env.student.recall_probabilities().mean())
    np.testing.assert_array_equal(obs[fields["attempts"]], [1, 3, 0, 0, 1, 0])
    assert obs[fields["correct"]].sum() <= 5
    assert obs[fields["since_review"]][2] == pytest.approx(10.0)  # never reviewed: time since the session start
    assert obs[fields["budget_used"]][0] == pytest.approx(5 / 20)
    plain = gym.make(env_id, n_items=6).unwrapped
    assert plain.observation_space.shape == (3 * 6 + 1,)
    assert "recall" not in plain.reset(seed=0)[1]["tutor_log"]["fields"]


def test_log_likelihood_reward_and_score():
    env = gym.make("teachgym/Flashcards-HLR-v1", reward_mode="log_likelihood", n_steps=3).unwrapped
    env.reset(seed=0)
    for _ in range(3):
        _, reward, _, truncated, info = env.step(0)
    recall = env.student.recall_probabilities()
    assert reward == pytest.approx(np.log(1e-9 + recall).mean())
    assert truncated and info["score"] == pytest.approx(100.0 * recall.mean())
    assert info["mean_recall"] == pytest.approx(recall.mean())


def test_flashcard_settings_are_validated():
    with pytest.raises(ConfigError, match="model"):
        gym.make("teachgym/Flashcards-EFC-v1", model="dash")
    with pytest.raises(ConfigError, match="reward_mode"):
        gym.make("teachgym/Flashcards-EFC-v1", reward_mode="accuracy")
    with pytest.raises(ConfigError, match="delay"):
        gym.make("teachgym/Flashcards-EFC-v1", delay=0.0)


def test_reddy_defaults():
    env = gym.make("teachgym/Flashcards-EFC-v1").unwrapped
    assert (env.n_items, env.n_steps, env.delay, env.reward_mode) == (30, 200, 5.0, "likelihood")


def test_bkt_env_reward_score_and_published_curriculum():
    env = gym.make("teachgym/PrerequisiteTutor-BKT-v1", oracle=True).unwrapped
    obs, info = env.reset(seed=2)
    assert info["prerequisites"] == env.prerequisites and info["easy_to_hard"]["order"] == list(range(12))
    assert set(info["bkt_population"]) >= {"guess", "slip", "learn", "forget", "init"}
    start, fields = info["mastered_fraction"], info["tutor_log"]["fields"]
    total = 0.0
    for t in range(env.n_steps):
        obs, reward, _, truncated, info = env.step(t % env.n_skills)
        total += reward
    assert truncated and total == pytest.approx(info["mastered_fraction"] - start)
    assert info["score"] == pytest.approx(100.0 * env.student.expected_retention(env.retention_steps))
    assert info["expected_retention"] == pytest.approx(info["score"] / 100.0)
    assert 0.0 <= info["expected_retention"] <= info["mastered_fraction"] <= 1.0
    recall = obs[slice(*fields["recall"])]
    np.testing.assert_allclose(recall, env.student.correct_probabilities(), rtol=1e-6)


def test_bkt_env_takes_an_explicit_graph_and_refuses_a_cyclic_one():
    env = gym.make("teachgym/PrerequisiteTutor-BKT-v1", prerequisites=[[], [0], [0, 1]])
    assert env.action_space.n == 3
    with pytest.raises(ConfigError, match="topological"):
        gym.make("teachgym/PrerequisiteTutor-BKT-v1", prerequisites=[[1], []])


def test_discrete_lessons_are_items_without_randomness():
    lessons = DiscreteLessons(4)
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    np.testing.assert_array_equal(lessons.to_task(np.int64(3), rng), [3.0])
    assert rng.bit_generator.state == state
    assert lessons.describe() == {"kind": "items", "n_arms": 4, "names": ["task[0]"]}
    for bad in [4, -1, 0.5, np.nan, "x"]:
        with pytest.raises(teachgym.InvalidLessonError, match="action"):
            lessons.to_task(bad, rng)
    with pytest.raises(ConfigError, match="n_items"):
        DiscreteLessons(0)


@pytest.mark.parametrize("model", ["EFC", "HLR", "ACTR"])
def test_answer_timing_draws_the_answer_before_or_after_the_delay(model):
    # A delay so long that (exponential forgetting) everything is forgotten by its end: answered before it, a
    # card reviewed at the end of the previous step is fresh (recall 1); answered after it, the card is gone.
    # ACT-R's power-law forgetting keeps some recall even then.
    outcomes = {}
    for timing in ("before_delay", "after_delay"):
        env = gym.make(f"teachgym/Flashcards-{model}-v1", n_items=3, n_steps=12, delay=1e6,
                       answer_timing=timing).unwrapped
        _, info = env.reset(seed=0)
        assert info["tutor_log"]["answer_lag"] == (0.0 if timing == "before_delay" else 1e6)
        outcomes[timing] = [env.step(0)[4]["outcome"] for _ in range(12)][1:]
        assert env.student.now == pytest.approx(12 * 1e6) and env.student.last_review[0] == env.student.now
    assert outcomes["before_delay"] == [1.0] * 11
    assert outcomes["after_delay"] == [0.0] * 11 if model != "ACTR" else sum(outcomes["after_delay"]) < 9
    with pytest.raises(ConfigError, match="answer_timing"):
        gym.make(f"teachgym/Flashcards-{model}-v1", answer_timing="during")


@pytest.mark.parametrize("model", ["EFC", "HLR", "ACTR"])
def test_oracle_lookahead_reports_the_recall_that_far_ahead(model):
    env = gym.make(f"teachgym/Flashcards-{model}-v1", n_items=5, n_steps=10, oracle=True,
                   oracle_lookahead=10.0).unwrapped
    env.reset(seed=1)
    for item in (0, 3, 3, 1):
        obs, _, _, _, info = env.step(item)
    recall = obs[15:20]
    now = env.student.recall_probabilities().copy()
    env.student.advance(10.0)
    np.testing.assert_allclose(recall, env.student.recall_probabilities(), rtol=1e-5, atol=1e-7)
    assert np.all(recall <= now + 1e-7)
    with pytest.raises(ConfigError, match="oracle_lookahead"):
        gym.make(f"teachgym/Flashcards-{model}-v1", oracle_lookahead=-1.0)
