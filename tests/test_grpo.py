"""GRPO curriculum: the LM student (real TRL GRPOTrainer) and the envs, on a tiny CPU model."""

from __future__ import annotations

import doctest
import shutil

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("trl")

import teachgym  # noqa: E402
from teachgym.envs.grpo.rewards import exact_match_reward  # noqa: E402
from teachgym.envs.grpo.tasks import ArithmeticTasks  # noqa: E402
from teachgym.students.grpo import tiny as tiny_module  # noqa: E402
from teachgym.students.grpo import tokenizer as tokenizer_module  # noqa: E402
from teachgym.students.grpo.student import LMStudent  # noqa: E402

TINY = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32, "warmup_steps": 30,
        "warmup_batch_size": 16}
FAMILY = ArithmeticTasks(max_digits=2)
SMALL = dict(prompts_per_update=2, num_generations=4, max_completion_length=5)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("teachgym-cache")


@pytest.fixture(scope="session")
def tiny_path(cache_dir):
    problems = FAMILY.warmup_problems(TINY["warmup_steps"] * TINY["warmup_batch_size"])
    return tiny_module.build_tiny_model(tiny_module.TinyLMConfig(**TINY), FAMILY.alphabet, problems, cache_dir)


def _student(cache_dir, **kwargs) -> LMStudent:
    settings = {**SMALL, **kwargs}
    if settings.get("model") is None:
        settings.update(alphabet=FAMILY.alphabet, tiny=TINY, cache_dir=cache_dir,
                        warmup_problems=FAMILY.warmup_problems(TINY["warmup_steps"] * TINY["warmup_batch_size"]))
    return LMStudent(exact_match_reward, **settings)


def _lesson(n_updates: int, arm: int = 3, seed: int = 0):
    return [(p, a, arm) for p, a in FAMILY.sample(arm, n_updates * SMALL["prompts_per_update"],
                                                  np.random.default_rng(seed))]


def test_tokenizer_doctests_and_left_padding():
    assert doctest.testmod(tokenizer_module).failed == 0
    tok = tokenizer_module.build_char_tokenizer("0123456789+=")
    batch = tok(["1+1=", "12+34="], padding=True)
    assert batch["input_ids"][0][:2] == [tok.pad_token_id] * 2 and batch["attention_mask"][0][:2] == [0, 0]


def test_warmed_model_is_cached_and_the_second_build_loads_it(cache_dir, tiny_path, monkeypatch):
    config = tiny_module.TinyLMConfig(**TINY)
    problems = FAMILY.warmup_problems(TINY["warmup_steps"] * TINY["warmup_batch_size"])
    assert tiny_path.parent == cache_dir and (tiny_path / "model.safetensors").exists()
    stamp = (tiny_path / "model.safetensors").stat().st_mtime_ns

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cached checkpoint should have been reused")

    monkeypatch.setattr(tiny_module, "_warm_up", no_rebuild)
    assert tiny_module.build_tiny_model(config, FAMILY.alphabet, problems, cache_dir) == tiny_path
    assert (tiny_path / "model.safetensors").stat().st_mtime_ns == stamp
    # Another config, alphabet or data is another checkpoint (so it would be built).
    other = tiny_module.cache_key(tiny_module.TinyLMConfig(**{**TINY, "seed": 1}), FAMILY.alphabet, problems)
    assert other != tiny_module.cache_key(config, FAMILY.alphabet, problems)
    assert tiny_module.cache_key(config, FAMILY.alphabet, problems[:-1]) != tiny_module.cache_key(
        config, FAMILY.alphabet, problems)


def test_the_cache_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(tiny_module.CACHE_ENV_VAR, str(tmp_path))
    assert tiny_module.default_cache_dir() == tmp_path


def test_tiny_models_are_rotary():
    model = tiny_module.new_tiny_model(tiny_module.TinyLMConfig(**TINY), 20)
    assert not any("position" in name and "embed" in name for name, _ in model.named_parameters())
    qwen = tiny_module.new_tiny_model(tiny_module.TinyLMConfig(**{**TINY, "architecture": "qwen2"}), 20)
    assert type(qwen).__name__ == "Qwen2ForCausalLM"


