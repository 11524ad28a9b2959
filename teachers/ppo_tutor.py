"""A tutor that acts with a Stable-Baselines3 PPO policy trained by ``scripts/train_rl_tutor.py``.

Not in the teacher registry: it needs a trained model file. Use it by import path,
``teachgym.run(env_id, "teachgym.teachers.ppo_tutor:PPOTutor", teacher_kwargs={"model_path": ...})``,
or build it directly. The policy sees :func:`tutor_features` of the env's
observation (the same transform the training script applies), so raw counts
and seconds of very different scales reach the network on a log scale.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher
from teachgym.teachers.learning_progress import sample_index
from teachgym.validation import ConfigError


def tutor_features(obs: np.ndarray) -> np.ndarray:
    """``log(1 + obs)`` of a tutor-log observation (float32): the policy's input."""
    return np.log1p(np.maximum(np.asarray(obs, dtype=np.float32), 0.0)).astype(np.float32)


def feature_space(observation_space: spaces.Box) -> spaces.Box:
    """The space of :func:`tutor_features` of observations in ``observation_space``."""
    return spaces.Box(tutor_features(observation_space.low), tutor_features(observation_space.high), dtype=np.float32)


class PPOTutor(Teacher):
    """Act with a saved SB3 PPO policy on :func:`tutor_features` of the observation.

    Args:
        model_path: a ``.zip`` saved by ``PPO.save`` (``scripts/train_rl_tutor.py``).
        deterministic: take the policy's most likely action (default), or draw
            the action from the policy's probabilities with the tutor's own RNG.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete,)

    def __init__(self, model_path: str, deterministic: bool = True):
        super().__init__()
        self.model_path = str(model_path)
        self.deterministic = bool(deterministic)
        self._policy = None

    def _setup(self) -> None:
        if self._policy is None:
            from stable_baselines3 import PPO  # heavy: imported only when the tutor is used

            self._policy = PPO.load(self.model_path, device="cpu")
        expected = self._policy.observation_space.shape
        if self.observation_space is not None and self.observation_space.shape != expected:
            raise ConfigError(f"model_path holds a policy for observations of shape {expected}, "
                              f"but the env's are {self.observation_space.shape}")

    def act(self, obs: Any, info: dict[str, Any]):
        features = tutor_features(obs)
        if self.deterministic:
            action, _ = self._policy.predict(features, deterministic=True)
            return int(action)
        import torch

        with torch.no_grad():
            observation, _ = self._policy.policy.obs_to_tensor(features)
            probabilities = self._policy.policy.get_distribution(observation).distribution.probs[0].numpy()
        return int(sample_index(probabilities.astype(np.float64), self.rng))
