"""The batched tutoring env as the item-shared tutor policy reads it: the tutor's log on a log scale.

:class:`TutorFeatures` wraps a :class:`teachgym.training.vector_sb3.TeacherVecEnv` of a
tutoring env (observations are the tutor's log, :mod:`teachgym.envs.tutoring.tutor_log`)
and hands SB3 :func:`~teachgym.teachers.tutoring.ppo_tutor.tutor_features` of every
observation (terminal ones included), the same transform the trained tutor
(:class:`~teachgym.teachers.tutoring.ppo_tutor.PPOTutor`) applies when it acts, so
:class:`~teachgym.teachers.tutoring.itemwise_policy.ItemwisePolicy` sees the same
inputs in training and in use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnvWrapper

from teachgym.validation import ConfigError


class TutorFeatures(VecEnvWrapper):
    """``tutor_features(obs, features)`` of a batched tutoring env (one item per ``Discrete`` action).

    Args:
        venv: the batched env (history 1: the log already holds the session).
        features: ``"log"`` or ``"rates"`` (see :func:`tutor_features`).
    """

    def __init__(self, venv, features: str = "rates"):
        if not isinstance(venv.action_space, spaces.Discrete):
            raise ConfigError(f"the item-shared tutor policy needs Discrete item actions, got {venv.action_space}")
        from teachgym.teachers.tutoring.ppo_tutor import feature_space, tutor_features  # a family: imported lazily

        self.n_items = int(venv.action_space.n)
        self.features = features
        self._transform = tutor_features
        super().__init__(venv, observation_space=feature_space(venv.observation_space, features, self.n_items))

    @property
    def step_seconds(self) -> float:
        """Seconds spent in the batched env (the training report's time split)."""
        return self.venv.step_seconds

    def _features(self, obs: np.ndarray) -> np.ndarray:
        return self._transform(obs, self.features, self.n_items)

    def reset(self) -> np.ndarray:
        return self._features(self.venv.reset())

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        for info in infos:
            if "terminal_observation" in info:
                info["terminal_observation"] = self._features(info["terminal_observation"])
        return self._features(obs), rewards, dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return self.venv.get_attr(attr_name, indices)
