"""Data-generation envs: math domain, the three structures, logs, malformed plans."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import teachgym
from teachgym.utils.numeric import largest_remainder
from teachgym.envs.datagen.domain import Example
from teachgym.envs.datagen.heldout import heldout_sets
from teachgym.envs.datagen.math_domain import MathDomain
from teachgym.envs.datagen.trajectory import TrajectoryLog

TINY = {"n_steps": 3, "budget": 8, "train_steps": 2, "val_per_skill": 3, "test_per_skill": 3,
        "student_kwargs": {"d_model": 16, "batch_size": 8}}
# Math's default student starts from a pretrained base; a 20-step one keeps the tests fast.
MATH_TINY = {**TINY, "student_kwargs": {**TINY["student_kwargs"], "base_steps": 20}}
MATH = {"SkillList": "teachgym/DataGen-Math-SkillList-v0", "OpenEnded": "teachgym/DataGen-Math-OpenEnded-v0",
        "SkillTree": "teachgym/DataGen-Math-SkillTree-v0"}


def make(structure: str, domain: str = "Math", **kwargs):
    return gym.make(MATH[structure].replace("Math", domain), **{**(MATH_TINY if domain == "Math" else TINY),
                                                                 **kwargs}).unwrapped


def test_math_taxonomy_generator_and_verifier():
    domain = MathDomain()
    assert domain.n_skills >= 8 and all(len(s.subskills) >= 2 for s in domain.skills)
    rng = np.random.default_rng(0)
    for skill in range(domain.n_skills):
        for sub in range(len(domain.skills[skill].subskills)):
            for level in range(domain.n_difficulties):
                for _ in range(5):
                    example = domain.generate(skill, sub, level, rng)
                    assert domain.verify(skill, example) is None, example
                    wrong = Example(example.question, example.answer + "1")
                    assert "wrong" in domain.verify(skill, wrong)
    assert "not in the form" in domain.verify(0, Example("import os", "1"))
    assert "cannot be solved" in domain.verify(6, Example("((3)", "3"))
    # The difficulty knob changes the numbers: level 2 sums are longer than level 0 sums.
    short = np.mean([len(domain.generate(0, 0, 0, rng).question) for _ in range(50)])
    long = np.mean([len(domain.generate(0, 0, 2, rng).question) for _ in range(50)])
    assert long > short + 2


def test_heldout_sets_are_fixed_disjoint_and_never_trained_on():
    domain = MathDomain()
    first = heldout_sets(domain, 5, 7)
    again = heldout_sets.__wrapped__(MathDomain(), 5, 7)  # recomputed, not cached
    assert [d.question for d in first.val] == [d.question for d in again.val]
    val_keys = {domain.content_key(d.example) for d in first.val}
    test_keys = {domain.content_key(d.example) for d in first.test}
    assert not val_keys & test_keys and len(val_keys) == len(first.val) and len(test_keys) == len(first.test)
    env = make("SkillList", val_per_skill=5, test_per_skill=7, budget=64, n_steps=2)
    env.reset(seed=0)
    for _ in range(2):
        env.step(np.ones(8, np.float32))
    assert len(env.data) == 128
    assert not {domain.content_key(d.example) for d in env.data} & (val_keys | test_keys)


def test_allocation_rounding():
    assert largest_remainder([1, 1, 1], 10).tolist() == [4, 3, 3]
    assert largest_remainder([0, 2, 1], 7).tolist() == [0, 5, 2]
    assert largest_remainder([0, 0], 5).tolist() == [0, 0]


def test_skill_list_rejects_all_zero_plans_at_a_cost():
    env = make("SkillList")
    env.reset(seed=0)
    obs, reward, _, truncated, info = env.step(np.zeros(8, np.float32))
    assert "all allocation weights are zero" in info["rejected"]
    assert reward == 0.0 and info["budget_used"] == pytest.approx(1 / 3) and not env.data
    obs, reward, _, _, info = env.step(np.eye(8, dtype=np.float32)[2])
    assert info["rejected"] is None and info["task"].tolist() == [0, 0, 8, 0, 0, 0, 0, 0]
    assert {d.skill for d in env.data} == {2}
    with pytest.raises(teachgym.InvalidLessonError, match=r"action\[0\]"):
        env.step(np.full(8, np.nan, np.float32))


def test_skill_list_levels_mode():
    env = make("SkillList", action_mode="levels", n_levels=3)
    assert isinstance(env.action_space, gym.spaces.MultiDiscrete)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([2, 0, 0, 0, 0, 0, 0, 2]))
    assert info["task"].tolist() == [4, 0, 0, 0, 0, 0, 0, 4]


def test_open_ended_numeric_plans_and_errors():
    env = make("OpenEnded")
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    # Entry 0: add_carry/many_carries at difficulty 2, weight 1; entry 1: subskill 2 of fractions, weight 3;
    # entries 2-3 unused.
    plan = np.array([0, 1, 2, 1, 4, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0])
    _, _, _, _, info = env.step(plan)
    assert info["rejected"] is None and info["task"].tolist() == [2, 0, 0, 0, 6, 0, 0, 0]
    assert {(d.skill, d.subskill, d.difficulty) for d in env.data if d.skill == 0} == {(0, 1, 2)}
    assert {d.subskill for d in env.data if d.skill == 4} == {2}
    _, _, _, _, info = env.step(np.zeros(16, dtype=np.int64))
    assert "no entry" in info["rejected"]


def test_open_ended_text_mode_parses_rejects_and_never_crashes():
    env = make("OpenEnded", mode="text")
    obs, info = env.reset(seed=0)
    assert isinstance(obs, str) and "Recent errors" in obs and env.observation_space.contains(obs)
    gym_check_env(env, skip_render_check=True)
    env.reset(seed=0)
    _, _, _, _, info = env.step("fractions/simplify difficulty=1 3\nnonsense line\nmultiply 100\n")
    assert info["rejected"] is None
    assert info["task"].tolist() == [0, 0, 5, 0, 3, 0, 0, 0]
    assert any("not understood" in e for e in info["plan_errors"]) and any("cut to 5" in e for e in info["plan_errors"])
    for bad in ("", "\x00\x01 gibberish", "[{\"skill\": 3}]", "unknown_skill 4", "fractions/nope 2", "x" * 5000):
        _, reward, _, _, info = env.step(bad) if env._t < 3 else (None, 0.0, 0, 0, {"rejected": "skip"})
        if env._t >= 3:
            env.reset(seed=1)
        assert info["rejected"], bad
    env.reset(seed=0)
    _, _, _, _, info = env.step('[{"skill": "percentages", "subskill": "percent_of", "count": 4}]')
    assert info["rejected"] is None and info["task"][5] == 4
    with pytest.raises(teachgym.InvalidLessonError, match="text plan"):
        env.step(3)


def test_skill_tree_explore_exploit_and_masks():
    env = make("SkillTree")
    obs, info = env.reset(seed=0)
    assert env.discovered.sum(axis=1).tolist() == [1] * 8
    mask = info["action_mask"]
    assert mask.shape == (int(env.action_space.nvec.sum()),) and mask[:2].all()
    explore = np.zeros(env.action_space.shape, dtype=np.int64)
    explore[:2] = (1, 4)
    _, _, _, _, info = env.step(explore)
    assert info["explored"] == [4, 1] and env.discovered[4, 1]
    assert {(d.skill, d.subskill) for d in env.data} == {(4, 1)}
    env.step(explore)
    _, reward, _, _, info = env.step(explore)  # skill 4 has no hidden subskill left
    assert "no hidden subskill" in info["rejected"] and reward == 0.0
    assert not env.action_masks()[2 + 4]
    env.reset(seed=0)
    exploit = np.zeros(env.action_space.shape, dtype=np.int64)
    exploit[2 + 1] = 3  # slot (0, 1) is not discovered
    _, _, _, _, info = env.step(exploit)
    assert "no weight on a discovered subskill" in info["rejected"] and info["plan_errors"]


@pytest.mark.parametrize("structure, domain, kwargs", [(s, "Math", {}) for s in MATH] + [
    ("SkillList", "VQA", {}), ("OpenEnded", "Code", {}), ("SkillList", "Math", {"training": "continue"})])
def test_log_has_every_datum_and_evaluation_and_resumes(structure, domain, kwargs, tmp_path):
    path = tmp_path / "log.jsonl"
    env = make(structure, domain, log_path=str(path), n_steps=4, **kwargs)
    env.reset(seed=4)
    env.action_space.seed(4)
    actions = [env.action_space.sample() for _ in range(4)]
    for action in actions[:2]:
        env.step(action)
    events = TrajectoryLog.read(path)
    data = [e["datum"] for e in events if e["event"] == "data"]
    assert [d["id"] for d in data] == [d.id for d in env.data] and len(set(d["id"] for d in data)) == len(data)
    assert all({"engine", "iteration", "plan_entry"} <= set(d["provenance"]) for d in data)
    evaluations = [e for e in events if e["event"] == "evaluation"]
    assert {e["split"] for e in evaluations} == {"val", "test"}
    assert len([e for e in events if e["event"] == "plan"]) == 2
    half = tmp_path / "half.jsonl"
    half.write_text(path.read_text())
    tail = [env.step(a) for a in actions[2:]]
    resumed = make(structure, domain, n_steps=4, **kwargs)
    resumed.reset(seed=99)
    resumed.resume_from_log(half)
    assert resumed._t == 2 and len(resumed.data) == len([d for d in data])
    for (o1, r1, *_), action in zip(tail, actions[2:]):
        o2, r2, *_ = resumed.step(action)
        np.testing.assert_array_equal(o1, o2)
        assert r1 == r2


def test_continue_training_uses_only_new_data():
    env = make("SkillList", training="continue")
    env.reset(seed=0)
    env.step(np.ones(8, np.float32))
    env.step(np.ones(8, np.float32))
    trains = list(env.log.of("train"))
    assert [t["n_examples"] for t in trains] == [8, 8] and {t["mode"] for t in trains} == {"continue"}
    retrain = make("SkillList")
    retrain.reset(seed=0)
    retrain.step(np.ones(8, np.float32))
    retrain.step(np.ones(8, np.float32))
    assert [t["n_examples"] for t in retrain.log.of("train")] == [8, 16]


def test_same_seed_same_episode_with_teachers():
    for env_id, teacher in ((MATH["SkillList"], "datagen-targeting"), (MATH["SkillTree"], "skilltree-alternate")):
        first = teachgym.run(env_id, teacher, seed=2, **MATH_TINY)
        second = teachgym.run(env_id, teacher, seed=2, **MATH_TINY)
        np.testing.assert_array_equal(first.lessons, second.lessons)
        np.testing.assert_array_equal(first.rewards, second.rewards)
        assert first.score == second.score


def test_bad_settings_name_the_field():
    for kwargs, field in (({"budget": 0}, "budget"), ({"training": "sometimes"}, "training"),
                          ({"engine": "magic"}, "engine"), ({"domain": "chemistry"}, "domain"),
                          ({"student_kwargs": {"max_len": 20, "max_answer_len": 5}}, "student_kwargs")):
        with pytest.raises(teachgym.ConfigError, match=field):
            gym.make(MATH["SkillList"], **{**MATH_TINY, **kwargs})


@pytest.mark.parametrize("structure", ["OpenEnded", "SkillTree"])
def test_sb3_ppo_trains_on_the_numeric_structures(structure):
    ppo = pytest.importorskip("stable_baselines3").PPO
    from teachgym.students.datagen.common import torch_threads

    env = gym.make(MATH[structure], **MATH_TINY)
    with torch_threads(1):  # a tiny MLP: extra threads only contend on a busy CPU
        model = ppo("MlpPolicy", env, n_steps=3, batch_size=3, n_epochs=1, seed=0, device="cpu")
        model.learn(total_timesteps=6)
        action, _ = model.predict(env.reset(seed=0)[0], deterministic=True)
    assert env.action_space.contains(action)
