"""The GRPO teacher's reward (scripts/train_lm_teacher.py): the env's item score and invalid penalty per completion."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import teachgym  # noqa: F401  (registers the envs)
from teachgym.envs.grpo.problem_writer import SKILLS
from teachgym.registry import env_meta

ENV_ID = "teachgym/LMProblemWriter-v0"
SCRIPT = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "train_lm_teacher.py"))


def make(**kwargs):
    env = gym.make(ENV_ID, **{**env_meta(ENV_ID).smoke, "action": "text", "batch_size": 3, **kwargs}).unwrapped
    env.reset(seed=0)
    return env


def test_gain_reward_is_measured_ahead_of_the_step_and_leaves_the_student_unchanged():
    batch = ("3+4=", "nonsense", "r:abc=")
    env = make(item_score="gain", invalid_penalty=0.3)
    reward = SCRIPT["ItemScoreReward"](env)
    items = [("3+4=", "7"), ("r:abc=", "cba")]
    before = env.student.probabilities(items)[0]
    scores = reward(completions=list(batch))
    assert np.array_equal(env.student.probabilities(items)[0], before)  # the look-ahead step was undone
    assert scores[1] == -0.3
    _, _, _, _, info = env.step(batch)  # the env's own gain of the same step
    assert scores[0] == pytest.approx(info["item_scores"][0], abs=1e-9)
    assert scores[2] == pytest.approx(info["item_scores"][2], abs=1e-9)
    assert any(abs(s) > 0 for s in (scores[0], scores[2]))


def test_learnability_reward_uses_the_envs_penalty():
    env = make(invalid_penalty=0.02)
    scores = SCRIPT["ItemScoreReward"](env)(completions=["3+4=", "12+7="])
    p = env.student.probabilities([("3+4=", "7")])[0][0]
    assert scores == pytest.approx([p * (1 - p), -0.02])


def test_script_passes_the_penalty_and_item_score_options():
    args = SCRIPT["parse"](["--out", "x", "--invalid-penalty", "0.01", "--item-score", "gain"])
    assert (args.invalid_penalty, args.item_score) == (0.01, "gain")
    with pytest.raises(SystemExit):
        SCRIPT["parse"](["--out", "x", "--item-score", "loss"])


V1 = "teachgym/LMProblemWriter-v1"


def cpy_taught_env(seed: int, max_steps: int = 80):
    """A v1 env whose student trained on cpy only until its cpy probes' mean p passed 0.2 (the rest stay near 0)."""
    env = gym.make(V1, **{**env_meta(V1).smoke, "action": "text", "batch_size": 8, "n_steps": 100, "lr": 1e-2,
                          "item_score": "probe_gain", "invalid_penalty": 0.3,
                          "student": {"hidden_size": 32, "num_layers": 1, "num_heads": 2,
                                      "intermediate_size": 64}}).unwrapped
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(max_steps):
        env.step(tuple(env.space.random_problem("cpy", rng) for _ in range(8)))
        if env.probe_probability()[SKILLS.index("cpy")] > 0.2:
            return env, rng
    raise AssertionError(f"seed {seed}: the student did not learn cpy in {max_steps} steps")


