"""Train an RL teacher with Stable-Baselines3 on any teacher env whose spaces SB3 supports.

The logic behind ``scripts/train_ppo_teacher.py``. The teacher env is wrapped
so that SB3 sees what it expects: Box lessons are learned in [-1, 1]
(:class:`RescaleToUnitBox`: Gymnasium's ``RescaleAction`` plus a clip that only
absorbs float rounding of the map, so lessons are never silently moved). The trained model is saved as a
teacher file (``.safetensors``, :mod:`teachgym.training.safe_policy`: loads without running code, safe to share)
that :class:`teachgym.teachers.generic.sb3_policy.SB3PolicyTeacher` loads, and as an SB3 zip for SB3's own tools.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from teachgym.validation import ConfigError, check_choice, check_int

SB3_ACTION_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)
SB3_OBSERVATION_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Dict)
ALGORITHMS = ("ppo", "a2c", "dqn", "sac")


@dataclass
class TeacherTraining:
    """What to train (see ``scripts/train_ppo_teacher.py`` for the meaning of each field)."""

    env_id: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    algo: str = "auto"
    total_timesteps: int = 100_000
    seed: int = 0
    n_envs: int = 1
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    eval_freq: int = 10_000
    eval_episodes: int = 3
    out_dir: str = "runs/teachers"
    run_name: str | None = None
    tensorboard: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.algo = check_choice("algo", self.algo, ("auto", *ALGORITHMS))
        self.total_timesteps = check_int("total_timesteps", self.total_timesteps, low=1)
        self.n_envs = check_int("n_envs", self.n_envs, low=1, high=256)
        self.eval_freq = check_int("eval_freq", self.eval_freq, low=0)
        self.eval_episodes = check_int("eval_episodes", self.eval_episodes, low=1)


def sb3_compatible(env: gym.Env) -> bool:
    """Whether SB3 can learn on ``env``'s action and observation spaces."""
    obs = env.observation_space
    if isinstance(obs, spaces.Dict) and any(isinstance(s, spaces.Dict) for s in obs.spaces.values()):
        return False  # SB3 takes flat Dict observations only
    return isinstance(env.action_space, SB3_ACTION_SPACES) and isinstance(obs, SB3_OBSERVATION_SPACES)


class RescaleToUnitBox(gym.wrappers.RescaleAction):
    """Gymnasium's ``RescaleAction`` to [-1, 1], then a clip to the env's bounds.

    The clip only absorbs float32 rounding of the affine map at the bounds
    (``ClipAction`` cannot sit inside: it makes the space unbounded).
    """

    def __init__(self, env: gym.Env):
        ones = np.ones(env.action_space.shape, dtype=env.action_space.dtype)
        super().__init__(env, -ones, ones)

    def action(self, action):
        return np.clip(super().action(action), self.env.action_space.low, self.env.action_space.high)


def wrap_for_sb3(env: gym.Env) -> gym.Env:
    """Box lessons in [-1, 1], mapped back exactly as SB3PolicyTeacher does (SB3 adds its Monitor)."""
    space = env.action_space
    if isinstance(space, spaces.Box) and not (np.all(space.low == -1.0) and np.all(space.high == 1.0)):
        env = RescaleToUnitBox(env)
    return env


def make_teacher_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    """``gym.make(env_id, **env_kwargs)`` wrapped for SB3; ConfigError if SB3 cannot learn on its spaces."""
    env = gym.make(env_id, **(env_kwargs or {}))
    if not sb3_compatible(env):
        env.close()
        raise ConfigError(f"env_id {env_id!r} has spaces SB3 cannot learn on: action {env.action_space}, "
                          f"observation {env.observation_space}")
    return wrap_for_sb3(env)


def choose_algorithm(algo: str, action_space: spaces.Space) -> str:
    """``"auto"``: PPO (any action space); otherwise check that ``algo`` supports the lessons."""
    if algo == "auto":
        return "ppo"
    if algo == "dqn" and not isinstance(action_space, spaces.Discrete):
        raise ConfigError(f"algo 'dqn' needs Discrete lessons, this env has {action_space}; use ppo or a2c")
    if algo == "sac" and not isinstance(action_space, spaces.Box):
        raise ConfigError(f"algo 'sac' needs Box lessons, this env has {action_space}; use ppo, a2c or dqn")
    return algo


def save_best_callback(path: Path):
    """A ``callback_on_new_best`` for SB3's ``EvalCallback`` that writes each new best model as a teacher file."""
    from stable_baselines3.common.callbacks import BaseCallback

    from teachgym.training.safe_policy import save_teacher

    class SaveBestTeacher(BaseCallback):
        def _on_step(self) -> bool:
            save_teacher(self.model, path)
            return True

    return SaveBestTeacher()


def train_teacher(config: TeacherTraining, verbose: int = 1) -> Path:
    """Train a teacher as ``config`` says; return the path of the saved teacher file.

    Writes ``{out_dir}/{run_name}/``: ``model.safetensors`` (the final model as a
    teacher file, see :mod:`teachgym.training.safe_policy`), ``model.zip`` (the
    same model as an SB3 zip), ``best_model.safetensors`` and ``best_model.zip``
    (best evaluation, when ``eval_freq > 0``),
    ``evaluations.npz`` (SB3's evaluation log), ``config.json``, and TensorBoard
    logs under ``tb/`` when ``tensorboard`` is importable and asked for.
    """
    import stable_baselines3
    from stable_baselines3.common.callbacks import EvalCallback
    from stable_baselines3.common.env_util import make_vec_env

    from teachgym.training.safe_policy import save_teacher

    probe = make_teacher_env(config.env_id, config.env_kwargs)
    algo = choose_algorithm(config.algo, probe.unwrapped.action_space)
    probe.close()
    run_name = config.run_name or f"{config.env_id.replace('/', '-')}__{algo}__{config.seed}__{int(time.time())}"
    run_dir = Path(config.out_dir) / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps({**asdict(config), "algo": algo}, indent=2, default=str))

    def make() -> gym.Env:
        return make_teacher_env(config.env_id, config.env_kwargs)

    vec_env = make_vec_env(make, n_envs=config.n_envs, seed=config.seed)
    tensorboard_log = None
    if config.tensorboard and importlib.util.find_spec("tensorboard") is not None:
        tensorboard_log = str(run_dir / "tb")
    policy = "MultiInputPolicy" if isinstance(vec_env.observation_space, spaces.Dict) else "MlpPolicy"
    model = getattr(stable_baselines3, algo.upper())(policy, vec_env, seed=config.seed, device=config.device,
                                                      verbose=verbose, tensorboard_log=tensorboard_log,
                                                      **config.algo_kwargs)
    callback = None
    if config.eval_freq > 0:
        eval_env = make_vec_env(make, n_envs=1, seed=config.seed + 10_000)
        callback = EvalCallback(eval_env, n_eval_episodes=config.eval_episodes,
                                eval_freq=max(1, config.eval_freq // config.n_envs),
                                best_model_save_path=str(run_dir), log_path=str(run_dir), deterministic=True,
                                verbose=verbose,
                                callback_on_new_best=save_best_callback(run_dir / "best_model.safetensors"))
    model.learn(config.total_timesteps, callback=callback, tb_log_name=run_name)
    model.save(run_dir / "model.zip")
    path = save_teacher(model, run_dir / "model.safetensors")
    vec_env.close()
    return path
