"""What the SFT students share: seeded initialisation, schedules and checkpoints.

Nothing here touches torch's global RNG: every random draw goes through a
``torch.Generator`` seeded from the numpy RNG the env hands the student.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from teachgym.student import LearnReport
from teachgym.utils.threads import torch_threads
from teachgym.validation import check_int


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A torch generator seeded from ``rng`` (the student's only source of randomness)."""
    gen = torch.Generator()
    gen.manual_seed(int(rng.integers(2**62)))
    return gen


def init_weights(model: nn.Module, gen: torch.Generator, std: float = 0.02) -> None:
    """GPT-style init: weights N(0, std), biases 0, norms 1; conv kernels scaled by fan-in."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, std, generator=gen)
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Conv2d):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_in), generator=gen)
                module.bias.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
            elif isinstance(module, nn.RNNBase):
                bound = 1.0 / math.sqrt(module.hidden_size)  # PyTorch's default range, drawn from our generator
                for weight in module.parameters():
                    nn.init.uniform_(weight, -bound, bound, generator=gen)


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up then cosine decay to 10 % of ``peak`` over ``total`` steps."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


def clone_state(module_or_optim) -> dict[str, Any]:
    """A deep copy of a model's or optimiser's state dict (tensors cloned)."""
    def _copy(value):
        if isinstance(value, torch.Tensor):
            return value.detach().clone()
        if isinstance(value, dict):
            return {k: _copy(v) for k, v in value.items()}
        if isinstance(value, list):
            return [_copy(v) for v in value]
        return value

    return _copy(module_or_optim.state_dict())


class SFTStudentBase:
    """Base weights, optimiser and RNG handling shared by the SFT students.

    Subclasses build ``self.model`` in :meth:`_build`, and implement the batch
    loss in :meth:`_loss`. ``learn`` runs ``budget`` AdamW steps on mini-batches
    drawn with the student's RNG, with a warm-up + cosine schedule per call.
    """

    lr: float
    batch_size: int
    weight_decay: float = 0.01
    num_threads: int = 1

    def _build(self) -> nn.Module:
        raise NotImplementedError

    def _loss(self, batch: list) -> torch.Tensor:
        raise NotImplementedError

    def _reset_model(self, rng: np.random.Generator) -> None:
        self._rng = rng
        with torch.random.fork_rng(devices=[]):  # module constructors draw default weights from torch's global RNG
            self.model = self._build()
        self._init_weights(rng)
        self._base = clone_state(self.model)
        self._new_optimizer()

    def _init_weights(self, rng: np.random.Generator) -> None:
        """The base weights of ``self.model``: drawn from ``rng`` (a subclass may load pretrained ones)."""
        init_weights(self.model, torch_generator(rng))

    def _new_optimizer(self) -> None:
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def restart_from_base(self, rng: np.random.Generator | None = None) -> None:
        """Go back to the base weights (as after reset) with a fresh optimiser.

        Args:
            rng: if given, the student's randomness (batch order) comes from it from now on;
                else the current stream goes on.
        """
        self.model.load_state_dict(self._base)
        self._new_optimizer()
        if rng is not None:
            self._rng = rng

    def reseed(self, rng: np.random.Generator) -> None:
        """Draw the student's randomness from ``rng`` from now on (weights unchanged)."""
        self._rng = rng

    def _train(self, examples: list, budget: int) -> float:
        """``budget`` optimiser steps on batches of ``examples``; returns the mean loss."""
        if budget <= 0 or not examples:
            return float("nan")
        with torch_threads(self.num_threads):
            return self._train_steps(examples, budget)

    def _train_steps(self, examples: list, budget: int) -> float:
        self.model.train()
        warmup = max(1, budget // 10)
        total = 0.0
        for step in range(budget):
            for group in self.optimizer.param_groups:
                group["lr"] = cosine_lr(step, budget, self.lr, warmup)
            loss = self._loss(self._batch(examples))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            total += float(loss.detach())
        self.model.eval()
        return total / budget

    def _batch(self, examples: list) -> list:
        """One mini-batch of ``examples``, drawn with the student's RNG."""
        index = self._rng.choice(len(examples), size=self.batch_size, replace=len(examples) < self.batch_size)
        return [examples[i] for i in index]

    def _torch_state(self) -> dict[str, Any]:
        return {"model": clone_state(self.model), "base": {k: v.clone() for k, v in self._base.items()},
                "optimizer": clone_state(self.optimizer), "rng": self._rng.bit_generator.state}

    def _load_torch_state(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self._base = {k: v.clone() for k, v in state["base"].items()}
        self._new_optimizer()
        self.optimizer.load_state_dict(state["optimizer"])
        self._rng.bit_generator.state = state["rng"]


class TextSFTStudent(SFTStudentBase):
    """The Student API of SFT students of text ``(question, answer)`` pairs; subclasses add ``predict``.

    ``learn(lesson, budget)`` runs ``budget`` gradient steps on the pairs;
    ``evaluate(probes)`` returns 1.0 per exact greedy answer, else 0.0.
    """

    def predict(self, questions: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def reset(self, rng: np.random.Generator) -> None:
        self._reset_model(rng)

    def learn(self, lesson: Sequence[tuple[str, str]], budget: int = 100):
        examples = [(str(q), str(a)) for q, a in lesson]
        loss = self._train(examples, check_int("budget", budget, low=0))
        return LearnReport(outcome=-loss if np.isfinite(loss) else 0.0, work=budget, extras={"loss": loss})

    def evaluate(self, probes: Sequence[tuple[str, str]]) -> np.ndarray:
        predictions = self.predict([q for q, _ in probes])
        return np.array([float(p == a) for p, (_, a) in zip(predictions, probes)])

    def state_dict(self) -> dict[str, Any]:
        return self._torch_state()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_torch_state(state)