@pytest.mark.parametrize("seed", [0, 2])
def test_probe_gain_pays_a_skill_whose_probes_rise_not_the_distractor_and_undoes_its_trial_step(seed):
    import torch

    env, rng = cpy_taught_env(seed)
    batch = tuple([env.space.random_problem("cpy", rng) for _ in range(3)]
                  + [env.space.random_problem("hash", rng) for _ in range(4)] + ["nonsense"])
    weights = {k: v.clone() for k, v in env.student.model.state_dict().items()}
    memory, rng_state = list(env.student.memory), env.student.rng.bit_generator.state
    scores = np.array(SCRIPT["ItemScoreReward"](env)(completions=list(batch)))
    assert all(torch.equal(weights[k], v) for k, v in env.student.model.state_dict().items())
    assert env.student.memory == memory and env.student.rng.bit_generator.state == rng_state
    cpy, hashes = scores[:3], scores[3:7]
    assert np.all(cpy == cpy[0]) and np.all(hashes == hashes[0])  # one score per skill
    assert cpy[0] > 0 and cpy[0] > 100 * abs(hashes[0])
    assert scores[7] == -0.3
    before = env.probe_probability()
    _, _, _, _, info = env.step(batch)  # the real step: same scores, and they add up to the skill's probe gain
    assert info["item_scores"] == pytest.approx(scores, abs=1e-12)
    cpy_gain = (env.probe_probability() - before)[SKILLS.index("cpy")]
    assert cpy.sum() == pytest.approx(cpy_gain, rel=1e-6)


def test_probe_gain_probes_cover_every_skill_apart_from_training_and_test_problems():
    kwargs = {**env_meta(V1).smoke, "action": "text", "batch_size": 2}
    env = gym.make(V1, item_score="probe_gain", **kwargs).unwrapped
    influence = gym.make(V1, item_score="influence", **kwargs).unwrapped
    assert np.array_equal(np.bincount(env.probe_skill), [env.probes_per_skill] * len(SKILLS))
    hash_probe = env.probes[int(np.flatnonzero(env.probe_skill == SKILLS.index("hash"))[0])][0]
    assert influence.probes == [p for p, s in zip(env.probes, env.probe_skill) if SKILLS[s] != "hash"]
    assert not {p for p, _ in env.probes} & {p for items in env.test.values() for p, _ in items}
    env.reset(seed=0)
    _, _, _, _, info = env.step((hash_probe, env.probes[0][0]))  # a teacher cannot train the student on a probe
    assert info["problem_valid"] == [False, False]
    with pytest.raises(Exception, match="probe_gain"):
        influence.reset(seed=0)
        influence.lookahead_probe_gain([("c:abcde=", "abcde")], ["cpy"])


def test_probe_window_averages_each_skills_last_gains_in_the_step_and_the_lookahead():
    kwargs = {**env_meta(V1).smoke, "action": "text", "batch_size": 6, "n_steps": 6, "lr": 1e-2,
              "item_score": "probe_gain"}
    plain = gym.make(V1, **kwargs).unwrapped  # the default window, 1: each step's own probe gain
    windowed = gym.make(V1, probe_window=3, **kwargs).unwrapped
    plain.reset(seed=1)
    windowed.reset(seed=1)
    rng = np.random.default_rng(1)
    gains = []
    for t in range(5):
        batch = tuple(plain.space.random_problem(SKILLS[t % 2 + i % 3], rng) for i in range(6))
        parsed = [plain.space.solve(p) for p in batch]
        items, skills = [(p, q[1]) for p, q in zip(batch, parsed)], [q[0] for q in parsed]
        history = windowed.probe_history.copy()
        ahead = windowed.lookahead_probe_gain(items, skills)
        assert np.array_equal(windowed.probe_history, history)  # the trial step leaves the history alone
        before = plain.probe_probability()
        _, _, _, _, info = plain.step(batch)
        gains.append(plain.probe_probability() - before)
        assert all(info["problem_valid"])
        assert info["item_scores"] == pytest.approx(plain.credit_probe_gain(gains[-1], skills), abs=1e-12)
        _, _, _, _, windowed_info = windowed.step(batch)  # the same student steps: the window changes no training
        mean_gain = np.mean(gains[-3:], axis=0)
        assert windowed_info["item_scores"] == pytest.approx(plain.credit_probe_gain(mean_gain, skills), abs=1e-12)
        assert ahead == pytest.approx(windowed_info["item_scores"], abs=1e-12)
        if t >= 1:
            assert not np.allclose(windowed_info["item_scores"], info["item_scores"])
    assert windowed.probe_history == pytest.approx(np.array(gains[-2:]), abs=1e-12)
    state = windowed.state_dict()
    windowed.step(batch)
    windowed.load_state_dict(state)
    assert windowed.probe_history == pytest.approx(np.array(gains[-2:]), abs=1e-12)
    with pytest.raises(Exception, match="probe_window"):
        gym.make(V1, probe_window=0, **kwargs)


