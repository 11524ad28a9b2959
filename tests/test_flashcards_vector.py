"""Vectorised tutoring envs (Flashcards EFC and HLR, PrerequisiteTutor-BKT): sub-env i is the single env seeded
seed + i; student populations are disjoint."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.students.tutoring.actr import ACTR_POPULATION
from teachgym.students.tutoring.bkt import BKT_POPULATION
from teachgym.students.tutoring.forgetting import EFC_POPULATION, HLR_POPULATION
from tests.conftest import lockstep

CASES = [
    ("teachgym/Flashcards-HLR-v1", {"n_steps": 30, "score_every": 7}),
    ("teachgym/Flashcards-HLR-v1", {"n_steps": 30, "population": "train", "answer_timing": "after_delay",
                                    "reward_mode": "log_likelihood", "oracle": True, "oracle_lookahead": 10.0}),
    ("teachgym/Flashcards-HLR-v1", {"n_steps": 30, "population": "held_out", "n_items": 7}),
    ("teachgym/Flashcards-EFC-v1", {"n_steps": 30, "population": "held_out", "score_every": 10}),
    ("teachgym/Flashcards-EFC-v1", {"n_steps": 30, "answer_timing": "after_delay", "oracle": True}),
    # 300 steps x ~14 uniforms per step: the students' blocks of drawn-ahead uniforms are refilled mid-episode
    ("teachgym/PrerequisiteTutor-BKT-v1", {"n_steps": 300, "score_every": 7}),
    ("teachgym/PrerequisiteTutor-BKT-v1", {"n_steps": 40, "population": "train", "oracle": True, "n_skills": 6,
                                           "n_layers": 2}),
    ("teachgym/PrerequisiteTutor-BKT-v1", {"n_steps": 40, "population": "held_out"}),
]
INFO_KEYS = ("lesson", "task", "outcome", "score", "mean_recall", "mastered_fraction", "expected_retention",
             "budget_used", "episode_start")


@pytest.mark.parametrize("env_id,kwargs", CASES)
def test_sub_env_i_is_the_single_env_seeded_seed_plus_i(env_id, kwargs):
    n, rng = 4, np.random.default_rng(0)
    n_actions = gym.make(env_id, **kwargs).action_space.n
    recalled = 0.0
    for t, _, info, singles in lockstep(env_id, kwargs, n, 11,
                                        lambda t: rng.integers(0, min(n_actions, 2 + t // 10), size=n),  # widening
                                        INFO_KEYS, single_action=int):
        if t < 0:
            assert np.array_equal(info["score"], [i["score"] for i in singles]) and info["_score"].all()
            log = singles[0]["tutor_log"]  # batched the Gymnasium way: a dict of per-sub-env arrays
            assert all(info["tutor_log"][k][0] == v for k, v in log.items() if k != "fields")
            assert info["_tutor_log"].all()
            continue
        recalled += float(np.sum(info.get("outcome", 0.0)))
    assert 0 < recalled < 2 * kwargs["n_steps"] * n  # answers of both kinds were drawn


def test_same_step_autoreset_and_invalid_batches():
    vec = gym.make_vec("teachgym/Flashcards-HLR-v1", num_envs=3, vectorization_mode="vector_entry_point", n_steps=2,
                       autoreset_mode="SameStep")
    vec.reset(seed=0)
    vec.step(np.array([0, 1, 2]))
    obs, _, _, truncated, info = vec.step(np.array([0, 1, 2]))
    assert truncated.all() and info["episode_start"].all() and info["final_info"]["score"].shape == (3,)
    assert info["final_obs"][1][31] == 1.0 and obs[:, :60].sum() == 0.0  # item 1 reviewed once; new log
    with pytest.raises(teachgym.InvalidLessonError, match=r"actions\[2\]"):
        vec.step(np.array([0, 1, 30]))
    with pytest.raises(teachgym.ConfigError, match="model"):
        from teachgym.envs.tutoring.flashcards_vector import FlashcardsVectorEnv

        FlashcardsVectorEnv(num_envs=2, model="actr")
    with pytest.raises(teachgym.ConfigError, match="population"):
        gym.make("teachgym/Flashcards-HLR-v1", population="test")


@pytest.mark.parametrize("model,bands", [("efc", EFC_POPULATION), ("hlr", HLR_POPULATION), ("actr", ACTR_POPULATION),
                                         ("bkt", BKT_POPULATION)])
def test_train_and_held_out_students_are_disjoint(model, bands):
    env_id = "teachgym/PrerequisiteTutor-BKT-v1" if model == "bkt" else f"teachgym/Flashcards-{model.upper()}-v1"
    drawn = {"train": [], "held_out": []}
    for part in drawn:
        env = gym.make(env_id, population=part).unwrapped
        for seed in range(40):
            env.reset(seed=seed)
            params = env.student.params
            own = {"hlr": lambda: {"ability": params["ability"][0], "w_correct": params["weights"][1]},
                   "efc": lambda: {"strength_gain": params["strength_gain"][0]},
                   "actr": lambda: {"student_offset": params["student_offset"][0]},
                   "bkt": lambda: dict(zip(BKT_POPULATION, params["own"]))}[model]()
            for name, value in own.items():
                assert bands[name].part_of(value) == part, (name, value)
            drawn[part].append(next(iter(own.values())))
    assert len(set(drawn["train"])) == 40 and not set(drawn["train"]) & set(drawn["held_out"])


def test_default_population_is_unchanged():
    default = teachgym.run("teachgym/Flashcards-HLR-v1", "threshold", 0, n_steps=60)
    same = teachgym.run("teachgym/Flashcards-HLR-v1", "threshold", 0, n_steps=60, population=None)
    held_out = teachgym.run("teachgym/Flashcards-HLR-v1", "threshold", 0, n_steps=60, population="held_out")
    assert same.curve == default.curve and np.array_equal(same.lessons, default.lessons)
    assert np.array_equal(same.outcomes, default.outcomes) and held_out.curve != default.curve
