"""Independent PPO (Stable-Baselines3) on a teachgym multi-agent env.

    python scripts/train_marl.py --env-id teachgym/multiagent/CoTeaching-v0
    python scripts/train_marl.py --env-id teachgym/multiagent/DesignGamePAIRED-v0 --total-timesteps 20000
    python scripts/train_marl.py --env-id teachgym/multiagent/CoTeaching-v0 --env-kwargs shared_weight=1.0

Two routes, chosen by the env's spaces:

- every agent has the same observation and action space (co-teaching, the
  classroom): one PPO shared by all agents (parameter sharing), through
  SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` and
  plain ``PPO.learn``; the co-teaching observation carries the teacher's
  one-hot id, so the shared policy can still act differently per teacher;
- otherwise (the design game: teacher, student, antagonist differ): one PPO per
  agent and a small loop of our own, because SuperSuit's vector env needs
  identical spaces and its padding does not handle Dict observations. Each
  agent's buffer holds only the steps where it acts (its ``action_mask`` allows
  more than the no-op); rewards that arrive while it waits (the teacher's
  round reward) are credited to its last action.

Models go to ``{out_dir}/{env}__ippo__{seed}__{time}/{agent or shared}.zip``
with ``summary.json`` (mean return per agent over the last games, the env's
scores). Arguments are parsed by tyro when installed, by argparse otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from teachgym.cli import parse_kwargs
from teachgym.dataclass_cli import parse_args


@dataclass
class Args:
    """Train independent PPO agents on a teachgym multi-agent env."""

    env_id: str = "teachgym/multiagent/CoTeaching-v0"
    """a registered multi-agent env id (teachgym.envs.multiagent.env_ids())"""
    env_kwargs: list[str] = field(default_factory=list)
    """env settings as key=value pairs (JSON values), e.g. shared_weight=1.0 n_rounds=50"""
    total_timesteps: int = 20_000
    """env steps to train for (per agent in the per-agent route; summed over agents when sharing)"""
    n_steps: int = 256
    """PPO rollout length per agent (per vector env when sharing)"""
    batch_size: int = 64
    """PPO minibatch size"""
    learning_rate: float = 3e-4
    """PPO learning rate"""
    gamma: float = 0.99
    """discount factor"""
    n_envs: int = 1
    """copies of the game stepped together (parameter-sharing route only)"""
    seed: int = 0
    """seed of the env and of every PPO"""
    sharing: str = "auto"
    """auto (share when all spaces are equal), yes, or no (one PPO per agent)"""
    eval_games: int = 3
    """games played after training with the deterministic policies, for summary.json"""
    out_dir: str = "runs/marl"
    """where the run folder goes"""


def spaces_equal(env) -> bool:
    first = env.possible_agents[0]
    return all(env.observation_space(a) == env.observation_space(first)
               and env.action_space(a) == env.action_space(first) for a in env.possible_agents)


def ppo_kwargs(args: Args) -> dict:
    return {"n_steps": args.n_steps, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
            "gamma": args.gamma, "seed": args.seed, "device": "cpu", "verbose": 0}


def train_shared(make_env, args: Args):
    """One PPO for all agents through SuperSuit's vector conversions."""
    import supersuit as ss
    from stable_baselines3 import PPO
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    class SeededVecEnv(SB3VecEnvWrapper):
        """SuperSuit's SB3 wrapper plus ``seed()``, which SB3 calls when PPO gets a seed; used at the next reset."""

        def __init__(self, venv):
            super().__init__(venv)
            self._next_seed = None

        def seed(self, seed=None):
            self._next_seed = seed
            return [seed] * self.num_envs

        def reset(self, seed=None, options=None):
            seed, self._next_seed = (self._next_seed if seed is None else seed), None
            observations, self.reset_infos = self.venv.reset(seed=seed)
            return observations

    venv = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(make_env()), args.n_envs, num_cpus=0,
                                 base_class="stable_baselines3")
    venv = SeededVecEnv(venv.venv)
    policy = "MultiInputPolicy" if isinstance(venv.observation_space, dict) or \
        type(venv.observation_space).__name__ == "Dict" else "MlpPolicy"
    model = PPO(policy, venv, **ppo_kwargs(args))
    model.learn(args.total_timesteps)
    return {"shared": model}


class _AgentLearner:
    """One agent's PPO fed with the steps where the agent acts (see the module docstring)."""

    def __init__(self, model, total_timesteps: int):
        from stable_baselines3.common.utils import obs_as_tensor

        self.model, self.total = model, total_timesteps
        self._to_tensor = lambda obs: obs_as_tensor(_batched(obs), model.device)
        model._setup_learn(total_timesteps, callback=None)
        model.rollout_buffer.reset()
        self.pending = None  # (obs, action, value, log_prob, episode_start) of the last action
        self.reward = 0.0
        self.episode_start = True

    def act(self, obs) -> int:
        import torch

        with torch.no_grad():
            action, value, log_prob = self.model.policy(self._to_tensor(obs))
        self._close_pending(obs, game_over=False)
        self.pending = (obs, action.cpu().numpy(), value, log_prob, self.episode_start)
        self.episode_start = False
        return int(action.cpu().numpy().reshape(-1)[0])

    def end_game(self) -> None:
        self._close_pending(None, game_over=True)
        self.episode_start = True

    def _close_pending(self, next_obs, game_over: bool) -> None:
        if self.pending is None:
            return
        obs, action, value, log_prob, start = self.pending
        buffer = self.model.rollout_buffer
        buffer.add(_batched(obs), action, np.array([self.reward]), np.array([start]), value, log_prob)
        self.pending, self.reward = None, 0.0
        if buffer.full:
            import torch

            if game_over:
                last_value = torch.zeros(1)
            else:
                with torch.no_grad():
                    last_value = self.model.policy.predict_values(self._to_tensor(next_obs))
            buffer.compute_returns_and_advantage(last_values=last_value, dones=np.array([game_over]))
            self.model.num_timesteps += buffer.buffer_size
            self.model._update_current_progress_remaining(self.model.num_timesteps, self.total)
            self.model.train()
            buffer.reset()


