"""A tutor that acts with a Stable-Baselines3 PPO policy trained by ``scripts/train_rl_tutor.py``.

Not in the teacher registry: it needs a trained model file. Use it by import path,
``teachgym.run(env_id, "teachgym.teachers.ppo_tutor:PPOTutor", teacher_kwargs={"model_path": ...})``,
or build it directly. The policy sees :func:`tutor_features` of the env's
observation (the same transform the training script applies), so raw counts
and seconds of very different scales reach the network on a log scale,
optionally with each item's correct rate (``features="rates"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher
from teachgym.teachers.learning_progress import sample_index
from teachgym.validation import ConfigError


FEATURE_SETS = ("log", "rates")


def tutor_features(obs: np.ndarray, features: str = "log", n_items: int | None = None) -> np.ndarray:
    """The policy's input (float32) from a tutor-log observation.

    ``"log"``: ``log(1 + obs)``. ``"rates"``: the same, then each item's smoothed
    correct rate ``(correct + 1) / (reviews + 2)`` inserted as one more per-item
    field before the budget entry (needs ``n_items``; the log starts with the
    reviews and correct-answer fields).
    """
    obs = np.maximum(np.asarray(obs, dtype=np.float32), 0.0)
    logged = np.log1p(obs).astype(np.float32)
    if features == "log":
        return logged
    if features != "rates" or n_items is None:
        raise ConfigError(f"features must be one of {FEATURE_SETS} (with n_items for 'rates'), got {features!r}")
    rate = (obs[..., n_items:2 * n_items] + 1.0) / (obs[..., :n_items] + 2.0)
    return np.concatenate([logged[..., :-1], rate, logged[..., -1:]], axis=-1).astype(np.float32)


def feature_space(observation_space: spaces.Box, features: str = "log", n_items: int | None = None) -> spaces.Box:
    """The space of :func:`tutor_features` of observations in ``observation_space``."""
    low, high = (tutor_features(bound, features, n_items) for bound in (observation_space.low, observation_space.high))
    if features == "rates":  # the bounds' rates are not the rates' bounds
        low[-1 - n_items:-1], high[-1 - n_items:-1] = 0.0, 1.0
    return spaces.Box(low, high, dtype=np.float32)


class PPOTutor(Teacher):
    """Act with a saved SB3 PPO policy on :func:`tutor_features` of the observation.

    Args:
        model_path: a ``.zip`` saved by ``PPO.save`` (``scripts/train_rl_tutor.py``).
        deterministic: take the policy's most likely action (default), or draw
            the action from the policy's probabilities with the tutor's own RNG.
        features: the feature set the policy was trained on (``"log"`` or
            ``"rates"``); None infers it from the policy's input size.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete,)

    def __init__(self, model_path: str, deterministic: bool = True, features: str | None = None):
        super().__init__()
        self.model_path = str(model_path)
        self.deterministic = bool(deterministic)
        if features is not None and features not in FEATURE_SETS:
            raise ConfigError(f"features must be None or one of {FEATURE_SETS}, got {features!r}")
        self.features = features
        self._policy = None

    def _setup(self) -> None:
        if self._policy is None:
            from stable_baselines3 import PPO  # heavy: imported only when the tutor is used

            self._policy = PPO.load(self.model_path, device="cpu")
        expected = self._policy.observation_space.shape
        self._n_items = int(self.action_space.n) if isinstance(self.action_space, spaces.Discrete) else None
        self._features = self.features
        if self._features is None:  # "rates" adds one field per item
            extra = expected[0] - (self.observation_space.shape[0] if self.observation_space is not None else 0)
            self._features = "rates" if self.observation_space is not None and extra == self._n_items else "log"
        sizes = {"log": 0, "rates": self._n_items or 0}
        got = None if self.observation_space is None else self.observation_space.shape[0] + sizes[self._features]
        if got is not None and got != expected[0]:
            raise ConfigError(f"model_path holds a policy for inputs of shape {expected}, but the env's observations "
                              f"{self.observation_space.shape} give {self._features!r} features of another size")

    def act(self, obs: Any, info: dict[str, Any]):
        features = tutor_features(obs, self._features, self._n_items)
        if self.deterministic:
            action, _ = self._policy.predict(features, deterministic=True)
            return int(action)
        import torch

        with torch.no_grad():
            observation, _ = self._policy.policy.obs_to_tensor(features)
            probabilities = self._policy.policy.get_distribution(observation).distribution.probs[0].numpy()
        return int(sample_index(probabilities.astype(np.float64), self.rng))
