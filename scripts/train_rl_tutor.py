"""Train an RL tutor with Stable-Baselines3 PPO on a tutoring env (Reddy et al., 2017, with PPO for TRPO).

    python scripts/train_rl_tutor.py --env teachgym/Flashcards-HLR-v1

The defaults are the settings that trained the best tutors in benchmarks/RESULTS.md
(tutoring family): ``--features rates --gamma 0.9 --linear-skip --reward-baseline
round-robin``, 300k steps. At gamma 0.99 the HLR policy's argmax collapsed onto one item.

On a review-mask deck env (``teachgym/SpacedRepetition-FSRS-v0``, MultiBinary
actions) the same policies give each card a review probability (SB3's Bernoulli
head; ``--policy itemwise``: one network shared by the cards).
The policy reads ``log(1 + observation)`` (the tutor's log: reviews, correct
answers, seconds since each item's last review, budget used; ``--features rates``
adds each item's correct rate) with one network shared by all items
(``--policy itemwise``), SB3's MLP (``--policy mlp``) or a recurrent policy
(``--policy lstm``: sb3-contrib's RecurrentPPO, which can remember the whole
session, not just the log's counts); each episode is a new student drawn from the
population, so the policy must personalise from the log.
``--reward-baseline round-robin`` trains on the reward minus a round-robin
tutor's on a copy of the same student (same optimum, less variance);
``--oracle`` trains on the env's oracle mode (true recall observed), an upper
reference for what the log alone allows. The model is saved as a teacher file
(``.safetensors``: loads without running code, safe to share; an SB3 ``.zip`` is
written beside it) and used through
``teachgym.teachers.tutoring.ppo_tutor:PPOTutor`` (``benchmarks/bench_tutoring.py --rl-model``).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym


@dataclass
class Args:
    env: str = "teachgym/Flashcards-HLR-v1"
    """the tutoring env id"""
    policy: str = "itemwise"
    """"itemwise" (one network shared by all items, teachgym.teachers.tutoring.itemwise_policy), "mlp" (SB3's MlpPolicy) or
    "lstm" (sb3-contrib's RecurrentPPO with MlpLstmPolicy: a recurrent policy that can remember the whole session)"""
    lstm_hidden_size: int = 64
    """--policy lstm only: LSTM width"""
    features: str = "rates"
    """policy input: "log" (log(1 + log fields)) or "rates" (also each item's smoothed correct rate)"""
    value_net: str = "shared"
    """"shared": the value head reads the policy's item network (SB3 default); "separate": its own copy"""
    linear_skip: bool = True
    """itemwise policy only (other policies ignore it): add a zero-initialised linear map of each item's inputs to its
    logit (--no-linear-skip turns it off)"""
    reward_scale: float = 1.0
    """multiplies the env's reward during training (the closing evaluation reports the unscaled reward)"""
    reward_baseline: str = "round-robin"
    """"round-robin": train on the reward minus what a round-robin tutor earns at the same step on a copy of the same
    student (a control variate: the same optimal policy, less variance between students); "none": the env's reward"""
    env_kwargs: str = "{}"
    """a JSON object of env keyword arguments for training and the closing evaluation, e.g. '{"deck_size": 50}'"""
    oracle: bool = False
    """train and evaluate on the env's oracle mode (the student's true recall in the observation): an upper reference"""
    total_timesteps: int = 300_000
    """PPO env steps"""
    n_envs: int = 8
    """parallel envs (in-process DummyVecEnv)"""
    seed: int = 0
    """seeds PPO and the training envs"""
    learning_rate: float = 3e-4
    """Adam step size"""
    n_steps: int = 200
    """rollout steps per env per update (one 200-step episode)"""
    batch_size: int = 400
    """minibatch size"""
    gamma: float = 0.9
    """discount"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    ent_coef: float = 0.001
    """entropy bonus; policies differ by only a few hundredths of recall per step, so a large bonus keeps it random"""
    out: str = "runs/rl_tutor"
    """folder for the saved model"""
    init_model: str = ""
    """continue training this saved model (its policy and settings) instead of starting a new one: a .safetensors
    teacher file, or an SB3 .zip you produced yourself with --trust-pickle"""
    trust_pickle: bool = False
    """let --init-model load an SB3 .zip, which unpickles it and can run code it holds: only for your own files"""
    eval_episodes: int = 20
    """episodes for the closing evaluation (seeds 10_000..)"""


def parse_args(argv: list[str] | None = None) -> Args:
    """``Args`` from the command line; each option's ``--help`` text is its field's docstring above."""
    from teachgym.dataclass_cli import build_parser

    return Args(**vars(build_parser(Args, description=__doc__).parse_args(argv)))


class RoundRobinBaseline(gym.Wrapper):
    """Reward minus round-robin's reward at the same step on a copy of the same student.

    On a review-mask deck env (``MultiBinary`` actions) the baseline is the registry's
    ``fixed-interval`` tutor (every card every few days), the deck's round-robin.

    At reset the unwrapped env is deep-copied (same student, same RNG state) and the
    registry's round-robin tutor plays the whole episode on the copy; step ``t``
    then returns ``reward_t - baseline_t``. The baseline does not depend on the
    policy's actions, so the optimal policy is unchanged, but the returns no longer
    carry how easy each student is, which the value function would otherwise have
    to guess from a few log entries. ``info["baseline_reward"]`` holds the value
    subtracted.
    """

    def reset(self, **kwargs):
        import copy

        import teachgym

        obs, info = self.env.reset(**kwargs)
        twin = copy.deepcopy(self.env.unwrapped)
        mask = isinstance(twin.action_space, gym.spaces.MultiBinary)
        tutor = teachgym.make_teacher("fixed-interval" if mask else "round-robin")
        tutor.reset(twin.action_space, twin.observation_space, seed=int(twin.np_random.integers(2**31)))
        self._baseline, twin_obs, twin_info, done = [], obs, info, False
        while not done:
            action = tutor.act(twin_obs, twin_info)
            twin_obs, reward, terminated, truncated, twin_info = twin.step(action)
            tutor.update(action, reward, twin_obs, twin_info)
            self._baseline.append(float(reward))
            done = terminated or truncated
        self._t = 0
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        base = self._baseline[self._t] if self._t < len(self._baseline) else 0.0
        self._t += 1
        return obs, reward - base, terminated, truncated, {**info, "baseline_reward": base}


def make_env(env_id: str, features: str = "log", reward_scale: float = 1.0, reward_baseline: str = "none", **kwargs):
    """The tutoring env with the policy's observation transform (and reward baseline and scale)."""
    import functools

    import teachgym  # noqa: F401  (registers the env ids)
    from teachgym.teachers.tutoring.ppo_tutor import feature_space, tutor_features

    env = gym.make(env_id, **kwargs)
    if reward_baseline == "round-robin":
        env = RoundRobinBaseline(env)
    n_items = int(env.action_space.n)
    transform = functools.partial(tutor_features, features=features, n_items=n_items)
    env = gym.wrappers.TransformObservation(env, transform, feature_space(env.observation_space, features, n_items))
    return env if reward_scale == 1.0 else gym.wrappers.TransformReward(env, lambda r: reward_scale * r)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import numpy as np
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    import teachgym
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    torch.set_num_threads(1)
    if args.policy not in ("itemwise", "mlp", "lstm"):
        raise SystemExit(f"--policy must be 'itemwise', 'mlp' or 'lstm', got {args.policy!r}")
    algorithm = PPO
    if args.policy == "lstm":
        try:
            from sb3_contrib import RecurrentPPO as algorithm
        except ImportError:
            raise SystemExit("--policy lstm needs sb3-contrib: pip install 'teachgym[rl]' (or sb3-contrib)") from None
    if args.value_net not in ("shared", "separate"):
        raise SystemExit(f"--value-net must be 'shared' or 'separate', got {args.value_net!r}")
    if args.features not in ("log", "rates"):
        raise SystemExit(f"--features must be 'log' or 'rates', got {args.features!r}")
    if args.reward_baseline not in ("none", "round-robin"):
        raise SystemExit(f"--reward-baseline must be 'none' or 'round-robin', got {args.reward_baseline!r}")
    if not (args.reward_scale > 0 and np.isfinite(args.reward_scale)):
        raise SystemExit(f"--reward-scale must be a positive number, got {args.reward_scale!r}")
    if args.policy == "itemwise":
        from teachgym.teachers.tutoring.itemwise_policy import ItemwisePolicy as policy
    else:
        policy = "MlpLstmPolicy" if args.policy == "lstm" else "MlpPolicy"
    linear_skip = args.linear_skip and args.policy == "itemwise"
    suffix = ("" if args.features == "log" else f"-{args.features}") + ("-skip" if linear_skip else "")
    suffix += ("-rrbase" if args.reward_baseline == "round-robin" else "") + ("-oracle" if args.oracle else "")
    path = Path(args.out) / f"{args.env.split('/')[-1]}__ppo-{args.policy}{suffix}__{args.seed}.safetensors"
    policy_kwargs = {"share_features_extractor": args.value_net == "shared"}
    if linear_skip:
        policy_kwargs["linear_skip"] = True
    if args.policy == "lstm":
        policy_kwargs["lstm_hidden_size"] = args.lstm_hidden_size
    if args.init_model and Path(args.init_model).resolve() in (path.resolve(), path.with_suffix(".zip").resolve()):
        raise SystemExit("--out must differ from the folder of --init-model (the model would be overwritten)")
    import json

    try:
        env_kwargs = json.loads(args.env_kwargs)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--env-kwargs must be a JSON object, got {args.env_kwargs!r}: {exc}") from None
    if not isinstance(env_kwargs, dict):
        raise SystemExit(f"--env-kwargs must be a JSON object, got {args.env_kwargs!r}")
    if args.oracle:
        env_kwargs["oracle"] = True
    vec_env = make_vec_env(lambda: make_env(args.env, args.features, args.reward_scale, args.reward_baseline,
                                            **env_kwargs), n_envs=args.n_envs, seed=args.seed)
    if args.init_model:
        from teachgym.training import safe_policy
        from teachgym.validation import ConfigError

        try:
            if safe_policy.is_sb3_zip(args.init_model):
                model = safe_policy.load_sb3_zip(args.init_model, "auto", args.trust_pickle, env=vec_env,
                                                 option="--trust-pickle")
            else:
                model = safe_policy.load_teacher_model(args.init_model, vec_env)
        except ConfigError as exc:
            raise SystemExit(f"--init-model: {exc}") from None
    else:
        model = algorithm(policy, vec_env, learning_rate=args.learning_rate, n_steps=args.n_steps,
                          batch_size=args.batch_size, gamma=args.gamma, gae_lambda=args.gae_lambda,
                          ent_coef=args.ent_coef, seed=args.seed, device="cpu", verbose=0, policy_kwargs=policy_kwargs)
    start = time.perf_counter()
    model.learn(total_timesteps=args.total_timesteps, reset_num_timesteps=not args.init_model)
    train_s = time.perf_counter() - start
    from teachgym.training.safe_policy import save_teacher

    save_teacher(model, path)
    model.save(path.with_suffix(".zip"))  # for SB3's own tools; teachgym loads the teacher file
    tutor = PPOTutor(str(path), features=args.features)
    returns = [teachgym.run(args.env, tutor, seed=10_000 + i, **env_kwargs).rewards.mean()
               for i in range(args.eval_episodes)]
    print(f"{args.env}: saved {path} after {args.total_timesteps} steps in {train_s:.0f} s; "
          f"mean per-step reward over {args.eval_episodes} new students: {np.mean(returns):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