def _batched(obs):
    return {k: np.asarray(v)[None] for k, v in obs.items()} if isinstance(obs, dict) else np.asarray(obs)[None]


def _acting(obs) -> bool:
    return not isinstance(obs, dict) or "action_mask" not in obs or int(np.sum(obs["action_mask"])) > 1


def train_per_agent(make_env, args: Args):
    """One PPO per agent, stepped together through the ParallelEnv."""
    import gymnasium as gym
    from stable_baselines3 import PPO

    env = make_env()

    class SpacesOnly(gym.Env):
        """An env that only carries one agent's spaces: PPO needs them to build its networks."""

        def __init__(self, obs_space, act_space):
            self.observation_space, self.action_space = obs_space, act_space

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return self.observation_space.sample(), {}

        def step(self, action):
            raise RuntimeError("SpacesOnly is never stepped: the loop in train_per_agent steps the game")

    learners = {}
    for i, agent in enumerate(env.possible_agents):
        obs_space, act_space = env.observation_space(agent), env.action_space(agent)
        policy = "MultiInputPolicy" if isinstance(obs_space, gym.spaces.Dict) else "MlpPolicy"
        model = PPO(policy, SpacesOnly(obs_space, act_space), **{**ppo_kwargs(args), "seed": args.seed + i})
        learners[agent] = _AgentLearner(model, args.total_timesteps)
    obs, _ = env.reset(seed=args.seed)
    for _ in range(args.total_timesteps):
        actions = {agent: learners[agent].act(obs[agent]) if _acting(obs[agent]) else 0 for agent in env.agents}
        obs, rewards, _, _, _ = env.step(actions)
        for agent, reward in rewards.items():
            learners[agent].reward += float(reward)
        if not env.agents:
            for learner in learners.values():
                learner.end_game()
            obs, _ = env.reset()
    return {agent: learner.model for agent, learner in learners.items()}


def evaluate(make_env, models, games: int, seed: int) -> dict:
    """Mean return per agent and the env's last-step scores over ``games`` games, deterministic policies."""
    env = make_env()
    returns = {agent: [] for agent in env.possible_agents}
    scores: dict[str, list] = {}
    for game in range(games):
        obs, _ = env.reset(seed=10_000 + seed * 100 + game)
        total = dict.fromkeys(env.possible_agents, 0.0)
        while env.agents:
            actions = {}
            for agent in env.agents:
                model = models.get(agent, models.get("shared"))
                actions[agent] = int(np.asarray(model.predict(obs[agent], deterministic=True)[0]).reshape(-1)[0]) \
                    if _acting(obs[agent]) else 0
            obs, rewards, _, _, infos = env.step(actions)
            for agent, reward in rewards.items():
                total[agent] += float(reward)
        for agent in env.possible_agents:
            returns[agent].append(total[agent])
        for key in ("score", "worst_subject", "mean_score", "worst_score"):
            values = [info[key] for info in infos.values() if key in info]
            if values:
                scores.setdefault(key, []).append(float(np.mean(values)))
    return {"mean_return": {a: float(np.mean(r)) for a, r in returns.items()},
            **{key: float(np.mean(v)) for key, v in scores.items()}}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(Args, argv)
    import torch

    from teachgym.envs import multiagent

    torch.set_num_threads(1)
    env_kwargs = parse_kwargs(args.env_kwargs, "env_kwargs")

    def make_env():
        return multiagent.make(args.env_id, **env_kwargs)

    share = {"auto": spaces_equal(make_env()), "yes": True, "no": False}.get(args.sharing)
    if share is None:
        raise SystemExit(f"--sharing must be auto, yes or no, got {args.sharing!r}")
    start = time.time()
    models = train_shared(make_env, args) if share else train_per_agent(make_env, args)
    seconds = time.time() - start
    summary = {"args": asdict(args), "route": "shared (SuperSuit)" if share else "one PPO per agent",
               "train_seconds": round(seconds, 1), **evaluate(make_env, models, args.eval_games, args.seed)}
    name = f"{args.env_id.split('/')[-1]}__ippo__{args.seed}__{int(time.time())}"
    folder = os.path.join(args.out_dir, name)
    os.makedirs(folder, exist_ok=True)
    for agent, model in models.items():
        model.save(os.path.join(folder, f"{agent}.zip"))
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "args"}, indent=1))
    print(f"saved {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
