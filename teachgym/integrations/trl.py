"""A TRL hook: a teachgym teacher chooses the arms of each batch of your own ``GRPOTrainer`` run.

An *arm* is a value of one dataset column (a category, a difficulty level, a
source dataset). :meth:`ArmCurriculum.attach` plugs into a built trainer at two
points:

- the train sampler (``trainer._get_train_sampler``, TRL's own sampler hook):
  for every generation batch of ``B = generation_batch_size / num_generations``
  prompts the teacher picks the arm (``Discrete`` teachers) or the arm mixture
  (``MixtureBox`` teachers such as DUMP) of each of ``lessons_per_batch``
  lessons, and the sampler draws the lessons' prompts from those arms (each
  arm's rows in a shuffled cycle), repeated as TRL's ``RepeatSampler`` repeats
  them (``num_generations`` times each, the block ``num_iterations x
  steps_per_generation`` times);
- the scoring step (``_calculate_rewards`` and ``_generate_and_score_completions``):
  after TRL has computed the rewards and advantages of a generation batch, each
  lesson is reported to the teacher with ``info["outcome"]`` (mean reward),
  ``arm_reward_mean`` and ``arm_advantage_abs`` (per arm), the keys the GRPO
  curriculum teachers read in the gym.

``shuffle_dataset``: the curriculum's sampler replaces TRL's ``RepeatSampler``,
so the setting has no effect on which prompts form a batch. TRL still shuffles
the rows *within* a generation batch before splitting it into
``steps_per_generation`` optimisation steps; that permutes prompts the teacher
already chose and leaves the curriculum intact.

Order of choices: ``accelerate`` prefetches the next dataloader batch, so with
``num_iterations x steps_per_generation == 1`` the teacher picks batch ``k + 1``
before the rewards of batch ``k`` arrive (one batch of lag); with 2 or more it
picks each batch after the previous one was scored, exactly as in a teacher env.
One training process (no multi-GPU data parallelism).

torch and TRL are imported by this module only.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch.utils.data import Sampler

from teachgym.integrations.curriculum import TaskCurriculum
from teachgym.lessons import MixtureBox
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError, check_int

_SAMPLER_SALT = 0x5A3B1E  # keeps the sampler's stream apart from the teacher's under one seed


class _CurriculumSampler(Sampler):
    """Yields the row indices of curriculum batches, repeated as GRPO's ``RepeatSampler`` repeats them."""

    def __init__(self, curriculum: "ArmCurriculum", n_batches: int, prompts: int, generations: int, repeats: int):
        self.curriculum = curriculum
        self.n_batches, self.prompts, self.generations, self.repeats = n_batches, prompts, generations, repeats

    def __iter__(self):
        for _ in range(self.n_batches):
            rows = self.curriculum.draw_batch(self.prompts)
            for _ in range(self.repeats):
                for row in rows:
                    for _ in range(self.generations):
                        yield row

    def __len__(self) -> int:
        return self.n_batches * self.prompts * self.generations * self.repeats


