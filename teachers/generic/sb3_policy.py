"""A teacher that acts with a trained Stable-Baselines3 policy (a teacher file, or a trusted SB3 zip).

Train one with ``scripts/train_ppo_teacher.py`` (or
:func:`teachgym.training.sb3_teacher.train_teacher`), then run it like any
other teacher::

    teachgym run --env teachgym/GridworldCurriculum-v0 --teacher sb3-policy \\
        --teacher-kwarg path=runs/teachers/model.safetensors

A ``.safetensors`` teacher file (:mod:`teachgym.training.safe_policy`) loads
without running any code from the file, so it is safe to take from others. An
SB3 ``.zip`` is unpickled when loaded, which can run code it holds: it is
refused unless you pass ``trust_pickle=True`` for a file you produced yourself.

Box lessons are learned in [-1, 1] (``RescaleAction``, see
:mod:`teachgym.training.sb3_teacher`): when the model's action bounds differ
from the env's, actions are mapped back with Gymnasium's own rescaling, so the
env receives exactly what it received during training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher
from teachgym.validation import ConfigError, check_choice

ALGORITHMS = ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")


class SB3PolicyTeacher(Teacher):
    """Act with a saved SB3 policy.

    Args:
        path: a teacher file (``.safetensors``, written by
            :func:`teachgym.training.safe_policy.save_teacher`), or an SB3 zip
            (``model.save(...)``) with ``trust_pickle=True``.
        algo: "auto" (read from the file) or one of ppo, a2c, dqn, sac, td3, ddpg.
        deterministic: act with the policy's mode (default). Otherwise sample;
            torch's generator is then forked and seeded from the teacher's own
            RNG at every step, so runs stay reproducible and global state untouched.
        device: torch device for the policy ("cpu" is fastest for small MLPs).
        trust_pickle: load an SB3 zip with SB3's unpickling loader (with a
            warning). Only for zips you produced yourself: a zip from someone
            else can run any code when unpickled. Without it a zip is refused.
    """

    supported_spaces = (spaces.Box, spaces.Discrete)
    required_packages = {"stable_baselines3": "rl", "torch": "rl"}
    required_kwargs = ("path",)  # a trained model

    def __init__(self, path: str | None = None, algo: str = "auto", deterministic: bool = True,
                 device: str = "cpu", trust_pickle: bool = False):
        super().__init__()
        if path is None or not Path(path).is_file():
            raise ConfigError(f"path must name a teacher file (.safetensors) or an SB3 model zip "
                              f"(sb3-policy path=...), got {path!r}")
        if not isinstance(trust_pickle, bool):
            raise ConfigError(f"trust_pickle must be true or false, got {trust_pickle!r}")
        self.path = str(path)
        algo = check_choice("algo", algo, ("auto", *ALGORITHMS))
        self.deterministic = bool(deterministic)
        from teachgym.training import safe_policy  # heavy (SB3, torch): only when a trained teacher is made

        if safe_policy.is_sb3_zip(self.path):
            self.model = safe_policy.load_sb3_zip(self.path, algo, trust_pickle, device=device)
            self.algo = safe_policy.zip_algorithm(self.path) if algo == "auto" else algo
        else:
            self.model = safe_policy.load_teacher(self.path, device=device)
            if algo not in ("auto", self.model.algo):
                raise ConfigError(f"algo is {algo!r} but {self.path} holds a {self.model.algo} policy")
            self.algo = self.model.algo
        self._to_env = None

    def _setup(self) -> None:
        model_space, env_space = self.model.action_space, self.action_space
        self._to_env = None
        if isinstance(env_space, spaces.Discrete):
            if not isinstance(model_space, spaces.Discrete) or model_space.n != env_space.n:
                raise ConfigError(f"the model at {self.path} acts in {model_space}; this env needs {env_space}")
        else:
            if not isinstance(model_space, spaces.Box) or model_space.shape != env_space.shape:
                raise ConfigError(f"the model at {self.path} acts in {model_space}; this env needs {env_space}")
            same_bounds = np.array_equal(model_space.low, env_space.low) and \
                np.array_equal(model_space.high, env_space.high)
            if not same_bounds:
                from gymnasium.wrappers.utils import rescale_box

                # The inverse of RescaleAction's map: the model's bounds back to the env's.
                self._to_env = rescale_box(env_space, model_space.low, model_space.high)[2]
        if self.observation_space is not None and \
                getattr(self.observation_space, "shape", None) != getattr(self.model.observation_space, "shape", None):
            raise ConfigError(f"the model at {self.path} observes {self.model.observation_space}; "
                              f"this env gives {self.observation_space}")

    def act(self, obs, info):
        if obs is None:
            raise ConfigError("sb3-policy acts on the env's observation; got obs=None")
        if self.deterministic:
            action, _ = self.model.policy.predict(obs, deterministic=True)
        else:
            import torch

            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(self.rng.integers(2**63 - 1)))
                action, _ = self.model.policy.predict(obs, deterministic=False)
        if isinstance(self.action_space, spaces.Discrete):
            return int(np.asarray(action).reshape(()))
        action = np.asarray(action, dtype=self.action_space.dtype).reshape(self.action_space.shape)
        if self._to_env is not None:
            action = self._to_env(action)
        # Only float rounding of the rescaling can leave the box; the training env clips the same way.
        return np.clip(action, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)
