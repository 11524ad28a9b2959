"""One TRL ``GRPOTrainer`` driven step by step: a new dataset per lesson, K updates per call.

A teaching episode builds one trainer and calls :meth:`GRPOSession.run` once per
teacher step. Three things make repeated ``train()`` calls cheap and exact:

- ``Trainer._inner_training_loop`` starts with ``accelerator.free_memory()``,
  whose ``gc.collect()`` costs 0.2-0.45 s per call once torch and transformers
  are loaded. The session replaces it, on this trainer's accelerator only, by
  the same bookkeeping without the collection (nothing is freed between two
  steps of one run anyway: the model and optimizer live on).
- The optimizer is created once and kept across calls (``Trainer.create_optimizer``
  only builds one when ``trainer.optimizer`` is None), so AdamW's moments and
  step count carry over from lesson to lesson (``optimizer_state="keep"``);
  ``"reset"`` drops it before every lesson. The learning rate is constant.
- The progress printer and progress bar callbacks are removed; a small callback
  collects TRL's own per-update metrics (``reward``, ``reward_std``,
  ``frac_reward_zero_std``, ``entropy``, ``completions/mean_length``, ``kl``...)
  and the per-completion advantages TRL computed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from teachgym.students.lm.quiet import global_rngs_preserved, quiet

# TRL's own metric names -> the names the student reports.
TRL_METRICS = {
    "reward": "reward_mean",
    "reward_std": "reward_std",
    "frac_reward_zero_std": "frac_reward_zero_std",
    "entropy": "entropy",
    "completions/mean_length": "completion_length",
    "completions/clipped_ratio": "clipped_ratio",
    "kl": "kl",
    "loss": "loss",
    "grad_norm": "grad_norm",
}


def _free_memory_without_gc(accelerator):
    """``Accelerator.free_memory`` minus ``gc.collect()`` and device-cache emptying."""

    def free_memory(*objects):
        accelerator._schedulers = []
        accelerator._optimizers = []
        accelerator._models = []
        accelerator._dataloaders = []
        accelerator.step = 0
        return [None] * len(objects)

    return free_memory


class GroupedReward:
    """Wraps a reward function and remembers each call's ``group`` column, in completion order.

    TRL computes advantages in the same order as the rewards, so pairing the
    last call's groups with TRL's logged advantages gives per-group statistics.
    """

    def __init__(self, reward_fn: Callable[..., list[float]]):
        self.reward_fn = reward_fn
        self.__name__ = getattr(reward_fn, "__name__", "reward")  # TRL names metrics after it
        self.last_groups: list[Any] = []
        self.last_rewards: list[float] = []

    def __call__(self, prompts=None, completions=None, **kwargs):
        rewards = [float(r) for r in self.reward_fn(prompts=prompts, completions=completions, **kwargs)]
        self.last_groups = list(kwargs.get("group") or [None] * len(rewards))
        self.last_rewards = rewards
        return rewards


def _make_stats_callback(session: "GRPOSession"):
    from transformers import TrainerCallback

    class StatsCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "reward" in logs:
                session._updates.append({k: float(v) for k, v in logs.items() if isinstance(v, (int, float))})

        def on_step_end(self, args, state, control, **kwargs):
            advantages = list(session.trainer._logs["advantages"])
            groups, rewards = session.reward.last_groups, session.reward.last_rewards
            if len(advantages) == len(groups) == len(rewards):
                for group, adv, rew in zip(groups, advantages, rewards):
                    session._by_group[group].append((abs(float(adv)), rew))
                session._advantages.extend(abs(float(a)) for a in advantages)

    return StatsCallback()


class GRPOSession:
    """A GRPOTrainer for one teaching episode.

    Args:
        model: a ``PreTrainedModel`` (fresh for this episode).
        tokenizer: its tokenizer (left padding).
        reward_fn: a TRL-style reward function.
        prompts_per_update: distinct prompts in one GRPO update.
        num_generations: completions per prompt (the group size G).
        config_kwargs: further ``GRPOConfig`` fields (learning rate, temperature, ...).
        peft_config: a ``peft.PeftConfig`` (LoRA) or None.
        optimizer_state: "keep" (AdamW state carries over between lessons) or "reset".
    """

    def __init__(self, model, tokenizer, reward_fn, *, prompts_per_update: int, num_generations: int,
                 config_kwargs: dict[str, Any], peft_config=None, optimizer_state: str = "keep"):
        from datasets import Dataset
        from transformers import PrinterCallback, ProgressCallback
        from trl import GRPOConfig, GRPOTrainer

        self.prompts_per_update = prompts_per_update
        self.optimizer_state = optimizer_state
        self.reward = GroupedReward(reward_fn)
        settings = dict(
            per_device_train_batch_size=prompts_per_update * num_generations, num_generations=num_generations,
            gradient_accumulation_steps=1, max_steps=1, logging_steps=1, lr_scheduler_type="constant",
            warmup_steps=0, report_to="none", save_strategy="no", disable_tqdm=True, shuffle_dataset=False,
            activation_checkpointing=False, dataloader_pin_memory=False, remove_unused_columns=False,
        )
        settings.update(config_kwargs)
        with quiet():
            self.config = GRPOConfig(**settings)
        placeholder = Dataset.from_dict({"prompt": ["0"] * prompts_per_update, "answer": [""] * prompts_per_update,
                                         "group": [0] * prompts_per_update})
        with quiet(), global_rngs_preserved():
            self.trainer = GRPOTrainer(model=model, reward_funcs=self.reward, args=self.config,
                                       train_dataset=placeholder, processing_class=tokenizer, peft_config=peft_config)
        for callback in (PrinterCallback, ProgressCallback):
            self.trainer.remove_callback(callback)
        self.trainer.add_callback(_make_stats_callback(self))
        self.trainer.accelerator.free_memory = _free_memory_without_gc(self.trainer.accelerator)
        self._dataset_cls = Dataset
        self._updates: list[dict[str, float]] = []
        self._by_group: dict[Any, list[tuple[float, float]]] = defaultdict(list)
        self._advantages: list[float] = []

    @property
    def model(self):
        return self.trainer.model

    def run(self, prompts: Sequence[Any], answers: Sequence[str], groups: Sequence[Any], n_updates: int) -> dict:
        """``n_updates`` GRPO updates on these prompts, ``prompts_per_update`` each, in order.

        Returns TRL's metrics averaged over the updates (see :data:`TRL_METRICS`),
        ``advantage_abs_mean`` (mean |advantage| over every completion), and
        per group ``{"advantage_abs_mean", "reward_mean", "n"}`` under ``"groups"``.
        """
        self._updates, self._advantages = [], []
        self._by_group = defaultdict(list)
        dataset = self._dataset_cls.from_dict({"prompt": list(prompts), "answer": list(answers),
                                               "group": list(groups)})
        trainer = self.trainer
        trainer.train_dataset = dataset
        trainer.args.max_steps = n_updates
        if self.optimizer_state == "reset":
            trainer.optimizer = None
        with quiet():
            trainer.train()
        stats: dict[str, Any] = {}
        for trl_name, name in TRL_METRICS.items():
            values = [u[trl_name] for u in self._updates if trl_name in u and math.isfinite(u[trl_name])]
            if values:
                stats[name] = float(np.mean(values))
        stats["advantage_abs_mean"] = float(np.mean(self._advantages)) if self._advantages else float("nan")
        stats["groups"] = {
            group: {"advantage_abs_mean": float(np.mean([a for a, _ in rows])),
                    "reward_mean": float(np.mean([r for _, r in rows])), "n": len(rows)}
            for group, rows in self._by_group.items()
        }
        stats["updates"] = len(self._updates)
        return stats

    # -- checkpointing ---------------------------------------------------------
    def optimizer_state_dict(self) -> dict | None:
        return None if self.trainer.optimizer is None else self.trainer.optimizer.state_dict()

    def load_optimizer_state_dict(self, state: dict | None) -> None:
        if state is None:
            self.trainer.optimizer = None
            return
        if self.trainer.optimizer is None:
            self.trainer.create_optimizer()
        self.trainer.optimizer.load_state_dict(state)
