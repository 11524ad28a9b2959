"""Tutoring teachers: valid items on every tutoring env, the documented schedules, no state leaking between students.

Determinism, reset and degenerate-outcome checks run on these teachers through tests/test_teachers.py.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import teachgym
from teachgym.teachers.tutoring.leitner import LeitnerTutor
from teachgym.teachers.tutoring.recall_model import RecallModel
from teachgym.teachers.tutoring.sm2 import SM2Tutor
from teachgym.validation import ConfigError

TUTORING = ["teachgym/Flashcards-EFC-v1", "teachgym/Flashcards-HLR-v1", "teachgym/Flashcards-ACTR-v1",
            "teachgym/PrerequisiteTutor-BKT-v1"]
TUTORS = ["random", "round-robin", "leitner", "sm2", "threshold", "mastery"]


@pytest.mark.parametrize("oracle", [False, True], ids=["log", "oracle"])
@pytest.mark.parametrize("env_id", TUTORING)
def test_tutors_pick_valid_items(env_id, oracle):
    env = gym.make(env_id, n_steps=60, n_items=7, oracle=oracle) if "Flashcards" in env_id else \
        gym.make(env_id, n_steps=60, oracle=oracle)
    for name, kwargs in [(name, {}) for name in TUTORS] + ([("threshold", {"model": "oracle"})] if oracle else []):
        teacher = teachgym.make_teacher(name, **kwargs)
        obs, info = env.reset(seed=1)
        teacher.reset(env.action_space, env.observation_space, seed=2)
        for _ in range(60):
            action = teacher.act(obs, info)
            assert env.action_space.contains(int(action)), f"{name} picked {action!r}"
            obs, reward, _, _, info = env.step(action)
            teacher.update(action, reward, obs, info)


def _mean_recall(env_id: str, teacher: str, seeds=range(4), **kwargs) -> float:
    teacher_kwargs = kwargs.pop("teacher_kwargs", {})
    return float(np.mean([teachgym.run(env_id, teacher, seed=s, teacher_kwargs=teacher_kwargs, **kwargs).rewards.mean()
                          for s in seeds]))


def test_threshold_tutors_beat_random_on_hlr():
    random = _mean_recall("teachgym/Flashcards-HLR-v1", "random")
    fitted = _mean_recall("teachgym/Flashcards-HLR-v1", "threshold", teacher_kwargs={"threshold": 0.4})
    oracle = _mean_recall("teachgym/Flashcards-HLR-v1", "threshold", oracle=True,
                          teacher_kwargs={"threshold": 0.4, "model": "oracle"})
    assert fitted > random + 0.1 and oracle > random + 0.1


def test_mastery_tutor_beats_random_and_respects_prerequisites():
    env_id = "teachgym/PrerequisiteTutor-BKT-v1"
    assert _mean_recall(env_id, "mastery") > _mean_recall(env_id, "random")
    assert np.mean([teachgym.run(env_id, "mastery", seed=s).score for s in range(4)]) > \
        np.mean([teachgym.run(env_id, "random", seed=s).score for s in range(4)])
    env = gym.make(env_id).unwrapped
    teacher = teachgym.make_teacher("mastery")
    obs, info = env.reset(seed=0)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    for _ in range(env.n_steps):
        skill = teacher.act(obs, info)
        assert all(teacher._mastered[p] for p in env.prerequisites[skill])
        obs, reward, _, _, info = env.step(skill)
        teacher.update(skill, reward, obs, info)


def test_oracle_threshold_needs_an_oracle_env():
    with pytest.raises(ConfigError, match="model='oracle'"):
        teachgym.run("teachgym/Flashcards-EFC-v1", "threshold", teacher_kwargs={"model": "oracle"}, n_steps=5)


def _drive(teacher, outcomes, n_items=3, reset_info=None):
    info = reset_info or {"episode_start": True, "budget_used": 0.0}
    items = []
    for i, outcome in enumerate(outcomes):
        item = teacher.act(None, info)
        items.append(item)
        info = {"lesson": item, "task": [item], "outcome": outcome, "budget_used": (i + 1) / 100}
        teacher.update(item, 0.0, None, info)
    return items


def test_leitner_moves_cards_up_on_correct_and_down_to_one_on_wrong():
    teacher = LeitnerTutor(arrival_prob=1.0)
    teacher.reset(spaces.Discrete(3), None, seed=0)
    first = _drive(teacher, [1.0])[0]
    assert teacher._deck_of[first] == 1  # from the new-card deck 0, one up
    items = _drive(teacher, [1.0, 1.0], reset_info={"budget_used": 0.5})
    assert first not in items and sorted(items + [first]) == [0, 1, 2]  # arrival_prob 1: new cards first
    teacher.update(first, 0.0, None, {"outcome": 1.0})
    assert teacher._deck_of[first] == 2
    teacher.update(first, 0.0, None, {"outcome": 0.0})
    teacher.update(first, 0.0, None, {"outcome": float("nan")})  # unusable outcome: counts as wrong
    assert teacher._deck_of[first] == 1  # down, never below 1
    with pytest.raises(ConfigError, match="arrival_prob"):
        LeitnerTutor(arrival_prob=1.5)


def test_sm2_intervals_and_easiness_follow_the_algorithm():
    teacher = SM2Tutor(interval_unit=1.0)
    teacher.reset(spaces.Discrete(1), None, seed=0)
    _drive(teacher, [1.0, 1.0, 1.0, 0.0])
    # grade 4 keeps EF at 2.5; intervals 1, 6, 15; then grade 1 lowers EF by 0.54 and restarts at 1.
    assert teacher._easiness[0] == pytest.approx(2.5 - 0.54)
    assert teacher._interval[0] == 1.0 and teacher._repetitions[0] == 0
    fresh = SM2Tutor(interval_unit=1.0)
    fresh.reset(spaces.Discrete(1), None, seed=0)
    _drive(fresh, [1.0, 1.0, 1.0])
    assert fresh._interval[0] == pytest.approx(15.0) and fresh._due[0] == pytest.approx(3 + 15.0)


def test_sm2_forgets_every_card_at_a_new_student_even_without_reset():
    teacher = SM2Tutor()
    teacher.reset(spaces.Discrete(4), None, seed=0)
    _drive(teacher, [1.0, 0.0, 1.0, 1.0], n_items=4)
    assert teacher._seen.any()
    teacher.act(None, {"episode_start": True, "budget_used": 0.0})  # the reset info of the next student
    assert not teacher._seen.any() and len(teacher._new_cards) == 4 and np.all(teacher._easiness == 2.5)


def test_recall_model_recovers_a_student_of_its_own_family():
    """Fit to reviews simulated from an EFC-like member of the model's family (h = e^2.5 (1 + attempts) e^b)."""
    rng = np.random.default_rng(0)
    n_items, w_true = 10, np.array([2.5, 0.0, 0.0, 1.0])
    b_true = rng.normal(0.0, 1.0, n_items)
    model = RecallModel(n_items)
    attempts, correct = np.zeros(n_items), np.zeros(n_items)
    for _ in range(300):
        item, lag = int(rng.integers(n_items)), float(rng.uniform(5.0, 150.0))
        log_h = w_true @ [1.0, attempts[item], correct[item], np.log1p(attempts[item])] + b_true[item]
        recalled = rng.random() < np.exp(-lag / np.exp(log_h))
        model.add(item, attempts[item], correct[item], lag, recalled)
        attempts[item] += 1
        correct[item] += recalled
    lags = np.full(n_items, 60.0)
    log_h = np.column_stack([np.ones(n_items), attempts, correct, np.log1p(attempts)]) @ w_true + b_true
    predicted = model.predict(attempts, correct, lags)
    assert np.corrcoef(predicted, np.exp(-lags / np.exp(log_h)))[0, 1] > 0.8
    assert np.all((predicted >= 0) & (predicted <= 1))
    assert abs(model.theta[0] - 2.5) < 0.5 and abs(model.theta[3] - 1.0) < 0.5
    assert model.log_posterior(model.theta) >= model.log_posterior(np.concatenate([w_true, b_true]))


