"""A causal LM (the GRPO issue's tiny offline model, or any Hugging Face model) trained by SFT.

The data-generation envs train their student by supervised fine-tuning on the
generated ``(question, answer)`` pairs; this student lets that student be a
causal language model, as DataEnvGym's students are. The model comes from
:mod:`teachgym.students.grpo.tiny` (a tiny rotary Llama/Qwen2 with a character
tokenizer, warmed up on ``warmup_problems`` and cached on disk) or from a hub
name / local path. Training reuses :func:`~teachgym.students.grpo.tiny.encode_sft_batch`
(loss on the answer and the end-of-sequence token) and the optimiser, schedule
and checkpoint code of :class:`~teachgym.students.datagen.common.SFTStudentBase`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.student import Student
from teachgym.students.datagen.common import TextSFTStudent, clone_state
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_float, check_int


def lm_prompt(question: str) -> str:
    """What the LM reads for a question (one line: the char tokenizer has no newline)."""
    return f"Q: {question} A:"


class CausalLMSFTStudent(TextSFTStudent, Student):
    """A causal LM that learns question -> answer pairs by SFT and answers by greedy decoding.

    Args:
        model: None for the tiny offline model, else a Hugging Face name or local path.
        alphabet: characters of questions and answers (tiny model only).
        warmup_problems: ``(question, answer)`` pairs of the tiny model's SFT warm-up.
        tiny: a :class:`~teachgym.students.grpo.tiny.TinyLMConfig` or a dict of its fields.
        cache_dir: where warmed tiny checkpoints live (default ``$TEACHGYM_CACHE_DIR``).
        lr: peak AdamW learning rate of each ``learn`` (warm-up + cosine).
        batch_size: examples per gradient step.
        max_len: longest prompt + answer in characters that :meth:`fits` accepts.
        max_answer_len: tokens greedy decoding produces.
        num_threads: torch threads while learning and predicting (restored afterwards).

    ``learn(lesson, budget)`` takes ``(question, answer)`` pairs and runs ``budget``
    gradient steps; ``predict(questions)`` returns the stripped greedy answers.
    Weights are the same for every seed (a pretrained base, as DataEnvGym's);
    the seed drives the batch order.
    """

    def __init__(self, model: str | os.PathLike | None = None, *, alphabet: str | None = None,
                 warmup_problems: Sequence[tuple[str, str]] = (), tiny: Any = None,
                 cache_dir: str | os.PathLike | None = None, lr: float = 1e-3, batch_size: int = 16,
                 max_len: int = 128, max_answer_len: int = 12, num_threads: int = 1):
        from teachgym.students.grpo.tiny import TinyLMConfig, build_tiny_model

        self.lr = check_float("lr", lr, low=0.0, low_open=True, high=1.0)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=65536)
        self.max_len = check_int("max_len", max_len, low=8, high=1_000_000)
        self.max_answer_len = check_int("max_answer_len", max_answer_len, low=1, high=4096)
        self.num_threads = check_int("num_threads", num_threads, low=1, high=1024)
        if model is None:
            if not alphabet:
                raise ConfigError("the tiny model (model=None) needs alphabet, the characters it reads")
            self.alphabet = alphabet
            config = TinyLMConfig.coerce(tiny)
            problems = [(lm_prompt(q), f" {a}") for q, a in warmup_problems]
            with torch_threads(self.num_threads):
                self.model_path = build_tiny_model(config, alphabet, problems, cache_dir)
        else:
            self.alphabet = None
            self.model_path = Path(model) if Path(model).exists() else model
        self.model = self.tokenizer = None

    # -- model -----------------------------------------------------------------
    def _reset_model(self, rng: np.random.Generator) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from teachgym.students.grpo.quiet import quiet

        self._rng = rng
        with quiet():
            if self.tokenizer is None:
                self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_path), padding_side="left")
                if self.tokenizer.pad_token is None:
                    self.tokenizer.pad_token = self.tokenizer.eos_token
            self.model = AutoModelForCausalLM.from_pretrained(str(self.model_path)).eval()
        self._base = clone_state(self.model)
        self._new_optimizer()

    def _loss(self, batch: list):
        from teachgym.students.grpo.tiny import encode_sft_batch

        ids, mask, labels = encode_sft_batch(self.tokenizer, [(lm_prompt(q), f" {a}") for q, a in batch])
        return self.model(input_ids=ids, attention_mask=mask, labels=labels).loss

    def fits(self, question: str, answer: str) -> bool:
        """Whether the pair fits ``max_len`` (and, for the tiny model, uses only its characters)."""
        text = lm_prompt(question) + f" {answer}"
        return len(text) + 1 <= self.max_len and (self.alphabet is None or set(text) <= set(self.alphabet))

    # -- Student API -------------------------------------------------------------
    def predict(self, questions: Sequence[str], chunk: int = 256) -> list[str]:
        """Greedy answers (first line, stripped) to ``questions``."""
        import torch

        from teachgym.students.grpo.tiny import greedy_decode

        if self.model is None:
            raise RuntimeError("call reset(rng) before predict()")
        answers: list[str] = []
        with torch_threads(self.num_threads), torch.no_grad():
            for start in range(0, len(questions), chunk):
                prompts = [lm_prompt(q) for q in questions[start: start + chunk]]
                encoded = self.tokenizer(prompts, padding=True, return_tensors="pt", add_special_tokens=False)
                texts = greedy_decode(self.model, self.tokenizer, encoded, self.max_answer_len)
                answers += [t.split("\n", 1)[0].strip() for t in texts]
        return answers
