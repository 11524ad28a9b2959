"""Setter-Solver (Racanière, Lampinen, Santoro, Reichert, Firoiu & Lillicrap, ICLR 2020,
"Automated Curricula Through Setter-Solver Interactions").

A *setter* ``S(z, f)`` proposes a goal (task) meant to have feasibility ``f``
(the probability that the solver, here the student, succeeds); a *judge*
``J(g)`` predicts the feasibility of a goal. Each step the desired feasibility
is drawn ``f ~ U(0, 1)`` and the goal is ``S(z, f)``. Every ``update_every`` steps:

- the judge is trained by cross-entropy on the goals practised and their
  outcomes (clipped into [0, 1] and read as success rates);
- the setter is trained on the paper's *feasibility* loss, the cross-entropy
  between ``J(S(z, f))`` and ``f``, plus ``coverage`` times a *coverage* loss that
  rewards spread-out goals.

Simplified: the paper's setter is an invertible flow (RNVP), whose exact density gives the coverage
loss (the setter's entropy) and the validity loss (likelihood of goals the
solver reached). Here the setter is a small MLP; coverage is a nearest-neighbour
(Kozachenko-Leonenko) entropy estimate over a batch of its goals, ``-mean
log(distance to the nearest other goal)``; there is no validity loss, since every
task of a Box task space is valid. The networks are two-layer MLPs trained on
CPU with one thread from a ``torch.Generator`` seeded by the teacher's RNG (see
:mod:`teachgym.teachers.curriculum.goal_gan`). Until the first training goals are uniform.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.goal_gan import mlp, torch_generator
from teachgym.teachers.curriculum.task_box import TaskBox, clipped_success, teaching_budget
from teachgym.utils.threads import torch_threads
from teachgym.validation import check_float, check_int


class SetterSolverTeacher(Teacher):
    """Setter-Solver (see the module docstring).

    Args:
        update_every: steps between two trainings (None: ``teaching_budget // 50``, at least 10).
        train_steps: optimiser steps of the judge and of the setter per training, >= 1.
        coverage: weight of the coverage loss, >= 0.
        noise_dim: size of ``z``.
        hidden: units per hidden layer.
        lr: Adam learning rate.
        window: (goal, outcome) pairs the judge trains on (None: the last ``4 * update_every``).
        batch_size: setter goals per setter step (the coverage loss compares them), >= 2.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box,)
    required_packages: ClassVar[dict[str, str]] = {"torch": "rl"}

    def __init__(self, update_every: int | None = None, train_steps: int = 50, coverage: float = 0.05,
                 noise_dim: int = 4, hidden: int = 32, lr: float = 1e-3, window: int | None = None,
                 batch_size: int = 128):
        super().__init__()
        import torch  # noqa: F401  (loaded before any run, so the global-RNG checks see torch from the start)

        self.update_every = None if update_every is None else check_int("update_every", update_every, low=1,
                                                                          high=10**9)
        self.train_steps = check_int("train_steps", train_steps, low=1, high=100_000)
        self.coverage = check_float("coverage", coverage, low=0.0, high=1e6)
        self.noise_dim = check_int("noise_dim", noise_dim, low=1, high=1024)
        self.hidden = check_int("hidden", hidden, low=1, high=4096)
        self.lr = check_float("lr", lr, low=0.0, low_open=True, high=10.0)
        self.window = None if window is None else check_int("window", window, low=1, high=10**7)
        self.batch_size = check_int("batch_size", batch_size, low=2, high=100_000)

    def _setup(self) -> None:
        self.box = TaskBox(self.action_space)
        self._every: int | None = None
        self._models: Any = None
        self._goals: list[np.ndarray] = []
        self._success: list[float] = []
        self._since_update = 0
        self._proposals: list[np.ndarray] = []
        self.updates = 0

    def _configure(self, info) -> None:
        self._every = self.update_every or max(10, teaching_budget(info) // 50)
        self._window = self.window or 4 * self._every

    def act(self, obs, info):
        if self._every is None:
            self._configure(info)
        if self._models is None:
            return self.box.lesson(self.box.uniform(self.rng))
        if not self._proposals:
            feasibility = self.rng.random(self._every)
            self._proposals = list(self.propose(feasibility)[::-1])
        return self.box.lesson(self._proposals.pop())

    def propose(self, feasibility: np.ndarray) -> np.ndarray:
        """One setter goal per desired feasibility in ``feasibility`` (values in [0, 1]), shape ``(n, dim)``."""
        import torch

        if self._models is None:
            self._build()
        with torch_threads(1), torch.no_grad():
            unit = self._set(torch.as_tensor(np.asarray(feasibility, dtype=np.float64).reshape(-1, 1)))
        return self.box.low + (unit.numpy() + 1.0) / 2.0 * self.box.width

    def judge(self, goals: np.ndarray) -> np.ndarray:
        """The judge's predicted feasibility of each goal (``(n, dim)`` tasks)."""
        import torch

        if self._models is None:
            self._build()
        with torch_threads(1), torch.no_grad():
            logits = self._models["judge"](torch.as_tensor(self._to_unit(np.asarray(goals, dtype=np.float64))))
        return torch.sigmoid(logits).numpy().reshape(-1)

    def _to_unit(self, goals: np.ndarray) -> np.ndarray:
        return 2.0 * (goals - self.box.low) / np.maximum(self.box.width, 1e-12) - 1.0

    def _set(self, feasibility: Any) -> Any:
        import torch

        z = torch.randn(len(feasibility), self.noise_dim, generator=self._models["torch_rng"], dtype=torch.float64)
        return torch.tanh(self._models["setter"](torch.cat([z, 2.0 * feasibility - 1.0], dim=1)))

    def update(self, action, reward, obs, info) -> None:
        if self._every is None:
            self._configure(info)
        outcome = finite_outcome(info)
        task = self.box.read_task(info, action)
        if outcome is None or task is None:
            return
        self._goals.append(self.box.clip(task))
        self._success.append(clipped_success(outcome))
        del self._goals[: -self._window], self._success[: -self._window]
        self._since_update += 1
        if self._since_update >= self._every:
            self._since_update = 0
            self.train(np.asarray(self._goals), np.asarray(self._success))
            self._proposals = []

    def _build(self) -> None:
        import torch

        torch_rng = torch_generator(self.rng)
        setter = mlp([self.noise_dim + 1, self.hidden, self.hidden, self.box.dim], torch_rng).double()
        judge = mlp([self.box.dim, self.hidden, self.hidden, 1], torch_rng).double()
        self._models = {
            "torch_rng": torch_rng, "setter": setter, "judge": judge,
            "setter_opt": torch.optim.Adam(setter.parameters(), lr=self.lr),
            "judge_opt": torch.optim.Adam(judge.parameters(), lr=self.lr),
        }

    def train(self, goals: np.ndarray, success: np.ndarray) -> None:
        """Train the judge on (goal, success) pairs, then the setter against the judge."""
        import torch
        import torch.nn.functional as F

        if self._models is None:
            self._build()
        m = self._models
        x = torch.as_tensor(self._to_unit(goals), dtype=torch.float64)
        y = torch.as_tensor(success, dtype=torch.float64).reshape(-1, 1)
        batch = self.batch_size
        with torch_threads(1):
            for _ in range(self.train_steps):
                judge_loss = F.binary_cross_entropy_with_logits(m["judge"](x), y)
                m["judge_opt"].zero_grad()
                judge_loss.backward()
                m["judge_opt"].step()
            for parameter in m["judge"].parameters():
                parameter.requires_grad_(False)
            for _ in range(self.train_steps):
                feasibility = torch.rand(batch, 1, generator=m["torch_rng"], dtype=torch.float64)
                goals_now = self._set(feasibility)
                feasibility_loss = F.binary_cross_entropy_with_logits(m["judge"](goals_now), feasibility)
                distances = torch.cdist(goals_now, goals_now) + torch.eye(batch, dtype=torch.float64) * 1e3
                coverage_loss = -torch.log(distances.min(dim=1).values + 1e-6).mean()
                loss = feasibility_loss + self.coverage * coverage_loss
                m["setter_opt"].zero_grad()
                loss.backward()
                m["setter_opt"].step()
            for parameter in m["judge"].parameters():
                parameter.requires_grad_(True)
        self.updates += 1
