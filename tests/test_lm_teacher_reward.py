"""The GRPO teacher's reward (scripts/train_lm_teacher.py): the env's item score and invalid penalty per completion."""

from __future__ import annotations

import runpy
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.registry import env_meta

ENV_ID = "teachgym/LMProblemWriter-v0"
SCRIPT = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "train_lm_teacher.py"))


def make(**kwargs):
    env = gym.make(ENV_ID, **{**env_meta(ENV_ID).smoke, "action": "text", "batch_size": 3, **kwargs}).unwrapped
    env.reset(seed=0)
    return env


def test_gain_reward_is_measured_ahead_of_the_step_and_leaves_the_student_unchanged():
    batch = ("3+4=", "nonsense", "r:abc=")
    env = make(item_score="gain", invalid_penalty=0.3)
    reward = SCRIPT["ItemScoreReward"](env)
    items = [("3+4=", "7"), ("r:abc=", "cba")]
    before = env.student.probabilities(items)[0]
    scores = reward(completions=list(batch))
    assert np.array_equal(env.student.probabilities(items)[0], before)  # the look-ahead step was undone
    assert scores[1] == -0.3
    _, _, _, _, info = env.step(batch)  # the env's own gain of the same step
    assert scores[0] == pytest.approx(info["item_scores"][0], abs=1e-9)
    assert scores[2] == pytest.approx(info["item_scores"][2], abs=1e-9)
    assert any(abs(s) > 0 for s in (scores[0], scores[2]))


def test_learnability_reward_uses_the_envs_penalty():
    env = make(invalid_penalty=0.02)
    scores = SCRIPT["ItemScoreReward"](env)(completions=["3+4=", "12+7="])
    p = env.student.probabilities([("3+4=", "7")])[0][0]
    assert scores == pytest.approx([p * (1 - p), -0.02])


def test_script_passes_the_penalty_and_item_score_options():
    args = SCRIPT["parse"](["--out", "x", "--invalid-penalty", "0.01", "--item-score", "gain"])
    assert (args.invalid_penalty, args.item_score) == (0.01, "gain")
    with pytest.raises(SystemExit):
        SCRIPT["parse"](["--out", "x", "--item-score", "loss"])
