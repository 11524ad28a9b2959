"""A PPO teacher trained with SB3 against random, ALP-GMM and easy-to-hard, with bootstrap CIs.

1. Train a PPO teacher on ``--env`` with ``--train-kwargs`` (one student
   configuration) for ``--timesteps`` teacher steps (skipped when the model zip
   exists), via :func:`teachgym.training.sb3_teacher.train_teacher`.
2. Evaluate it with ``teachgym.run`` (the ``sb3-policy`` teacher, acting with
   the policy's mode and, seeded, sampling from it) on seeds the training never used, next to the baselines, on the training configuration
   and on each ``--test-kwargs`` configuration (generalisation to another student).

Prints one Markdown table per configuration: per-seed scores, mean, and a 95 %
bootstrap CI of the mean (``scipy.stats.bootstrap``, BCa, 9,999 resamples).

    python benchmarks/bench_rl_teacher.py --env teachgym/GridworldCurriculum-v0 --timesteps 100000 \
        --seeds 5 --test-kwargs '{"max_slip": 0.3}' --test-kwargs '{"learning_rate": 0.2}'
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import machine, pin_one_thread, record

EVAL_SEED_OFFSET = 1000  # evaluation seeds 1000, 1001, ...: never a training seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="teachgym/GridworldCurriculum-v0")
    parser.add_argument("--train-kwargs", default="{}", help="JSON env arguments the teacher trains on")
    parser.add_argument("--test-kwargs", action="append", default=[], help="JSON env arguments to test on (repeatable)")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--algo", default="ppo")
    parser.add_argument("--algo-kwargs", default="{}")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--baselines", default="random,alp-gmm,easy-to-hard")
    parser.add_argument("--out-dir", default="runs/bench_rl_teacher")
    args = parser.parse_args()
    pin_one_thread()
    import numpy as np
    import torch
    from scipy.stats import bootstrap

    import teachgym
    from teachgym.training.sb3_teacher import TeacherTraining, train_teacher

    torch.set_num_threads(1)
    train_kwargs = json.loads(args.train_kwargs)
    run_name = f"{args.env.replace('/', '-')}__{args.algo}__{args.timesteps}"
    model = Path(args.out_dir) / run_name / "model.safetensors"
    print(f"machine: {machine()}\nload average at start: {os.getloadavg()}")
    if not model.exists():
        start = time.perf_counter()
        config = TeacherTraining(env_id=args.env, env_kwargs=train_kwargs, algo=args.algo,
                                 total_timesteps=args.timesteps, algo_kwargs=json.loads(args.algo_kwargs),
                                 eval_freq=max(1, args.timesteps // 10), eval_episodes=2, out_dir=args.out_dir,
                                 run_name=run_name, tensorboard=True)
        train_teacher(config, verbose=0)
        print(f"trained {model} in {time.perf_counter() - start:.0f} s (load {os.getloadavg()})")
    teachers = {f"{args.algo}-teacher": ("sb3-policy", {"path": str(model)}),
                f"{args.algo}-teacher (stochastic)": ("sb3-policy", {"path": str(model), "deterministic": False})}
    teachers.update({name: (name, {}) for name in args.baselines.split(",")})
    seeds = [EVAL_SEED_OFFSET + s for s in range(args.seeds)]
    summary, per_seed = {}, {}
    for label, env_kwargs in [("train", train_kwargs)] + [("test", json.loads(t)) for t in args.test_kwargs]:
        print(f"\n{args.env} {label} configuration {env_kwargs}\n")
        print("| teacher | score per seed | mean | 95 % CI |")
        print("|---|---|---:|---|")
        for label_name, (name, teacher_kwargs) in teachers.items():
            scores = np.array([teachgym.run(args.env, name, seed, teacher_kwargs=teacher_kwargs, **env_kwargs).score
                               for seed in seeds])
            if np.ptp(scores) > 0:
                ci = bootstrap((scores,), np.mean, confidence_level=0.95, n_resamples=9999,
                               random_state=0).confidence_interval
                ci_text = f"[{ci.low:.1f}, {ci.high:.1f}]"
                bounds = [float(ci.low), float(ci.high)]
            else:
                ci_text = f"[{scores[0]:.1f}, {scores[0]:.1f}] (all equal)"
                bounds = [float(scores[0])] * 2
            column = "trained config" if label == "train" else f"test: {json.dumps(env_kwargs)}"
            summary.setdefault(label_name, {})[column] = {"mean": scores.mean(), "ci95": bounds}
            per_seed.setdefault(column, {})[label_name] = scores.tolist()
            print(f"| {label_name} | {', '.join(f'{s:.1f}' for s in scores)} | {scores.mean():.1f} | {ci_text} |",
                  flush=True)
    print(f"\nload average at end: {os.getloadavg()}")
    env_name = args.env.removeprefix("teachgym/").split("Curriculum")[0].lower()
    record(f"rl_teacher_{env_name}", "curriculum", summary, per_seed,
           notes=f"{args.algo} teacher trained {args.timesteps:,} steps on {args.env} {train_kwargs or ''}, evaluated on "
                 f"seeds {seeds[0]}-{seeds[-1]}; 95 % BCa bootstrap CI over seeds")


if __name__ == "__main__":
    main()
