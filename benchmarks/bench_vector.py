"""Vectorised teacher envs and learned teachers: env throughput, PPO training speed, held-out quality.

    python benchmarks/bench_vector.py                      # env speed + PPO training speed
    python benchmarks/bench_vector.py --curve-steps 1000000  # + old vs new PPO defaults learning curves
    python benchmarks/bench_vector.py --evaluation runs/learned/<run>/evaluation.json

1. Teacher steps/s of the batched ToyCurriculum (Box and Discrete lessons) at
   ``--num-envs`` students on one pinned core, next to the single env and
   Gymnasium's ``SyncVectorEnv`` of single envs measured in the same run (ratios
   are what to read on a loaded machine).
   The batched GridworldCurriculum and FineTuneRL-Linear next to their single envs.
2. End-to-end PPO teacher training (:func:`teachgym.training.learned_teacher.train`):
   the previous and the current default settings in turn, teacher steps/s (wall and per
   CPU-second) and the time split (env step, policy inference and SB3 bookkeeping in the
   rollout, PPO update); the current defaults on each ``--train-threads`` count.
3. With ``--curve-steps``: the previous and the current default PPO settings trained with the
   same seeds on a small ToyCurriculumDiscrete grid: training return by quarter of the run and
   scores on held-out students (the new defaults must learn at least as well).
4. With ``--evaluation``: the held-out comparison written by
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


def gridworld_speed(num_envs: int, seconds: float) -> dict[str, float]:
    """Teacher steps/s of the batched GridworldCurriculum at ``num_envs`` learners next to the single env.

    The same 20 lessons (start distance up to 0.6) are taught in both, so the Q-learning
    episodes are comparable; every step pays each learner's exact probe evaluation.
    """
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    rng = np.random.default_rng(0)
    lessons = [(rng.random(3) * 0.6).astype(np.float32) for _ in range(20)]
    vec = gym.make_vec("teachgym/GridworldCurriculum-v0", num_envs=num_envs, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    vector = _rate(vec.step, [np.tile(a, (num_envs, 1)) for a in lessons], num_envs, seconds)
    single = gym.make("teachgym/GridworldCurriculum-v0")
    single.reset(seed=0)

    def single_step(action):
        if single.step(action)[3]:
            single.reset()

    one = _rate(single_step, lessons, 1, seconds)
    return {"grid_num_envs": num_envs, "grid_vector_steps_per_s": vector, "grid_single_steps_per_s": one,
            "grid_vector_over_single": vector / one}


def finetune_speed(num_envs: int, seconds: float) -> dict[str, float]:
    """Teacher steps/s of the batched FineTuneRL-Linear at ``num_envs`` learners next to the single env
    (default arguments; resets, which draw the offline data, are counted as they come)."""
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    rng = np.random.default_rng(0)
    lessons = [rng.random(5).astype(np.float32) for _ in range(20)]
    vec = gym.make_vec("teachgym/FineTuneRL-Linear-v0", num_envs=num_envs, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    vector = _rate(vec.step, [np.tile(a, (num_envs, 1)) for a in lessons], num_envs, seconds)
    single = gym.make("teachgym/FineTuneRL-Linear-v0")
    single.reset(seed=0)

    def single_step(action):
        if single.step(action)[3]:
            single.reset()

    one = _rate(single_step, lessons, 1, seconds)
    return {"linear_num_envs": num_envs, "linear_vector_steps_per_s": vector, "linear_single_steps_per_s": one,
            "linear_vector_over_single": vector / one}


#: PPO settings compared: the previous defaults (64 students x 128 steps per rollout), the previous
#: benchmark run (128 x 128) and the current defaults (256 x 64: the same 2048-sample minibatches,
#: 4 epochs and gradient steps per sample, half as many policy calls per teacher step)
SETTINGS = {"old_defaults": {"num_envs": 64, "rollout_steps": 128},
            "old_bench": {"num_envs": 128, "rollout_steps": 128},
            "new_defaults": {"num_envs": 256, "rollout_steps": 64}}


def _train(steps: int, threads: int, env_kwargs: dict | None = None, seed: int = 0, out_dir: str | None = None,
           **settings) -> dict[str, float]:
    """One PPO run on ToyCurriculumDiscrete's train population: wall and CPU speed, time split, curve."""
    import csv

    from teachgym.training.learned_teacher import LearnedTeacherConfig, train

    with tempfile.TemporaryDirectory() as tmp:
        config = LearnedTeacherConfig(total_timesteps=steps, out_dir=out_dir or tmp, progress=False,
                                      checkpoint_every=0, eval_seeds=0, seed=seed, env_kwargs=env_kwargs or {},
                                      torch_threads=threads, **settings)
        cpu = time.process_time()
        path, report = train(config)
        cpu = time.process_time() - cpu
        with open(os.path.join(report["run_dir"], "progress.csv")) as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("rollout/ep_rew_mean")]
    curve = [(int(r["time/total_timesteps"]), float(r["rollout/ep_rew_mean"])) for r in rows]
    total = report["seconds"]
    return {"steps_per_s": report["steps_per_s"], "steps_per_cpu_s": report["teacher_steps"] / cpu,
            "env_share": report["env_s"] / total, "policy_and_rollout_overhead_share": report["policy_s"] / total,
            "update_share": report["update_s"] / total, "curve": curve, "path": str(path)}


