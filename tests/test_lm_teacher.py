"""LMProblemWriter-v0 and -v1: conformance, problem validation, the learnability item score, the skill mode."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.envs.grpo import problem_writer
from teachgym.envs.grpo.problem_writer import DISTRACTOR, SKILLS, ProblemSpace
from teachgym.registry import env_meta
from teachgym.testing import check_teacher_env

ENV_ID = "teachgym/LMProblemWriter-v0"  # most tests: v0's small problems; the v1 tests below
SMOKE = env_meta(ENV_ID).smoke
V0 = ProblemSpace(digits=1, word_length=3)
solve, all_problems = V0.solve, V0.all_problems
V0_SCRIPT_ARGS = ["--digits", "1", "--word-length", "3"]


def make(**kwargs):
    return gym.make(ENV_ID, **{**SMOKE, "action": "text", **kwargs})


def test_conformance_text_actions():
    check_teacher_env(make, sb3=False)  # SB3 cannot drive text actions; its checker chokes on strings


def test_conformance_skill_actions_with_sb3():
    check_teacher_env(ENV_ID)


def test_solver_computes_answers_and_rejects_bad_formats():
    assert solve("3+4=") == ("add", "7")
    assert solve("9-2=") == ("sub", "7")
    assert solve("r:abc=") == ("rev", "cba")
    assert solve("c:abe=") == ("cpy", "abe")
    assert solve("h:abc=")[0] == DISTRACTOR and len(solve("h:abc=")[1]) == 2
    for bad in ("12+7=", "2-9=", "3+4", "r:abz=", "", "x:abc=", 7):
        assert solve(bad) is None, bad


def test_invalid_problems_cost_the_penalty():
    env = make(batch_size=4, invalid_penalty=0.5)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(("3+4=", "12+7=", "nonsense", "r:abc="))
    assert info["problem_valid"] == [True, False, False, True]
    scores = info["item_scores"]
    assert scores[1] == scores[2] == -0.5
    assert np.all((scores[[0, 3]] >= 0) & (scores[[0, 3]] <= 0.25))
    assert reward == pytest.approx((scores[0] + scores[3] - 2 * 0.5) / 4)
    assert info["skill_histogram"]["add"] == 1 and info["skill_histogram"]["rev"] == 1
    assert info["task"] == ["3+4=", "r:abc="]


def test_learnability_is_p_times_one_minus_p_of_the_exact_probability():
    import torch

    env = make(batch_size=2, temperature=0.5)
    env.reset(seed=1)
    student = env.unwrapped.student
    held_out = env.unwrapped._held_out
    problems = tuple(next(p for p in all_problems(s) if p not in held_out) for s in ("add", "cpy"))
    direct = []
    for problem in problems:
        answer = solve(problem)[1]
        ids = student.tokenizer(problem + answer, add_special_tokens=False)["input_ids"] + [student.tokenizer.eos_token_id]
        n_prompt = len(problem)
        with torch.no_grad():
            logits = student.model(input_ids=torch.tensor([ids])).logits[0].double() / 0.5
        logp = torch.log_softmax(logits, dim=-1)
        total = sum(float(logp[t - 1, ids[t]]) for t in range(n_prompt, len(ids)))
        direct.append(np.exp(total))
    direct = np.array(direct)
    _, _, _, _, info = env.step(problems)
    assert info["problem_valid"] == [True, True]
    assert np.allclose(info["item_scores"], direct * (1 - direct), rtol=1e-3, atol=1e-9)
    assert info["frontier_share"] == float(np.mean((direct >= 0.1) & (direct <= 0.9)))


def test_held_out_test_problems_are_refused():
    env = make(batch_size=1)
    env.reset(seed=0)
    test_problem = env.unwrapped.test["add"][0][0]
    _, reward, _, _, info = env.step((test_problem,))
    assert info["problem_valid"] == [False] and reward == pytest.approx(-SMOKE.get("invalid_penalty", 0.1))


def test_skill_actions_write_batches_of_that_skill():
    env = make(action="skill", batch_size=5)
    env.reset(seed=2)
    for k, skill in enumerate(SKILLS):
        _, _, _, _, info = env.step(k)
        assert info["skill_histogram"][skill] == 5
        assert all(solve(p)[0] == skill for p in info["task"])
        if env.unwrapped._t >= env.unwrapped.n_steps:
            env.reset(seed=2)


def test_text_observation_summarises_each_skill():
    env = make(observation="text")
    obs, _ = env.reset(seed=0)
    assert [part.split()[0] for part in obs.split("|")] == list(SKILLS)
    assert env.observation_space.contains(obs)


def test_student_learns_a_skill_it_is_taught():
    env = make(action="skill", n_steps=60, batch_size=16, eval_every=60, test_per_skill=20, lr=1e-2,
               student={"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64})
    env.reset(seed=0)
    copy_skill = SKILLS.index("cpy")
    for _ in range(60):
        _, _, _, truncated, info = env.step(copy_skill)
    assert truncated
    accuracy = env.unwrapped.accuracy
    assert accuracy[copy_skill] > accuracy[SKILLS.index("add")]


def test_training_script_saves_a_teacher_that_reloads_and_acts_deterministically(tmp_path):
    import json
    import runpy
    from pathlib import Path

    from teachgym.registry import make_teacher

    script = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "train_lm_teacher.py"))
    tiny = '{"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32}'
    out = tmp_path / "teacher"
    assert script["main"](["--out", str(out), "--rounds", "2", "--prompts", "2", "--generations", "2",
                           "--warmup-steps", "5", "--eval-every", "2", "--test-per-skill", "4",
                           "--student", tiny, "--teacher", tiny, *V0_SCRIPT_ARGS]) == 0
    saved = json.loads((out / "teachgym_teacher.json").read_text())
    assert len(saved["history"]) == 2 and (out / "model.safetensors").exists()
    assert not list(out.glob("*.bin")) and not list(out.glob("*.pt"))
    batches = []
    for _ in range(2):
        env = make(batch_size=4)
        teacher = make_teacher("lm-problem-writer", path=str(out))
        obs, info = env.reset(seed=0)
        teacher.reset(env.action_space, env.observation_space, seed=7)
        action = teacher.act(obs, info)
        assert env.action_space.contains(action)
        batches.append(action)
        env.step(action)
    assert batches[0] == batches[1]
    # From the vector observation the teacher rebuilds the env's own text summary, skill names from its file.
    vector_env = make(batch_size=4, observation="vector").unwrapped
    vector_obs, _ = vector_env.reset(seed=0)
    text_env = make(batch_size=4, observation="text").unwrapped
    text_obs, _ = text_env.reset(seed=0)
    assert saved["skills"] == list(SKILLS)
    assert teacher.prompt(vector_obs) == teacher.prompt(text_obs) == text_obs + "\n"


def test_grpo_bandits_learn_from_the_per_skill_signals_not_the_outcome_fallback():
    from teachgym.registry import make_teacher

    env = gym.make(ENV_ID, **SMOKE)  # skill mode
    obs, info = env.reset(seed=3)
    assert info["arm_names"] == list(SKILLS) and len(info["arm_accuracy"]) == len(SKILLS)
    sec = make_teacher("sec", alpha=0.5, initial_value=1.0, explore=0.0)
    learnability = make_teacher("learnability", smoothing=1.0, explore=0.0)
    for teacher in (sec, learnability):
        teacher.reset(env.action_space, env.observation_space, seed=0)
    for arm in (1, 3):
        obs, reward, _, _, info = env.step(arm)
        assert info["arm"] == arm and info["arm_share"][arm] == 1.0
        scores = np.asarray(info["item_scores"])  # learnability item scores p(1-p)
        assert set(info["arm_advantage_abs"]) == set(info["arm_reward_mean"]) == {arm}
        assert info["arm_advantage_abs"][arm] == pytest.approx(2 * scores.mean())
        for teacher in (sec, learnability):
            teacher.update(arm, reward, obs, info)
        # The outcome fallback learns nothing from an arm's first outcome (it is only a baseline): SEC's value
        # would stay at 1.0; with the env's signal it moves halfway to the arm's mean |advantage|.
        assert sec.values[arm] == pytest.approx(0.5 * (1.0 + info["arm_advantage_abs"][arm]))
        assert sec.values[arm] != 1.0
        # Learnability reads the success rate p, not the outcome (the mean item score p(1-p)).
        assert learnability.success[arm] == pytest.approx(info["arm_reward_mean"][arm])
        assert learnability.success[arm] != pytest.approx(info["outcome"])


def test_grpo_teacher_is_anchored_to_the_warmed_weights_by_trl_reference_model(tmp_path):
    import runpy
    from pathlib import Path

    import torch
    from transformers import AutoModelForCausalLM

    script = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "train_lm_teacher.py"))
    tiny = '{"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32'
    # A short, fast warm-up that still writes mostly valid problems, so GRPO groups have reward variance.
    run = script["TeacherTraining"](script["parse"](
        ["--out", str(tmp_path / "teacher"), "--rounds", "3", "--prompts", "2", "--generations", "4",
         "--warmup-steps", "60", "--eval-every", "3", "--test-per-skill", "4", "--lr", "1e-2", "--beta", "0.1",
         "--student", tiny + "}", "--teacher", tiny + ', "warmup_lr": 0.03}', *V0_SCRIPT_ARGS]))
    trainer = run.session.trainer
    ref, policy = trainer.ref_model, run.session.model
    assert ref is not None and ref is not policy and trainer.beta == 0.1
    warmed = dict(AutoModelForCausalLM.from_pretrained(run.warmed).named_parameters())
    for _ in range(3):
        row = run.round()
    ref_params, policy_params = dict(ref.named_parameters()), dict(policy.named_parameters())
    assert set(ref_params) == set(warmed) == set(policy_params)
    assert all(torch.equal(ref_params[k], warmed[k]) for k in warmed)  # the reference is the warmed teacher
    assert not all(torch.equal(policy_params[k], warmed[k]) for k in warmed)  # the policy moved away from it
    assert np.isfinite(row["kl"]) and row["kl"] > 0.0  # and the loss measures how far


def test_influence_item_score_is_the_first_order_predicted_probe_loss_decrease():
    import copy as copy_module

    from teachgym.envs.grpo.influence import influence_scores, one_step_gains, probe_loss

    env = make(batch_size=3, item_score="influence", probes_per_skill=2, lr=1e-2)
    env.reset(seed=4)
    unwrapped = env.unwrapped
    assert len(unwrapped.probes) == 2 * (len(SKILLS) - 1)
    assert {p for p, _ in unwrapped.probes} <= unwrapped._held_out  # never trained on
    assert not {p for p, _ in unwrapped.probes} & {p for items in unwrapped.test.values() for p, _ in items}
    student = unwrapped.student
    problems = ("3+4=", "c:abe=", "h:abc=")
    problems = tuple(p if p not in unwrapped._held_out else next(q for q in all_problems(solve(p)[0])
                                                                   if q not in unwrapped._held_out) for p in problems)
    items = [(p, solve(p)[1]) for p in problems]
    model = copy_module.deepcopy(student.model).double()  # float64: a tiny loss change is above rounding
    # At a tiny step the real decrease of the probe loss after a plain gradient step on one item matches it.
    tiny_step = 1e-4
    predicted = influence_scores(model, student.tokenizer, items, unwrapped.probes, tiny_step)
    real = one_step_gains(model, student.tokenizer, items, unwrapped.probes, tiny_step)
    assert np.all(predicted != 0) and np.allclose(real, predicted, rtol=0.05, atol=1e-9)
    # The env's item score is the same estimate at its own step size (lr), measured before the student trains.
    before = probe_loss(model, student.tokenizer, unwrapped.probes)
    _, reward, _, _, info = env.step(problems)
    assert np.allclose(info["item_scores"], predicted * (1e-2 / tiny_step), rtol=1e-3)
    assert reward == pytest.approx(float(np.mean(info["item_scores"])))
    assert probe_loss(student.model, student.tokenizer, unwrapped.probes) != before  # the student did train
    with pytest.raises(Exception, match="optimizer"):
        one_step_gains(model, student.tokenizer, items, unwrapped.probes, 1e-3, optimizer="lbfgs")


def test_v1_column_arithmetic_is_little_endian_and_zero_padded():
    v1 = problem_writer.DEFAULT_SPACE
    assert (v1.digits, v1.word_length) == (2, 5) and problem_writer.solve is not None
    assert problem_writer.solve("74+83=") == ("add", "580")  # 47 + 38 = 085, written backwards
    assert problem_writer.solve("74-83=") == ("sub", "90")  # 47 - 38 = 09
    assert problem_writer.solve("r:abcde=") == ("rev", "edcba") and problem_writer.solve("c:eabcd=")[1] == "eabcd"
    for bad in ("83-74=", "3+4=", "r:abc=", "744+83=", "74+83", "h:abcdf="):  # 38 - 47 < 0; v0's formats
        assert problem_writer.solve(bad) is None, bad
    rng = np.random.default_rng(0)
    for skill in ("add", "sub"):
        for _ in range(50):
            problem = v1.random_problem(skill, rng)
            a, b = (int(x[::-1]) for x in problem[:-1].split("+" if skill == "add" else "-"))
            answer = v1.solve(problem)[1]
            assert len(answer) == (3 if skill == "add" else 2) and int(answer[::-1]) == (a + b if skill == "add"
                                                                                         else a - b)
    assert v1.size("sub") == len(v1.all_problems("sub")) == 5050


def test_v0_is_registered_with_its_small_problems_and_v1_with_the_large_ones():
    v0 = gym.make(ENV_ID, **SMOKE).unwrapped
    v1 = gym.make("teachgym/LMProblemWriter-v1", **SMOKE).unwrapped
    assert v0.space == V0 and v1.space == problem_writer.DEFAULT_SPACE
    # v0's held-out sets are a fixed permutation of every problem, as before the problem spaces were configurable.
    rng = np.random.default_rng(12345)
    for skill in SKILLS:
        expected = rng.permutation(V0.all_problems(skill))[:min(SMOKE["test_per_skill"], V0.size(skill) // 2)]
        assert [p for p, _ in v0.test[skill]] == list(expected)
    assert all(len({p for p, _ in v1.test[s]}) == SMOKE["test_per_skill"] for s in SKILLS)
    assert all(v1.space.solve(p) == (s, a) for s in SKILLS for p, a in v1.test[s])


def test_v1_skill_batches_are_valid_large_problems_never_held_out():
    env = gym.make("teachgym/LMProblemWriter-v1", **{**SMOKE, "batch_size": 16, "test_per_skill": 40})
    env.reset(seed=0)
    unwrapped = env.unwrapped
    for k, skill in enumerate(SKILLS[:3]):
        _, _, _, _, info = env.step(k)
        assert info["skill_histogram"][skill] == 16
        assert all(unwrapped.space.solve(p)[0] == skill and p not in unwrapped._held_out for p in info["task"])
    # v0's one-digit sums are not problems of v1: written by a text teacher they are invalid.
    text = gym.make("teachgym/LMProblemWriter-v1", **{**SMOKE, "action": "text", "batch_size": 2})
    text.reset(seed=0)
    _, _, _, _, info = text.step(("3+4=", "31+40="))
    assert info["problem_valid"] == [False, True]


def test_problem_space_settings_are_validated():
    from teachgym.validation import ConfigError

    for bad in ({"digits": 0}, {"digits": 4}, {"word_length": 6}, {"digits": "2"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            gym.make("teachgym/LMProblemWriter-v1", **{**SMOKE, **bad})
