"""A Stable-Baselines3 agent (PPO, SAC or DQN) as a student on a parameterised task family.

One lesson = ``budget`` env steps of the algorithm's own ``learn(...,
reset_num_timesteps=False)`` on ``n_envs`` vectorised copies of the task
family, all set to the lesson's task. Every lesson starts fresh episodes (the
envs are reseeded from the student's RNG and reset), so each lesson's steps are
all on its task, and an episode still running when the lesson ends is cut
there. Evaluation plays the deterministic policy on a probe set of tasks, one
episode per (task, seed), in lockstep (:func:`~teachgym.students.deeprl.param_task.rollout`).

Determinism: SB3 draws from the global ``random``, ``numpy.random`` and
``torch`` generators. The student keeps its own copy of those three states and
swaps it in around every call into SB3 (and swaps the caller's back), so under
one seed a student gives the same results on CPU whatever else runs in the
process, and its :meth:`SB3Student.state_dict` can resume a run exactly.

SB3 and torch are imported here; the module is loaded only when a deep-RL env
or this student is made.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN, PPO, SAC
from stable_baselines3.common.save_util import recursive_getattr, recursive_setattr
from stable_baselines3.common.utils import get_device
from stable_baselines3.common.vec_env import DummyVecEnv

from teachgym.student import LearnReport, Student
from teachgym.students.deeprl.param_task import Episodes, ParamTaskEnv, check_task, rollout
from teachgym.students.deeprl.sb3_fast_actor import fast_deterministic_actor
from teachgym.utils.rng import PrivateGlobalRNGs
from teachgym.utils.sb3 import without_log_folder
from teachgym.validation import ConfigError, check_choice, check_int, check_kwargs_for

ALGORITHMS = {"ppo": PPO, "sac": SAC, "dqn": DQN}
EVAL_SEED = 1_000_000  # probe episodes use seeds EVAL_SEED, EVAL_SEED + 1, ...: the same start states every time


class _EpisodeRecorder(gym.Wrapper):
    """Keeps the (return, success) of every episode played since the last :meth:`drain`."""

    def __init__(self, env: ParamTaskEnv):
        super().__init__(env)
        self.finished: list[tuple[float, bool]] = []
        self._return = 0.0
        self._steps = 0

    def reset(self, **kwargs):
        self._return, self._steps = 0.0, 0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._steps += 1
        if terminated or truncated:
            self.finished.append((self._return, bool(info.get("is_success", False))))
            self._return, self._steps = 0.0, 0
        return obs, reward, terminated, truncated, info

    def drain(self) -> list[tuple[float, bool]]:
        """Finished episodes, plus the running one (cut here: not a success), then forget them."""
        out = self.finished + ([(self._return, False)] if self._steps else [])
        self.finished = []
        return out


class SB3Student(Student):
    """An SB3 agent learning a :class:`~teachgym.students.deeprl.param_task.ParamTaskEnv` family.

    Args:
        task_family: a :class:`ParamTaskEnv` subclass (or any zero-argument
            callable returning a fresh env of one family).
        algo: "ppo" (default), "sac" (Box actions) or "dqn" (Discrete actions).
        n_envs: training envs stepped together (SB3 ``DummyVecEnv``).
        policy: the SB3 policy ("MlpPolicy").
        algo_kwargs: keyword arguments of the algorithm (``n_steps``,
            ``learning_rate``, ``buffer_size``, ...). Schedules run per lesson
            (SB3 measures progress within each ``learn`` call), so keep them constant.
        device: "auto" (CUDA when available), "cpu" or "cuda".
        torch_threads: on CPU, ``torch.set_num_threads`` (process-wide; None
            leaves it alone). One thread is fastest for small MLPs.
        eval_episodes: episodes per probe task in :meth:`evaluate` (seeds
            ``EVAL_SEED + j``).
    """

    def __init__(self, task_family: type[ParamTaskEnv] | Callable[[], ParamTaskEnv], algo: str = "ppo",
                 n_envs: int = 4, policy: str = "MlpPolicy", algo_kwargs: dict[str, Any] | None = None,
                 device: str = "auto", torch_threads: int | None = 1, eval_episodes: int = 1):
        if not callable(task_family):
            raise ConfigError(f"task_family must be a ParamTaskEnv subclass or a factory, got {task_family!r}")
        self.task_family = task_family
        self.algo = check_choice("algo", algo, ALGORITHMS)
        self.n_envs = check_int("n_envs", n_envs, low=1, high=1024)
        self.policy = policy
        self.algo_kwargs = check_kwargs_for("algo_kwargs", algo_kwargs, ALGORITHMS[self.algo], untyped=("train_freq",),
                                            positive=("n_steps", "batch_size", "n_epochs", "buffer_size"))
        reserved = sorted({"env", "policy", "seed", "device", "verbose", "_init_setup_model"} & set(self.algo_kwargs))
        if reserved:
            raise ConfigError(f"algo_kwargs must not set {reserved}: the student sets them (policy and device are "
                              "arguments of their own)")
        self.eval_episodes = check_int("eval_episodes", eval_episodes, low=1, high=10_000)
        self.device = get_device(check_choice("device", device, ("auto", "cpu", "cuda")))
        if self.device.type == "cpu" and torch_threads is not None:
            torch.set_num_threads(check_int("torch_threads", torch_threads, low=1))
        self._recorders = [_EpisodeRecorder(task_family()) for _ in range(self.n_envs)]
        self.family: type[ParamTaskEnv] = type(self._recorders[0].unwrapped)
        space = self._recorders[0].action_space
        if (self.algo == "sac" and not isinstance(space, gym.spaces.Box)) or \
                (self.algo == "dqn" and not isinstance(space, gym.spaces.Discrete)):
            other = "ppo or dqn" if isinstance(space, gym.spaces.Discrete) else "ppo or sac"
            raise ConfigError(f"algo {self.algo!r} does not support the task family's action space {space}; "
                              f"use {other}")
        self._vec_env = DummyVecEnv([lambda r=r: r for r in self._recorders])
        self._eval_envs: list[ParamTaskEnv] = []
        self._rng = np.random.default_rng(0)
        self._global_rngs = PrivateGlobalRNGs()  # see the module docstring
        self.model = None
        self.env_steps = 0

    def _new_model(self):
        seed = int(self._rng.integers(2**31 - 1))
        self._global_rngs = PrivateGlobalRNGs()  # the algorithm seeds random, numpy and torch from `seed`
        with self._global_rngs.active():
            return without_log_folder(ALGORITHMS[self.algo](self.policy, self._vec_env, seed=seed, device=self.device,
                                                            verbose=0, **self.algo_kwargs))

    # -- Student API -------------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.model = self._new_model()
        self.env_steps = 0

    def forget(self) -> None:
        """Replace the network by a freshly initialised one (a "forgetting student"); keep the step count."""
        self.model = self._new_model()

    def learn(self, lesson, budget: int = 2048) -> LearnReport:
        """Train ``budget`` env steps (rounded up to whole PPO rollouts) on task ``lesson``.

        The outcome is the mean :meth:`ParamTaskEnv.episode_score` of the
        lesson's episodes, counting the cut episodes at the lesson's end.
        """
        self._require_model()
        task = check_task(self.family, lesson)
        budget = check_int("budget", budget, low=1)
        for recorder in self._recorders:
            recorder.unwrapped.set_task(task)
        self._vec_env.seed(int(self._rng.integers(2**31 - 1)))
        self.model._last_obs = None  # SB3 resets the envs at the start of learn(): new episodes on the new task
        before = self.model.num_timesteps
        with self._global_rngs.active():
            self.model.learn(budget, reset_num_timesteps=False)
        work = self.model.num_timesteps - before
        self.env_steps += work
        episodes = [e for r in self._recorders for e in r.drain()]
        scores = [self.family.episode_score(ret, success) for ret, success in episodes]
        successes = [success for _, success in episodes]
        return LearnReport(outcome=float(np.mean(scores)), work=work,
                           extras={"episodes": len(episodes), "success_rate": float(np.mean(successes))})

    def evaluate(self, probes, max_steps: int | None = None) -> np.ndarray:
        """Mean episode score (in [0, 1]) of the deterministic policy on each probe task."""
        episodes = self.play(probes, self.eval_episodes, max_steps)
        return episodes.scores.reshape(-1, self.eval_episodes).mean(axis=1)

    def play(self, tasks, episodes_per_task: int = 1, max_steps: int | None = None) -> Episodes:
        """Play the deterministic policy: ``episodes_per_task`` episodes of each task, task-major order.

        ``max_steps`` cuts the episodes short (not a success; scored on the return so far).
        """
        self._require_model()
        tasks = np.atleast_2d(np.asarray(tasks, dtype=np.float64))
        all_tasks = np.repeat(tasks, episodes_per_task, axis=0)
        seeds = [EVAL_SEED + j for _ in range(len(tasks)) for j in range(episodes_per_task)]
        while len(self._eval_envs) < len(all_tasks):
            self._eval_envs.append(self.task_family())
        with self._global_rngs.active():
            return rollout(self._eval_envs, fast_deterministic_actor(self.model), all_tasks, seeds, max_steps)

    def close(self) -> None:
        self._vec_env.close()
        for env in self._eval_envs:
            env.close()

    def _require_model(self) -> None:
        if self.model is None:
            raise RuntimeError("call reset(rng) before using the student")

    # -- checkpointing -------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The model as tensors and numbers (no pickled objects), the replay buffer's arrays, and every RNG.

        ``"model"`` holds SB3's ``get_parameters()`` (the policy's and optimizers'
        state dicts), the algorithm's other torch variables (SAC's entropy
        coefficient) and its plain counters (``num_timesteps``, ``_n_updates``, ...).
        """
        self._require_model()
        _, variables = self.model._get_torch_save_params()
        model_state = {
            "parameters": copy.deepcopy(self.model.get_parameters()),
            "variables": {name: recursive_getattr(self.model, name).detach().clone() for name in variables
                          if recursive_getattr(self.model, name) is not None},
            "attributes": {key: _plain(value) for key, value in vars(self.model).items()
                           if key not in self.model._excluded_save_params() and _is_plain(value)},
        }
        buffer = getattr(self.model, "replay_buffer", None)
        return {"model": model_state, "rng": self._rng.bit_generator.state,
                "global_rngs": self._global_rngs.states, "env_steps": self.env_steps,
                "action_space_rng": self.model.action_space.np_random.bit_generator.state,
                "replay_buffer": None if buffer is None else _buffer_state(buffer)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Rebuild the model from :meth:`state_dict`'s tensors and numbers; nothing in ``state`` is unpickled."""
        model_state = state.get("model")
        if not isinstance(model_state, dict) or set(model_state) != {"parameters", "variables", "attributes"}:
            raise ConfigError("state['model'] must be the dict of tensors and numbers that state_dict() returns; "
                              f"got {type(model_state).__name__} (SB3 zip bytes are refused: loading them unpickles, "
                              "which can run code they hold)")
        self.model = self._new_model()
        with self._global_rngs.active():
            try:
                self.model.set_parameters(model_state["parameters"], exact_match=True, device=self.device)
            except (KeyError, ValueError, RuntimeError) as exc:
                raise ConfigError(f"state['model'] does not fit this student's {self.algo} model: {exc}") from None
        for name, tensor in model_state["variables"].items():
            if name not in self.model._get_torch_save_params()[1] or not torch.is_tensor(tensor):
                raise ConfigError(f"state['model']['variables'] has {name!r}, which {self.algo} does not hold")
            recursive_setattr(self.model, f"{name}.data", tensor.to(self.device))
        for key, value in model_state["attributes"].items():
            if not (_is_plain(value) and _is_plain(getattr(self.model, key, object()))):
                raise ConfigError(f"state['model']['attributes'] sets {key!r}, which is not a plain setting of the model")
            setattr(self.model, key, value)
        if state.get("replay_buffer") is not None:
            _load_buffer_state(self.model.replay_buffer, state["replay_buffer"])
        self.model.action_space.np_random.bit_generator.state = state["action_space_rng"]
        self._rng.bit_generator.state = state["rng"]
        self._global_rngs = PrivateGlobalRNGs(state["global_rngs"])
        self.env_steps = int(state["env_steps"])


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, np.generic))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _buffer_state(buffer) -> dict[str, Any]:
    """The replay buffer's arrays (dicts of arrays for dict observations), ``pos`` and ``full``."""
    arrays = {key: ({k: v.copy() for k, v in value.items()} if isinstance(value, dict) else value.copy())
              for key, value in vars(buffer).items()
              if isinstance(value, np.ndarray) or (isinstance(value, dict) and value
                                                   and all(isinstance(v, np.ndarray) for v in value.values()))}
    return {"arrays": arrays, "pos": int(buffer.pos), "full": bool(buffer.full)}


def _load_buffer_state(buffer, state: dict[str, Any]) -> None:
    for key, saved in state["arrays"].items():
        current = getattr(buffer, key, None)
        pairs = [(current, saved)] if not isinstance(current, dict) else \
            [(current.get(k), saved.get(k) if isinstance(saved, dict) else None) for k in current]
        for have, new in pairs:
            if not (isinstance(have, np.ndarray) and isinstance(new, np.ndarray) and have.shape == new.shape
                    and have.dtype == new.dtype):
                raise ConfigError(f"state['replay_buffer'] field {key!r} does not fit this student's replay buffer")
        setattr(buffer, key, {k: v.copy() for k, v in saved.items()} if isinstance(saved, dict) else saved.copy())
    buffer.pos, buffer.full = int(state["pos"]), bool(state["full"])
