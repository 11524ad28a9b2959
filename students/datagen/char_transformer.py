"""A character-level decoder-only transformer trained by SFT on question -> answer text.

Each example is ``<bos> question <sep> answer <eos>``; the loss covers the
answer and ``<eos>`` only. Prediction is batched greedy decoding (left-padded
prompts, positions counted from the first real character), and
:meth:`CharTransformerStudent.evaluate` scores exact matches, so the student is
measured the way DataEnvGym measures its students: held-out accuracy.
"""

from __future__ import annotations

import os
import string
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from teachgym.student import Student
from teachgym.students.datagen.common import TextSFTStudent, clone_state
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_float, check_int

SPECIALS = ("<pad>", "<bos>", "<sep>", "<eos>", "<unk>")
PAD, BOS, SEP, EOS, UNK = range(len(SPECIALS))
CHARSET = string.digits + string.ascii_letters + string.punctuation + " \n"


def _length_groups(lengths: list[int]) -> list[list[int]]:
    """Split a batch (indices) into at most two groups by length, where that pads much less.

    A batch is padded to its longest row, so one long question (a math word problem
    is three times the length of a sum) would make every short row pay for it; the
    split point minimises the padded size, and the loss is summed over both groups.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    ranked = [lengths[i] for i in order]
    best, cut = len(ranked) * ranked[-1], len(ranked)
    for k in range(1, len(ranked)):
        size = k * ranked[k - 1] + (len(ranked) - k) * ranked[-1]
        if size < best:
            best, cut = size, k
    if best > 0.75 * len(ranked) * ranked[-1]:  # a second forward pass is not worth a small saving
        return [list(range(len(lengths)))]
    return [order[:cut], order[cut:]]


class _Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(batch, length, 3, self.n_heads, width // self.n_heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, length, width))
        return x + self.mlp(self.ln2(x))


class _CharLM(nn.Module):
    def __init__(self, vocab: int, d_model: int, n_layers: int, n_heads: int, max_len: int):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d_model)
        self.positions = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList([_Block(d_model, n_heads) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        real = ids != PAD
        # Left padding: positions count from the first real token, so a prompt means the same wherever it sits.
        positions = (real.long().cumsum(1) - 1).clamp(min=0)
        length = ids.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool).tril()
        # Pads see only themselves, so no attention row is empty (an empty row would give NaN).
        mask = (causal & real[:, None, :]) | torch.eye(length, dtype=torch.bool)
        x = self.tokens(ids) + self.positions(positions)
        for block in self.blocks:
            x = block(x, mask[:, None])
        return self.head(self.norm(x))


class CharTransformerStudent(TextSFTStudent, Student):
    """A small character transformer that learns to answer text questions.

    Args:
        d_model, n_layers, n_heads: transformer width, depth and heads.
        max_len: longest ``question + answer`` in characters (+3 special tokens);
            longer examples are refused by :meth:`fits`.
        max_answer_len: the longest answer greedy decoding produces.
        lr: peak AdamW learning rate (warm-up + cosine decay within each ``learn``).
        batch_size: examples per gradient step.
        num_threads: torch threads while learning and predicting (restored afterwards).
        reverse_answer: write answers right to left internally (least significant digit
            first), which small transformers learn arithmetic from much faster
            (Lee et al., 2023, "Teaching Arithmetic to Small Transformers"); answers
            come back in normal order.
        base_problems, base_steps: a pretrained base: with ``base_steps > 0`` every ``reset``
            starts from weights trained ``base_steps`` steps on the ``(question, answer)`` pairs
            ``base_problems`` (the same for every seed, which then drives only the batch order),
            built once and cached on disk (:mod:`teachgym.students.datagen.pretrain`); 0 (default):
            fresh weights drawn from the reset seed.
        base_lr, base_batch_size: the pretraining run's peak learning rate and batch size
            (``lr`` and ``batch_size`` are then the fine-tuning's).
        replay_fraction: with a pretrained base, the share of each fine-tuning batch drawn from
            ``base_problems`` (rehearsal, so that a few hundred steps on a small data set do
            not erase what the base knows); 0 (default): batches of the lesson only.
        cache_dir: where pretrained bases are cached (default ``$TEACHGYM_CACHE_DIR`` or
            ``~/.cache/teachgym``).

    ``learn(lesson, budget)`` takes ``lesson`` = a sequence of ``(question, answer)``
    string pairs and runs ``budget`` gradient steps; ``evaluate(probes)`` takes the
    same pairs and returns 1.0 per exact match, else 0.0.
    """

    def __init__(self, d_model: int = 64, n_layers: int = 2, n_heads: int = 4, max_len: int = 64,
                 max_answer_len: int = 12, lr: float = 3e-3, batch_size: int = 32, reverse_answer: bool = False,
                 num_threads: int = 1, base_problems: Sequence[tuple[str, str]] = (), base_steps: int = 0,
                 base_lr: float = 3e-3, base_batch_size: int = 64, replay_fraction: float = 0.0,
                 cache_dir: str | os.PathLike | None = None):
        self.d_model = check_int("d_model", d_model, low=8, high=1024)
        self.n_heads = check_int("n_heads", n_heads, low=1, high=64)
        if self.d_model % self.n_heads:
            raise ConfigError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_layers = check_int("n_layers", n_layers, low=1, high=24)
        self.max_len = check_int("max_len", max_len, low=8, high=2048)
        self.max_answer_len = check_int("max_answer_len", max_answer_len, low=1, high=self.max_len - 3)
        self.lr = check_float("lr", lr, low=0.0, low_open=True, high=1.0)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=65536)
        self.reverse_answer = bool(reverse_answer)
        self.num_threads = check_int("num_threads", num_threads, low=1, high=1024)
        self.vocab = {c: i + len(SPECIALS) for i, c in enumerate(CHARSET)}
        self.chars = dict(enumerate(SPECIALS)) | {i: c for c, i in self.vocab.items()}
        self.base_steps = check_int("base_steps", base_steps, low=0, high=10_000_000)
        self.base_lr = check_float("base_lr", base_lr, low=0.0, low_open=True, high=1.0)
        self.base_batch_size = check_int("base_batch_size", base_batch_size, low=1, high=65536)
        self.base_problems = [(str(q), str(a)) for q, a in base_problems]
        if self.base_steps and not self.base_problems:
            raise ConfigError("base_steps > 0 needs base_problems, the (question, answer) pairs of the pretraining")
        self.replay_fraction = check_float("replay_fraction", replay_fraction, low=0.0, high=1.0, high_open=True)
        self.cache_dir = cache_dir
        self.base_path: Path | None = None
        self._pretrained: dict | None = None
        self.model: nn.Module | None = None

    def _architecture(self) -> dict:
        return {"model": "char-transformer", "d_model": self.d_model, "n_layers": self.n_layers,
                "n_heads": self.n_heads, "max_len": self.max_len, "reverse_answer": self.reverse_answer,
                "charset": CHARSET}

    def _init_weights(self, rng: np.random.Generator) -> None:
        if not self.base_steps:
            super()._init_weights(rng)
            return
        if self._pretrained is None:
            from teachgym.students.datagen.pretrain import pretrained_state

            def fresh(lr: float, batch_size: int) -> "CharTransformerStudent":
                return CharTransformerStudent(self.d_model, self.n_layers, self.n_heads, self.max_len,
                                              self.max_answer_len, lr, batch_size, self.reverse_answer,
                                              self.num_threads)

            self._pretrained, self.base_path = pretrained_state(
                fresh, self._architecture(), self.base_problems, self.base_steps, self.base_lr,
                self.base_batch_size, cache_dir=self.cache_dir)
        self.model.load_state_dict(self._pretrained)

    def _batch(self, examples: list) -> list:
        n_replay = round(self.replay_fraction * self.batch_size) if self.base_steps else 0
        if not n_replay:
            return super()._batch(examples)
        n_new = self.batch_size - n_replay
        index = self._rng.choice(len(examples), size=n_new, replace=len(examples) < n_new)
        replay = self._rng.choice(len(self.base_problems), size=n_replay)
        return [examples[i] for i in index] + [self.base_problems[i] for i in replay]

    def _build(self) -> nn.Module:
        return _CharLM(len(SPECIALS) + len(CHARSET), self.d_model, self.n_layers, self.n_heads, self.max_len)

    # -- encoding --------------------------------------------------------------
    def fits(self, question: str, answer: str) -> bool:
        """Whether the pair fits the context and uses only characters the student reads."""
        return (len(question) + len(answer) + 3 <= self.max_len and len(answer) <= self.max_answer_len
                and all(c in self.vocab for c in question + answer))

    def _encode(self, text: str) -> list[int]:
        return [self.vocab.get(c, UNK) for c in text]

    def _rows(self, batch: list) -> tuple[list[list[int]], list[list[int]]]:
        """Token ids of ``<bos> question <sep> answer <eos>`` and their targets (-100 outside the answer)."""
        rows, targets = [], []
        for question, answer in batch:
            prompt = [BOS] + self._encode(question) + [SEP]
            full = (prompt + self._encode(answer[::-1] if self.reverse_answer else answer) + [EOS])[: self.max_len]
            rows.append(full)
            # Predict the answer and <eos> from the positions before them.
            targets.append([-100] * (len(prompt) - 1) + full[len(prompt):] + [-100])
        return rows, targets

    def _loss(self, batch: list) -> torch.Tensor:
        rows, targets = self._rows(batch)
        total, n_targets = 0.0, 0
        for group in _length_groups([len(r) for r in rows]):
            width = max(len(rows[i]) for i in group)
            ids = torch.tensor([rows[i] + [PAD] * (width - len(rows[i])) for i in group])
            labels = torch.tensor([targets[i][:width] + [-100] * (width - len(targets[i])) for i in group])
            logits = self.model(ids)
            total = total + F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                            ignore_index=-100, reduction="sum")
            n_targets += int((labels != -100).sum())
        return total / max(n_targets, 1)

    # -- Student API -----------------------------------------------------------
    def answer_log_likelihood(self, pairs: Sequence[tuple[str, str]], chunk: int = 256) -> np.ndarray:
        """Mean log-probability per answer token (answer characters and ``<eos>``) of each pair's answer
        given its question, by teacher forcing: a smooth counterpart of exact-match accuracy."""
        if self.model is None:
            raise RuntimeError("call reset(rng) before answer_log_likelihood()")
        out = np.zeros(len(pairs))
        self.model.eval()
        with torch_threads(self.num_threads), torch.no_grad():
            for start in range(0, len(pairs), chunk):
                rows, targets = self._rows([(str(q), str(a)) for q, a in pairs[start: start + chunk]])
                width = max(map(len, rows))
                ids = torch.tensor([r + [PAD] * (width - len(r)) for r in rows])
                labels = torch.tensor([t[:width] + [-100] * (width - len(t)) for t in targets])
                logits = self.model(ids)
                nll = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
                counts = (labels != -100).sum(1).clamp(min=1)
                out[start: start + len(rows)] = (-nll.sum(1) / counts).numpy()
        return out

    def predict(self, questions: Sequence[str], chunk: int = 256) -> list[str]:
        """Greedy answers to ``questions`` (batched; grouped by length to limit padding)."""
        if self.model is None:
            raise RuntimeError("call reset(rng) before predict()")
        with torch_threads(self.num_threads), torch.no_grad():
            return self._predict(questions, chunk)

    def _predict(self, questions: Sequence[str], chunk: int) -> list[str]:
        self.model.eval()
        order = sorted(range(len(questions)), key=lambda i: len(questions[i]))
        answers: list[str] = [""] * len(questions)
        for start in range(0, len(order), chunk):
            index = order[start: start + chunk]
            prompts = [([BOS] + self._encode(questions[i]) + [SEP])[-(self.max_len - 1):] for i in index]
            width = max(map(len, prompts))
            ids = torch.tensor([[PAD] * (width - len(p)) + p for p in prompts])
            produced = torch.zeros(len(index), 0, dtype=torch.long)
            done = torch.zeros(len(index), dtype=torch.bool)
            steps = min(self.max_answer_len + 1, self.max_len - width)
            for _ in range(steps):
                logits = self.model(ids)[:, -1]
                logits[:, [PAD, BOS, SEP, UNK]] = -torch.inf
                token = torch.where(done, torch.full_like(done, EOS, dtype=torch.long), logits.argmax(-1))
                produced = torch.cat([produced, token[:, None]], 1)
                ids = torch.cat([ids, token[:, None]], 1)
                done |= token == EOS
                if bool(done.all()):
                    break
            for row, i in zip(produced.tolist(), index):
                text = []
                for token in row:
                    if token == EOS:
                        break
                    text.append(self.chars[token])
                answers[i] = "".join(reversed(text)) if self.reverse_answer else "".join(text)
        return answers
