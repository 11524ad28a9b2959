"""The default offline student: a tiny RoPE causal LM, warmed up by SFT, cached on disk.

TRL's GRPOTrainer passes no position ids, and its prompts are left-padded, so a
model with absolute position embeddings (GPT-2) would see every prompt shifted;
rotary embeddings (Llama, Qwen2) depend only on relative positions and do not.

The warm-up is a short supervised fine-tuning run on problems of the task
family (loss on the answer and the end-of-sequence token only), long enough that
sampled answers are sometimes right (GRPO needs groups whose rewards differ) and
short enough to leave room to learn. The result is saved with
``save_pretrained`` under ``cache_dir/tiny-<hash>/``, the hash covering the
config, the alphabet and the warm-up problems; a second build with the same
inputs loads it from disk. The folder's ``teachgym_sha256.json`` records the
SHA-256 of every file written at build time: a cached copy whose files no longer
match (zeroed or truncated weights, a file added or removed) is reported with a
:class:`~teachgym.utils.verified_files.CacheWarning` naming it and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from teachgym.utils.rng import global_rngs_preserved
from teachgym.utils.verified_files import CacheWarning, check_manifest, write_manifest
from teachgym.validation import ConfigError, check_choice, check_float, check_int

CACHE_ENV_VAR = "TEACHGYM_CACHE_DIR"
_FORMAT_VERSION = 2  # bump when the build procedure changes, so old caches are not reused


def default_cache_dir() -> Path:
    """``$TEACHGYM_CACHE_DIR`` if set, else ``~/.cache/teachgym``."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "teachgym")


@dataclass(frozen=True)
class TinyLMConfig:
    """Architecture and warm-up of the tiny student.

    Attributes:
        architecture: "llama" or "qwen2" (both rotary).
        hidden_size, num_layers, num_heads, intermediate_size: transformer sizes.
        max_positions: longest prompt + answer, in characters.
        warmup_steps: SFT optimiser steps (0: an untrained model).
        warmup_batch_size: problems per SFT step.
        warmup_lr: peak AdamW learning rate of the warm-up (linear decay to 10 %).
        seed: seeds the initial weights and the warm-up.
    """

    architecture: str = "llama"
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    max_positions: int = 64
    warmup_steps: int = 1500
    warmup_batch_size: int = 64
    warmup_lr: float = 3e-3
    seed: int = 0

    def __post_init__(self):
        check_choice("architecture", self.architecture, ("llama", "qwen2"))
        check_int("hidden_size", self.hidden_size, low=8, high=4096)
        check_int("num_layers", self.num_layers, low=1, high=64)
        check_int("num_heads", self.num_heads, low=1, high=64)
        if self.hidden_size % self.num_heads or (self.hidden_size // self.num_heads) % 2:
            raise ConfigError(f"hidden_size ({self.hidden_size}) must be num_heads ({self.num_heads}) times an even "
                              "head size (rotary embeddings rotate pairs of dimensions)")
        check_int("intermediate_size", self.intermediate_size, low=1)
        check_int("max_positions", self.max_positions, low=4)
        check_int("warmup_steps", self.warmup_steps, low=0)
        check_int("warmup_batch_size", self.warmup_batch_size, low=1)
        check_float("warmup_lr", self.warmup_lr, low=0.0, low_open=True)
        check_int("seed", self.seed, low=0)

    @classmethod
    def coerce(cls, value: "TinyLMConfig | dict | None") -> "TinyLMConfig":
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(cls.__dataclass_fields__))
            if unknown:
                raise ConfigError(f"tiny has unknown fields {unknown}; allowed: {sorted(cls.__dataclass_fields__)}")
            return cls(**value)
        raise ConfigError(f"tiny must be a TinyLMConfig, a dict or None, got {type(value).__name__}")


