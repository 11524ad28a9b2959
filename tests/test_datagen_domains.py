"""Code DSL, code and VQA domains, and the SFT students of the data-generation envs."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from teachgym.envs.datagen import code_dsl
from teachgym.envs.datagen.code_dsl import DSLError, StepLimitExceeded, run
from teachgym.envs.datagen.code_domain import CodeDomain
from teachgym.envs.datagen.domain import Example
from teachgym.envs.datagen.heldout import heldout_sets
from teachgym.envs.datagen.vqa_domain import COLOURS, SHAPES, VQADomain, render


def test_dsl_runs_programs():
    assert run("i=0;s=0;while i<4{i=i+1;s=s+i};print s") == "10"
    assert run("a=7;if a>5{print 1}else{print 0};print -a%3;print a/2") == "1 2 3"
    assert run("a=2;b=a;a=a+3;print b;print (a+1)*2") == "2 12"


@pytest.mark.parametrize("program", [
    "import os", "__import__('os')", "exec(1)", "eval(1)", "a=open(1)", "a.b=1", "print 'x'", "a=1;print b",
    "print 1/0", "print 5%0", "print 99999*99999", "x=1;;", "if 1{print 1}", "while{}",
    "print " + "(" * 40 + "1" + ")" * 40, "if 1<2{" * 9 + "a=1" + "}" * 9, "a=1" + ";a=1" * 200, "ab=1", "",
])
def test_dsl_refuses_unsafe_or_invalid_programs(program):
    with pytest.raises(DSLError):
        run(program)


def test_dsl_step_limit_stops_non_terminating_programs():
    for program in ("while 1>0{a=1}", "a=0;while a<1{a=a*1}", "i=0;while i>-1{i=i+1;if i>5{i=0}}"):
        with pytest.raises(StepLimitExceeded, match="more than 50 steps"):
            run(program, max_steps=50)
    assert run("i=0;while i<20{i=i+1};print i", max_steps=1000) == "20"
    with pytest.raises(StepLimitExceeded):
        run("i=0;while i<20{i=i+1};print i", max_steps=30)


def test_dsl_never_uses_python_eval_or_exec():
    calls = {node.func.id for node in ast.walk(ast.parse(inspect.getsource(code_dsl)))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert calls and not calls & {"eval", "exec", "compile", "__import__", "getattr", "open"}


def test_code_domain_generates_verified_examples_and_verifier_catches_errors():
    domain = CodeDomain()
    rng = np.random.default_rng(1)
    for skill in range(domain.n_skills):
        for sub in range(len(domain.skills[skill].subskills)):
            for level in range(domain.n_difficulties):
                example = domain.generate(skill, sub, level, rng)
                assert domain.verify(skill, example) is None, example
                if skill != 7:
                    assert "wrong" in domain.verify(skill, Example(example.question, example.answer + "9"))
    assert "step" in domain.verify(0, Example("while 1>0{a=1}", ""))
    assert "refused" in domain.verify(0, Example("import os", ""))
    assert "does not print" in domain.verify(7, Example("a=?;print a*3 => 12", "5"))
    assert domain.verify(7, Example("a=?;print a*3 => 12", "4")) is None
    assert "ambiguous" in domain.verify(7, Example("a=2;print a?2 => 4", "+"))


def test_vqa_scenes_render_and_answers_follow_the_scene():
    domain = VQADomain()
    rng = np.random.default_rng(0)
    for _ in range(30):
        example = domain.generate(0, 2, 1, rng)  # how many <shape>s
        shape = SHAPES.index(example.question.split()[2][:-1])
        assert example.answer == str(sum(o[0] == shape for o in example.scene))
        example = domain.generate(1, 1, 2, rng)  # colour at a position
        assert example.answer in COLOURS
    image = render(((0, 0, 0, 0), (1, 2, 2, 2)), size=24)
    assert image.shape == (24, 24, 3) and image.dtype == np.uint8
    assert tuple(image[3, 3]) == (230, 40, 40) and tuple(image[20, 20]) == (50, 80, 240) and image[12, 12].sum() == 0
    held = heldout_sets(domain, 4, 4)
    keys = [domain.content_key(d.example) for d in held.val + held.test]
    assert len(set(keys)) == len(keys)


def test_char_transformer_memorises_and_leaves_global_rng_alone():
    import torch

    from teachgym.students.datagen.char_transformer import CharTransformerStudent

    pairs = [(f"{a}+{b}", str(a + b)) for a, b in ((3, 4), (12, 9), (7, 7), (40, 2), (5, 15), (8, 1))]
    before = torch.get_rng_state().clone()
    student = CharTransformerStudent(d_model=32, n_layers=1, max_len=16, max_answer_len=4, batch_size=6, lr=1e-2)
    student.reset(np.random.default_rng(0))
    assert student.evaluate(pairs).mean() < 0.5
    student.learn(pairs, 150)
    assert student.evaluate(pairs).mean() == 1.0
    assert torch.equal(torch.get_rng_state(), before)
    twin = CharTransformerStudent(d_model=32, n_layers=1, max_len=16, max_answer_len=4, batch_size=6, lr=1e-2)
    twin.reset(np.random.default_rng(0))
    twin.learn(pairs, 150)
    assert all(torch.equal(a, b) for a, b in zip(student.model.state_dict().values(), twin.model.state_dict().values()))
    student.restart_from_base(np.random.default_rng(1))
    assert student.evaluate(pairs).mean() < 0.5  # back to the base weights


def test_vqa_student_loss_falls_on_a_fixed_batch():
    domain = VQADomain()
    rng = np.random.default_rng(0)
    from teachgym.envs.datagen.domain import Datum

    data = [Datum(str(i), 5, 1, 0, domain.generate(5, 1, 0, rng)) for i in range(32)]
    student = domain.make_student(d_model=32, batch_size=32)
    student.reset(np.random.default_rng(0))
    first = student.learn(domain.lesson(data), 1).extras["loss"]
    last = student.learn(domain.lesson(data), 60).extras["loss"]
    assert last < 0.5 * first
    assert len(domain.predict(student, data)) == 32
