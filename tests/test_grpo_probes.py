"""GRPO student internals: teacher-forced probe evaluation and advantages rebuilt from TRL's rewards."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

pytest.importorskip("trl")

from teachgym.envs.grpo.rewards import char_match_reward, exact_match_reward  # noqa: E402
from teachgym.envs.grpo.tasks import ArithmeticTasks  # noqa: E402
from teachgym.students.grpo import forced as forced_module  # noqa: E402
from teachgym.students.grpo import grpo as grpo_module  # noqa: E402
from teachgym.students.grpo.student import LMStudent  # noqa: E402

TINY = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32, "warmup_steps": 60,
        "warmup_batch_size": 16}
FAMILY = ArithmeticTasks(max_digits=2)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("teachgym-probes-cache")


def _student(cache_dir, reward=exact_match_reward, **kwargs) -> LMStudent:
    settings = dict(prompts_per_update=2, num_generations=4, max_completion_length=5, alphabet=FAMILY.alphabet,
                    tiny=TINY, cache_dir=cache_dir,
                    warmup_problems=FAMILY.warmup_problems(TINY["warmup_steps"] * TINY["warmup_batch_size"]))
    settings.update(kwargs)
    student = LMStudent(reward, **settings)
    student.reset(np.random.default_rng(0))
    return student


def _probes(student) -> list[tuple[str, str]]:
    """True answers, plus the student's own greedy answers (so that some probes are surely right)."""
    real = [p for arm in FAMILY.fixed_set("probe", 6) for p in arm]
    student.probe_eval = "generate"
    with_own = []
    for prompt, _ in real[::2]:
        model = student.session.model
        model.eval()
        import torch

        with torch.no_grad():
            own = student._greedy(model, [prompt])[0].strip()
        model.train()
        with_own.append((prompt, own))
    return real + with_own


def _both(student, probes):
    student.probe_eval = "generate"
    generated = student.evaluate(probes)
    student.probe_eval = "forced"
    return generated, student.evaluate(probes)


def test_forced_probe_accuracy_equals_greedy_generation(cache_dir):
    student = _student(cache_dir)
    probes = _probes(student)
    generated, forced = _both(student, probes)
    assert 0.0 < generated.mean() < 1.0  # right and wrong probes both occur
    np.testing.assert_array_equal(forced, generated)
    assert student.generated_probes < len(probes) // 4  # most probes settled without generation
    student.learn([(p, a, 0) for p, a in FAMILY.sample(5, 2, np.random.default_rng(1))], budget=1)
    np.testing.assert_array_equal(*_both(student, probes))  # after a GRPO update too
    # The same with prompts and answers cut short by max_completion_length (answers up to 3 digits here).
    short = _student(cache_dir, max_completion_length=2)
    np.testing.assert_array_equal(*_both(short, probes))


def test_probes_forced_cannot_settle_are_generated(cache_dir, monkeypatch):
    student = _student(cache_dir)
    probes = _probes(student)
    reference, _ = _both(student, probes)
    # Every logit gap counts as a near-tie: every probe goes to generation, with the same result.
    monkeypatch.setattr(forced_module, "TIE_MARGIN_FP32", 1e9)
    student._encoded_probes.clear()
    student.probe_eval = "forced"
    np.testing.assert_array_equal(student.evaluate(probes), reference)
    assert student.generated_probes == len(probes)
    monkeypatch.undo()
    # Make <unk> (skipped when decoding) outscore eos wherever eos would win: a greedy answer then
    # continues invisibly after its last digit, which only generation can score.
    import torch

    unk = student.tokenizer.unk_token_id
    embeddings = student.session.model.get_input_embeddings().weight
    with torch.no_grad():
        embeddings[unk] = 3.0 * embeddings[student.tokenizer.eos_token_id]
    generated, forced = _both(student, probes)
    np.testing.assert_array_equal(forced, generated)
    assert student.generated_probes > 0


def test_forced_is_refused_for_a_model_whose_decoding_is_not_plain_argmax(cache_dir, tmp_path):
    student = _student(cache_dir)
    from transformers import GenerationConfig

    model_dir = tmp_path / "penalised"
    student.session.model.save_pretrained(model_dir)
    student.tokenizer.save_pretrained(model_dir)
    GenerationConfig(repetition_penalty=1.1).save_pretrained(model_dir)
    import teachgym

    with pytest.raises(teachgym.ConfigError, match="repetition_penalty"):
        LMStudent(exact_match_reward, model=str(model_dir), probe_eval="forced")
    with pytest.raises(teachgym.ConfigError, match="probe_eval"):
        LMStudent(exact_match_reward, model=str(model_dir), probe_eval="fast")


def test_advantage_doctests_pass():
    assert doctest.testmod(grpo_module).failed == 0


@pytest.mark.parametrize("grpo_kwargs", [{}, {"scale_rewards": "batch"}, {"scale_rewards": "none"},
                                         {"multi_objective_aggregation": "normalize_then_sum"},
                                         {"reward_weights": [2.0]}])
def test_recomputed_advantages_match_what_trl_computes(cache_dir, grpo_kwargs):
    # Partial-credit rewards, so that groups have unequal, non-binary rewards.
    student = _student(cache_dir, reward=char_match_reward, prompts_per_update=3, grpo_kwargs=grpo_kwargs)
    lesson = [(p, a, arm) for arm in (0, 4, 6) for p, a in FAMILY.sample(arm, 2, np.random.default_rng(arm))]
    order = np.random.default_rng(0).permutation(len(lesson))
    stats = student.learn([lesson[i] for i in order], budget=2)
    rows = student.session.reward.rows
    assert len(rows) == 2 * 3 * 4
    # TRL keeps the last generation batch's advantages in a private log: read here only to check.
    trl_advantages = np.abs(np.asarray(student.session.trainer._logs["advantages"], dtype=np.float64))
    ours = np.array([a for _, a, _ in rows[-trl_advantages.size:]])
    assert trl_advantages.size == 3 * 4 and np.ptp(trl_advantages) > 0.0
    np.testing.assert_allclose(ours, trl_advantages, rtol=1e-4, atol=1e-5)
    assert set(stats.extras["groups"]) == {0, 4, 6}
    assert stats.extras["advantage_abs_mean"] == pytest.approx(np.mean([a for _, a, _ in rows]))


def test_unscorable_rewards_get_zero_advantage_and_leave_the_group_statistics():
    values = grpo_module.group_advantages([1.0, np.nan, 0.0, np.nan, np.nan, np.nan], 3)
    assert values[1] == 0.0 and values[3:].tolist() == [0.0, 0.0, 0.0]
    assert values[0] == pytest.approx(-values[2]) and values[0] > 0.0


def test_forced_matches_generation_through_a_chat_template_and_lora(cache_dir, tmp_path):
    """Source (b): a local HF model whose chat template adds text around the prompt, with a LoRA adapter."""
    import shutil

    from transformers import AutoTokenizer

    base = _student(cache_dir)
    local = tmp_path / "chat-model"
    shutil.copytree(base.model_path, local)
    tokenizer = AutoTokenizer.from_pretrained(local)
    tokenizer.chat_template = "{% for m in messages %}={{ m['content'] }}{% endfor %}"
    tokenizer.save_pretrained(local)
    student = _student(cache_dir, model=str(local), lora={"r": 2, "target_modules": ["q_proj", "v_proj"]})
    assert student.use_chat_template
    student.learn([(p, a, 0) for p, a in FAMILY.sample(5, 2, np.random.default_rng(1))], budget=1)
    probes = _probes(student)
    np.testing.assert_array_equal(*_both(student, probes))
