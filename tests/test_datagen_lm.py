"""LM parts of the data-generation envs, with a tiny Llama built locally (no hub)."""

from __future__ import annotations

import string

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.envs.datagen.domain import Example
from teachgym.envs.datagen.heldout import heldout_sets
from teachgym.envs.datagen.lm_engine import LMDataEngine, parse_completion, quality_check
from teachgym.envs.datagen.math_domain import MathDomain
from teachgym.envs.datagen.vqa_domain import VQADomain, render
from teachgym.testing import check_teacher

pytest.importorskip("transformers")
TINY = {"n_steps": 2, "budget": 6, "train_steps": 2, "val_per_skill": 2, "test_per_skill": 2,
        "student_kwargs": {"d_model": 16, "batch_size": 8, "base_steps": 20}}  # math: a fast pretrained base


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    """A 1-layer Llama with a character tokenizer, saved to a local directory."""
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "</s>", "<unk>", *dict.fromkeys(string.printable)])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
                         pad_token_id=0, bos_token_id=1, eos_token_id=1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def test_parse_and_quality_check_drop_wrong_duplicate_and_held_out_data():
    domain = MathDomain()
    held = heldout_sets(domain, 2, 2)
    avoid, seen = held.keys, set()
    fits = lambda example: len(example.question) < 40  # noqa: E731
    good = parse_completion(" 47+38\nA: 85\nQ: more text")
    assert good == Example("47+38", "85")
    assert quality_check(domain, 0, good, avoid=avoid, seen=seen, fits=fits) is None
    seen.add(domain.content_key(good))
    assert quality_check(domain, 0, good, avoid=avoid, seen=seen, fits=fits) == "duplicate"
    assert quality_check(domain, 0, parse_completion(" 47+38\nA: 86"), avoid=avoid, seen=seen, fits=fits) == "wrong"
    assert quality_check(domain, 0, parse_completion("no answer here"), avoid=avoid, seen=seen, fits=fits) == "unparseable"
    item = held.val[0]
    assert quality_check(domain, item.skill, item.example, avoid=avoid, seen=seen, fits=fits) == "held_out"
    long = Example("1+" * 30 + "1", "31")
    assert quality_check(domain, 6, long, avoid=avoid, seen=seen, fits=fits) == "too_long"


def test_lm_engine_in_an_env_drops_bad_data_and_never_crashes(tiny_lm):
    env = gym.make("teachgym/DataGen-Math-SkillList-v0", engine="lm",
                   engine_kwargs={"model": tiny_lm, "n_shots": 1, "max_new_tokens": 12, "num_threads": 1}, **TINY).unwrapped
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.ones(8, np.float32))
    report = info["engine"]
    assert report["requested"] == 6 and report["accepted"] + sum(report["dropped"].values()) == 6
    assert info["budget_used"] == 0.5
    # An untrained LM writes nonsense: it is all dropped, nothing is trained, and the step is spent.
    if report["accepted"] == 0:
        assert reward == 0.0 and not list(env.log.of("train"))
    assert set(report["dropped"]) <= {"unparseable", "wrong", "too_long", "held_out", "duplicate"}
    assert all("completion" in d for d in report["dropped_examples"])
    again = gym.make("teachgym/DataGen-Math-SkillList-v0", engine="lm",
                     engine_kwargs={"model": tiny_lm, "n_shots": 1, "max_new_tokens": 12, "num_threads": 1}, **TINY).unwrapped
    again.reset(seed=0)
    assert again.step(np.ones(8, np.float32))[4]["engine"] == report  # same seed, same completions


def test_lm_engine_prompt_has_the_skill_and_demonstrations():
    engine = LMDataEngine(model="unused", n_shots=2)
    prompt = engine.prompt(MathDomain(), 4, 2, 1, np.random.default_rng(0))
    assert "fractions" in prompt and "simplify" in prompt and prompt.count("\nA: ") == 2 and prompt.endswith("Q:")


