"""Shared fixtures: every registered env and teacher is picked up automatically."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium import spaces

import teachgym
from teachgym.envs import env_ids

# Small budgets so that registry-wide checks stay fast; every TeacherEnv takes n_steps.
FAST_ENV_KWARGS = {"n_steps": 40}
# Envs whose steps are expensive (deep-RL or LM students) add their own small settings here, one line each.
FAST_ENV_KWARGS_BY_ID: dict[str, dict] = {}
# Deep-RL curriculum (issue 4): 4 lessons of 64 PPO steps (2 envs x 32, one epoch), a tiny MountainCar test set.
FAST_ENV_KWARGS_BY_ID.update({f"teachgym/{name}Curriculum-v0": {"n_steps": 4, "steps_per_lesson": 64, "n_envs": 2, "device": "cpu", "algo_kwargs": {"batch_size": 32, "n_epochs": 1}, **extra} for name, extra in (("MountainCar", {"test_episodes": 2}), ("CartPole", {}), ("StumpTrack", {}))})
# FineTuneRL-SB3 (issue 7): 4 teacher steps of 32 DQN steps, 300 offline transitions, one 30-step evaluation episode.
FAST_ENV_KWARGS_BY_ID["teachgym/FineTuneRL-SB3-v0"] = {"n_steps": 4, "steps_per_step": 32, "n_offline_transitions": 300, "eval_episodes": 1, "eval_max_steps": 30, "learning_starts": 8, "batch_size": 16}
# DataGen (issue 6): 3 iterations of 8 examples, 2 gradient steps, 2 held-out items per skill, a width-16 student (math: from a 20-step base).
FAST_ENV_KWARGS_BY_ID.update({f"teachgym/DataGen-{d}-{s}-v0": {"n_steps": 3, "budget": 8, "train_steps": 2, "val_per_skill": 2, "test_per_skill": 2, "student_kwargs": {"d_model": 16, "batch_size": 8, **({"base_steps": 20} if d == "Math" else {})}} for d in ("Math", "Code", "VQA") for s in ("SkillList", "OpenEnded", "SkillTree")})
# GRPO curriculum (issue 5): 3 teacher steps of 1 GRPO update (2 prompts x 2 completions), 2 probes per arm, a 1-layer width-16 LM warmed up for 20 steps.
FAST_ENV_KWARGS_BY_ID.update({f"teachgym/GRPO{name}-v0": {"n_steps": 3, "updates_per_step": 1, "prompts_per_update": 2, "num_generations": 2, "probes_per_arm": 2, "test_per_arm": 2, "tiny": {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32, "warmup_steps": 20, "warmup_batch_size": 16}} for name in ("Arithmetic", "ArithmeticMixture", "Strings")})


def fast_kwargs(env_id: str) -> dict:
    """The settings the registry-wide tests make ``env_id`` with."""
    return FAST_ENV_KWARGS_BY_ID.get(env_id, FAST_ENV_KWARGS)


def all_env_ids() -> list[str]:
    return env_ids()


def envs_for(teacher_name: str) -> list[str]:
    """Registered env ids whose action space the teacher supports."""
    supported = teachgym.teacher_registry.entry(teacher_name).load().supported_spaces
    out = []
    for env_id in all_env_ids():
        env = gym.make(env_id, **fast_kwargs(env_id))
        if isinstance(env.action_space, supported):
            out.append(env_id)
        env.close()
    return out


@pytest.fixture(params=[spaces.Box, spaces.Discrete], ids=["box", "discrete"])
def toy_env_id(request) -> str:
    return "teachgym/ToyCurriculum-v0" if request.param is spaces.Box else "teachgym/ToyCurriculumDiscrete-v0"
