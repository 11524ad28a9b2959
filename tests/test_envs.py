"""Registry-driven checks: every registered teachgym env gets these tests automatically.

Each test calls one check of :mod:`teachgym.testing` (the conformance kit users run on their
own envs) on the env's registered smoke configuration.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

from teachgym import testing
from teachgym.env import TeacherEnv
from teachgym.envs import env_ids
from teachgym.registry import FAMILIES, env_meta
from tests.conftest import fast_kwargs

ENV_IDS = env_ids()
ROOT = Path(__file__).resolve().parents[1]


def _make(env_id: str):
    return lambda: gym.make(env_id, **fast_kwargs(env_id))


def test_the_foundation_envs_are_registered():
    for env_id in ("teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0",
                   "teachgym/GridworldCurriculum-v0", "teachgym/GridworldCurriculumDiscrete-v0"):
        assert env_id in ENV_IDS


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_registry_metadata(env_id):
    meta = env_meta(env_id)
    assert meta.family in FAMILIES and meta.cost in ("fast", "medium", "slow") and meta.score
    assert meta.smoke.get("n_steps", 0) >= 1, "a smoke configuration sets a small n_steps"
    entry_point = gym.spec(env_id).entry_point
    assert entry_point.startswith(f"teachgym.envs.{meta.family}."), f"{env_id} lives in {entry_point}"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_check_env(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id))
    assert isinstance(env.unwrapped, TeacherEnv)
    gym_check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env(env_id):
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(gym.make(env_id, **fast_kwargs(env_id)), warn=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_rollout(env_id):
    testing.check_determinism(_make(env_id))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_episode_and_info_contract(env_id):
    """Budget truncation, score at reset and end, every info key in the schema, obs in space."""
    env = _make(env_id)()
    testing.check_episode(env)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_invalid_actions_are_refused_not_clipped(env_id):
    testing.check_invalid_lessons(_make(env_id))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_step_before_reset_is_refused(env_id):
    env = gym.make(env_id, **fast_kwargs(env_id)).unwrapped
    with pytest.raises(gym.error.ResetNeeded):
        env.step(env.action_space.sample())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_checkpoint_resume_gives_the_same_continuation(env_id):
    env = _make(env_id)()
    testing.check_checkpoint(env)
    env.close()


def test_the_whole_kit_passes_by_env_id():
    """The public entry point, as a user calls it (the tests above run its checks one by one on every env)."""
    testing.check_teacher_env("teachgym/ToyCurriculum-v0")


def _methods_defined(path: Path) -> dict[str, set[str]]:
    tree = ast.parse(path.read_text())
    return {node.name: {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
            for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def test_no_env_overrides_step_or_reset():
    """TeacherEnv owns the step template; families implement hooks only."""
    found = [f"{path.relative_to(ROOT)}: {cls}.{name}"
             for path in sorted((ROOT / "envs").rglob("*.py")) if "__pycache__" not in path.parts
             for cls, methods in _methods_defined(path).items() for name in ("step", "reset") if name in methods]
    # Task environments the students act in (not teacher envs) have their own step/reset.
    found = [f for f in found if "_task.py" not in f and "/multiagent/" not in f]
    assert not found, "\n".join(found)


def test_the_kit_finds_an_unknown_info_key():
    from teachgym.envs.curriculum.toy import ToyCurriculumEnv

    class Leaky(ToyCurriculumEnv):
        def _teach(self, task):
            taught = super()._teach(task)
            taught.info["mystery"] = 1
            return taught

    with pytest.raises(testing.ConformanceError, match="mystery"):
        testing.check_episode(Leaky(n_steps=3))


def test_the_kit_finds_a_nondeterministic_env():
    import numpy as np

    from teachgym.envs.curriculum.toy import ToyCurriculumEnv

    noise = np.random.default_rng()  # not seeded by the env: the bug the check must catch

    class Noisy(ToyCurriculumEnv):
        def _teach(self, task):
            taught = super()._teach(task)
            taught.reward = float(noise.random())
            return taught

    with pytest.raises(testing.ConformanceError, match="same seed"):
        testing.check_determinism(lambda: Noisy(n_steps=5))
