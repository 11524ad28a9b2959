"""GoalGAN (Florensa, Held, Geng & Abbeel, ICML 2018, "Automatic Goal Generation for Reinforcement Learning Agents").

A generator ``G(z)`` proposes goals (tasks); a discriminator ``D(g)`` learns to
tell *goals of intermediate difficulty* (GOID: success rate in
``[goid_low, goid_high]``) from the others and from the generator's goals, so the
generator learns to propose GOID goals. Both are trained with the paper's
least-squares GAN objective (``a = -1, b = 1, c = 0``):

    min_D  E_g[ y_g (D(g) - 1)^2 + (1 - y_g) (D(g) + 1)^2 ] + E_z[ (D(G(z)) + 1)^2 ]
    min_G  E_z[ D(G(z))^2 ]

where ``y_g = 1`` for GOID goals. Each step a goal is drawn uniformly with
probability ``random_prob``, replayed from the archive of past GOID goals with
probability ``replay_prob`` (the paper replays old goals against forgetting),
else from the generator plus Gaussian noise (``noise_std`` of the box width).
Every ``update_every`` steps the goals practised since the last update are
labelled and the GAN is trained for ``gan_steps`` steps.

Simplified: a goal's success rate is its one outcome (clipped into [0, 1]; the
paper rolls out several episodes per goal), and there is no pre-training on
goals the initial policy reaches (that needs the student's state space): goals
are uniform until the first GOID goal is seen. The networks are small MLPs
(``hidden`` units, two layers) trained on CPU with one thread, initialised and
driven by a ``torch.Generator`` seeded from the teacher's RNG, so neither
torch's global RNG nor its thread setting changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.task_box import TaskBox, clipped_success, teaching_budget
from teachgym.utils.rng import global_rngs_preserved
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_float, check_int


def torch_generator(rng: np.random.Generator) -> Any:
    """A ``torch.Generator`` seeded from ``rng`` (torch is imported here, lazily)."""
    import torch

    generator = torch.Generator()
    generator.manual_seed(int(rng.integers(2**62)))
    return generator


def mlp(sizes: list[int], generator: Any, activation: str = "relu") -> Any:
    """``Linear`` layers of ``sizes`` with ReLU (or Tanh) between, initialised from ``generator`` only.

    The layers are built with torch's global RNG saved and restored, then every
    parameter is redrawn from ``generator`` (PyTorch's default ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``).
    """
    import torch

    layers = []
    with global_rngs_preserved():
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                bound = 1.0 / layer.in_features ** 0.5
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
    return model


class GoalGANTeacher(Teacher):
    """GoalGAN (see the module docstring).

    Args:
        update_every: steps between two GAN trainings (None: ``teaching_budget // 50``, at least 10).
        gan_steps: optimiser steps of each network per training, >= 1.
        goid_low, goid_high: the band of intermediate success rates, ``0 <= goid_low < goid_high <= 1``
            (paper: 0.1 and 0.9).
        random_prob: share of uniform goals, in [0, 1].
        replay_prob: share of goals replayed from the GOID archive, in [0, 1].
        noise_std: std of the noise added to generated goals, as a fraction of the box width.
        noise_dim: size of ``z``.
        hidden: units per hidden layer.
        lr: Adam learning rate.
        window: labelled goals the GAN trains on (None: the last ``2 * update_every``).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box,)
    required_packages: ClassVar[dict[str, str]] = {"torch": "rl"}

    def __init__(self, update_every: int | None = None, gan_steps: int = 50, goid_low: float = 0.1,
                 goid_high: float = 0.9, random_prob: float = 0.2, replay_prob: float = 0.1,
                 noise_std: float = 0.02, noise_dim: int = 4, hidden: int = 32, lr: float = 1e-3,
                 window: int | None = None):
        super().__init__()
        import torch  # noqa: F401  (loaded before any run, so the global-RNG checks see torch from the start)

        self.update_every = None if update_every is None else check_int("update_every", update_every, low=1,
                                                                          high=10**9)
        self.gan_steps = check_int("gan_steps", gan_steps, low=1, high=100_000)
        self.goid_low = check_float("goid_low", goid_low, low=0.0, high=1.0)
        self.goid_high = check_float("goid_high", goid_high, low=0.0, high=1.0)
        if not self.goid_low < self.goid_high:
            raise ConfigError(f"goid_low must be below goid_high; got {goid_low} >= {goid_high}")
        self.random_prob = check_float("random_prob", random_prob, low=0.0, high=1.0)
        self.replay_prob = check_float("replay_prob", replay_prob, low=0.0, high=1.0)
        if self.random_prob + self.replay_prob > 1.0:
            raise ConfigError(f"random_prob + replay_prob must be at most 1; got {random_prob} + {replay_prob}")
        self.noise_std = check_float("noise_std", noise_std, low=0.0, high=10.0)
        self.noise_dim = check_int("noise_dim", noise_dim, low=1, high=1024)
        self.hidden = check_int("hidden", hidden, low=1, high=4096)
        self.lr = check_float("lr", lr, low=0.0, low_open=True, high=10.0)
        self.window = None if window is None else check_int("window", window, low=1, high=10**7)

    def _setup(self) -> None:
        self.box = TaskBox(self.action_space)
        self._every: int | None = None
        self._models: Any = None
        self._goals: list[np.ndarray] = []  # labelled goals, oldest first
        self._labels: list[float] = []
        self._since_update = 0
        self._archive: list[np.ndarray] = []
        self._proposals: list[np.ndarray] = []  # generated goals waiting to be used, next one last
        self.updates = 0

    def _configure(self, info) -> None:
        self._every = self.update_every or max(10, teaching_budget(info) // 50)
        self._window = self.window or 2 * self._every

    # -- acting ----------------------------------------------------------------------
    def act(self, obs, info):
        if self._every is None:
            self._configure(info)
        u = self.rng.random()
        if self._models is None or u < self.random_prob:
            goal = self.box.uniform(self.rng)
        elif self._archive and u < self.random_prob + self.replay_prob:
            goal = self._archive[int(self.rng.integers(len(self._archive)))]
        else:
            if not self._proposals:
                self._proposals = list(self.propose(self._every)[::-1])
            goal = self._proposals.pop() + self.noise_std * self.box.width * self.rng.standard_normal(self.box.dim)
        return self.box.lesson(goal)

    def propose(self, n: int) -> np.ndarray:
        """``n`` goals from the generator (no noise), shape ``(n, dim)``."""
        import torch

        generator_net = self._models["generator"]
        with torch_threads(1), torch.no_grad():
            z = torch.randn(n, self.noise_dim, generator=self._models["torch_rng"], dtype=torch.float64)
            unit = torch.tanh(generator_net(z)).numpy()
        return self._from_unit(unit)

    def _to_unit(self, goals: np.ndarray) -> np.ndarray:
        return 2.0 * (goals - self.box.low) / np.maximum(self.box.width, 1e-12) - 1.0

    def _from_unit(self, unit: np.ndarray) -> np.ndarray:
        return self.box.low + (unit + 1.0) / 2.0 * self.box.width

    # -- learning --------------------------------------------------------------------------
    def update(self, action, reward, obs, info) -> None:
        if self._every is None:
            self._configure(info)
        outcome = finite_outcome(info)
        task = self.box.read_task(info, action)
        if outcome is None or task is None:
            return
        success = clipped_success(outcome)
        goid = self.goid_low <= success <= self.goid_high
        self._goals.append(self.box.clip(task))
        self._labels.append(1.0 if goid else 0.0)
        if goid:
            self._archive.append(self.box.clip(task))
        del self._goals[: -self._window], self._labels[: -self._window]
        self._since_update += 1
        if self._since_update >= self._every:
            self._since_update = 0
            if self._archive:  # the paper's goals are uniform until GOID goals exist to learn from
                self.train_gan(np.asarray(self._goals), np.asarray(self._labels))
                self._proposals = []

    def _build(self) -> None:
        import torch

        torch_rng = torch_generator(self.rng)
        generator_net = mlp([self.noise_dim, self.hidden, self.hidden, self.box.dim], torch_rng).double()
        discriminator = mlp([self.box.dim, self.hidden, self.hidden, 1], torch_rng).double()
        self._models = {
            "torch_rng": torch_rng, "generator": generator_net, "discriminator": discriminator,
            "g_opt": torch.optim.Adam(generator_net.parameters(), lr=self.lr, betas=(0.5, 0.999)),
            "d_opt": torch.optim.Adam(discriminator.parameters(), lr=self.lr, betas=(0.5, 0.999)),
        }

    def train_gan(self, goals: np.ndarray, labels: np.ndarray) -> None:
        """``gan_steps`` LSGAN steps on labelled goals (``labels`` 1 for GOID)."""
        import torch

        if self._models is None:
            self._build()
        m = self._models
        x = torch.as_tensor(self._to_unit(goals), dtype=torch.float64)
        y = torch.as_tensor(labels, dtype=torch.float64).reshape(-1, 1)
        with torch_threads(1):
            for _ in range(self.gan_steps):
                z = torch.randn(len(x), self.noise_dim, generator=m["torch_rng"], dtype=torch.float64)
                fake = torch.tanh(m["generator"](z))
                real_score = m["discriminator"](x)
                d_loss = (y * (real_score - 1.0) ** 2 + (1.0 - y) * (real_score + 1.0) ** 2).mean() \
                    + ((m["discriminator"](fake.detach()) + 1.0) ** 2).mean()
                m["d_opt"].zero_grad()
                d_loss.backward()
                m["d_opt"].step()
                g_loss = (m["discriminator"](fake) ** 2).mean()
                m["g_opt"].zero_grad()
                g_loss.backward()
                m["g_opt"].step()
        self.updates += 1
