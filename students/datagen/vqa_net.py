"""A small CNN + question encoder that answers questions about images (a VQA classifier).

The image goes through two conv layers; the question (words from a fixed
vocabulary) through an embedding and a GRU; the two are fused by a FiLM-style
product and an MLP that classifies over a fixed answer vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from teachgym.student import LearnReport, Student
from teachgym.students.datagen.common import SFTStudentBase
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_float, check_int


class _VQANet(nn.Module):
    def __init__(self, n_words: int, n_answers: int, image_size: int, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        side = image_size // 4
        self.image_proj = nn.Linear(32 * side * side, width)
        self.words = nn.Embedding(n_words + 1, width)  # index 0: padding
        self.gru = nn.GRU(width, width, batch_first=True)
        self.fuse = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, n_answers))

    def forward(self, images: torch.Tensor, words: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(images)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        image = F.relu(self.image_proj(x.flatten(1)))
        states, _ = self.gru(self.words(words))
        question = states[torch.arange(words.shape[0]), lengths - 1]
        return self.fuse(torch.cat([image * question, question], dim=1))


class VQANetStudent(SFTStudentBase, Student):
    """Answers questions about small RGB images by classification over ``answer_vocab``.

    Args:
        question_vocab: every word a question may use.
        answer_vocab: every possible answer.
        image_size: side of the (square) images, divisible by 4.
        d_model: width of the question encoder and the fused features.
        lr, batch_size: AdamW peak learning rate and examples per step.
        num_threads: torch threads while learning and predicting (restored afterwards).

    ``learn(lesson, budget)``: ``lesson`` is a sequence of ``(image uint8 HxWx3, question, answer)``;
    ``evaluate(probes)`` takes the same triples and returns 1.0 per correct answer.
    """

    def __init__(self, question_vocab: Sequence[str], answer_vocab: Sequence[str], image_size: int = 24,
                 d_model: int = 64, lr: float = 3e-3, batch_size: int = 32, num_threads: int = 1):
        if not question_vocab or not answer_vocab:
            raise ConfigError("question_vocab and answer_vocab must be non-empty sequences of strings")
        self.question_vocab = {w: i + 1 for i, w in enumerate(question_vocab)}
        self.answer_vocab = list(answer_vocab)
        self.answer_index = {a: i for i, a in enumerate(self.answer_vocab)}
        self.image_size = check_int("image_size", image_size, low=4, high=512)
        if self.image_size % 4:
            raise ConfigError(f"image_size must be divisible by 4, got {image_size}")
        self.d_model = check_int("d_model", d_model, low=4, high=4096)
        self.lr = check_float("lr", lr, low=0.0, low_open=True, high=1.0)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=65536)
        self.num_threads = check_int("num_threads", num_threads, low=1, high=1024)
        self.model: nn.Module | None = None

    def _build(self) -> nn.Module:
        return _VQANet(len(self.question_vocab), len(self.answer_vocab), self.image_size, self.d_model)

    def _tensors(self, rows) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        images = torch.from_numpy(np.stack([np.asarray(r[0], dtype=np.float32) for r in rows]) / 255.0).permute(0, 3, 1, 2)
        encoded = [[self.question_vocab.get(w, 0) for w in str(r[1]).split()] or [0] for r in rows]
        width = max(map(len, encoded))
        words = torch.tensor([e + [0] * (width - len(e)) for e in encoded])
        return images, words, torch.tensor([len(e) for e in encoded])

    def _loss(self, batch: list) -> torch.Tensor:
        images, words, lengths = self._tensors(batch)
        targets = torch.tensor([self.answer_index[str(a)] for _, _, a in batch])
        return F.cross_entropy(self.model(images, words, lengths), targets)

    def reset(self, rng: np.random.Generator) -> None:
        self._reset_model(rng)

    def learn(self, lesson, budget: int = 100) -> LearnReport:
        examples = list(lesson)
        unknown = {a for _, _, a in examples if a not in self.answer_index}
        if unknown:
            raise ConfigError(f"answers {sorted(unknown)[:5]} are not in answer_vocab")
        loss = self._train(examples, check_int("budget", budget, low=0))
        return LearnReport(outcome=-loss if np.isfinite(loss) else 0.0, work=budget, extras={"loss": loss})

    def predict(self, probes, chunk: int = 512) -> list[str]:
        """The answer to each ``(image, question)`` (extra fields ignored)."""
        if self.model is None:
            raise RuntimeError("call reset(rng) before predict()")
        out: list[str] = []
        with torch_threads(self.num_threads), torch.no_grad():
            self.model.eval()
            for start in range(0, len(probes), chunk):
                logits = self.model(*self._tensors(probes[start: start + chunk]))
                out += [self.answer_vocab[i] for i in logits.argmax(1).tolist()]
        return out

    def evaluate(self, probes) -> np.ndarray:
        return np.array([float(p == str(r[2])) for p, r in zip(self.predict(probes), probes)])

    def state_dict(self) -> dict[str, Any]:
        return self._torch_state()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_torch_state(state)