def test_lm_engine_settings_are_checked():
    with pytest.raises(teachgym.ConfigError, match="model"):
        LMDataEngine(model="")
    with pytest.raises(teachgym.ConfigError, match="images"):
        gym.make("teachgym/DataGen-VQA-SkillList-v0", student="lm", **TINY)
    with pytest.raises(teachgym.ConfigError, match="student"):
        gym.make("teachgym/DataGen-Math-SkillList-v0", student="gpt", **TINY)


def test_lm_planner_plans_in_text_mode_and_bad_plans_cost_budget(tiny_lm):
    env = gym.make("teachgym/DataGen-Math-OpenEnded-v0", mode="text", **TINY)
    teacher = teachgym.make_teacher("lm-planner", model=tiny_lm, max_new_tokens=24, num_threads=1)
    result = teachgym.run(env, teacher, seed=0)
    assert result.steps == 2 and np.isfinite(result.score)
    assert "add_carry" in teacher.last_prompt and "Recent errors" in teacher.last_prompt
    assert all(isinstance(lesson, str) for lesson in result.lessons)
    log = env.unwrapped.log
    plans = list(log.of("plan"))
    assert len(plans) == 2
    for plan in plans:  # whatever the LM wrote, each plan was either used or rejected with a reason
        assert plan["rejected"] is None or "usable entry" in plan["rejected"] or "characters" in plan["rejected"]
    again = teachgym.run(gym.make("teachgym/DataGen-Math-OpenEnded-v0", mode="text", **TINY),
                         teachgym.make_teacher("lm-planner", model=tiny_lm, max_new_tokens=24, num_threads=1), seed=0)
    assert list(again.lessons) == list(result.lessons)
    with pytest.raises(teachgym.ConfigError, match="model"):
        teachgym.make_teacher("lm-planner")


def test_lm_planner_passes_the_conformance_kit(tiny_lm):
    check_teacher("lm-planner", lambda: gym.make("teachgym/DataGen-Math-OpenEnded-v0", mode="text", **TINY),
                  teacher_kwargs={"model": tiny_lm, "max_new_tokens": 24, "num_threads": 1})


def test_vqa_lm_output_is_parsed_rendered_and_answered_by_the_package():
    domain = VQADomain()
    good = domain.parse_example(" red square at top left; blue circle at centre\nQ: is the red square left of "
                                "the blue circle\nA: yes\nScene: more")
    assert good.scene == ((0, 0, 0, 0), (1, 2, 1, 1)) and domain.verify(3, good) is None
    assert render(good.scene, 24)[2, 2].tolist() == [230, 40, 40]  # the package draws what the spec says
    wrong = domain.parse_example(" red square at top left; blue circle at centre\nQ: how many objects are there\nA: 3")
    assert "wrong" in domain.verify(0, wrong) and "not a template" in domain.verify(1, wrong)
    ambiguous = domain.parse_example(" red square at top left; red circle at centre\nQ: what shape is the red object\nA: square")
    assert "exactly one" in domain.verify(2, ambiguous)
    for text, why in ((" red square at top left; blue circle at top left\nQ: x\nA: y", "two objects"),
                      (" purple square at top left\nQ: x\nA: y", "not '<colour>"),
                      (" red square at top left\nA: y", "three lines")):
        assert why in domain.parse_example(text)
    rng = np.random.default_rng(0)  # the package's own answers agree with the generator's
    for _ in range(300):
        skill = int(rng.integers(6))
        example = domain.generate(skill, int(rng.integers(len(domain.skills[skill].subskills))), int(rng.integers(3)), rng)
        assert domain.verify(skill, example) is None
        assert domain.parse_example(domain.format_example(example)[len("Scene:"):]) == example