def cache_key(config: TinyLMConfig, alphabet: str, problems: Sequence[tuple[str, str]]) -> str:
    """The hash that names a warmed checkpoint: config, alphabet and warm-up data."""
    data = hashlib.sha256()
    for prompt, answer in problems:
        data.update(f"{prompt}\t{answer}\n".encode())
    payload = {"format": _FORMAT_VERSION, "config": asdict(config), "alphabet": alphabet, "data": data.hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def build_tiny_model(config: TinyLMConfig, alphabet: str, problems: Sequence[tuple[str, str]],
                     cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of the warmed checkpoint (model + tokenizer), building and caching it if needed.

    Args:
        config: architecture and warm-up settings.
        alphabet: every character of prompts and answers.
        problems: ``(prompt, answer)`` pairs for the SFT warm-up, used in order,
            cyclically, ``warmup_batch_size`` per step.
        cache_dir: where checkpoints live (default :func:`default_cache_dir`).
    """
    if config.warmup_steps and not problems:
        raise ConfigError("the warm-up needs at least one (prompt, answer) problem")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / f"tiny-{cache_key(config, alphabet, problems)}"
    if path.exists():
        problem = check_manifest(path)
        if problem is None:
            return path
        warnings.warn(f"cached tiny LM {path}: {problem}; rebuilding it", CacheWarning, stacklevel=2)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        from teachgym.students.grpo.quiet import quiet

        print(f"teachgym: building the tiny GRPO student once ({config.architecture}, {config.warmup_steps} SFT "
              f"warm-up steps on CPU, about a minute or two); cached in {path}", file=sys.stderr, flush=True)
        model, tokenizer, seconds = _warm_up(config, alphabet, problems)
        with quiet():
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
        (staging / "teachgym_build.json").write_text(json.dumps(
            {"config": asdict(config), "alphabet": alphabet, "n_problems": len(problems), "seconds": seconds}))
        write_manifest(staging)
        _install(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _install(staging: Path, path: Path) -> None:
    """Move the finished build to ``path``: atomically, keeping a concurrent builder's good copy, replacing a bad one."""
    try:
        staging.rename(path)
        return
    except OSError:
        if check_manifest(path) is None:  # a concurrent builder finished first
            return
    stale = path.with_name(f".stale-{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        path.rename(stale)
    except FileNotFoundError:  # another process moved the bad copy away already
        pass
    try:
        staging.rename(path)
    except OSError:
        if check_manifest(path) is not None:
            raise
    finally:
        shutil.rmtree(stale, ignore_errors=True)


def new_tiny_model(config: TinyLMConfig, vocab_size: int):
    """An untrained model of ``config`` (pad id 0, eos id 1)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    kwargs = dict(vocab_size=vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
                  num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
                  num_key_value_heads=config.num_heads, max_position_embeddings=config.max_positions,
                  tie_word_embeddings=True, pad_token_id=0, eos_token_id=1, bos_token_id=None)
    with global_rngs_preserved():  # the initial weights come from torch's global generator, seeded here
        torch.manual_seed(config.seed)
        if config.architecture == "llama":
            return LlamaForCausalLM(LlamaConfig(**kwargs))
        return Qwen2ForCausalLM(Qwen2Config(**kwargs))


def encode_sft_batch(tokenizer, problems: Sequence[tuple[str, str]]):
    """Left-padded ``input_ids``, ``attention_mask`` and ``labels`` (-100 except on answer + eos)."""
    import torch

    prompts = tokenizer([p for p, _ in problems], add_special_tokens=False)["input_ids"]
    answers = tokenizer([a for _, a in problems], add_special_tokens=False)["input_ids"]
    rows = [p + a + [tokenizer.eos_token_id] for p, a in zip(prompts, answers)]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (row, prompt) in enumerate(zip(rows, prompts)):
        start = width - len(row)
        ids[i, start:] = torch.tensor(row)
        mask[i, start:] = 1
        labels[i, start + len(prompt):] = ids[i, start + len(prompt):]
    return ids, mask, labels


def greedy_decode(model, tokenizer, encoded: dict, max_new_tokens: int) -> list[str]:
    """Greedy completions of the left-padded, already encoded prompts ``encoded`` (special tokens skipped)."""
    encoded = {key: value.to(model.device) for key, value in encoded.items()}
    output = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False,
                            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    return tokenizer.batch_decode(output[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)


def _warm_up(config: TinyLMConfig, alphabet: str, problems: Sequence[tuple[str, str]]):
    import torch

    from teachgym.students.grpo.tokenizer import build_char_tokenizer

    tokenizer = build_char_tokenizer(alphabet)
    model = new_tiny_model(config, len(tokenizer))
    start = time.perf_counter()
    if config.warmup_steps:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.warmup_lr, weight_decay=0.0)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 1.0 - 0.9 * step / max(1, config.warmup_steps))
        model.train()
        n, batch = len(problems), config.warmup_batch_size
        from tqdm.auto import tqdm

        for step in tqdm(range(config.warmup_steps), desc="tiny GRPO student warm-up", unit="step", file=sys.stderr,
                         mininterval=1.0, delay=1.0):
            chunk = [problems[(step * batch + i) % n] for i in range(batch)]
            ids, mask, labels = encode_sft_batch(tokenizer, chunk)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
    model.eval()
    return model, tokenizer, time.perf_counter() - start
