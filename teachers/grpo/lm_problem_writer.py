"""A trained LM teacher that writes the problem batches of LMProblemWriter-v0 and -v1 (``path=`` a saved teacher)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.utils.rng import global_rngs_preserved
from teachgym.validation import ConfigError, check_float


class LMProblemWriterTeacher(Teacher):
    """Sample a batch of problems from a causal LM prompted with the student's summary.

    The model is one saved by ``scripts/train_lm_teacher.py`` (safetensors, config and
    tokenizer in one folder) or any local causal LM whose tokenizer covers the
    prompt. The prompt is the env's text observation, or, from a vector
    observation, the same summary rebuilt from it with the skill names saved
    beside the model, followed by a newline; each completion's stripped text is one problem.
    Sampling draws from a torch generator seeded from the teacher's own RNG,
    inside preserved global RNG states, so a seeded teacher repeats its batches.

    Args:
        path: folder of the saved teacher.
        temperature: sampling temperature (> 0).
    """

    supported_spaces: ClassVar = (spaces.Tuple,)
    required_packages: ClassVar[dict[str, str]] = {"torch": "llm", "transformers": "llm"}
    required_kwargs: ClassVar[tuple[str, ...]] = ("path",)

    def __init__(self, path: str = "", temperature: float = 1.0):
        super().__init__()
        if not isinstance(path, str) or not path:
            raise ConfigError("path must be the folder of a saved LM teacher (a non-empty string)")
        self.path = path
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True, high=10.0)
        self._model = self._tokenizer = None
        self._skill_names: list[str] | None = None

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.path)
            self._model = AutoModelForCausalLM.from_pretrained(self.path).eval()

    def _skills(self) -> list[str]:
        """The skill names the teacher was trained with (``teachgym_teacher.json``), for vector observations."""
        if self._skill_names is None:
            config = Path(self.path) / "teachgym_teacher.json"
            names = json.loads(config.read_text()).get("skills") if config.is_file() else None
            if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
                raise ConfigError(f"{config} names no 'skills': give the env observation='text', or save the "
                                  f"teacher with scripts/train_lm_teacher.py")
            self._skill_names = names
        return self._skill_names

    def prompt(self, obs: Any) -> str:
        if isinstance(obs, str):
            return obs + "\n"
        vector = np.asarray(obs, dtype=np.float64)
        skills = self._skills()
        k = len(skills)
        return keys.skill_summary(skills, vector[:k], vector[k:2 * k]) + "\n"  # the env's text observation

    def act(self, obs, info):
        import torch

        self._load()
        n = len(self.action_space.spaces)
        encoded = self._tokenizer([self.prompt(obs)] * n, return_tensors="pt", add_special_tokens=False)
        with global_rngs_preserved(), torch.no_grad():
            torch.manual_seed(int(self.rng.integers(2**31)))
            output = self._model.generate(**encoded, max_new_tokens=10, do_sample=True, temperature=self.temperature,
                                          top_k=0, pad_token_id=self._tokenizer.pad_token_id,
                                          eos_token_id=self._tokenizer.eos_token_id)
        texts = self._tokenizer.batch_decode(output[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
        batch = []
        for space, text in zip(self.action_space.spaces, texts):
            allowed = space.character_set
            batch.append("".join(c for c in text.strip() if c in allowed)[:space.max_length])
        return tuple(batch)
