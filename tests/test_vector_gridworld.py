"""Vectorised GridworldCurriculum: sub-env i is the single env seeded seed + i; the learner population is disjoint."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.students.curriculum.tabular_q import Q_EPSILON, Q_LEARNING_RATE, TabularQStudent, draw_q_student
from teachgym.validation import ConfigError
from tests.conftest import lockstep

CASES = [
    ("teachgym/GridworldCurriculum-v0", {"n_steps": 20, "score_every": 8}),
    ("teachgym/GridworldCurriculumDiscrete-v0", {"n_steps": 20, "population": "train", "episodes_per_step": 3}),
    ("teachgym/GridworldCurriculum-v0", {"n_steps": 20, "population": "held_out", "reward_mode": "outcome"}),
]


def _actions(space: gym.Space, n: int, t: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(space, gym.spaces.Discrete):
        return rng.integers(0, min(space.n, 2 + t // 2), size=n)  # start near the goal, then move outwards
    return (rng.random((n, 3)) * min(1.0, 0.05 + t / 20)).astype(np.float32)


@pytest.mark.parametrize("env_id,kwargs", CASES)
def test_sub_env_i_is_the_single_env_seeded_seed_plus_i(env_id, kwargs):
    n, rng = 3, np.random.default_rng(0)
    space = gym.make(env_id, **kwargs).action_space
    outcomes = []
    for t, _, info, singles in lockstep(env_id, kwargs, n, 7, lambda t: _actions(space, n, t, rng),
                                        ("task", "outcome", "env_steps", "score")):
        if t < 0:
            assert np.array_equal(info["score"], [i["score"] for i in singles])
            continue
        outcomes.extend(info.get("outcome", []))
    assert np.count_nonzero(outcomes) >= 5  # episodes reached the goal: the comparison covered learning


def test_population_parts_are_disjoint_and_change_the_learner():
    rng = np.random.default_rng(0)
    for part in ("train", "held_out"):
        for _ in range(50):
            params = draw_q_student(rng, part)
            assert Q_LEARNING_RATE.part_of(params["learning_rate"]) == part
            assert Q_EPSILON.part_of(params["epsilon"]) == part
    env = gym.make("teachgym/GridworldCurriculum-v0", n_steps=5, population="train").unwrapped
    drawn = set()
    for seed in range(4):
        env.reset(seed=seed)
        drawn.add((env.student.learning_rate, env.student.epsilon))
    assert len(drawn) == 4
    fixed = gym.make("teachgym/GridworldCurriculum-v0", n_steps=5, epsilon=0.2).unwrapped
    fixed.reset(seed=0)
    assert (fixed.student.learning_rate, fixed.student.epsilon) == (0.5, 0.2)


def test_bad_population_and_params_are_refused():
    with pytest.raises(ConfigError, match="population"):
        gym.make("teachgym/GridworldCurriculum-v0", population="test")
    with pytest.raises(ConfigError, match="discount"):
        TabularQStudent().reset(np.random.default_rng(0), {"discount": 0.5})
