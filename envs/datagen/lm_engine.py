"""An engine in which a causal LM writes the training data, parsed, verified and quality-checked.

For each requested example the LM gets a few-shot prompt: the skill's name and
description, the subskill and difficulty, and ``n_shots`` demonstrations drawn
from the domain's own generator, ending in the domain's prefix (``Q:``). It
continues with one question and answer (``<question>\\nA: <answer>``); for VQA
it writes a scene spec, a question and an answer after ``Scene:``
(:mod:`~teachgym.envs.datagen.vqa_text`). Every completion then passes
:func:`quality_check`: it must parse, be verified by the domain (the answer is
re-derived from the question: arithmetic for math, running the program for
code, answering from the parsed scene for VQA), fit the student, and be neither
a held-out item nor a duplicate of training data. Failures are dropped and
counted by reason; the teacher's budget is spent either way. Any Hugging Face
causal LM works, by hub name or local path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from teachgym.envs.datagen.domain import Datum, Domain, Example, parse_qa
from teachgym.envs.datagen.engines import DataEngine, EngineReport, resolve
from teachgym.validation import ConfigError, check_float, check_int


def parse_completion(text: str, domain: Domain | None = None) -> Example | None:
    """The example in ``text`` (a continuation of the domain's prefix; ``...Q:`` if no domain), or None."""
    example = parse_qa(text) if domain is None else domain.parse_example(text)
    return example if isinstance(example, Example) else None


def quality_check(domain: Domain, skill: int, example: Example | None, *, avoid, seen, fits: Callable) -> str | None:
    """None if ``example`` may become training data, else the reason it is dropped.

    Reasons: ``unparseable``, ``wrong`` (failed verification), ``too_long`` (the student
    cannot read it), ``held_out`` (a validation or test item), ``duplicate``.
    """
    if example is None:
        return "unparseable"
    if domain.verify(skill, example) is not None:
        return "wrong"
    if not fits(example):
        return "too_long"
    key = domain.content_key(example)
    if key in avoid:
        return "held_out"
    if key in seen:
        return "duplicate"
    return None


class LMDataEngine(DataEngine):
    """Let a causal LM write the data (see the module docstring).

    Args:
        model: a Hugging Face causal LM name or local path (its tokenizer in the same place).
        n_shots: generator-made demonstrations in each prompt.
        max_new_tokens: length of each completion.
        temperature: 0 for greedy decoding, else sampling at this temperature (seeded from
            the episode; torch's global RNG is restored afterwards).
        batch_size: prompts per ``generate`` call.
        device: torch device.
        num_threads: torch CPU threads while generating (None: leave torch's setting); 1 is
            far faster for tiny models on a busy CPU.
    """

    name = "lm"

    def __init__(self, model: str = "", n_shots: int = 3, max_new_tokens: int = 48, temperature: float = 0.7,
                 batch_size: int = 16, device: str = "cpu", num_threads: int | None = None):
        if not isinstance(model, str) or not model:
            raise ConfigError("model must be a Hugging Face model name or a local path (engine_kwargs={'model': ...})")
        self.model_name = model
        self.n_shots = check_int("n_shots", n_shots, low=0, high=64)
        self.max_new_tokens = check_int("max_new_tokens", max_new_tokens, low=1, high=4096)
        self.temperature = check_float("temperature", temperature, low=0.0, high=10.0)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=4096)
        self.device = device
        self.num_threads = None if num_threads is None else check_int("num_threads", num_threads, low=1, high=1024)
        self._model = self._tokenizer = None

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name)
            self._tokenizer.padding_side = "left"
            if self._tokenizer.pad_token is None:
                self._tokenizer.pad_token = self._tokenizer.eos_token
            self._model = AutoModelForCausalLM.from_pretrained(self.model_name).to(self.device).eval()

    def prompt(self, domain: Domain, skill: int, subskill: int, difficulty: int, rng: np.random.Generator) -> str:
        info = domain.skills[skill]
        sub_name, sub_text = info.subskills[subskill]
        shots = [domain.generate(skill, subskill, difficulty, rng) for _ in range(self.n_shots)]
        lines = [f"Skill: {info.name} ({info.description}). Subskill: {sub_name} ({sub_text}). "
                 f"Difficulty {difficulty} of {domain.n_difficulties - 1}.", "Write a new question and its answer."]
        lines += [domain.format_example(s) for s in shots]
        return "\n".join(lines) + "\n" + domain.example_prefix

    def complete(self, prompts: list[str], seed: int) -> list[str]:
        """The LM's continuation of each prompt."""
        import torch

        from teachgym.utils.threads import torch_threads

        self._load()
        out: list[str] = []
        threads = torch_threads(self.num_threads or torch.get_num_threads())
        with threads, torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            for start in range(0, len(prompts), self.batch_size):
                batch = self._tokenizer(prompts[start: start + self.batch_size], return_tensors="pt", padding=True)
                batch = batch.to(self.device)
                sampling = {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {
                    "do_sample": False}
                tokens = self._model.generate(**batch, max_new_tokens=self.max_new_tokens,
                                              pad_token_id=self._tokenizer.pad_token_id, **sampling)
                out += self._tokenizer.batch_decode(tokens[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
        return out

    def generate(self, domain, requests, rng, *, avoid, seen, fits, id_prefix, provenance):
        report = EngineReport()
        slots = []  # (plan entry, skill, subskill, difficulty, prompt)
        for entry, request in enumerate(requests):
            report.requested += request.count
            for _ in range(request.count):
                subskill, difficulty = resolve(request, domain, rng)
                slots.append((entry, request.skill, subskill, difficulty,
                              self.prompt(domain, request.skill, subskill, difficulty, rng)))
        completions = self.complete([s[4] for s in slots], int(rng.integers(2**31))) if slots else []
        data: list[Datum] = []
        for (entry, skill, subskill, difficulty, _), text in zip(slots, completions):
            example = domain.parse_example(text)
            reason = quality_check(domain, skill, example if isinstance(example, Example) else None,
                                   avoid=avoid, seen=seen, fits=fits)
            if reason is not None:
                why = example if isinstance(example, str) else domain.verify(skill, example) if reason == "wrong" else None
                report.drop(reason, {"skill": skill, "completion": text[:200], **({"why": why} if why else {})})
                continue
            seen.add(domain.content_key(example))
            source = {**provenance, "engine": self.name, "model": self.model_name, "plan_entry": entry}
            written = domain.subskill_of(skill, example)
            if written is not None and written != subskill:  # label what the LM wrote, keep what was asked
                source["requested_subskill"] = subskill
                subskill = written
            data.append(Datum(f"{id_prefix}-{len(data):04d}", skill, subskill, difficulty, example, source))
        report.accepted = len(data)
        return data, report

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "model": self.model_name, "n_shots": self.n_shots, "temperature": self.temperature}