def test_scripts_pass_the_probe_window():
    assert SCRIPT["parse"](["--out", "x"]).probe_window == 1
    assert SCRIPT["parse"](["--out", "x", "--probe-window", "20"]).probe_window == 20


def test_logp_probe_gain_is_the_change_of_the_probes_log_probability_in_the_step_and_the_lookahead():
    kwargs = {**env_meta(V1).smoke, "action": "text", "batch_size": 6, "lr": 1e-2, "item_score": "probe_gain"}
    env = gym.make(V1, probe_measure="logp", **kwargs).unwrapped
    in_p = gym.make(V1, **kwargs).unwrapped
    assert in_p.probe_measure == "p"
    env.reset(seed=3)
    in_p.reset(seed=3)
    rng = np.random.default_rng(3)
    batch = tuple(env.space.random_problem(s, rng) for s in ("add", "add", "sub", "rev", "hash", "hash"))
    parsed = [env.space.solve(p) for p in batch]
    items, skills = [(p, q[1]) for p, q in zip(batch, parsed)], [q[0] for q in parsed]
    ahead = env.lookahead_probe_gain(items, skills)

    def by_hand():  # per skill, the mean over its probes of log P(answer + eos) at temperature 1
        import torch

        from teachgym.students.grpo.tiny import encode_sft_batch

        ids, mask, labels = encode_sft_batch(env.student.tokenizer, env.probes)
        with torch.no_grad():
            logp = torch.log_softmax(env.student.model(input_ids=ids, attention_mask=mask).logits[:, :-1].double(), -1)
        target = labels[:, 1:]
        token = logp.gather(-1, target.clamp(min=0)[..., None])[..., 0] * (target != -100)
        per_probe = token.sum(dim=1).numpy()
        return np.array([per_probe[env.probe_skill == i].mean() for i in range(len(SKILLS))])

    before = by_hand()
    _, _, _, _, info = env.step(batch)
    gain = by_hand() - before
    counts = {s: skills.count(s) for s in SKILLS}
    expected = [gain[SKILLS.index(s)] / counts[s] for s in skills]
    assert info["item_scores"] == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert ahead == pytest.approx(info["item_scores"], abs=1e-9)  # the look-ahead is the real step
    assert np.all(np.abs(info["item_scores"]) > 1e-4)  # every practised skill's log-probability moved
    _, _, _, _, p_info = in_p.step(batch)  # the same student step, measured in p: other scores
    assert not np.allclose(p_info["item_scores"], info["item_scores"], rtol=0.1, atol=0)
    with pytest.raises(Exception, match="probe_measure"):
        gym.make(V1, probe_measure="loss", **kwargs)


def test_scripts_pass_the_probe_measure():
    assert SCRIPT["parse"](["--out", "x"]).probe_measure == "p"
    assert SCRIPT["parse"](["--out", "x", "--probe-measure", "logp"]).probe_measure == "logp"
    with pytest.raises(SystemExit):
        SCRIPT["parse"](["--out", "x", "--probe-measure", "loss"])


