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
# FineTuneRL-SB3 (issue 7): 4 teacher steps of 32 DQN steps, 300 offline transitions, one 30-step evaluation episode.
FAST_ENV_KWARGS_BY_ID["teachgym/FineTuneRL-SB3-v0"] = {"n_steps": 4, "steps_per_step": 32, "n_offline_transitions": 300, "eval_episodes": 1, "eval_max_steps": 30, "learning_starts": 8, "batch_size": 16}


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
