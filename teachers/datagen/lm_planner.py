"""An LM data planner for text-mode envs: a causal LM reads the student's errors and writes the plan.

The prompt holds the taxonomy (from the reset ``info["taxonomy"]``), the env's
text observation (accuracy per skill, recent errors, the plan format) and an
example plan; the model continues it with greedy decoding (deterministic, no
global RNG). The reply goes to the env unchanged: the env parses it and rejects
malformed plans with a message (costing the step), so a weak model wastes
budget rather than crashing anything. Any Hugging Face causal LM works, by hub
name or local path.
"""

from __future__ import annotations

import string
from typing import Any, ClassVar

from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_int

PROMPT = """You plan training data for a student model.
Skills (name: description; subskills):
{skills}
{observation}
Budget: {budget} examples. Example plan:
{example}
Plan:
"""


class LMPlannerTeacher(Teacher):
    """Let a causal LM write each iteration's text plan.

    Args:
        model: a Hugging Face model name or local path (tokenizer in the same place).
        max_new_tokens: length of the generated plan.
        device: torch device for the model.
        num_threads: torch CPU threads while generating (None: leave torch's setting; restored after).
    """

    supported_spaces: ClassVar = (spaces.Text,)
    required_info: ClassVar[tuple[str, ...]] = ("taxonomy",)

    def __init__(self, model: str = "", max_new_tokens: int = 96, device: str = "cpu", num_threads: int | None = None):
        super().__init__()
        if not isinstance(model, str) or not model:
            raise ConfigError("model must be a Hugging Face model name or a local path (a non-empty string)")
        self.model_name = model
        self.max_new_tokens = check_int("max_new_tokens", max_new_tokens, low=1, high=4096)
        self.device = device
        self.num_threads = None if num_threads is None else check_int("num_threads", num_threads, low=1, high=1024)
        self._model = self._tokenizer = None

    def _setup(self) -> None:
        self.taxonomy: dict[str, Any] | None = None
        self.budget = 0
        self.last_prompt = self.last_reply = ""

    def _load(self) -> None:
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name)
            self._model = AutoModelForCausalLM.from_pretrained(self.model_name).to(self.device).eval()

    def prompt(self, obs: str) -> str:
        skills = self.taxonomy["skills"] if self.taxonomy else []
        lines = [f"- {s['name']}: {s['description']}; " + ", ".join(x["name"] for x in s["subskills"]) for s in skills]
        example = "\n".join(f"{s['name']} {max(1, self.budget // max(1, len(skills)))}" for s in skills[:2])
        return PROMPT.format(skills="\n".join(lines), observation=obs, budget=self.budget, example=example)

    def act(self, obs, info):
        if isinstance(keys.TAXONOMY.get(info), dict):
            self.taxonomy = keys.TAXONOMY.get(info)
        if isinstance(keys.LESSON_SPACE.get(info), dict):
            self.budget = int(keys.LESSON_SPACE.get(info).get("budget", 0) or 0)
        self._load()
        import torch

        self.last_prompt = self.prompt(obs if isinstance(obs, str) else str(obs))
        inputs = self._tokenizer(self.last_prompt, return_tensors="pt").to(self.device)
        with torch_threads(self.num_threads), torch.no_grad():
            output = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id)
        reply = self._tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        self.last_reply = reply
        # The reply must be an element of the Text space: keep its characters, cut to its length.
        allowed = set(getattr(self.action_space, "character_set", string.printable))
        return "".join(c for c in reply if c in allowed)[: self.action_space.max_length]