def _dense_score_and_fisher(model, reviews, theta):
    """Gradient and Fisher information of the log-posterior at ``theta``, from the full design (no block algebra)."""
    design = np.zeros((len(reviews), model.n_params))
    for row, (item, attempts, correct, _, _) in enumerate(reviews):
        design[row, :4] = [1.0, attempts, correct, np.log1p(attempts)]
        design[row, 4 + item] = 1.0
    lag = np.array([review[3] for review in reviews])
    y = np.array([float(review[4]) for review in reviews])
    u = lag * np.exp(-np.clip(design @ theta, -50.0, 50.0))
    p, q = np.exp(-u), -np.expm1(-u)
    gradient = design.T @ (u * (y - p) / q) - model.prior_precision * (theta - model.prior_mean)
    fisher = design.T @ (design * (p * u**2 / q)[:, None]) + np.diag(model.prior_precision)
    return gradient, fisher


def test_recall_model_scoring_step_and_posterior_are_the_dense_ones():
    """One scoring step of the arrow-structured fit equals the dense Fisher-scoring step, its posterior inv(F)."""
    rng = np.random.default_rng(3)
    n_items = 6
    model = RecallModel(n_items, iterations=1, capacity=32)  # grows twice
    attempts, correct, reviews, checked = np.zeros(n_items), np.zeros(n_items), [], 0
    for _ in range(70):
        item, lag, recalled = int(rng.integers(n_items)), float(rng.uniform(2.0, 300.0)), bool(rng.random() < 0.6)
        reviews.append((item, attempts[item], correct[item], lag, recalled))
        before = model.theta
        model.add(item, attempts[item], correct[item], lag, recalled)
        attempts[item] += 1
        correct[item] += recalled
        gradient, fisher = _dense_score_and_fisher(model, reviews, before)
        step = np.linalg.solve(fisher, gradient)
        step *= min(1.0, 2.0 / np.abs(step).max())
        assert np.allclose(model.covariance, np.linalg.inv(fisher), rtol=1e-8, atol=1e-12)
        if model.log_posterior(before + step) > model.log_posterior(before) + 1e-9:  # the full step is taken
            assert np.allclose(model.theta, before + step, rtol=1e-8, atol=1e-10)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("features", ["log", "rates"])
