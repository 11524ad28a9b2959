"""The shipped ppo-teacher: loads its env's weights without unpickling, refuses every other env clearly."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.registry import compatibility, teacher_meta
from teachgym.teachers.learned.ppo_teacher import SHIPPED_ENVS, WEIGHTS, shipped_card
from teachgym.training.safe_policy import load_teacher


def test_every_shipped_env_has_weights_and_a_card_that_match_the_env():
    assert teacher_meta("ppo-teacher").env_ids == SHIPPED_ENVS and not teacher_meta("ppo-teacher").privileged
    for env_id in SHIPPED_ENVS:
        card = shipped_card(env_id)
        env = gym.make(env_id)
        _, info = env.reset(seed=0)
        assert card["env_id"] == env_id and card["action_space"] == repr(env.action_space)
        assert card["observation_shape"] == list(env.observation_space.shape)
        assert card.get("tutor_log") == (json.loads(json.dumps(info["tutor_log"])) if "tutor_log" in info else None)
        assert card["trained_on"] == "population='train'" and card["teacher_steps"] > 0
        saved = load_teacher(WEIGHTS / card["weights"])  # a plain teacher file: no pickle involved
        assert saved.action_space.n == env.action_space.n
        assert (WEIGHTS / card["weights"]).stat().st_size < 2_000_000


def test_it_is_compatible_with_its_envs_only():
    assert compatibility("ppo-teacher", "teachgym/Flashcards-HLR-v1") == []
    assert compatibility("ppo-teacher", "teachgym/GridworldCurriculumDiscrete-v0") == []
    for other in ("teachgym/Flashcards-EFC-v1", "teachgym/Flashcards-ACTR-v1", "teachgym/ToyCurriculumDiscrete-v0",
                  "teachgym/GridworldCurriculum-v0"):
        (problem,) = compatibility("ppo-teacher", other)
        assert "made for the envs ['teachgym/Flashcards-HLR-v1', 'teachgym/GridworldCurriculumDiscrete-v0'] only" \
            in problem


def test_other_spaces_and_other_logs_are_refused_with_what_it_ships():
    with pytest.raises(teachgym.ConfigError, match=r"no trained weights .* Discrete\(25\).*Flashcards-HLR-v1"):
        teachgym.run("teachgym/ToyCurriculumDiscrete-v0", "ppo-teacher", 0, n_steps=5)
    with pytest.raises(teachgym.ConfigError, match=r"observation shape \(61,\)"):
        teachgym.run("teachgym/Flashcards-HLR-v1", "ppo-teacher", 0, n_steps=5, n_items=20)
    with pytest.raises(teachgym.ConfigError, match="delay"):
        teachgym.run("teachgym/Flashcards-HLR-v1", "ppo-teacher", 0, n_steps=5, delay=10.0)


def test_it_teaches_held_out_students_deterministically_and_better_than_random():
    runs = [teachgym.run("teachgym/Flashcards-HLR-v1", "ppo-teacher", seed, n_steps=100, population="held_out")
            for seed in (0, 1, 0)]
    assert runs[0] == runs[2] and not np.array_equal(runs[0].lessons, runs[1].lessons)
    random = [teachgym.run("teachgym/Flashcards-HLR-v1", "random", seed, n_steps=100, population="held_out").score
              for seed in (0, 1)]
    assert np.mean([r.score for r in runs[:2]]) > np.mean(random)
    sampled = teachgym.run("teachgym/Flashcards-HLR-v1", "ppo-teacher", 0, n_steps=20,
                           teacher_kwargs={"deterministic": False})
    assert sampled == teachgym.run("teachgym/Flashcards-HLR-v1", "ppo-teacher", 0, n_steps=20,
                                   teacher_kwargs={"deterministic": False})


def test_the_gridworld_teacher_samples_as_its_card_says_and_beats_ucb_on_a_held_out_learner():
    env_id = "teachgym/GridworldCurriculumDiscrete-v0"
    card = shipped_card(env_id)
    assert card["policy"] == "mlp" and card["deterministic"] is False and card["history"] == 4
    assert load_teacher(WEIGHTS / card["weights"]).observation_space.shape == (4 * 10,)  # a 4-observation window
    runs = [teachgym.run(env_id, "ppo-teacher", 0, population="held_out") for _ in range(2)]
    assert runs[0] == runs[1] and len(np.unique(runs[0].lessons)) > 1  # drawn with the teacher's own RNG
    assert runs[0].score > teachgym.run(env_id, "ucb", 0, population="held_out").score + 5
    mode = teachgym.run(env_id, "ppo-teacher", 0, n_steps=60, teacher_kwargs={"deterministic": True})
    assert not np.array_equal(mode.lessons, teachgym.run(env_id, "ppo-teacher", 0, n_steps=60).lessons)
    with pytest.raises(teachgym.ConfigError, match="deterministic must be True, False or None"):
        teachgym.run(env_id, "ppo-teacher", 0, n_steps=5, teacher_kwargs={"deterministic": "yes"})


def test_the_item_shared_tutor_trains_on_the_batched_env_and_resumes(tmp_path):
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor
    from teachgym.training.learned_teacher import LearnedTeacherConfig, evaluate, train

    config = LearnedTeacherConfig(env_id="teachgym/Flashcards-HLR-v1", env_kwargs={"n_steps": 20, "n_items": 5},
                                  policy="itemwise", history=1, total_timesteps=160, num_envs=4, rollout_steps=20,
                                  batch_size=40, n_epochs=1, out_dir=str(tmp_path), run_name="tiny", progress=False,
                                  checkpoint_every=80, eval_seeds=0, jobs=1)
    path, report = train(config)
    saved = load_teacher(path)
    assert saved.observation_space.shape == (5 * 4 + 1,)  # reviews, correct, since, rate per item + budget
    assert type(saved.policy).__name__ == "ItemwisePolicy" and report["teacher_steps"] == 160
    tutor = PPOTutor(model_path=str(path), features="rates")
    result = teachgym.run("teachgym/Flashcards-HLR-v1", tutor, 0, n_steps=20, n_items=5, population="held_out")
    scores = evaluate("teachgym/Flashcards-HLR-v1", {"ppo": {"path": str(path), "policy": "itemwise"}}, 1,
                      {"n_steps": 20, "n_items": 5}, jobs=1)
    assert scores["ppo"] == [result.score]
    config.total_timesteps = 240  # resumes from the checkpoint
    assert train(config)[1]["teacher_steps"] == 80
    with pytest.raises(teachgym.ConfigError, match="history must be 1"):
        LearnedTeacherConfig(env_id="teachgym/Flashcards-HLR-v1", policy="itemwise", history=2)


def test_without_its_packages_ppo_teacher_is_skipped_by_a_sweep_not_failed(monkeypatch):
    """The main job installs no extras: a suite's ppo-teacher is then left out with the install command, not run."""
    import importlib.util

    from teachgym.leaderboard import get_suite, plan
    from teachgym.registry import compatibility

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "stable_baselines3" else find_spec(name, *a))
    why = compatibility("ppo-teacher", "teachgym/Flashcards-HLR-v1")
    assert len(why) == 1 and "stable_baselines3" in why[0] and "teachgym[rl]" in why[0]
    skipped = []
    specs = plan(get_suite("tutoring"), seeds=1, skipped=skipped)
    assert not any(spec.teacher == "ppo-teacher" for spec in specs)
    assert any(spec.teacher == "threshold" for spec in specs)
    assert [(t, label) for t, label, _ in skipped] == [("ppo-teacher", "teachgym/Flashcards-HLR-v1")]
    assert "teachgym[rl]" in skipped[0][2]
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert any(spec.teacher == "ppo-teacher" for spec in plan(get_suite("tutoring"), seeds=1))