@pytest.mark.parametrize("measure", ["p", "logp"])
def test_absolute_probe_progress_credits_each_skills_absolute_gain_in_the_step_the_window_and_the_lookahead(measure):
    kwargs = {**env_meta(V1).smoke, "action": "text", "batch_size": 6, "n_steps": 10, "lr": 1e-2,
              "item_score": "probe_gain", "probe_measure": measure}
    signed = gym.make(V1, **kwargs).unwrapped
    absolute = gym.make(V1, probe_progress="absolute", probe_window=2, **kwargs).unwrapped
    assert signed.probe_progress == "signed"
    signed.reset(seed=4)
    absolute.reset(seed=4)
    rng = np.random.default_rng(4)
    gains = []
    for _ in range(8):
        batch = []
        while len(batch) < 6:  # valid problems of random skills (a held-out one would be invalid)
            problem = signed.space.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
            batch += [] if problem in signed._held_out else [problem]
        batch = tuple(batch)
        parsed = [signed.space.solve(p) for p in batch]
        items, skills = [(p, q[1]) for p, q in zip(batch, parsed)], [q[0] for q in parsed]
        ahead = absolute.lookahead_probe_gain(items, skills)
        before = signed.probe_level()
        _, _, _, _, info = signed.step(batch)  # the same student step as the absolute env's
        gains.append(signed.probe_level() - before)
        assert info["item_scores"] == pytest.approx(signed.credit_probe_gain(gains[-1], skills), abs=1e-12)
        _, _, _, _, absolute_info = absolute.step(batch)
        counts = {s: skills.count(s) for s in SKILLS}
        progress = np.mean(np.abs(gains[-2:]), axis=0)  # the window: this step's and the last step's |gain|
        expected = [progress[SKILLS.index(s)] / counts[s] for s in skills]
        assert absolute_info["item_scores"] == pytest.approx(expected, rel=1e-6, abs=1e-12)
        assert ahead == pytest.approx(absolute_info["item_scores"], abs=1e-12)  # the look-ahead is the real step
    assert absolute.probe_history == pytest.approx(np.abs(gains[-1:]), abs=1e-12)
    assert np.any(np.array(gains) < 0)  # some skill lost on its probes: the two modes differ
    with pytest.raises(Exception, match="probe_progress"):
        gym.make(V1, probe_progress="positive", **kwargs)


def test_scripts_pass_the_probe_progress():
    assert SCRIPT["parse"](["--out", "x"]).probe_progress == "signed"
    assert SCRIPT["parse"](["--out", "x", "--probe-progress", "absolute"]).probe_progress == "absolute"
    with pytest.raises(SystemExit):
        SCRIPT["parse"](["--out", "x", "--probe-progress", "positive"])


def skill_ucb_by_hand(batches_p, batches_skills, discount, c):
    """Per step, each skill's discounted-UCB index before the step, computed on plain floats.

    A step: every count and sum times ``discount``; then each written skill (in skill order) whose mean
    p (1 - p) was measured before adds |change| / running max to its sum, weighted by its share of the batch.
    """
    k = len(SKILLS)
    counts, sums, last, largest, indexes = [0.0] * k, [0.0] * k, [None] * k, 0.0, []
    for p, skills in zip(batches_p, batches_skills):
        tried = [i for i in range(k) if counts[i] > 0]
        if tried:
            total = sum(counts)
            index = [sums[i] / counts[i] + c * math.sqrt(math.log(max(total, 1.0)) / counts[i]) if counts[i] > 0
                     else None for i in range(k)]
            best = max(index[i] for i in tried)
            indexes.append([best if v is None else v for v in index])
        else:
            indexes.append([0.0] * k)
        counts, sums = [x * discount for x in counts], [x * discount for x in sums]
        for i, skill in enumerate(SKILLS):
            mine = [q * (1 - q) for q, s in zip(p, skills) if s == skill]
            if not mine:
                continue
            outcome = sum(mine) / len(mine)
            if last[i] is not None:
                change = abs(outcome - last[i])
                if change > largest:
                    sums = [x * largest / change for x in sums]
                    largest = change
                counts[i] += len(mine) / len(skills)
                sums[i] += len(mine) / len(skills) * (change / largest if largest > 0 else 0.0)
            last[i] = outcome
    return indexes


