"""A tutor that acts with a Stable-Baselines3 PPO policy trained by ``scripts/train_rl_tutor.py``.

The policy is read from a teacher file (``.safetensors``, see
:mod:`teachgym.training.safe_policy`), which loads without running code from
the file. An SB3 ``.zip`` is unpickled when loaded, so it is refused unless
``trust_pickle=True`` (for zips you produced yourself).

Recurrent policies (sb3-contrib's ``RecurrentPPO``, ``--policy lstm``) are
recognised from the saved file; their LSTM state is carried from step to step and
reset with each episode. Sampled actions (``deterministic=False``) are drawn from
the policy's probabilities with the tutor's own RNG, so a seed fixes them.

Not in the teacher registry: it needs a trained model file. Use it by import path,
``teachgym.run(env_id, "teachgym.teachers.tutoring.ppo_tutor:PPOTutor", teacher_kwargs={"model_path": ...})``,
or build it directly. The policy sees :func:`tutor_features` of the env's
observation (the same transform the training script applies), so raw counts
and seconds of very different scales reach the network on a log scale,
optionally with each item's correct rate (``features="rates"``).

On a review-mask deck env (``MultiBinary``, e.g. ``teachgym/SpacedRepetition-FSRS-v0``)
the policy gives each card a review probability (SB3's Bernoulli head); the
tutor marks the cards at probability >= 0.5 (deterministic) or draws each
card with its probability from its own RNG.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher
from teachgym.teachers.common.bandit import sample_index
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
    """Act with a saved SB3 PPO (or sb3-contrib RecurrentPPO) policy on :func:`tutor_features` of the observation.

    Args:
        model_path: a ``.safetensors`` teacher file written by ``scripts/train_rl_tutor.py``
            (or an SB3 ``.zip`` with ``trust_pickle=True``).
        deterministic: take the policy's most likely action (default), or draw
            the action from the policy's probabilities with the tutor's own RNG.
        features: the feature set the policy was trained on (``"log"`` or
            ``"rates"``); None infers it from the policy's input size.
        trust_pickle: load an SB3 ``.zip`` with SB3's unpickling loader (with a
            warning); only for zips you produced yourself.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete, spaces.MultiBinary)
    required_packages: ClassVar[dict[str, str]] = {"stable_baselines3": "rl", "torch": "rl"}

    def __init__(self, model_path: str, deterministic: bool = True, features: str | None = None,
                 trust_pickle: bool = False):
        super().__init__()
        if not isinstance(trust_pickle, bool):
            raise ConfigError(f"trust_pickle must be True or False, got {trust_pickle!r}")
        self.model_path = str(model_path)
        self.trust_pickle = trust_pickle
        self.deterministic = bool(deterministic)
        if features is not None and features not in FEATURE_SETS:
            raise ConfigError(f"features must be None or one of {FEATURE_SETS}, got {features!r}")
        self.features = features
        self._policy = None

    def _setup(self) -> None:
        if self._policy is None:
            from teachgym.training import safe_policy  # heavy imports: only when the tutor is used

            if safe_policy.is_sb3_zip(self.model_path):
                self._policy = safe_policy.load_sb3_zip(self.model_path, "auto", self.trust_pickle)
            else:
                self._policy = safe_policy.load_teacher(self.model_path)
        self._recurrent = getattr(self._policy.policy, "lstm_actor", None) is not None
        self._state = None  # a new episode starts from a zero LSTM state
        expected = self._policy.observation_space.shape
        self._mask = isinstance(self.action_space, spaces.MultiBinary)
        self._n_items = int(np.prod(self.action_space.shape)) if self._mask else int(self.action_space.n)
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
        import torch

        features = tutor_features(obs, self._features, self._n_items)
        policy = self._policy.policy
        policy.set_training_mode(False)
        with torch.no_grad():
            observation, _ = policy.obs_to_tensor(features)
            if self._recurrent:  # the LSTM state carries the session from step to step
                if self._state is None:
                    zeros = torch.zeros(policy.lstm_hidden_state_shape)
                    self._state = (zeros, zeros.clone())
                distribution, self._state = policy.get_distribution(observation, self._state, torch.zeros(1))
            else:
                distribution = policy.get_distribution(observation)
            probabilities = distribution.distribution.probs[0].numpy().astype(np.float64)
        if self._mask:
            draw = probabilities >= 0.5 if self.deterministic else self.rng.random(probabilities.size) < probabilities
            return draw.astype(self.action_space.dtype).reshape(self.action_space.shape)
        if self.deterministic:
            return int(np.argmax(probabilities))
        return int(sample_index(probabilities, self.rng))