def test_ppo_tutor_loads_a_trained_policy_and_refuses_a_mismatched_env(tmp_path, features):
    pytest.importorskip("stable_baselines3")
    from scripts.train_rl_tutor import main

    assert main(["--env", "teachgym/Flashcards-EFC-v1", "--total-timesteps", "400", "--n-envs", "2",
                 "--out", str(tmp_path), "--eval-episodes", "1", "--features", features,
                 "--value-net", "separate" if features == "rates" else "shared"]
                + (["--no-linear-skip", "--reward-baseline", "none"] if features == "log" else [])) == 0
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    # "rates" runs the script's defaults (linear skip, round-robin baseline); "log" switches them off.
    suffix = "" if features == "log" else "-rates-skip-rrbase"
    tutor = PPOTutor(str(tmp_path / f"Flashcards-EFC-v1__ppo-itemwise{suffix}__0.safetensors"))
    result = teachgym.run("teachgym/Flashcards-EFC-v1", tutor, seed=3, n_steps=20)
    assert result.steps == 20 and np.all((result.lessons >= 0) & (result.lessons < 30))
    assert (tutor._policy.policy.pi_features_extractor.skip is not None) == (features == "rates")
    # The deterministic action is the policy's own mode (SB3's predict), and sampled actions follow the tutor's seed.
    env = gym.make("teachgym/Flashcards-EFC-v1", n_steps=20)
    obs, info = env.reset(seed=5)
    tutor.reset(env.action_space, env.observation_space, seed=0)
    from teachgym.teachers.tutoring.ppo_tutor import tutor_features

    expected, _ = tutor._policy.predict(tutor_features(obs, tutor._features, 30), deterministic=True)
    assert tutor.act(obs, info) == int(expected)
    sampled = [teachgym.run("teachgym/Flashcards-EFC-v1", PPOTutor(tutor.model_path, deterministic=False), seed=3,
                            n_steps=20).lessons.tolist() for _ in range(2)]
    assert sampled[0] == sampled[1]
    with pytest.raises(ConfigError, match="shape"):
        teachgym.run("teachgym/Flashcards-EFC-v1", tutor, seed=3, n_steps=20, n_items=5)