def test_skill_ucb_scores_each_item_by_its_skills_discounted_ucb_index_from_earlier_steps():
    kwargs = {**env_meta(V1).smoke, "action": "text", "batch_size": 6, "n_steps": 12, "lr": 1e-2,
              "item_score": "skill_ucb", "invalid_penalty": 0.2, "ucb_discount": 0.9, "ucb_c": 0.7}
    env = gym.make(V1, **kwargs).unwrapped
    env.reset(seed=5)
    rng = np.random.default_rng(5)
    plan = [("add", "add", "cpy", None, "cpy", "add"), ("add", "cpy", "cpy", "rev", "rev", "rev"),
            ("add", "rev", "hash", "sub", None, "add"), ("add", "add", "add", "add", "add", "cpy"),
            ("sub", "sub", "add", "cpy", "rev", "hash"), ("cpy", "cpy", "cpy", "cpy", "cpy", "cpy"),
            ("cpy", "cpy", "cpy", "cpy", "cpy", "cpy"), ("add", "sub", "cpy", "rev", "hash", "add"),
            ("sub", "sub", "add", "cpy", "rev", "hash")]
    batches_p, batches_skills, scored = [], [], []
    for skills in plan:
        batch = []
        for skill in skills:
            problem = "nonsense" if skill is None else env.space.random_problem(skill, rng)
            while skill is not None and problem in env._held_out:
                problem = env.space.random_problem(skill, rng)
            batch.append(problem)
        written = [s for s in skills if s is not None]
        items = [(p, env.space.solve(p)[1]) for p, s in zip(batch, skills) if s is not None]
        batches_p.append(env.student.probabilities(items)[0])
        batches_skills.append(written)
        reward = SCRIPT["ItemScoreReward"](env)(completions=list(batch))  # the GRPO teacher's reward, ahead
        _, step_reward, _, _, info = env.step(tuple(batch))
        assert info["item_scores"] == pytest.approx(reward, abs=1e-12)
        assert step_reward == pytest.approx(float(np.mean(info["item_scores"])))
        scored.append((info["item_scores"], skills))
    expected = skill_ucb_by_hand(batches_p, batches_skills, 0.9, 0.7)
    for t, ((scores, skills), index) in enumerate(zip(scored, expected)):
        want = [-0.2 if s is None else index[SKILLS.index(s)] for s in skills]
        assert scores == pytest.approx(want, rel=1e-9, abs=1e-12), t
    assert expected[0] == [0.0] * len(SKILLS)  # nothing measured yet
    assert expected[2][SKILLS.index("rev")] == max(expected[2])  # written once: untried, at the best index
    sub = SKILLS.index("sub")
    assert expected[5][sub] < expected[6][sub] < expected[7][sub]  # not written: its count shrinks, its index grows
    assert env.skill_ucb_index() == pytest.approx(
        skill_ucb_by_hand(batches_p + [[]], batches_skills + [[]], 0.9, 0.7)[-1], rel=1e-9)
    state = env.state_dict()
    batch = tuple(env.space.random_problem("sub", rng) for _ in range(6))
    _, _, _, _, first = env.step(batch)
    env.load_state_dict(state)
    _, _, _, _, again = env.step(batch)
    assert again["item_scores"] == pytest.approx(first["item_scores"], abs=0)


