"""Vectorised teacher envs and learned teachers: env throughput, PPO training speed, held-out quality.

    python benchmarks/bench_vector.py                      # env speed + PPO training speed
    python benchmarks/bench_vector.py --evaluation runs/learned/<run>/evaluation.json

1. Teacher steps/s of the batched ToyCurriculum (Box and Discrete lessons) at
   ``--num-envs`` students on one pinned core, next to the single env and
   Gymnasium's ``SyncVectorEnv`` of single envs measured in the same run (ratios
   are what to read on a loaded machine).
2. End-to-end PPO teacher training (:func:`teachgym.training.learned_teacher.train`)
   with torch on ``--train-threads`` threads: teacher steps/s and the time split
   (env step, policy inference and SB3 bookkeeping in the rollout, PPO update).
3. With ``--evaluation``: the held-out comparison written by
   ``scripts/train_learned_teacher.py`` (paired differences with 95 % bootstrap CIs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_one_thread, record  # noqa: E402


def _rate(step, actions, n, seconds: float) -> float:
    """Teacher steps/s of ``step`` over ``actions`` repeated for about ``seconds``."""
    for a in actions[:3]:
        step(a)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            step(a)
        done += len(actions)
    return done * n / (time.perf_counter() - start)


def env_speed(num_envs: int, seconds: float) -> dict[str, float]:
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    out = {}
    rng = np.random.default_rng(0)
    for label, env_id in (("box", "teachgym/ToyCurriculum-v0"), ("discrete", "teachgym/ToyCurriculumDiscrete-v0")):
        discrete = label == "discrete"

        def batch(n):
            return [rng.integers(0, 25, n) if discrete else rng.random((n, 2)).astype(np.float32) for _ in range(50)]

        vec = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
        vec.reset(seed=0)
        out[f"vector_{label}_steps_per_s"] = _rate(vec.step, batch(num_envs), num_envs, seconds)
        sync = gym.make_vec(env_id, num_envs=64, vectorization_mode="sync")
        sync.reset(seed=0)
        out[f"sync64_{label}_steps_per_s"] = _rate(sync.step, batch(64), 64, seconds)
        single = gym.make(env_id)
        single.reset(seed=0)

        def single_step(action):
            if single.step(action)[3]:  # the teaching budget is spent: a new student
                single.reset()

        out[f"single_{label}_steps_per_s"] = _rate(single_step, [a[0] for a in batch(1)] * 20, 1, seconds)
        out[f"vector_over_single_{label}"] = out[f"vector_{label}_steps_per_s"] / out[f"single_{label}_steps_per_s"]
    return out


def training_speed(steps: int, num_envs: int, threads: int) -> dict[str, float]:
    import torch

    from teachgym.training.learned_teacher import LearnedTeacherConfig, train

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as out_dir:
        config = LearnedTeacherConfig(total_timesteps=steps, num_envs=num_envs, out_dir=out_dir, progress=False,
                                      checkpoint_every=0, eval_seeds=0)
        _, report = train(config)
    total = report["seconds"]
    return {"ppo_steps_per_s": report["steps_per_s"], "ppo_seconds": total, "ppo_env_share": report["env_s"] / total,
            "ppo_policy_and_rollout_overhead_share": report["policy_s"] / total,
            "ppo_update_share": report["update_s"] / total, "ppo_threads": threads, "ppo_num_envs": num_envs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window per measurement")
    parser.add_argument("--train-steps", type=int, default=500_000)
    parser.add_argument("--train-envs", type=int, default=128)
    parser.add_argument("--train-threads", type=int, default=2)
    parser.add_argument("--evaluation", help="evaluation.json written by scripts/train_learned_teacher.py")
    args = parser.parse_args(argv)
    pin_one_thread()
    summary = {"num_envs": args.num_envs, **env_speed(args.num_envs, args.seconds)}
    summary.update(training_speed(args.train_steps, args.train_envs, args.train_threads))
    per_seed = None
    if args.evaluation:
        with open(args.evaluation) as handle:
            evaluation = json.load(handle)
        per_seed = evaluation["scores"]
        best = max((n for n in evaluation["paired"]), key=lambda n: evaluation["paired"][n]["baseline_mean"])
        summary.update({"held_out_best_bandit": best, **{f"held_out_vs_best_{k}": v
                                                         for k, v in evaluation["paired"][best].items()}})
    print(json.dumps(summary, indent=2))
    record("vector", "curriculum", summary, per_seed,
           notes="env speed: one pinned core; PPO: torch on --train-threads threads, env on the main thread. "
                 "Ratios are measured in the same run; the machine is shared (see load).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