class ArmCurriculum:
    """A teacher chooses which arm (value of ``arm_column``) each GRPO batch trains on.

    Args:
        teacher: a registered teacher name (``"sec"``, ``"learnability"``,
            ``"tscl-window"``...), an import path, or a Teacher.
        arm_column: the dataset column whose values are the arms.
        arms: the arm values in arm order (default: the column's distinct values, sorted).
        seed: seeds the teacher as :func:`teachgym.run` does, and the sampler.
        mixture: False: the teacher's task space is ``Discrete(n_arms)`` (one
            arm per lesson); True: ``MixtureBox`` weights over the arms (a
            lesson's prompts drawn in proportion).
        lessons_per_batch: lessons in one generation batch (one teacher choice
            each); must divide the batch's number of prompts.
        teacher_kwargs: keyword arguments for a teacher given by name.
        teacher_info: constant ``info`` keys for the teacher.

    Attributes:
        curriculum: the :class:`TaskCurriculum` (``curriculum.teacher`` is the teacher).
        history: ``(action, outcome)`` per reported lesson, in order.
    """

    def __init__(self, teacher: str | Teacher, arm_column: str, *, arms: list | None = None, seed: int | None = None,
                 mixture: bool = False, lessons_per_batch: int = 1, teacher_kwargs: dict[str, Any] | None = None,
                 teacher_info: dict[str, Any] | None = None):
        if not isinstance(arm_column, str) or not arm_column:
            raise ConfigError(f"arm_column must name a dataset column, got {arm_column!r}")
        self.arm_column = arm_column
        self.arms = None if arms is None else list(arms)
        if self.arms is not None and (not self.arms or len(set(map(repr, self.arms))) != len(self.arms)):
            raise ConfigError(f"arms must list distinct values, got {arms!r}")
        self.seed = seed
        self.mixture = bool(mixture)
        self.lessons_per_batch = check_int("lessons_per_batch", lessons_per_batch, low=1)
        self._teacher_args = (teacher, teacher_kwargs, teacher_info)
        self.curriculum: TaskCurriculum | None = None
        self.history: list[tuple[Any, float]] = []
        self.trainer = None

    @property
    def teacher(self) -> Teacher:
        return self.curriculum.teacher

    # -- plugging in -------------------------------------------------------------
    def attach(self, trainer) -> "ArmCurriculum":
        """Plug into a built ``trl.GRPOTrainer`` (before ``train()``); returns ``self``."""
        dataset = trainer.train_dataset
        if dataset is None or not hasattr(dataset, "__len__") or not hasattr(dataset, "column_names"):
            raise ConfigError("ArmCurriculum needs a map-style datasets.Dataset as train_dataset "
                              "(an IterableDataset cannot be sampled by arm)")
        if self.arm_column not in dataset.column_names:
            raise ConfigError(f"arm_column {self.arm_column!r} is not a column of the train dataset; "
                              f"columns: {dataset.column_names}")
        if trainer.accelerator.num_processes != 1:
            raise ConfigError("ArmCurriculum supports one training process; got "
                              f"{trainer.accelerator.num_processes}")
        for name in ("_get_train_sampler", "_calculate_rewards", "_generate_and_score_completions"):
            if not hasattr(trainer, name):
                raise ConfigError(f"this TRL version's GRPOTrainer has no {name}; ArmCurriculum needs TRL >= 1.0")
        args = trainer.args
        self._prompts_per_batch = args.generation_batch_size // trainer.num_generations
        if self._prompts_per_batch % self.lessons_per_batch:
            raise ConfigError(f"lessons_per_batch ({self.lessons_per_batch}) must divide the prompts of a "
                              f"generation batch ({self._prompts_per_batch})")
        self._generations = trainer.num_generations
        self._repeats = trainer.num_iterations * args.steps_per_generation
        values = list(dataset[self.arm_column])
        arms = self.arms if self.arms is not None else sorted(set(values), key=lambda v: (str(type(v)), v))
        index = {repr(a): k for k, a in enumerate(arms)}
        rows_of = [[] for _ in arms]
        for row, value in enumerate(values):
            k = index.get(repr(value))
            if k is not None:
                rows_of[k].append(row)
        empty = [arms[k] for k, rows in enumerate(rows_of) if not rows]
        if empty:
            raise ConfigError(f"arms {empty!r} have no rows in column {self.arm_column!r}")
        self.arms = list(arms)
        n = len(arms)
        task_space = MixtureBox(np.zeros(n, np.float32), np.ones(n, np.float32), dtype=np.float32) if self.mixture \
            else spaces.Discrete(n)
        teacher, teacher_kwargs, teacher_info = self._teacher_args
        self.curriculum = TaskCurriculum(teacher, task_space, seed=self.seed, teacher_kwargs=teacher_kwargs,
                                         teacher_info=teacher_info)
        self._rng = np.random.default_rng(None if self.seed is None else [int(self.seed), _SAMPLER_SALT])
        self._rows_of = [np.asarray(rows) for rows in rows_of]
        self._order = [self._rng.permutation(rows) for rows in self._rows_of]
        self._cursor = [0] * n
        self._prompt_of = list(dataset["prompt"]) if "prompt" in dataset.column_names else None
        self._n_batches = max(1, len(dataset) // self._prompts_per_batch)
        self._pending: deque = deque()
        self._rewards = None
        self.trainer = trainer
        trainer._get_train_sampler = self._sampler
        calculate_rewards, generate_and_score = trainer._calculate_rewards, trainer._generate_and_score_completions

        def _calculate_rewards(inputs, prompts, completions, completion_ids_list):
            rewards = calculate_rewards(inputs, prompts, completions, completion_ids_list)
            self._rewards = rewards
            return rewards

        def _generate_and_score_completions(inputs):
            self._rewards = None
            output = generate_and_score(inputs)
            if trainer.model.training and self._rewards is not None:
                self._observe(inputs, self._rewards, output["advantages"])
            return output

        trainer._calculate_rewards = _calculate_rewards
        trainer._generate_and_score_completions = _generate_and_score_completions
        return self

    def _sampler(self, dataset=None) -> Sampler:
        return _CurriculumSampler(self, self._n_batches, self._prompts_per_batch, self._generations, self._repeats)

    # -- choosing ----------------------------------------------------------------
    def _set_budget(self) -> None:
        state = self.trainer.state
        if state.max_steps:
            self.curriculum.budget_used = min(1.0, state.global_step / state.max_steps)

    def _take(self, arm: int, count: int) -> list[int]:
        """``count`` rows of ``arm``, walking its shuffled rows in a cycle (reshuffled each lap)."""
        out = []
        while len(out) < count:
            order, cursor = self._order[arm], self._cursor[arm]
            take = min(count - len(out), len(order) - cursor)
            out.extend(order[cursor:cursor + take].tolist())
            self._cursor[arm] = cursor + take
            if self._cursor[arm] == len(order):
                self._order[arm], self._cursor[arm] = self._rng.permutation(self._rows_of[arm]), 0
        return out

    def draw_batch(self, prompts: int) -> list[int]:
        """Ask the teacher for the lessons of one generation batch; return its ``prompts`` row indices."""
        self._set_budget()
        per_lesson = prompts // self.lessons_per_batch
        rows, lessons = [], []
        for _ in range(self.lessons_per_batch):
            action = self.curriculum.next_task()
            counts = self._allocate(action, per_lesson)
            arms = np.repeat(np.arange(len(counts)), counts)
            for arm, count in enumerate(counts):
                if count:
                    rows.extend(self._take(arm, int(count)))
            lessons.append((action, arms))
        prompts_key = None if self._prompt_of is None else [self._prompt_of[r] for r in rows]
        self._pending.append((prompts_key, lessons))
        return rows

    def _allocate(self, action, count: int) -> np.ndarray:
        """How many of ``count`` prompts each arm gets for the teacher's ``action``."""
        n = len(self.arms)
        if not self.mixture:
            out = np.zeros(n, dtype=np.int64)
            out[int(action)] = count
            return out
        weights = np.maximum(np.nan_to_num(np.asarray(action, dtype=np.float64), nan=0.0), 0.0)
        total = weights.sum()
        shares = weights / total if total > 0.0 and np.isfinite(total) else np.full(n, 1.0 / n)
        return self._rng.multinomial(count, shares)

    # -- learning ----------------------------------------------------------------
    def _observe(self, inputs: list[dict], rewards_per_func: torch.Tensor, advantages: torch.Tensor) -> None:
        """Report each lesson of the scored generation batch ``inputs`` to the teacher."""
        g = self._generations
        seen = None if self._prompt_of is None else [row.get("prompt") for row in inputs[::g]]
        while self._pending:
            prompts_key, lessons = self._pending.popleft()
            if prompts_key is None or prompts_key == seen:
                break
        else:
            return  # not a batch this curriculum drew (another sampler is in use)
        weights = self.trainer.reward_weights.to(rewards_per_func.device)
        per_func = rewards_per_func.detach().float()
        totals = (per_func * weights.unsqueeze(0)).nansum(dim=1)
        totals[torch.isnan(per_func).all(dim=1)] = float("nan")
        totals = totals.cpu().numpy().astype(np.float64)
        advantages = np.abs(advantages.detach().float().cpu().numpy().astype(np.float64))
        if totals.size != len(inputs) or advantages.size != len(inputs):
            return
        start = 0
        for action, arms in lessons:
            stop = start + len(arms) * g
            arm_of_row = np.repeat(arms, g)
            rewards, advs = totals[start:stop], advantages[start:stop]
            info = {"arm_reward_mean": {}, "arm_advantage_abs": {}}
            for arm in np.unique(arms).tolist():
                mine = arm_of_row == arm
                scored = rewards[mine][np.isfinite(rewards[mine])]
                if scored.size:
                    info["arm_reward_mean"][arm] = float(scored.mean())
                info["arm_advantage_abs"][arm] = float(advs[mine].mean())
            finite = rewards[np.isfinite(rewards)]
            outcome = float(finite.mean()) if finite.size else float("nan")
            info["advantage_abs_mean"] = float(advs.mean()) if advs.size else float("nan")
            self._set_budget()
            self.curriculum.report(action, outcome, **info)
            self.history.append((action, outcome))
            start = stop
