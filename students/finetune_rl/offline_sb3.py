"""An SB3 off-policy student (DQN or SAC) whose replay buffer mixes offline and online data.

The offline data are transitions of a behaviour policy on a Gymnasium task,
made locally (:mod:`teachgym.students.finetune_rl.sb3_data`) and optionally stored as
``.npz``. :class:`MixedReplayBuffer` is SB3's ``ReplayBuffer`` for the online
transitions plus a fixed offline store; every minibatch takes
``round(offline_share * batch_size)`` samples from the offline store and the
rest from the online buffer (RLPD's symmetric sampling is ``offline_share=0.5``;
Ball et al., 2023). While the online buffer is still empty, whole batches come
from the offline store.

One lesson = ``budget`` online env steps of the algorithm's own
``learn(..., reset_num_timesteps=False)`` with the lesson's offline share.
Each lesson starts a fresh training episode (the env is reseeded from the
student's RNG), so an episode still running when a lesson ends is cut there.
Exploration is constant (DQN: epsilon ``exploration_eps``; SAC: its entropy
term), so a lesson does not depend on how many lessons preceded it.

Determinism: SB3 draws from the global ``random``, ``numpy.random`` and
``torch`` generators. The student keeps its own copy of those three states and
swaps it in around every call into SB3 (and the caller's back), so runs are
reproducible under a seed on CPU and :meth:`state_dict` resumes exactly.
"""

from __future__ import annotations

import contextlib
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN, SAC
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.type_aliases import ReplayBufferSamples

from teachgym.student import LearnReport, Student
from teachgym.utils.rng import PrivateGlobalRNGs, seeded_global_rngs
from teachgym.utils.sb3 import without_log_folder
from teachgym.utils.threads import torch_threads
from teachgym.validation import ConfigError, check_choice, check_float, check_int

EVAL_SEED = 1_000_000  # evaluation episodes use seeds EVAL_SEED, EVAL_SEED + 1, ...: the same starts every time


