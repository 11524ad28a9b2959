"""The math student's pretrained base: built once, deterministically, cached; fine-tuning from it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import teachgym
from teachgym.envs.datagen.code_domain import CodeDomain
from teachgym.envs.datagen.heldout import heldout_sets
from teachgym.envs.datagen.math_domain import BASE_SKILLS, MathDomain
from teachgym.students.datagen import pretrain
from teachgym.students.datagen.char_transformer import CharTransformerStudent

PAIRS = [(f"{a}+{b}", str(a + b)) for a in range(1, 10) for b in range(1, 10)]
SMALL = {"d_model": 16, "n_layers": 1, "max_len": 16, "max_answer_len": 4, "batch_size": 8}


def _weights(student) -> list[torch.Tensor]:
    return [v.clone() for v in student.model.state_dict().values()]


def test_base_is_built_deterministically_cached_and_reused(tmp_path, monkeypatch):
    student = CharTransformerStudent(**SMALL, base_problems=PAIRS, base_steps=30, cache_dir=tmp_path)
    student.reset(np.random.default_rng(0))
    assert student.base_path.parent == tmp_path and student.base_path.exists()
    built = _weights(student)
    other_seed = CharTransformerStudent(**SMALL, base_problems=PAIRS, base_steps=30, cache_dir=tmp_path)
    other_seed.reset(np.random.default_rng(5))  # the base is the same for every episode seed
    assert all(torch.equal(a, b) for a, b in zip(built, _weights(other_seed)))
    fresh = CharTransformerStudent(**SMALL, lr=3e-3)
    fresh.reset(np.random.default_rng(0))
    assert not all(torch.equal(a, b) for a, b in zip(built, _weights(fresh)))  # pretraining changed the weights

    def no_training(*args, **kwargs):
        raise AssertionError("the cached base must be loaded, not trained again")

    monkeypatch.setattr(CharTransformerStudent, "learn", no_training)
    again = CharTransformerStudent(**SMALL, base_problems=PAIRS, base_steps=30, cache_dir=tmp_path)
    again.reset(np.random.default_rng(0))
    assert again.base_path == student.base_path
    assert all(torch.equal(a, b) for a, b in zip(built, _weights(again)))
    monkeypatch.undo()
    rebuilt = CharTransformerStudent(**SMALL, base_problems=PAIRS, base_steps=30, cache_dir=tmp_path / "elsewhere")
    rebuilt.reset(np.random.default_rng(1))
    assert all(torch.equal(a, b) for a, b in zip(built, _weights(rebuilt)))  # same inputs, same bytes
    longer = CharTransformerStudent(**SMALL, base_problems=PAIRS, base_steps=31, cache_dir=tmp_path)
    longer.reset(np.random.default_rng(0))
    assert longer.base_path != student.base_path
    # Retraining starts from the pretrained weights, not from a fresh draw.
    student.learn(PAIRS, 3)
    student.restart_from_base(np.random.default_rng(2))
    assert all(torch.equal(a, b) for a, b in zip(built, _weights(student)))


def test_base_settings_are_checked():
    with pytest.raises(teachgym.ConfigError, match="base_problems"):
        CharTransformerStudent(**SMALL, base_steps=10)
    with pytest.raises(teachgym.ConfigError, match="replay_fraction"):
        CharTransformerStudent(**SMALL, replay_fraction=1.0)
    with pytest.raises(teachgym.ConfigError, match="levels"):
        MathDomain(levels=(3,))
    with pytest.raises(teachgym.ConfigError, match="base_skills"):
        MathDomain(base_skills=("calculus",))


def test_math_default_range_foundation_and_explicit_harder_levels():
    domain = MathDomain()
    held = heldout_sets(domain, 4, 6)
    assert domain.levels == (0,) and {d.difficulty for d in held.val + held.test} == {0}
    corpus = domain.foundation_problems(held.keys)
    assert corpus == domain.foundation_problems(held.keys) and len(corpus) == 20_000
    assert not {q for q, _ in corpus} & {d.question for d in held.val + held.test}  # content dedupe
    names = {domain.skills[k].name for k in range(domain.n_skills)
             if any(domain.verify(k, _example(q, a)) is None for q, a in corpus[:400])}
    assert names == set(BASE_SKILLS)
    assert {d.difficulty for d in heldout_sets(MathDomain(levels=(0, 1, 2)), 4, 12).test} == {0, 1, 2}
    assert {d.difficulty for d in heldout_sets(CodeDomain(), 4, 12).test} == set(range(CodeDomain.n_difficulties))
    env = gym.make("teachgym/DataGen-Math-OpenEnded-v0", n_steps=2, budget=8, train_steps=1, val_per_skill=2,
                   test_per_skill=2, student_kwargs={"d_model": 16, "batch_size": 8, "base_steps": 20}).unwrapped
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape, np.int64)
    action[:4] = (1, 0, 2, 3)  # sub_borrow, subskill 0, difficulty 2, the largest weight
    action[4:8] = (0, 0, 3, 3)  # add_carry, subskill 0, difficulty left open (the default range)
    env.step(action)
    levels = {(d.skill, d.difficulty) for d in env.data}
    assert {lvl for s, lvl in levels if s == 1} == {2} and {lvl for s, lvl in levels if s == 0} == {0}


def _example(question, answer):
    from teachgym.envs.datagen.domain import Example

    return Example(question, answer)


def test_fine_tuning_from_the_base_on_one_skill_raises_that_skill(tmp_path):
    domain = MathDomain(base_skills=("add_carry",))
    held = heldout_sets(domain, 24, 4)
    sub = [d for d in held.val if d.skill == 1]
    add = [d for d in held.val if d.skill == 0]
    rng = np.random.default_rng(0)
    data = {k: [(e.question, e.answer) for e in (domain.generate(k, int(rng.integers(3)), 0, rng) for _ in range(256))]
            for k in (1, 2)}  # sub_borrow, multiply

    def accuracy(student, items):
        return np.mean([p == d.answer for p, d in zip(domain.predict(student, items), items)])

    def fine_tuned(skill, **kwargs):
        student = domain.make_student(avoid=held.keys, base_steps=300, lr=3e-3, cache_dir=tmp_path, **kwargs)
        student.reset(np.random.default_rng(0))
        base = accuracy(student, sub), accuracy(student, add)
        student.learn(data[skill], 200)
        return base, (accuracy(student, sub), accuracy(student, add))

    (base_sub, base_add), (sub_after_sub, _) = fine_tuned(1)
    _, (sub_after_mul, add_after_mul) = fine_tuned(2)
    _, (_, add_after_mul_no_replay) = fine_tuned(2, replay_fraction=0.0)
    assert base_add >= 0.5 and base_sub <= 0.1  # the base knows its skill, not the other
    assert sub_after_sub >= base_sub + 0.2 and sub_after_sub >= sub_after_mul + 0.2  # subtraction data teaches it
    assert add_after_mul >= add_after_mul_no_replay + 0.15  # replaying the foundation slows forgetting


def test_likelihood_reward_is_the_gain_in_answer_log_likelihood():
    kwargs = {"n_steps": 2, "budget": 8, "train_steps": 5, "val_per_skill": 2, "test_per_skill": 2,
              "student_kwargs": {"d_model": 16, "batch_size": 8, "base_steps": 20}}
    env = gym.make("teachgym/DataGen-Math-SkillList-v0", reward="likelihood", **kwargs).unwrapped
    _, info = env.reset(seed=0)
    before = np.mean(info["skill_log_likelihood"])
    assert np.all(np.array(info["skill_log_likelihood"]) < 0) and 0 <= info["score"] <= 100
    _, reward, _, _, info = env.step(np.ones(8, np.float32))
    assert reward == pytest.approx(np.mean(info["skill_log_likelihood"]) - before) and reward != 0.0
    pair = [(env.heldout.val[0].question, env.heldout.val[0].answer)]
    with torch.no_grad():
        assert env.student.answer_log_likelihood(pair)[0] == pytest.approx(-float(env.student._loss(pair)), rel=1e-5)
    plain = gym.make("teachgym/DataGen-Math-SkillList-v0", **kwargs).unwrapped
    plain.reset(seed=0)
    assert "skill_log_likelihood" not in plain.step(np.ones(8, np.float32))[4]
    with pytest.raises(teachgym.ConfigError, match="reward"):
        gym.make("teachgym/DataGen-VQA-SkillList-v0", reward="likelihood", n_steps=2)
    with pytest.raises(teachgym.ConfigError, match="reward"):
        gym.make("teachgym/DataGen-Math-SkillList-v0", reward="fun", **kwargs)
