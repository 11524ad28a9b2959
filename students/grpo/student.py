"""LMStudent: a causal LM trained with TRL's GRPOTrainer on verifiable rewards."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.grpo.quiet import quiet
from teachgym.students.grpo.tiny import TinyLMConfig, build_tiny_model, greedy_decode
from teachgym.utils.rng import global_rngs_preserved
from teachgym.validation import ConfigError, check_bool, check_choice, check_float, check_int, check_mapping, check_str

# GRPOConfig fields the student sets itself; grpo_kwargs may not override them.
_OWNED_FIELDS = {"per_device_train_batch_size", "num_generations", "max_steps", "max_completion_length",
                 "learning_rate", "temperature", "beta", "seed", "use_cpu", "bf16", "output_dir"}


class LMStudent(Student):
    """A causal language model that learns by GRPO (TRL's ``GRPOTrainer``).

    Two sources:

    - ``model=None`` (default, offline, CPU): the tiny rotary LM of
      :mod:`teachgym.students.grpo.tiny` with a character tokenizer for
      ``alphabet``, warmed up by SFT on ``warmup_problems`` and cached on disk.
    - ``model="org/name"`` or a local path: any Hugging Face causal LM with its own
      tokenizer; prompts go through its chat template when it has one
      (``use_chat_template``), weights load in bf16 where the device supports it,
      and ``lora={...}`` trains a LoRA adapter (peft) instead of all weights.

    A lesson is a list of ``(prompt, answer)`` or ``(prompt, answer, group)``
    problems; :meth:`learn` runs ``budget`` GRPO updates of ``prompts_per_update``
    problems each (so the lesson must hold ``budget * prompts_per_update``), with
    ``num_generations`` sampled completions per problem. One GRPOTrainer lives
    from :meth:`reset` to the next reset: a teaching episode.

    Args:
        reward_fn: TRL reward function ``(completions, answer, **kw) -> list[float]``
            in [0, 1]; also scores greedy answers in :meth:`evaluate`.
        model: None for the tiny offline model, else a hub name or a local path.
        alphabet: characters of prompts and answers (tiny model only).
        warmup_problems: ``(prompt, answer)`` pairs of the SFT warm-up (tiny model only).
        tiny: a :class:`TinyLMConfig` or a dict of its fields.
        cache_dir: where warmed tiny checkpoints are cached (default
            ``$TEACHGYM_CACHE_DIR`` or ``~/.cache/teachgym``).
        prompts_per_update: distinct problems per GRPO update.
        num_generations: completions per problem (GRPO's group size, >= 2).
        max_completion_length: tokens generated per completion (and per greedy answer).
        learning_rate: constant AdamW learning rate (default 1e-4: at 3e-4 and above the tiny
            default student lost accuracy under GRPO within 50 lessons).
        temperature: sampling temperature of GRPO's completions.
        beta: KL coefficient (0: no reference model, TRL's default).
        optimizer_state: "keep" (default: AdamW moments and step count carry over between
            lessons, as in one long GRPO run) or "reset" (a fresh AdamW for every lesson).
        lora: None, or LoRA settings for ``peft.LoraConfig`` (e.g. ``{"r": 8}``).
        use_chat_template: None: use the tokenizer's chat template if it has one.
        device: "cpu", "cuda", ... (default: cuda if available).
        num_threads: torch CPU threads (warm-up build, GRPO, evaluation), set at
            construction; None leaves torch's setting.
        eval_batch_size: prompts per greedy generation (or teacher-forced) batch in :meth:`evaluate`.
        probe_eval: how :meth:`evaluate` finds greedy answers: "generate" (``model.generate``,
            any reward function) or "forced" (one teacher-forced pass per batch, falling back
            on generation for the few probes it cannot settle; see
            :mod:`teachgym.students.grpo.forced`). "forced" gives the same rewards as "generate"
            only for an exact-match reward on stripped text and plain argmax decoding (no
            repetition penalty or other logits processors in the model's generation config).
        grpo_kwargs: further ``GRPOConfig`` fields (``loss_type``, ``scale_rewards``, ...).
        output_dir: the trainer's output directory (nothing is saved there by default).
    """

    def __init__(self, reward_fn: Callable[..., list[float]], model: str | os.PathLike | None = None, *,
                 alphabet: str | None = None, warmup_problems: Sequence[tuple[str, str]] | None = None,
                 tiny: TinyLMConfig | dict | None = None, cache_dir: str | os.PathLike | None = None,
                 prompts_per_update: int = 8, num_generations: int = 8, max_completion_length: int = 8,
                 learning_rate: float = 1e-4, temperature: float = 1.0, beta: float = 0.0,
                 optimizer_state: str = "keep", lora: dict | None = None, use_chat_template: bool | None = None,
                 device: str | None = None, num_threads: int | None = 1, eval_batch_size: int = 1024,
                 probe_eval: str = "generate", grpo_kwargs: dict | None = None,
                 output_dir: str | os.PathLike | None = None):
        import torch

        if not callable(reward_fn):
            raise ConfigError(f"reward_fn must be callable, got {reward_fn!r}")
        self.reward_fn = reward_fn
        self.prompts_per_update = check_int("prompts_per_update", prompts_per_update, low=1)
        self.num_generations = check_int("num_generations", num_generations, low=2)
        self.max_completion_length = check_int("max_completion_length", max_completion_length, low=1)
        self.learning_rate = check_float("learning_rate", learning_rate, low=0.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)
        self.beta = check_float("beta", beta, low=0.0)
        self.optimizer_state = check_choice("optimizer_state", optimizer_state, ("keep", "reset"))
        self.eval_batch_size = check_int("eval_batch_size", eval_batch_size, low=1)
        self.probe_eval = check_choice("probe_eval", probe_eval, ("generate", "forced"))
        self.generated_probes = 0  # probes the last evaluate() had to generate (all of them under "generate")
        self._encoded_probes: dict[tuple, Any] = {}  # probe sets encoded for "forced" (an env has two: probe, test)
        self.grpo_kwargs = check_mapping("grpo_kwargs", grpo_kwargs)
        clash = sorted(set(self.grpo_kwargs) & _OWNED_FIELDS)
        if clash:
            raise ConfigError(f"grpo_kwargs may not set {clash}: use the LMStudent arguments of the same meaning")
        if lora is not None and not isinstance(lora, dict):
            raise ConfigError(f"lora must be None or a dict of peft.LoraConfig fields, got {lora!r}")
        self.lora = lora
        self.device = check_str("device", device, optional=True) or ("cuda" if torch.cuda.is_available() else "cpu")
        if num_threads is not None:  # before the warm-up build: extra threads only spin on a busy machine
            torch.set_num_threads(check_int("num_threads", num_threads, low=1))
        self.output_dir = str(output_dir) if output_dir is not None else os.path.join(
            os.environ.get("TMPDIR", "/tmp"), "teachgym-grpo")

        if model is None:
            if alphabet is None or warmup_problems is None:
                raise ConfigError("the tiny model (model=None) needs alphabet and warmup_problems")
            self.tiny = TinyLMConfig.coerce(tiny)
            self.model_path = build_tiny_model(self.tiny, alphabet, list(warmup_problems), cache_dir)
            self.source = "tiny"
        else:
            self.tiny = None
            self.model_path = Path(model) if Path(model).exists() else model
            self.source = "hf"
        from transformers import AutoTokenizer

        with quiet():
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_path), padding_side="left",
                                                           truncation_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        has_template = getattr(self.tokenizer, "chat_template", None) is not None
        self.use_chat_template = has_template if use_chat_template is None else check_bool("use_chat_template",
                                                                                           use_chat_template)
        if self.use_chat_template and not has_template:
            raise ConfigError(f"use_chat_template=True but the tokenizer of {self.model_path} has no chat template")
        self.use_bf16 = self.device.startswith("cuda") and torch.cuda.is_bf16_supported()
        if self.probe_eval == "forced":
            self._check_plain_greedy()
        self._rng = np.random.default_rng(0)
        self.session = None

    # -- Student API -----------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        """Reload the initial weights and start a new GRPOTrainer (a new teaching episode)."""
        from teachgym.students.grpo.grpo import GRPOSession

        self._rng = rng
        self.session = None  # drop the previous episode's trainer before loading a new model
        config = dict(self.grpo_kwargs)
        config.update(max_completion_length=self.max_completion_length, learning_rate=self.learning_rate,
                      temperature=self.temperature, beta=self.beta, seed=int(rng.integers(2**31)),
                      use_cpu=self.device == "cpu", bf16=self.use_bf16, output_dir=self.output_dir)
        self.session = GRPOSession(self._load_model(), self.tokenizer, self.reward_fn,
                                   prompts_per_update=self.prompts_per_update, num_generations=self.num_generations,
                                   config_kwargs=config, peft_config=self._peft_config(),
                                   optimizer_state=self.optimizer_state)

    def learn(self, lesson: Sequence[Sequence[Any]], budget: int = 1) -> LearnReport:
        """Run ``budget`` GRPO updates on ``lesson`` (``budget * prompts_per_update`` problems).

        Returns:
            outcome: the mean GRPO reward over the sampled completions.
            extras: TRL's statistics averaged over the updates (``reward_mean``,
            ``reward_std``, ``frac_reward_zero_std``, ``entropy``,
            ``completion_length``, ``loss``, ``grad_norm``, ``kl`` when ``beta > 0``),
            ``advantage_abs_mean`` and per-group statistics under ``groups``.
        """
        import torch

        session = self._require_session()
        budget = check_int("budget", budget, low=1)
        rows = [tuple(row) for row in lesson]
        if len(rows) != budget * self.prompts_per_update:
            raise ConfigError(f"a lesson of budget {budget} needs {budget * self.prompts_per_update} problems "
                              f"(prompts_per_update={self.prompts_per_update}), got {len(rows)}")
        if any(len(row) not in (2, 3) for row in rows):
            raise ConfigError("each problem must be (prompt, answer) or (prompt, answer, group)")
        prompts = [self._as_prompt(row[0]) for row in rows]
        answers = [row[1] for row in rows]
        groups = [row[2] if len(row) == 3 else None for row in rows]
        with global_rngs_preserved():  # GRPO's sampling draws from torch's global generator, seeded from ours
            torch.manual_seed(int(self._rng.integers(2**63)))
            stats = session.run(prompts, answers, groups, budget)
        return LearnReport(outcome=stats.get("reward_mean", float("nan")), work=budget, extras=stats)

    def evaluate(self, probes: Sequence[Sequence[Any]]) -> np.ndarray:
        """Reward of the greedy answer to each ``(prompt, answer)`` probe (deterministic)."""
        import torch

        model = self._require_session().model
        probes = [tuple(p) for p in probes]
        if not probes:
            return np.zeros(0)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad(), quiet():
                if self.probe_eval == "generate":
                    rewards, self.generated_probes = self._generated_rewards(model, probes), len(probes)
                    return rewards
                forced = self._forced_probes(probes).evaluate(model, self.reward_fn)
                rewards, self.generated_probes = forced.rewards, int(forced.undecided.size)
                if forced.undecided.size:
                    rewards[forced.undecided] = self._generated_rewards(model, [probes[i] for i in forced.undecided])
                return rewards
        finally:
            model.train(was_training)

    def state_dict(self) -> dict[str, Any]:
        """Trainable weights, optimizer state and RNG (everything a resumed episode needs)."""
        session = self._require_session()
        weights = {k: v.detach().cpu().clone() for k, v in session.model.named_parameters() if v.requires_grad}
        return {"weights": weights, "optimizer": session.optimizer_state_dict(), "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        import torch

        session = self._require_session()
        params = dict(session.model.named_parameters())
        missing = sorted(set(state["weights"]) - set(params))
        if missing:
            raise ConfigError(f"state['weights'] has parameters this model lacks: {missing[:5]}")
        with torch.no_grad():
            for name, value in state["weights"].items():
                params[name].copy_(value.to(params[name].device))
        session.load_optimizer_state_dict(state["optimizer"])
        self._rng.bit_generator.state = state["rng"]

    # -- helpers ---------------------------------------------------------------
    def _require_session(self):
        if self.session is None:
            raise RuntimeError("call reset(rng) before using the student")
        return self.session

    def _load_model(self):
        import torch
        from transformers import AutoModelForCausalLM

        dtype = torch.bfloat16 if self.use_bf16 else torch.float32
        with quiet():
            model = AutoModelForCausalLM.from_pretrained(str(self.model_path), dtype=dtype)
        return model.to(self.device)

    def _peft_config(self):
        if self.lora is None:
            return None
        from peft import LoraConfig

        settings = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.0, "target_modules": "all-linear",
                    "task_type": "CAUSAL_LM", **self.lora}
        try:
            return LoraConfig(**settings)
        except TypeError as error:
            raise ConfigError(f"lora has a field peft.LoraConfig does not know: {error}") from None

    def _as_prompt(self, prompt: str):
        return [{"role": "user", "content": prompt}] if self.use_chat_template else prompt

    def _forced_probes(self, probes: list[tuple]):
        from teachgym.students.grpo.forced import ForcedProbes

        key = tuple(probes)
        if key not in self._encoded_probes:
            if len(self._encoded_probes) >= 4:
                self._encoded_probes.pop(next(iter(self._encoded_probes)))
            self._encoded_probes[key] = ForcedProbes(probes, self._encode_prompts, self.tokenizer,
                                                     self.max_completion_length, self.eval_batch_size)
        return self._encoded_probes[key]

    def _generated_rewards(self, model, probes: list[tuple]) -> np.ndarray:
        completions: list[str] = []
        for start in range(0, len(probes), self.eval_batch_size):
            completions += self._greedy(model, [p[0] for p in probes[start:start + self.eval_batch_size]])
        rewards = self.reward_fn(prompts=[p[0] for p in probes], completions=completions,
                                 answer=[p[1] for p in probes])
        return np.asarray(rewards, dtype=np.float64)

    def _encode_prompts(self, prompts: list[str], **kwargs) -> dict:
        """Token ids of prompts as greedy answers see them (chat template applied if used)."""
        tokenizer = self.tokenizer
        if self.use_chat_template:
            texts = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                   add_generation_prompt=True) for p in prompts]
            return tokenizer(texts, add_special_tokens=False, **kwargs)
        return tokenizer(prompts, **kwargs)

    def _check_plain_greedy(self) -> None:
        """Refuse "forced" for a model whose generation config changes greedy decoding's argmax."""
        from transformers import GenerationConfig

        try:
            config = GenerationConfig.from_pretrained(str(self.model_path))
        except (OSError, ValueError):
            return  # no generation_config.json: transformers' defaults, plain argmax
        default = GenerationConfig()
        changed = {name: getattr(config, name, None) for name in (
            "repetition_penalty", "no_repeat_ngram_size", "bad_words_ids", "suppress_tokens", "begin_suppress_tokens",
            "min_length", "min_new_tokens", "sequence_bias", "forced_bos_token_id", "forced_eos_token_id")
            if getattr(config, name, None) != getattr(default, name, None)}
        if changed:
            raise ConfigError(f"probe_eval='forced' needs plain greedy decoding, but the generation config of "
                              f"{self.model_path} sets {changed}: use probe_eval='generate'")

    def _greedy(self, model, prompts: list[str]) -> list[str]:
        encoded = self._encode_prompts(prompts, padding=True, return_tensors="pt")
        return greedy_decode(model, self.tokenizer, encoded, self.max_completion_length)