class MixedReplayBuffer(ReplayBuffer):
    """SB3 replay buffer for online data that draws a share of every batch from offline data.

    Args:
        offline: ``observations``, ``actions``, ``rewards``, ``next_observations``
            and ``terminals`` arrays (see :mod:`teachgym.students.finetune_rl.sb3_data`).
        offline_share: fraction of each batch drawn from ``offline``, in [0, 1].
        *args, **kwargs: SB3's ``ReplayBuffer`` arguments.
    """

    def __init__(self, *args, offline: dict[str, np.ndarray], offline_share: float = 0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.offline_share = check_float("offline_share", offline_share, low=0.0, high=1.0)
        n = len(offline["rewards"])
        self.offline_size = n
        self._offline = (
            np.asarray(offline["observations"], np.float32).reshape(n, *self.obs_shape),
            np.asarray(offline["actions"]).reshape(n, self.action_dim).astype(self.actions.dtype),
            np.asarray(offline["next_observations"], np.float32).reshape(n, *self.obs_shape),
            np.asarray(offline["terminals"], np.float32).reshape(n, 1),
            np.asarray(offline["rewards"], np.float32).reshape(n, 1),
        )

    def offline_batch_size(self, batch_size: int) -> int:
        if self.offline_size == 0:
            return 0
        if self.size() == 0:
            return batch_size
        return int(round(self.offline_share * batch_size))

    def sample(self, batch_size: int, env=None) -> ReplayBufferSamples:
        n_offline = self.offline_batch_size(batch_size)
        if n_offline == 0:
            return super().sample(batch_size, env=env)
        rows = np.random.randint(0, self.offline_size, size=n_offline)
        offline = [self.to_torch(part[rows]) for part in self._offline]
        if n_offline == batch_size:
            return ReplayBufferSamples(*offline)
        online = super().sample(batch_size - n_offline, env=env)
        return ReplayBufferSamples(*(torch.cat([a, b]) for a, b in zip(offline, online[:5])))


class _GlobalRNG(PrivateGlobalRNGs):
    """The student's own copy of the global ``random``, ``numpy.random`` and ``torch`` states, seeded from ``seed``."""

    def __init__(self, seed: int):
        super().__init__(seeded_global_rngs(seed))

    @contextlib.contextmanager
    def active(self, threads: int | None = None):
        """Swap the student's states in (and run torch on ``threads`` intra-op threads) inside the block."""
        with torch_threads(threads), super().active():
            yield


class OfflineSB3Student(Student):
    """DQN or SAC on ``task`` with a :class:`MixedReplayBuffer` (see module docstring).

    Args:
        task: a Gymnasium env id (Discrete actions for DQN, Box for SAC).
        offline: the offline transitions (see :mod:`teachgym.students.finetune_rl.sb3_data`).
        algo: "dqn" or "sac".
        eval_episodes: greedy evaluation episodes per :meth:`evaluate`.
        eval_max_steps: cut evaluation episodes after this many steps (None: the task's limit).
        net_arch, learning_rate, batch_size, buffer_size, learning_starts, gamma,
            target_update_interval, exploration_eps, gradient_steps: SB3 settings.
        torch_threads: torch intra-op threads inside the student's calls (restored
            after each call; None leaves them alone). One is fastest for small MLPs,
            most of all on a loaded CPU.
    """

    def __init__(self, task: str, offline: dict[str, np.ndarray], algo: str = "dqn", eval_episodes: int = 5,
                 eval_max_steps: int | None = None, net_arch: tuple[int, ...] = (64, 64), learning_rate: float = 3e-4,
                 batch_size: int = 64, buffer_size: int = 50_000, learning_starts: int = 64, gamma: float = 0.99,
                 target_update_interval: int = 500, exploration_eps: float = 0.05, gradient_steps: int = 1,
                 torch_threads: int | None = 1):
        self.task = task
        self.algo = check_choice("algo", algo, ("dqn", "sac"))
        self.offline = offline
        self.eval_episodes = check_int("eval_episodes", eval_episodes, low=1, high=10_000)
        self.eval_max_steps = None if eval_max_steps is None else check_int("eval_max_steps", eval_max_steps, low=1)
        self.torch_threads = None if torch_threads is None else check_int("torch_threads", torch_threads, low=1)
        self.settings = {
            "learning_rate": check_float("learning_rate", learning_rate, low=0.0, low_open=True),
            "batch_size": check_int("batch_size", batch_size, low=1),
            "buffer_size": check_int("buffer_size", buffer_size, low=1),
            "learning_starts": check_int("learning_starts", learning_starts, low=0),
            "gamma": check_float("gamma", gamma, low=0.0, high=1.0),
            "gradient_steps": check_int("gradient_steps", gradient_steps, low=1),
            "policy_kwargs": {"net_arch": [check_int("net_arch[i]", n, low=1) for n in net_arch]},
        }
        if self.algo == "dqn":
            self.settings.update(
                target_update_interval=check_int("target_update_interval", target_update_interval, low=1),
                exploration_initial_eps=check_float("exploration_eps", exploration_eps, low=0.0, high=1.0),
                exploration_final_eps=exploration_eps)
        self.env = gym.make(task)
        space = self.env.action_space
        if self.algo == "dqn" and not isinstance(space, gym.spaces.Discrete):
            raise ConfigError(f"algo='dqn' needs a task with Discrete actions; {task} has {space}")
        if self.algo == "sac" and not isinstance(space, gym.spaces.Box):
            raise ConfigError(f"algo='sac' needs a task with Box actions; {task} has {space}")
        self.eval_envs = [gym.make(task) for _ in range(self.eval_episodes)]
        self.model = None
        self.rng = np.random.default_rng(0)

    # -- Student API -----------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._global = _GlobalRNG(int(rng.integers(2**31)))
        algorithm = DQN if self.algo == "dqn" else SAC
        with self._global.active(self.torch_threads):
            self.model = algorithm("MlpPolicy", self.env, train_freq=1, device="cpu", verbose=0,
                                   replay_buffer_class=MixedReplayBuffer,
                                   replay_buffer_kwargs={"offline": self.offline, "offline_share": 1.0},
                                   seed=int(rng.integers(2**31)), **self.settings)
            without_log_folder(self.model)

    def learn(self, lesson: float, budget: int = 1) -> LearnReport:
        """``budget`` online env steps with offline share ``lesson``; outcome: mean return of the
        training episodes finished in the lesson (NaN if none finished)."""
        share = check_float("offline_share", lesson, low=0.0, high=1.0)
        model = self.model
        model.replay_buffer.offline_share = share
        model.env.seed(int(self.rng.integers(2**31)))
        model._last_obs = None  # start a fresh episode: learn() resets the env
        episodes_before = model._episode_num
        with self._global.active(self.torch_threads):
            model.learn(total_timesteps=budget, reset_num_timesteps=False)
        finished = min(model._episode_num - episodes_before, len(model.ep_info_buffer))
        returns = [info["r"] for info in list(model.ep_info_buffer)[len(model.ep_info_buffer) - finished:]]
        return LearnReport(outcome=float(np.mean(returns)) if returns else float("nan"), work=budget)

    def evaluate(self, probes: Any = None) -> np.ndarray:
        """Returns of the greedy policy on ``eval_episodes`` fixed-seed episodes, played in lockstep."""
        envs = self.eval_envs
        obs = np.stack([env.reset(seed=EVAL_SEED + i)[0] for i, env in enumerate(envs)])
        returns = np.zeros(len(envs))
        active = np.ones(len(envs), bool)
        steps = 0
        while active.any() and (self.eval_max_steps is None or steps < self.eval_max_steps):
            with self._global.active(self.torch_threads), torch.no_grad():
                actions, _ = self.model.policy.predict(obs, deterministic=True)
            for i in np.flatnonzero(active):
                obs[i], reward, terminated, truncated, _ = envs[i].step(actions[i])
                returns[i] += reward
                active[i] = not (terminated or truncated)
            steps += 1
        return returns

    def state_dict(self) -> dict[str, Any]:
        model, buffer = self.model, self.model.replay_buffer
        return {
            "rng": self.rng.bit_generator.state,
            "global_rng": self._global.states,
            "policy": {k: v.clone() for k, v in model.policy.state_dict().items()},
            "optimizers": [_copy_optimizer(o) for o in _optimizers(model)],
            "counters": {k: getattr(model, k) for k in ("num_timesteps", "_n_updates", "_n_calls", "_episode_num")
                         if hasattr(model, k)},
            "log_ent_coef": (None if getattr(model, "log_ent_coef", None) is None
                             else model.log_ent_coef.detach().clone()),
            "buffer": {"pos": buffer.pos, "full": buffer.full, "offline_share": buffer.offline_share,
                       **{k: getattr(buffer, k).copy() for k in _BUFFER_ARRAYS}},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        model, buffer = self.model, self.model.replay_buffer
        self.rng.bit_generator.state = state["rng"]
        self._global.states = state["global_rng"]
        model.policy.load_state_dict(state["policy"])
        for optimizer, saved in zip(_optimizers(model), state["optimizers"]):
            optimizer.load_state_dict(saved)
        for key, value in state["counters"].items():
            setattr(model, key, value)
        if state["log_ent_coef"] is not None:
            with torch.no_grad():
                model.log_ent_coef.copy_(state["log_ent_coef"])
        saved = state["buffer"]
        buffer.pos, buffer.full, buffer.offline_share = saved["pos"], saved["full"], saved["offline_share"]
        for key in _BUFFER_ARRAYS:
            getattr(buffer, key)[...] = saved[key]


_BUFFER_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def _optimizers(model) -> list[torch.optim.Optimizer]:
    if isinstance(model, SAC):
        found = [model.actor.optimizer, model.critic.optimizer]
        return found + ([model.ent_coef_optimizer] if model.ent_coef_optimizer is not None else [])
    return [model.policy.optimizer]


def _copy_optimizer(optimizer: torch.optim.Optimizer) -> dict:
    state = optimizer.state_dict()
    return {"state": {k: {n: (t.clone() if torch.is_tensor(t) else t) for n, t in v.items()}
                      for k, v in state["state"].items()},
            "param_groups": [dict(g) for g in state["param_groups"]]}