def test_skill_ucb_defaults_to_the_ucb_teachers_constants_and_rejects_bad_values():
    from teachgym.teachers.curriculum.ucb import UCBTeacher
    from teachgym.validation import ConfigError

    kwargs = {**env_meta(V1).smoke, "action": "text"}
    env = gym.make(V1, item_score="skill_ucb", **{**kwargs, "n_steps": 1200}).unwrapped
    assert (env.ucb_discount, env.ucb_c) == (0.99, UCBTeacher().c)
    assert gym.make(V1, item_score="skill_ucb", **{**kwargs, "n_steps": 20_000}).unwrapped.ucb_discount == 0.9975
    assert gym.make(V1, **kwargs).unwrapped.item_score == "learnability"  # the registered default
    for bad in ({"item_score": "ucb"}, {"ucb_c": -1.0}, {"ucb_c": "big"}, {"ucb_discount": 0.0},
                {"ucb_discount": 1.5}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            gym.make(V1, **{**kwargs, "item_score": "skill_ucb", **bad})


def test_a_weighted_progress_measurement_at_weight_one_is_a_plain_one():
    from teachgym.utils.progress import DiscountedProgress

    plain, weighted = DiscountedProgress(3, 0.95), DiscountedProgress(3, 0.95)
    for arm, progress in [(0, 0.2), (1, 0.5), (0, 0.1), (2, 0.9), (1, 0.0), (2, 0.3)]:
        plain.tick()
        weighted.tick()
        plain.add(arm, progress)
        weighted.add(arm, progress, 1.0)
    assert np.array_equal(plain.counts, weighted.counts) and np.array_equal(plain.sums, weighted.sums)
    weighted.add(1, 0.45, 0.25)
    assert weighted.counts[1] == plain.counts[1] + 0.25
    assert weighted.sums[1] == pytest.approx(plain.sums[1] + 0.25 * 0.5)


def test_scripts_pass_the_skill_ucb_options():
    args = SCRIPT["parse"](["--out", "x", "--item-score", "skill_ucb", "--ucb-c", "0.5"])
    assert (args.item_score, args.ucb_c) == ("skill_ucb", 0.5)
    assert SCRIPT["parse"](["--out", "x"]).ucb_c == pytest.approx(2 * math.sqrt(0.6))


@pytest.mark.parametrize("by_skill", [False, True])
def test_replay_by_skill_replays_evenly_across_the_skills_taught(by_skill, monkeypatch):
    from teachgym.students.grpo import tiny

    env = gym.make(V1, **{**env_meta(V1).smoke, "action": "text", "replay": 48, "replay_by_skill": by_skill,
                                        "n_steps": 20}).unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)

    def batch(skills):
        problems = []
        for skill in skills:
            problem = env.space.random_problem(skill, rng)
            while problem in env._held_out:
                problem = env.space.random_problem(skill, rng)
            problems.append(problem)
        return tuple(problems)

    n = env.batch_size
    env.step(batch(["cpy"] * 2 + ["add"] * (n - 2)))
    for _ in range(5):
        env.step(batch(["add"] * n))
    taught = []
    encode = tiny.encode_sft_batch
    monkeypatch.setattr(tiny, "encode_sft_batch", lambda tok, items: (taught.append(list(items)), encode(tok, items))[1])
    env.step(batch(["add"] * n))
    replayed = taught[-1][n:]
    assert len(replayed) == min(48, 6 * n)
    cpy_share = sum(env.space.solve(p)[0] == "cpy" for p, _ in replayed) / len(replayed)
    if by_skill:  # two skills taught: about half of the replay
        assert 0.3 < cpy_share < 0.7
    else:  # 2 of 6 n problems taught
        assert cpy_share < 0.2
    state = env.student.state_dict()
    assert sum(len(v) for v in state["memory_by_skill"].values()) == (7 * n if by_skill else 0)


def test_replay_by_skill_is_checked_and_passed_by_the_scripts():
    from teachgym.validation import ConfigError

    with pytest.raises(ConfigError, match="replay_by_skill"):
        gym.make(V1, **{**env_meta(V1).smoke, "action": "text", "replay_by_skill": "yes"})
    assert SCRIPT["parse"](["--out", "x", "--replay-by-skill"]).replay_by_skill is True
    assert SCRIPT["parse"](["--out", "x"]).replay_by_skill is False