def training_speed(steps: int, threads: list[int], repeats: int) -> dict[str, float]:
    """Teacher steps/s of each of :data:`SETTINGS`, interleaved ``repeats`` times, on 1 torch thread;
    the current defaults also on every count in ``threads``."""
    runs: dict[str, list[dict]] = {}
    for _ in range(repeats):
        for name, settings in SETTINGS.items():
            for n in threads if name == "new_defaults" else [1]:
                runs.setdefault(f"{name}_t{n}", []).append(_train(steps, n, **settings))
    out: dict[str, float] = {"ppo_steps": steps, "ppo_repeats": repeats}
    for label, found in runs.items():
        for key in ("steps_per_s", "steps_per_cpu_s", "env_share", "policy_and_rollout_overhead_share",
                    "update_share"):
            out[f"ppo_{label}_{key}"] = float(np.mean([r[key] for r in found]))
    for label in runs:
        if label != "old_defaults_t1":
            old = out["ppo_old_defaults_t1_steps_per_s"]
            out[f"ppo_{label}_over_old_defaults"] = out[f"ppo_{label}_steps_per_s"] / old
    return out


def learning_curves(steps: int, seeds: int, eval_seeds: int, env_kwargs: dict) -> tuple[dict, dict]:
    """The previous and the current default settings trained with the same seeds on ToyCurriculumDiscrete
    (``env_kwargs``, train population): training return by quarter of the run and held-out scores."""
    from teachgym.training.learned_teacher import evaluate

    summary: dict = {"curve_steps": steps, "curve_seeds": seeds, "curve_env_kwargs": json.dumps(env_kwargs)}
    per_seed: dict = {}
    with tempfile.TemporaryDirectory() as out_dir:
        for name in ("old_defaults", "new_defaults"):
            runs = [_train(steps, 1, env_kwargs, seed, os.path.join(out_dir, f"{name}{seed}"), **SETTINGS[name])
                    for seed in range(seeds)]
            quarters = [[np.mean([v for t, v in r["curve"] if q * steps / 4 < t <= (q + 1) * steps / 4] or [np.nan])
                         for q in range(4)] for r in runs]
            per_seed[f"{name}_train_return_by_quarter"] = quarters
            summary[f"{name}_train_return_last_quarter"] = float(np.nanmean([q[-1] for q in quarters]))
            if eval_seeds:
                scores = evaluate("teachgym/ToyCurriculumDiscrete-v0", {f"s{k}": {"path": r["path"]}
                                                                         for k, r in enumerate(runs)},
                                  eval_seeds, env_kwargs, jobs=1)
                per_seed[f"{name}_held_out_scores"] = scores
                summary[f"{name}_held_out_score"] = float(np.mean([np.mean(v) for v in scores.values()]))
    return summary, per_seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window per measurement")
    parser.add_argument("--grid-envs", type=int, default=64,
                        help="learners of the batched gridworld and FineTuneRL-Linear")
    parser.add_argument("--train-steps", type=int, default=262_144, help="teacher steps per PPO speed run")
    parser.add_argument("--train-threads", default="1,2", help="torch thread counts for the current defaults")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats of the PPO speed runs")
    parser.add_argument("--curve-steps", type=int, default=0, help="teacher steps per learning-curve run (0: none)")
    parser.add_argument("--curve-seeds", type=int, default=2)
    parser.add_argument("--curve-eval-seeds", type=int, default=10, help="held-out students per trained teacher")
    parser.add_argument("--curve-env-kwargs", default='{"n_cells": 4, "arms_per_dim": 4, "n_steps": 500}',
                        help="JSON env arguments of the curve runs (a grid PPO can learn in a short run)")
    parser.add_argument("--evaluation", help="evaluation.json written by scripts/train_learned_teacher.py")
    parser.add_argument("--name", default="vector", help="result name under benchmarks/results/")
    args = parser.parse_args(argv)
    pin_one_thread()
    summary = {"num_envs": args.num_envs, **env_speed(args.num_envs, args.seconds),
               **gridworld_speed(args.grid_envs, args.seconds), **finetune_speed(args.grid_envs, args.seconds)}
    threads = [int(n) for n in args.train_threads.split(",")]
    summary.update(training_speed(args.train_steps, threads, args.repeats))
    per_seed = None
    if args.curve_steps:
        curves, per_seed = learning_curves(args.curve_steps, args.curve_seeds, args.curve_eval_seeds,
                                           json.loads(args.curve_env_kwargs))
        summary.update(curves)
    if args.evaluation:
        with open(args.evaluation) as handle:
            evaluation = json.load(handle)
        per_seed = {**(per_seed or {}), "held_out": evaluation["scores"]}
        best = max((n for n in evaluation["paired"]), key=lambda n: evaluation["paired"][n]["baseline_mean"])
        summary.update({"held_out_best_bandit": best, **{f"held_out_vs_best_{k}": v
                                                         for k, v in evaluation["paired"][best].items()}})
    print(json.dumps(summary, indent=2))
    record(args.name, "curriculum", summary, per_seed,
           notes="env speed: one pinned core (gridworld and FineTuneRL-Linear at --grid-envs learners). "
                 "PPO speed: the settings of SETTINGS trained in turn (interleaved --repeats times) on 1 torch "
                 "thread, the new defaults also on each --train-threads count; steps_per_cpu_s counts the "
                 "process's CPU time. Learning curves: old and new defaults with the same seeds on "
                 "--curve-env-kwargs (train population), training return by quarter and held-out scores. "
                 "held_out_*: from the --evaluation file. Ratios are measured in the same run; the machine is "
                 "shared (see load).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
