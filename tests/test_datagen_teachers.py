"""Data-generation teachers: targeting, uniform, the Skill-Tree policies, odd feedback."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym

TINY = {"n_steps": 4, "budget": 8, "train_steps": 2, "val_per_skill": 3, "test_per_skill": 3,
        "student_kwargs": {"d_model": 16, "batch_size": 8}}
MATH_TINY = {**TINY, "student_kwargs": {**TINY["student_kwargs"], "base_steps": 20}}  # a fast pretrained base
DATA_TEACHERS = ("datagen-uniform", "datagen-targeting")
TREE_TEACHERS = ("skilltree-alternate", "skilltree-fill-balanced")
STRUCTURES = {
    "SkillList": {}, "SkillList-levels": {"action_mode": "levels"}, "OpenEnded": {},
    "OpenEnded-text": {"mode": "text"}, "SkillTree": {},
}


def _env(structure: str, domain: str = "Math"):
    kwargs = STRUCTURES[structure]
    return gym.make(f"teachgym/DataGen-{domain}-{structure.split('-')[0]}-v0",
                    **(MATH_TINY if domain == "Math" else TINY), **kwargs)


def _reset(teacher, env, seed=0):
    obs, info = env.reset(seed=seed)
    teacher.reset(env.action_space, env.observation_space, seed=seed)
    return obs, info


def test_targeting_gives_weak_skills_more_data():
    env = _env("SkillList")
    teacher = teachgym.make_teacher("datagen-targeting")
    obs, info = _reset(teacher, env)
    info = {**info, "skill_accuracy": [0.9, 0.9, 0.1, 0.9, 0.5, 0.9, 0.9, 0.9]}
    action = teacher.act(obs, info)
    assert action[2] == action.max() and action[4] > action[0] and action[0] > 0  # floor keeps every skill
    uniform = teachgym.make_teacher("datagen-uniform")
    _reset(uniform, env)
    assert np.all(uniform.act(obs, info) == 1.0)


def test_targeting_uses_subskills_where_the_structure_allows():
    env = _env("OpenEnded")
    teacher = teachgym.make_teacher("datagen-targeting", temperature=0.25)
    obs, info = _reset(teacher, env)
    sub = np.ones((8, 3))
    sub[5, 1] = 0.0
    action = teacher.act(obs, {**info, "subskill_accuracy": sub.tolist(), "skill_accuracy": [1] * 5 + [0.6] + [1] * 2})
    entries = action.reshape(-1, 4)
    assert tuple(entries[0][:2]) == (5, 1) and entries[0][3] == entries[:, 3].max()
    _, _, _, _, step_info = env.step(action)
    assert step_info["rejected"] is None


@pytest.mark.parametrize("structure", list(STRUCTURES))
@pytest.mark.parametrize("name", DATA_TEACHERS + TREE_TEACHERS)
def test_teachers_survive_odd_feedback_with_valid_actions(name, structure):
    env = _env(structure)
    teacher = teachgym.make_teacher(name)
    if not isinstance(env.action_space, teacher.supported_spaces) or (name in TREE_TEACHERS and structure != "SkillTree"):
        return
    obs, info = _reset(teacher, env)
    k = 8
    for odd in ({"skill_accuracy": [np.nan] * k}, {"skill_accuracy": [np.inf, -np.inf] + [1e300] * (k - 2)},
                {"skill_accuracy": "garbage", "subskill_accuracy": [[np.nan]]}, {"skill_accuracy": [0.0] * k},
                {"skill_accuracy": [1.0] * k, "tree": [[True] * 3] * k}, {"action_mask": None}):
        action = teacher.act(obs, {**info, **odd})
        assert env.action_space.contains(action if isinstance(action, str) else
                                         np.asarray(action, dtype=env.action_space.dtype)), (odd, action)
        teacher.update(action, np.nan, obs, {**info, **odd})


def test_data_teachers_refuse_envs_without_datagen_feedback():
    teacher = teachgym.make_teacher("datagen-targeting")
    env = gym.make("teachgym/ToyCurriculum-v0", n_steps=5)
    obs, info = _reset(teacher, env)
    with pytest.raises(teachgym.ConfigError, match="DataGen env"):
        teacher.act(obs, info)
    tree = teachgym.make_teacher("skilltree-alternate")
    env = _env("OpenEnded")
    obs, info = _reset(tree, env)
    with pytest.raises(teachgym.ConfigError, match="Skill-Tree env"):
        tree.act(obs, info)


def test_alternate_and_fill_balanced_tree_policies():
    result = teachgym.run("teachgym/DataGen-Math-SkillTree-v0", "skilltree-alternate", seed=0, **MATH_TINY)
    assert [int(lesson[0]) for lesson in result.lessons] == [1, 0, 1, 0]
    explored = [int(lesson[1]) for lesson in result.lessons[::2]]
    assert len(set(explored)) == 2  # grows the least-grown skill: never the same one twice in a row
    env = gym.make("teachgym/DataGen-Math-SkillTree-v0", **{**MATH_TINY, "n_steps": 18})
    result = teachgym.run(env, teachgym.make_teacher("skilltree-fill-balanced", target=2), seed=0)
    assert [int(lesson[0]) for lesson in result.lessons] == [1, 0] * 8 + [0, 0]  # grow 8 skills to 2, then fill
    counts = np.zeros((8, 3))
    for datum in env.unwrapped.data:
        if datum.provenance["iteration"] < 18:  # what the teacher saw before its last action
            counts[datum.skill, datum.subskill] += 1
    counts, last_fill = counts[:, :2], result.lessons[-1][2:].reshape(8, 3)
    # Filling puts weight only where a discovered subskill has less data than the fullest one.
    assert np.all((last_fill[:, :2] > 0) <= (counts < counts.max())) and last_fill[:, 2].sum() == 0


@pytest.mark.parametrize("name, kwargs, field", [
    ("datagen-targeting", {"temperature": 0.0}, "temperature"),
    ("datagen-targeting", {"floor": 1.5}, "floor"),
    ("skilltree-fill-balanced", {"target": -1}, "target"),
    ("lm-planner", {"model": "x", "max_new_tokens": 0}, "max_new_tokens"),
])
def test_invalid_hyperparameters_name_the_field(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        teachgym.make_teacher(name, **kwargs)


@pytest.mark.parametrize("domain", ["Code", "VQA"])
def test_targeting_runs_on_every_structure_of_the_other_domains(domain):
    for structure, teacher in (("SkillList", "datagen-targeting"), ("OpenEnded", "datagen-targeting"),
                               ("SkillTree", "skilltree-alternate")):
        result = teachgym.run(f"teachgym/DataGen-{domain}-{structure}-v0", teacher, seed=0,
                              **{**TINY, "n_steps": 2})
        assert result.steps == 2 and np.isfinite(result.score) and np.all(result.tasks.sum(axis=1) > 0)
