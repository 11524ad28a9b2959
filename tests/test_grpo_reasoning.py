"""GRPO on reasoning-gym: the task family, the env (real reasoning-gym, real TRL GRPOTrainer), rg-threshold."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

pytest.importorskip("trl")
pytest.importorskip("reasoning_gym")

import reasoning_gym  # noqa: E402

import teachgym  # noqa: E402
from teachgym.envs.grpo.reasoning import HELD_OUT_SEEDS, TRAIN_SEED_LOW, ReasoningTasks  # noqa: E402
from teachgym.lessons import MixtureLessons  # noqa: E402
from teachgym.registry import env_meta  # noqa: E402
from teachgym.testing import check_teacher, check_teacher_env  # noqa: E402

ENV_ID = "teachgym/GRPOReasoning-v0"


@pytest.fixture(scope="module")
def family():
    return ReasoningTasks(datasets=("chain_sum", "spell_backward"), levels=2)


def test_arms_are_dataset_level_pairs_from_the_curricula(family):
    assert family.arm_names == ["chain_sum-L0", "chain_sum-L1", "spell_backward-L0", "spell_backward-L1"]
    assert [a.level for a in family.arms] == [0, 1, 0, 1]
    # upper_bound mode: level 1 of spell_backward writes 5-letter words, level 0 3-letter words
    words = {arm: {p.rsplit(": ", 1)[1].strip() for p, _ in family.sample(arm, 20, np.random.default_rng(0))}
             for arm in (2, 3)}
    assert {len(w) for w in words[2]} == {3} and {len(w) for w in words[3]} == {5}


def test_probes_and_tests_are_disjoint_from_training_items_in_seeds_and_text(family):
    probes, tests = family.fixed_set("probe", 8), family.fixed_set("test", 16)
    held_out = frozenset(p for arm in probes + tests for p, _ in arm)
    rng = np.random.default_rng(1)
    for arm in range(family.n_arms):
        assert len(probes[arm]) == 8 and len(tests[arm]) == 16
        training = family.sample(arm, 200, rng, held_out)
        assert not {p for p, _ in training} & held_out
        assert all(family.scorer.lookup(p)[0].seed >= TRAIN_SEED_LOW for p, _ in training)
        assert all(family.scorer.lookup(p)[0].seed < HELD_OUT_SEEDS for p, _ in probes[arm] + tests[arm])
    assert family.fixed_set("probe", 8) == probes  # fixed by the family, kind and size


def test_the_scorer_is_the_datasets_own_score_answer(family):
    prompt, answer = family.fixed_set("probe", 1)[3][0]  # a 5-letter spell_backward word
    dataset, entry = family.scorer.lookup(prompt)
    partial = answer[:2] + "zzz"
    own = reasoning_gym.get_score_answer_fn("spell_backward")(partial, entry)
    assert 0.0 < own < 1.0  # partial credit: not an exact-match reward
    assert family.scorer(prompts=[prompt, prompt, [{"role": "user", "content": prompt}], "unknown"],
                         completions=[answer + "\n", partial, answer, answer]) == [1.0, own, 1.0, 0.0]
    assert family.reward_function("dataset") is family.scorer
    with pytest.raises(teachgym.ConfigError, match="grpo_reward"):
        family.reward_function("nope")


def test_the_char_tokenizer_covers_the_datasets_characters(family):
    seen = set()
    for arm in range(family.n_arms):
        for prompt, answer in family.sample(arm, 100, np.random.default_rng(7)):
            seen.update(prompt + answer)
    assert seen <= set(family.alphabet)


def test_warmup_is_generated_for_any_datasets_with_fewer_right_answers_at_higher_levels():
    tasks = ReasoningTasks(datasets=("spell_backward",), levels=2)
    problems = tasks.warmup_problems(400, correct_fraction=(1.0, 0.0), seed=3)
    assert len(problems) == 400 and problems == tasks.warmup_problems(400, correct_fraction=(1.0, 0.0), seed=3)
    right = {3: [], 5: []}
    for prompt, answer in problems:
        word = prompt.rsplit(": ", 1)[1].strip()
        right[len(word)].append(answer == word[::-1])
    assert len(right[3]) > 100 and len(right[5]) > 100
    assert np.mean(right[3]) == 1.0 and np.mean(right[5]) < 0.1  # level 1 carries other words' answers
    assert len(tasks.warmup_problems(10**6, pool=50)) == 50


def test_bad_family_options_name_the_field():
    with pytest.raises(teachgym.ConfigError, match="datasets"):
        ReasoningTasks(datasets=("no_such_dataset",))
    with pytest.raises(teachgym.ConfigError, match="levels"):
        ReasoningTasks(datasets=("chain_sum",), levels=0)
    with pytest.raises(teachgym.ConfigError, match="prompt_template"):
        ReasoningTasks(datasets=("chain_sum",), prompt_template="no placeholder")
    with pytest.raises(teachgym.ConfigError, match="range_mode"):
        ReasoningTasks(datasets=("chain_sum",), range_mode="sideways")


def test_env_passes_the_conformance_kit_and_uses_the_dataset_scorer(tmp_path, monkeypatch):
    monkeypatch.setenv("TEACHGYM_CACHE_DIR", str(tmp_path))
    check_teacher_env(ENV_ID)
    import gymnasium as gym

    from teachgym.registry import env_meta

    env = gym.make(ENV_ID, **env_meta(ENV_ID).smoke).unwrapped
    assert env.student.reward_fn is env.family.scorer and env.student.probe_eval == "generate"
    _, info = env.reset(seed=0)
    assert info["arm_skill"] == ["chain_sum", "chain_sum", "spell_backward", "spell_backward"]
    assert info["arm_level"] == [0, 1, 0, 1]


def _threshold_run(teacher, space, values, steps):
    """Drive the teacher with GRPO-style infos where arm a's mean reward is values[a]."""
    info = {"episode_start": True, "arm_skill": ["a", "a", "a", "b", "b"], "arm_level": [0, 1, 2, 0, 1]}
    chosen = []
    for _ in range(steps):
        action = teacher.act(None, info)
        if isinstance(space, spaces.Discrete):
            chosen.append(int(action))
            practised = {int(action): values[int(action)]}
            share = np.eye(5)[int(action)]
        else:
            share = np.asarray(action, dtype=np.float64) / max(float(np.sum(action)), 1e-12)
            practised = {i: values[i] for i in np.flatnonzero(share)}
        info = {"arm_reward_mean": practised, "arm_share": share, "arm_accuracy": np.asarray(values)}
        teacher.update(action, 0.0, None, info)
    return chosen