def test_learn_reports_trl_statistics_and_keeps_the_optimizer(cache_dir, tiny_path):
    student = _student(cache_dir)
    student.reset(np.random.default_rng(0))
    report = student.learn(_lesson(2), budget=2)
    stats = report.extras
    for key in ("reward_mean", "reward_std", "frac_reward_zero_std", "entropy", "completion_length",
                "advantage_abs_mean", "loss", "grad_norm"):
        assert np.isfinite(stats[key]), key
    assert report.work == 2 and stats["updates"] == 2 and report.outcome == stats["reward_mean"]
    assert set(stats["groups"]) == {3} and stats["groups"][3]["n"] == 2 * 2 * 4
    assert 0.0 <= stats["frac_reward_zero_std"] <= 1.0 and stats["completion_length"] <= 5
    trainer = student.session.trainer
    student.learn(_lesson(2, seed=1), budget=2)
    assert student.session.trainer is trainer  # one trainer per episode
    assert trainer.optimizer.state_dict()["state"][0]["step"] == 4  # AdamW state carried over
    # The accelerator bookkeeping is reset without Accelerate's gc.collect().
    assert trainer.accelerator.free_memory.__name__ == "free_memory" and len(trainer.accelerator._models) <= 1
    assert "accelerate" not in getattr(trainer.accelerator.free_memory, "__module__", "")


def test_optimizer_reset_policy_starts_adamw_afresh(cache_dir, tiny_path):
    student = _student(cache_dir, optimizer_state="reset")
    student.reset(np.random.default_rng(0))
    student.learn(_lesson(1), budget=1)
    student.learn(_lesson(2, seed=1), budget=2)
    assert student.session.trainer.optimizer.state_dict()["state"][0]["step"] == 2


def test_same_seed_same_learning_and_reset_restores_the_warmed_model(cache_dir, tiny_path):
    probes = [p for arm in FAMILY.fixed_set("probe", 4) for p in arm]
    runs = []
    for _ in range(2):
        student = _student(cache_dir)
        student.reset(np.random.default_rng(7))
        first = student.evaluate(probes)
        report = student.learn(_lesson(2), budget=2)
        weights = {k: v.clone() for k, v in student.session.model.named_parameters()}
        runs.append((first, report.extras["loss"], report.extras["entropy"], weights))
    assert runs[0][1:3] == runs[1][1:3]
    for name, value in runs[0][3].items():
        assert (value == runs[1][3][name]).all(), name
    student.reset(np.random.default_rng(8))
    np.testing.assert_array_equal(student.evaluate(probes), runs[0][0])


def test_bad_lessons_and_settings_are_refused(cache_dir, tiny_path):
    student = _student(cache_dir)
    with pytest.raises(RuntimeError, match="reset"):
        student.learn(_lesson(1), budget=1)
    student.reset(np.random.default_rng(0))
    with pytest.raises(teachgym.ConfigError, match="needs 4 problems"):
        student.learn(_lesson(1), budget=2)
    with pytest.raises(teachgym.ConfigError, match="grpo_kwargs"):
        _student(cache_dir, grpo_kwargs={"learning_rate": 1.0})
    with pytest.raises(teachgym.ConfigError, match="num_generations"):
        _student(cache_dir, num_generations=1)
    with pytest.raises(teachgym.ConfigError, match="tiny has unknown fields"):
        LMStudent(exact_match_reward, alphabet="01", warmup_problems=[("0", "1")], tiny={"layers": 3})
    with pytest.raises(teachgym.ConfigError, match="even head size"):
        tiny_module.TinyLMConfig(hidden_size=12, num_heads=4)


def test_a_local_hf_model_with_chat_template_and_lora(cache_dir, tiny_path, tmp_path):
    """Source (b): a model loaded by path, with its own tokenizer, chat template and a LoRA adapter."""
    local = tmp_path / "my-model"
    shutil.copytree(tiny_path, local)
    student = _student(cache_dir, model=str(local), lora={"r": 2, "target_modules": ["q_proj", "v_proj"]})
    assert student.source == "hf" and not student.use_chat_template
    student.reset(np.random.default_rng(0))
    base = {k: v.clone() for k, v in student.session.model.named_parameters() if "lora" not in k}
    report = student.learn(_lesson(1), budget=1)
    assert np.isfinite(report.extras["loss"])
    trainable = student.state_dict()["weights"]
    assert trainable and all("lora" in k for k in trainable)
    for name, value in student.session.model.named_parameters():
        if "lora" not in name:
            assert (value == base[name]).all(), name  # LoRA leaves the base weights alone

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(local)
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    tokenizer.save_pretrained(local)
    chat = _student(cache_dir, model=str(local))
    assert chat.use_chat_template
    chat.reset(np.random.default_rng(0))
    probes = FAMILY.fixed_set("probe", 2)[0]
    plain = _student(cache_dir, model=str(tiny_path))
    plain.reset(np.random.default_rng(0))
    # The template renders a prompt as itself, so the chat path must answer exactly as the plain one.
    np.testing.assert_array_equal(chat.evaluate(probes), plain.evaluate(probes))
    assert np.isfinite(chat.learn(_lesson(1), budget=1).extras["loss"])