def test_rl_tutor_script_trains_a_recurrent_policy_and_the_tutor_carries_its_state(tmp_path):
    pytest.importorskip("sb3_contrib")
    from scripts.train_rl_tutor import main
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    assert main(["--env", "teachgym/Flashcards-EFC-v1", "--total-timesteps", "400", "--n-envs", "2", "--policy", "lstm",
                 "--lstm-hidden-size", "8", "--out", str(tmp_path), "--eval-episodes", "1"]) == 0
    # The linear skip is an itemwise option: the LSTM policy ignores the default.
    tutor = PPOTutor(str(tmp_path / "Flashcards-EFC-v1__ppo-lstm-rates-rrbase__0.safetensors"))
    first = teachgym.run("teachgym/Flashcards-EFC-v1", tutor, seed=3, n_steps=20)
    assert np.all((first.lessons >= 0) & (first.lessons < 30))
    assert tutor._recurrent and tutor._state is not None and tutor._state[0].shape[-1] == 8
    # A new episode starts from a fresh LSTM state: the same seed gives the same schedule.
    again = teachgym.run("teachgym/Flashcards-EFC-v1", tutor, seed=3, n_steps=20)
    assert first.lessons.tolist() == again.lessons.tolist()


def test_round_robin_baseline_wrapper_subtracts_a_policy_independent_round_robin_episode():
    from scripts.train_rl_tutor import make_env

    plain = gym.make("teachgym/Flashcards-EFC-v1", n_steps=30)
    envs = [make_env("teachgym/Flashcards-EFC-v1", reward_baseline="round-robin", n_steps=30) for _ in range(2)]
    plain.reset(seed=7)
    for env in envs:
        env.reset(seed=7)
    baselines = [[], []]
    for t in range(30):
        _, reward, *_ = plain.step(t % 30)
        for k, env in enumerate(envs):
            _, relative, *_, info = env.step(t % 30 if k == 0 else 0)  # the second env drills item 0
            baselines[k].append(info["baseline_reward"])
            if k == 0:
                assert relative == pytest.approx(reward - info["baseline_reward"])
    # The baseline is the same student taught round-robin, whatever the policy does.
    assert baselines[0] == baselines[1]
    assert all(0.0 < b <= 1.0 for b in baselines[0])


def test_threshold_lookahead_shifts_the_fitted_prediction_and_is_validated():
    from teachgym.teachers.tutoring.threshold import ThresholdTutor

    env = gym.make("teachgym/Flashcards-HLR-v1", n_items=6, n_steps=30)
    tutor = ThresholdTutor(threshold=0.5)
    obs, info = env.reset(seed=4)
    tutor.reset(env.action_space, env.observation_space, seed=0)
    for _ in range(30):
        action = tutor.act(obs, info)
        obs, reward, _, _, info = env.step(action)
        tutor.update(action, reward, obs, info)
    now = tutor._predicted_recall(obs)
    tutor.lookahead = 60.0
    later = tutor._predicted_recall(obs)
    assert np.all(later <= now + 1e-12) and np.any(later < now - 1e-3)
    with pytest.raises(ConfigError, match="lookahead"):
        ThresholdTutor(lookahead=-1.0)


def test_rate_features_add_one_bounded_field_per_item_and_the_tutor_infers_them(tmp_path):
    from teachgym.teachers.tutoring.ppo_tutor import feature_space, tutor_features

    env = gym.make("teachgym/Flashcards-HLR-v1", n_items=5, n_steps=10)
    obs, _ = env.reset(seed=0)
    for item in (0, 0, 2):
        obs = env.step(item)[0]
    space = feature_space(env.observation_space, "rates", 5)
    features = tutor_features(obs, "rates", 5)
    assert features.shape == (4 * 5 + 1,) and space.contains(features)
    np.testing.assert_allclose(features[15:20], (obs[5:10] + 1) / (obs[:5] + 2), rtol=1e-6)
    np.testing.assert_allclose(features[:15], np.log1p(obs[:15]), rtol=1e-6)
    with pytest.raises(ConfigError, match="features"):
        tutor_features(obs, "rates")