def test_population_reward_scores_each_completion_under_the_student_whose_prompt_it_answers():
    taught, rng = cpy_taught_env(0)
    fresh = gym.make(V1, **{**env_meta(V1).smoke, "action": "text", "batch_size": 8, "n_steps": 100,
                            "item_score": "probe_gain", "invalid_penalty": 0.3,
                            "student": {"hidden_size": 32, "num_layers": 1, "num_heads": 2,
                                        "intermediate_size": 64}}).unwrapped
    fresh.reset(seed=1)
    problems = [taught.space.random_problem("cpy", rng) for _ in range(2)] + ["58+36=", "nonsense"]
    reward = SCRIPT["ItemScoreReward"](fresh, envs=[fresh, taught])
    scores = reward(completions=problems * 2, group=[0] * 4 + [1] * 4)
    assert scores[:4] == pytest.approx(SCRIPT["score_items"](fresh, problems))
    assert scores[4:] == pytest.approx(SCRIPT["score_items"](taught, problems))
    assert scores[:2] != pytest.approx(scores[4:6])  # the two students differ on cpy
    assert scores[3] == scores[7] == -0.3
    assert reward.groups == [0] * 4 + [1] * 4 and reward.completions == problems * 2
    with pytest.raises(ValueError, match="group"):
        reward(completions=problems, group=[0])


TINY = '{"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32}'


def test_population_training_staggers_replaces_and_scores_only_students_taught_throughout(tmp_path):
    args = SCRIPT["parse"](["--out", str(tmp_path / "t"), "--rounds", "5", "--prompts", "2", "--generations", "2",
                            "--warmup-steps", "5", "--eval-every", "2", "--test-per-skill", "4", "--students", "2",
                            "--student-steps", "3", "--student", TINY, "--teacher", TINY, "--digits", "1",
                            "--word-length", "3"])
    run = SCRIPT["TeacherTraining"](args)
    assert [env._t for env in run.envs] == [0, 1]  # the second student starts 3 // 2 steps old
    assert run.session.prompts_per_update == 4
    seen = []
    session_run = run.session.run

    def spy(prompts, answers, groups, n):  # records what the teacher is asked, then trains as usual
        seen.append((list(prompts), list(groups), [SCRIPT["prompt_of"](env) for env in run.envs]))
        return session_run(prompts, answers, groups, n)

    run.session.run = spy
    first = list(run.envs)
    for _ in range(5):
        run.round()
    for prompts, groups, states in seen:  # each student's own state, its prompts in its own group
        assert groups == [0, 0, 1, 1] and prompts == [states[0]] * 2 + [states[1]] * 2
    assert run.envs[0] is not first[0] and run.envs[1] is not first[1] and run.env is run.envs[0]
    lives = [(life["slot"], life["seed"], life["uniform_steps"], life["first_round"], life["last_round"],
              life["full"]) for life in run.lives]
    assert lives == [(1, 2001, 1, 0, 1, False), (0, 2000, 0, 0, 2, True), (1, 2002, 0, 2, 4, True)]
    summary = run.save(1.0)
    full = [life["accuracy"] for life in run.lives if life["full"]]
    assert summary["score"] == pytest.approx(100 * np.mean(full))
    assert summary["students"] == 2 and summary["student_steps"] == 3 and len(summary["lives"]) == 3
    for bad in (["--students", "0"], ["--student-steps", "0"]):
        with pytest.raises(SystemExit):
            SCRIPT["parse"](["--out", "x", *bad])


def test_bench_runs_uniform_on_the_transfer_students_and_checks_the_population_options(tmp_path):
    bench = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "bench_lm_teacher.py"))
    assert bench["CONDITIONS"][-1] == "uniform_transfer"
    for bad in (["--teacher-rounds", "10"], ["--students", "0"], ["--only-seeds", "0"],
                ["--only-seeds", "7", "--partial", str(tmp_path / "p.jsonl")], ["--eval-every", "0"]):
        with pytest.raises(SystemExit):
            bench["main"](["--steps", "4", *bad])