def test_rg_threshold_raises_a_skills_level_only_when_its_accuracy_passes_the_threshold():
    teacher = teachgym.make_teacher("rg-threshold", threshold=0.7, window=2)
    teacher.reset(spaces.Discrete(5), None, seed=0)
    values = [0.9, 0.8, 0.1, 0.2, 0.9]  # skill a: levels 0 and 1 mastered, level 2 not; skill b stuck at 0
    chosen = _threshold_run(teacher, spaces.Discrete(5), values, 12)
    assert teacher.levels() == {"a": 2, "b": 0}
    assert chosen[:4] == [0, 3, 0, 3]  # round robin over the skills, each at its lowest level first
    assert chosen[4] == 1 and chosen[-2:] in ([2, 3], [3, 2])
    down = teachgym.make_teacher("rg-threshold", threshold=0.7, window=1, failure_threshold=0.3)
    down.reset(spaces.Discrete(5), None, seed=0)
    _threshold_run(down, spaces.Discrete(5), [0.9, 0.2, 0.0, 0.0, 0.0], 6)
    assert down.levels()["a"] in (0, 1)  # moves up at 0.9, back down at 0.2


def test_rg_threshold_on_mixtures_weights_the_current_levels():
    teacher = teachgym.make_teacher("rg-threshold", threshold=0.5, window=1)
    space = MixtureLessons(["a0", "a1", "a2", "b0", "b1"]).action_space
    teacher.reset(space, None, seed=0)
    _threshold_run(teacher, space, [1.0, 0.0, 0.0, 1.0, 0.0], 3)
    weights = teacher.act(None, {})
    np.testing.assert_allclose(weights, [0.0, 0.5, 0.0, 0.0, 0.5])


def test_rg_threshold_runs_on_the_env_deterministically(tmp_path, monkeypatch):
    """The conformance kit's teacher checks on the real env (same seed, same run; global RNGs untouched;
    degenerate rewards survived); the first lessons are each dataset's lowest level in turn."""
    monkeypatch.setenv("TEACHGYM_CACHE_DIR", str(tmp_path))
    check_teacher("rg-threshold", ENV_ID)
    run = teachgym.run(ENV_ID, "rg-threshold", seed=3, **env_meta(ENV_ID).smoke)
    assert [int(a) for a in run.lessons[:2]] == [0, 2]
    with pytest.raises(teachgym.ConfigError, match="failure_threshold"):
        teachgym.make_teacher("rg-threshold", threshold=0.5, failure_threshold=0.6)


def test_v1_is_v0_with_the_budget_and_probes_where_teachers_separate():
    import gymnasium as gym

    v0, v1 = gym.spec(ENV_ID).kwargs, gym.spec("teachgym/GRPOReasoning-v1").kwargs
    assert v0 == {"family": "reasoning", "grpo_reward": "dataset"}  # v0's defaults stay as they were
    assert v1 == {**v0, "n_steps": 50, "updates_per_step": 4, "probes_per_arm": 16, "test_per_arm": 16,
                  "learning_rate": 3e-4}
    env = gym.make("teachgym/GRPOReasoning-v1", **env_meta("teachgym/GRPOReasoning-v1").smoke).unwrapped
    assert env.n_steps == 3 and env.student.learning_rate == 3e-4  # the smoke config on top of v1's defaults
    env.close()