ENV_KWARGS = dict(n_steps=3, updates_per_step=1, prompts_per_update=2, num_generations=4, probes_per_arm=3,
                  test_per_arm=3, tiny=TINY)


@pytest.mark.parametrize("env_id", ["teachgym/GRPOArithmetic-v0", "teachgym/GRPOArithmeticMixture-v0",
                                    "teachgym/GRPOStrings-v0"])
def test_env_end_to_end_info_keys_and_spaces(env_id, cache_dir):
    env = gym.make(env_id, cache_dir=cache_dir, **ENV_KWARGS)
    obs, info = env.reset(seed=0)
    n_arms = len(info["arm_names"])
    assert obs.shape == (n_arms + 7,) and env.observation_space.contains(obs)
    assert info["arm_accuracy"].shape == (n_arms,) and 0.0 <= info["score"] <= 100.0
    np.testing.assert_allclose(obs[:n_arms], info["arm_accuracy"], atol=1e-6)
    teacher = teachgym.make_teacher("sec")
    teacher.reset(env.action_space, env.observation_space, seed=0)
    previous = info["target_accuracy"]
    for _ in range(3):
        action = teacher.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        teacher.update(action, reward, obs, info)
        assert env.observation_space.contains(obs)
        for key in ("reward_mean", "reward_std", "frac_reward_zero_std", "entropy", "completion_length",
                    "advantage_abs_mean", "arm_advantage_abs", "arm_reward_mean", "arm_share", "target_accuracy"):
            assert key in info, key
        assert info["arm_share"].sum() == pytest.approx(1.0) and info["grpo_updates"] == 1
        assert set(info["arm_advantage_abs"]) == set(np.flatnonzero(info["arm_share"]).tolist())
        assert info["target_accuracy"] == pytest.approx(float(np.mean(obs[:n_arms])), abs=1e-6)
        assert reward == pytest.approx(info["target_accuracy"] - previous)  # probe_gain
        previous = info["target_accuracy"]
    assert truncated and "score" in info


def test_mixture_weights_are_normalised_and_zero_means_uniform(cache_dir):
    env = gym.make("teachgym/GRPOArithmeticMixture-v0", cache_dir=cache_dir,
                   **{**ENV_KWARGS, "tasks": {"max_digits": 1}, "updates_per_step": 4})
    env.reset(seed=0)
    weights = np.zeros(6, dtype=np.float32)
    weights[2] = 0.3
    _, _, _, _, info = env.step(weights)
    assert info["arm_share"][2] == 1.0
    _, _, _, _, info = env.step(np.zeros(6, dtype=np.float32))
    assert np.count_nonzero(info["arm_share"]) > 1


@pytest.mark.parametrize("mode", ["arm_gain", "grpo_reward"])
def test_reward_modes(mode, cache_dir):
    env = gym.make("teachgym/GRPOArithmetic-v0", cache_dir=cache_dir, reward_mode=mode,
                   **{**ENV_KWARGS, "tasks": {"max_digits": 1}})
    _, info0 = env.reset(seed=0)
    _, reward, _, _, info = env.step(1)
    if mode == "arm_gain":
        assert reward == pytest.approx(info["arm_accuracy"][1] - info0["arm_accuracy"][1])
    else:
        assert reward == pytest.approx(info["reward_mean"])


def test_a_whole_run_is_reproducible_and_leaves_numpy_global_random_alone(cache_dir):
    kwargs = dict(cache_dir=cache_dir, **{**ENV_KWARGS, "tasks": {"max_digits": 1}})
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    first = teachgym.run("teachgym/GRPOArithmetic-v0", "learnability", seed=3, **kwargs)
    assert np.array_equal(np.random.get_state()[1], before)
    second = teachgym.run("teachgym/GRPOArithmetic-v0", "learnability", seed=3, **kwargs)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    np.testing.assert_array_equal(first.rewards, second.rewards)
    assert first.score == second.score and len(first.curve) == 2


@pytest.mark.parametrize("kwargs, field", [
    ({"reward_mode": "accuracy"}, "reward_mode"), ({"lesson_mode": "regions"}, "lesson_mode"),
    ({"grpo_reward": "fuzzy"}, "grpo_reward"), ({"updates_per_step": 0}, "updates_per_step"),
    ({"family": "chess"}, "family"),
])
def test_invalid_env_settings_name_the_field(kwargs, field, cache_dir):
    with pytest.raises(teachgym.ConfigError, match=field):
        gym.make("teachgym/GRPOArithmetic-v0", cache_dir=cache_dir, **{**ENV_KWARGS, **kwargs})