def test_lm_engine_writes_vqa_scenes_and_bad_output_costs_budget(tiny_lm):
    kwargs = {**TINY, "student_kwargs": {"d_model": 16, "batch_size": 8}}
    engine = {"model": tiny_lm, "n_shots": 1, "max_new_tokens": 40, "num_threads": 1}
    env = gym.make("teachgym/DataGen-VQA-SkillList-v0", engine="lm", engine_kwargs=engine, **kwargs).unwrapped
    prompt = env.engine.prompt(env.domain, 3, 0, 1, np.random.default_rng(0))
    assert prompt.endswith("Scene:") and "\nQ: is the " in prompt and " at " in prompt
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.ones(6, np.float32))
    report = info["engine"]
    assert report["requested"] == 6 and report["accepted"] + sum(report["dropped"].values()) == 6
    assert info["budget_used"] == 0.5 and set(report["dropped"]) <= {"unparseable", "wrong", "held_out", "duplicate"}
    assert all("why" in d for d in report["dropped_examples"] if d["reason"] in ("unparseable", "wrong"))


def test_math_and_code_envs_train_a_causal_lm_student_by_sft(tmp_path, tiny_lm):
    tiny = {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32, "warmup_steps": 3,
            "warmup_batch_size": 4}
    settings = {**TINY, "train_steps": 3, "student": "lm",
                "student_kwargs": {"tiny": tiny, "cache_dir": str(tmp_path), "batch_size": 4, "max_answer_len": 4}}
    runs = []
    for _ in range(2):
        env = gym.make("teachgym/DataGen-Math-SkillList-v0", **settings).unwrapped
        env.reset(seed=1)
        info = env.step(np.ones(8, np.float32))[4]
        info = env.step(np.ones(8, np.float32))[4]
        runs.append((info["score"], list(env.val_predictions), [e["loss"] for e in env.log.of("train")]))
    assert runs[0] == runs[1]  # same seed, same episode
    assert all(np.isfinite(loss) for loss in runs[0][2]) and len(runs[0][2]) == 2
    assert len(list(tmp_path.glob("tiny-*"))) == 1  # the warmed tiny model is built once and cached
    from teachgym.students.datagen.causal_lm import CausalLMSFTStudent

    assert isinstance(env.student, CausalLMSFTStudent) and env.student.model.config.hidden_size == 16
    # Any causal LM by local path: the code env with the fixture's Llama.
    code = gym.make("teachgym/DataGen-Code-SkillList-v0", **{**settings, "student_kwargs": {
        "model": tiny_lm, "batch_size": 4, "max_answer_len": 4}}).unwrapped
    code.reset(seed=0)
    _, _, _, _, info = code.step(np.ones(8, np.float32))
    assert info["engine"]["accepted"] == 6 and np.isfinite(list(code.log.of("train"))[0]["loss"])
    state = code.state_dict()
    code.step(np.ones(8, np.float32))
    code.load_state_dict(state)  # checkpoint and resume restore the LM's weights
    assert code._t == 1 and list(code.val_predictions) == code.domain.predict(code.student, code.heldout.val)


def test_lm_engine_labels_vqa_data_with_the_subskill_the_lm_wrote():
    class ScriptedLM(LMDataEngine):
        """The real engine (prompting aside): parse, verify, dedupe and label these completions."""

        def complete(self, prompts, seed):
            return [" red square at top left; blue circle at centre\nQ: is the red square left of the blue circle\nA: yes",
                    " red square at top left; blue circle at bottom right\nQ: is the red square above the blue circle\nA: yes"]

    domain = VQADomain()
    asked = [domain.subskill_of(3, domain.parse_example(text)) for text in ScriptedLM("x").complete([], 0)]
    assert asked == [0, 1]  # "left of" and "above" are two templates of the relation skill
    from teachgym.envs.datagen.engines import DataRequest

    data, report = ScriptedLM("x").generate(domain, [DataRequest(skill=3, count=2, subskill=1, difficulty=0)],
                                            np.random.default_rng(0), avoid=frozenset(), seen=set(),
                                            fits=lambda example: True, id_prefix="t", provenance={})
    assert report.accepted == 2 and [d.subskill for d in data] == [0, 1]
    assert data[0].provenance["requested_subskill"] == 1 and "requested_subskill" not in data[1].provenance
    assert domain.subskill_of(3, Example("how many objects are there", "2", ((0, 0, 0, 0),))) is None
