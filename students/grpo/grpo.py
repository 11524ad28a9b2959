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
  while the reward function wrapper (:class:`GroupedReward`) recomputes each
  completion's advantage from the rewards TRL passes it, as TRL does.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from teachgym.students.grpo.quiet import quiet
from teachgym.utils.rng import global_rngs_preserved

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


def group_advantages(rewards: Sequence[float], num_generations: int, scale_rewards: str = "group",
                     aggregation: str = "sum_then_normalize", weight: float = 1.0) -> np.ndarray:
    """GRPO advantages of one generation batch of a single reward function, as TRL's GRPOTrainer computes them.

    Completions come in groups of ``num_generations`` consecutive entries (one
    prompt each). As ``GRPOConfig`` says: ``scale_rewards`` "group" divides by
    each group's std, "batch" by the whole batch's, "none" does not scale; stds
    are Bessel-corrected and get 1e-4 added; NaN rewards (unscorable) are left
    out of the statistics and get advantage 0. With ``aggregation``
    (``multi_objective_aggregation``) "normalize_then_sum", rewards are normalised
    within groups, weighted, then normalised over the batch. Exact for a single
    process (TRL normalises over all processes' completions).

    >>> group_advantages([1.0, 0.0, 1.0, 1.0], 2).round(4).tolist()
    [0.707, -0.707, 0.0, 0.0]
    >>> group_advantages([1.0, 0.0, 1.0, 1.0], 2, scale_rewards="none").tolist()
    [0.5, -0.5, 0.0, 0.0]
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    groups = rewards.reshape(-1, num_generations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN groups: their advantage is 0 below
        if aggregation == "normalize_then_sum":
            within = (groups - np.nanmean(groups, axis=1, keepdims=True)) / (_nan_std(groups, axis=1) + 1e-4)
            summed = (within * weight).reshape(-1)
            advantages = (summed - np.nanmean(summed)) / (_nan_std(summed) + 1e-4)
        else:
            groups = groups * weight
            advantages = (groups - np.nanmean(groups, axis=1, keepdims=True)).reshape(-1)
            if scale_rewards == "group":
                advantages = advantages / (np.repeat(_nan_std(groups, axis=1)[:, 0], num_generations) + 1e-4)
            elif scale_rewards == "batch":
                advantages = advantages / (_nan_std(groups.reshape(-1)) + 1e-4)
    return np.nan_to_num(advantages, nan=0.0)


def _nan_std(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    """NaN-ignoring std with Bessel's correction (NaN under two values), as ``trl.trainer.utils.nanstd``."""
    keep = axis is not None
    count = np.sum(~np.isnan(values), axis=axis, keepdims=keep)
    variance = np.nanmean((values - np.nanmean(values, axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=keep)
    return np.sqrt(np.where(count > 1, variance * count / np.maximum(count - 1, 1), np.nan))


def _nan_mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


class GroupedReward:
    """Wraps a reward function; records each completion's group, reward and GRPO advantage.

    TRL calls the reward function once per generation batch with every
    completion, ``num_generations`` consecutive ones per prompt, and the
    dataset's other columns (here ``group``). From those rewards the wrapper
    computes the advantages the trainer uses (:func:`group_advantages`, with the
    trainer's ``scale_rewards``, ``multi_objective_aggregation`` and reward
    weight), so per-group |advantage| rests on TRL's public reward-function
    interface only.

    Args:
        reward_fn: the TRL-style reward function.
        config: the trainer's ``GRPOConfig``.
    """

    def __init__(self, reward_fn: Callable[..., list[float]], config):
        self.reward_fn = reward_fn
        self.__name__ = getattr(reward_fn, "__name__", "reward")  # TRL names metrics after it
        self.num_generations = int(config.num_generations)
        self.scale_rewards = config.scale_rewards
        self.aggregation = getattr(config, "multi_objective_aggregation", "sum_then_normalize")
        weights = getattr(config, "reward_weights", None)
        self.weight = float(weights[0]) if weights else 1.0
        self.rows: list[tuple[Any, float, float]] = []  # (group, |advantage|, reward) since the last clear()

    def __call__(self, prompts=None, completions=None, **kwargs):
        rewards = [float("nan") if r is None else float(r)  # TRL reads None as NaN (unscorable) too
                   for r in self.reward_fn(prompts=prompts, completions=completions, **kwargs)]
        groups = list(kwargs.get("group") or [None] * len(rewards))
        if rewards and len(rewards) % self.num_generations == 0 and len(groups) == len(rewards):
            advantages = group_advantages(rewards, self.num_generations, self.scale_rewards, self.aggregation,
                                          self.weight)
            self.rows.extend(zip(groups, np.abs(advantages).tolist(), rewards))
        return rewards

    def clear(self) -> None:
        self.rows = []


def _make_stats_callback(session: "GRPOSession"):
    from transformers import TrainerCallback

    class StatsCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "reward" in logs:
                session._updates.append({k: float(v) for k, v in logs.items() if isinstance(v, (int, float))})

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
        settings = dict(
            per_device_train_batch_size=prompts_per_update * num_generations, num_generations=num_generations,
            gradient_accumulation_steps=1, max_steps=1, logging_steps=1, lr_scheduler_type="constant",
            warmup_steps=0, report_to="none", save_strategy="no", disable_tqdm=True, shuffle_dataset=False,
            activation_checkpointing=False, dataloader_pin_memory=False, remove_unused_columns=False,
        )
        settings.update(config_kwargs)
        with quiet():
            self.config = GRPOConfig(**settings)
        self.reward = GroupedReward(reward_fn, self.config)
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

    @property
    def model(self):
        return self.trainer.model

    def run(self, prompts: Sequence[Any], answers: Sequence[str], groups: Sequence[Any], n_updates: int) -> dict:
        """``n_updates`` GRPO updates on these prompts, ``prompts_per_update`` each, in order.

        Returns TRL's metrics averaged over the updates (see :data:`TRL_METRICS`),
        ``advantage_abs_mean`` (mean |advantage| over every completion), and
        per group ``{"advantage_abs_mean", "reward_mean", "n"}`` under ``"groups"``.
        """
        self._updates = []
        self.reward.clear()
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
        rows = self.reward.rows
        stats["advantage_abs_mean"] = float(np.mean([a for _, a, _ in rows])) if rows else float("nan")
        by_group: dict[Any, list[tuple[float, float]]] = defaultdict(list)
        for group, advantage, reward in rows:
            by_group[group].append((advantage, reward))
        stats["groups"] = {
            group: {"advantage_abs_mean": float(np.mean([a for a, _ in values])),
                    "reward_mean": _nan_mean([r for _, r in values]), "n": len(values)}
            for group, values in by_group.items()
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
