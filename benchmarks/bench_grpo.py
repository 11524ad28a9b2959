"""GRPO curriculum benchmarks: step time and memory, env overhead, teaching quality.

    python benchmarks/bench_grpo.py speed --steps 20
    python benchmarks/bench_grpo.py overhead --steps 20
    python benchmarks/bench_grpo.py quality --seeds 0,1,2,3,4 --teachers random,easy-to-hard,learnability,sec,dump
    python benchmarks/bench_grpo.py summary --from quality.json --threshold 0.6
    python benchmarks/bench_grpo.py build --build-threads 2
    python benchmarks/bench_grpo.py probes --steps 8 --env teachgym/GRPOStrings-v0

``speed``: seconds per teacher step of the default ``GRPOArithmetic-v0`` (K GRPO
updates + probe measurement) and the process's peak RSS. ``overhead``: the same
env steps against a bare loop that calls the same kind of ``GRPOTrainer``
(one per episode, same datasets, same number of updates) directly.
``quality``: GRPO updates until the probe accuracy on the target distribution
(all arms) reaches ``--threshold``, per teacher over seeds, with bootstrap CIs.
``probes``: after each of ``--steps`` random teacher steps, the probe set is
measured by generation and by the teacher-forced pass; counts probes whose
rewards differ and times both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, pin_one_thread, record  # noqa: E402


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_env(env_id: str, kwargs: dict):
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    return gym.make(env_id, **kwargs).unwrapped


def bench_speed(args) -> dict:
    start = time.perf_counter()
    env = make_env(args.env, args.env_kwargs)
    made = time.perf_counter() - start
    env.reset(seed=0)
    env.action_space.seed(0)
    times, cpu = [], []
    for _ in range(args.steps):
        tick, cpu_tick = time.perf_counter(), time.process_time()
        env.step(env.action_space.sample())
        times.append(time.perf_counter() - tick)
        cpu.append(time.process_time() - cpu_tick)
    build = json.loads((Path(env.student.model_path) / "teachgym_build.json").read_text())["seconds"]
    return {"make_s": made, "tiny_build_s": build, "probe_eval": env.student.probe_eval,
            "step_s_median": float(np.median(times)), "step_s_mean": float(np.mean(times)),
            "step_s_max": float(np.max(times)), "step_cpu_s_median": float(np.median(cpu)),
            "step_cpu_s_mean": float(np.mean(cpu)), "peak_rss_mb": peak_rss_mb(), "load": load_average()}


def bench_build(args) -> dict:
    """Wall time of building the warmed tiny student from scratch (a fresh cache dir), per family."""
    import tempfile

    import torch

    from teachgym.envs.grpo.tasks import make_family
    from teachgym.students.grpo.tiny import TinyLMConfig, build_tiny_model

    torch.set_num_threads(args.build_threads)
    config = TinyLMConfig()
    out = {"threads": args.build_threads, "load_before": load_average()}
    for family in ("arithmetic", "strings"):
        tasks = make_family(family)
        with tempfile.TemporaryDirectory() as cache:
            tick = time.perf_counter()
            problems = tasks.warmup_problems(config.warmup_steps * config.warmup_batch_size)
            build_tiny_model(config, tasks.alphabet, problems, cache)
            out[f"{family}_build_s"] = time.perf_counter() - tick
    out["load_after"] = load_average()
    return out


def bench_overhead(args) -> dict:
    """Env steps against a bare loop on a second GRPOTrainer, step by step (interleaved, so both see the same load).

    The bare loop does only what a hand-written GRPO script would: put the env's
    lesson in a ``Dataset``, set ``max_steps`` to K and call ``trainer.train()``.
    Inside each env step the time spent in ``student.learn`` and
    ``student.evaluate`` (the probe measurement) is recorded too.
    """
    import torch
    from datasets import Dataset

    from teachgym.students.grpo.student import LMStudent

    env = make_env(args.env, args.env_kwargs)
    student = env.student
    env.reset(seed=0)
    env.action_space.seed(0)
    bare = LMStudent(student.reward_fn, model=str(student.model_path), prompts_per_update=student.prompts_per_update,
                     num_generations=student.num_generations, max_completion_length=student.max_completion_length)
    bare.reset(np.random.default_rng(0))
    trainer = bare.session.trainer
    spent = {"learn": 0.0, "evaluate": 0.0}
    spent_cpu = {"learn": 0.0, "evaluate": 0.0}
    lessons = []

    def timed(name, method):
        def wrapper(*a, **kw):
            tick, cpu_tick = time.perf_counter(), time.process_time()
            try:
                return method(*a, **kw)
            finally:
                spent[name] += time.perf_counter() - tick
                spent_cpu[name] += time.process_time() - cpu_tick
                if name == "learn":
                    lessons.append((list(a[0]), a[1] if len(a) > 1 else kw.get("budget", 1)))
        return wrapper

    student.learn = timed("learn", student.learn)  # instance attributes: the real methods still run
    student.evaluate = timed("evaluate", student.evaluate)
    env_total = bare_total = env_cpu = bare_cpu = 0.0
    generated = 0
    for _ in range(args.steps):
        tick, cpu_tick = time.perf_counter(), time.process_time()
        env.step(env.action_space.sample())
        env_total += time.perf_counter() - tick
        env_cpu += time.process_time() - cpu_tick
        generated += student.generated_probes
        lesson, budget = lessons[-1]
        tick, cpu_tick = time.perf_counter(), time.process_time()
        trainer.train_dataset = Dataset.from_dict({"prompt": [p for p, _, _ in lesson],
                                                   "answer": [a for _, a, _ in lesson],
                                                   "group": [g for _, _, g in lesson]})
        trainer.args.max_steps = budget
        torch.manual_seed(0)
        trainer.train()
        bare_total += time.perf_counter() - tick
        bare_cpu += time.process_time() - cpu_tick
    n = args.steps
    out = {"probe_eval": student.probe_eval, "probes": len(env._probes), "updates_per_step": env.updates_per_step,
           "generated_probes_per_step": generated / n, "load": load_average()}
    for clock, env_t, bare_t, inside in (("wall", env_total, bare_total, spent), ("cpu", env_cpu, bare_cpu, spent_cpu)):
        out.update({f"{clock}_env_s_per_step": env_t / n, f"{clock}_bare_train_s_per_step": bare_t / n,
                    f"{clock}_learn_s_per_step": inside["learn"] / n,
                    f"{clock}_probe_eval_s_per_step": inside["evaluate"] / n,
                    f"{clock}_env_outside_learn_and_eval_s_per_step": (env_t - inside["learn"] - inside["evaluate"]) / n,
                    f"{clock}_overhead_total": env_t / bare_t - 1.0,
                    f"{clock}_overhead_without_probe_eval": (env_t - inside["evaluate"]) / bare_t - 1.0})
    return out


def bench_probes(args) -> dict:
    """Greedy generation vs the teacher-forced pass on the env's probes, step after step."""
    env = make_env(args.env, args.env_kwargs)
    student = env.student
    env.reset(seed=0)
    env.action_space.seed(0)
    spent = {"generate": [0.0, 0.0], "forced": [0.0, 0.0]}  # wall, CPU
    mismatches, generated = 0, []
    for _ in range(args.steps):
        env.step(env.action_space.sample())
        rewards = {}
        for mode in ("generate", "forced"):
            student.probe_eval = mode
            tick, cpu_tick = time.perf_counter(), time.process_time()
            rewards[mode] = student.evaluate(env._probes)
            spent[mode][0] += time.perf_counter() - tick
            spent[mode][1] += time.process_time() - cpu_tick
        generated.append(student.generated_probes)
        mismatches += int(np.sum(rewards["generate"] != rewards["forced"]))
    n = args.steps
    return {"probes": len(env._probes), "steps": n, "mismatched_probes": mismatches,
            "forced_generated_per_eval": float(np.mean(generated)),
            **{f"{mode}_{clock}_s": spent[mode][i] / n for mode in spent for i, clock in enumerate(("wall", "cpu"))},
            "load": load_average()}


def steps_to_threshold(curve: list[float], threshold: float, updates_per_step: int) -> float:
    """GRPO updates until ``curve`` (one point per teacher step, reset first) reaches ``threshold`` (inf if never)."""
    for step, value in enumerate(curve):
        if value >= threshold:
            return float(step * updates_per_step)
    return float("inf")


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """Percentile bootstrap 95 % CI of the mean."""
    if values.size == 0 or not np.all(np.isfinite(values)):
        return float("nan"), float("nan")
    means = rng.choice(values, size=(n, values.size)).mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def summarize(runs: list[dict], teachers: list[str], threshold: float, updates_per_step: int, n_steps: int) -> dict:
    """Per teacher: GRPO updates to the threshold (runs that never reach it count as the whole budget,
    so their mean is a lower bound), bootstrap 95 % CIs, and the ratio to the random teacher."""
    rng = np.random.default_rng(0)
    budget = float(n_steps * updates_per_step)
    summary = {}
    for name in teachers:
        mine = [r for r in runs if r["teacher"] == name]
        updates = np.array([steps_to_threshold(r["curve"], threshold, updates_per_step) for r in mine])
        capped = np.minimum(updates, budget)
        scores = np.array([r["score"] for r in mine])
        auc = np.array([np.mean(r["curve"]) for r in mine])
        summary[name] = {"updates_to_threshold": updates.tolist(), "reached": int(np.isfinite(updates).sum()),
                         "runs": len(mine), "mean_updates_capped": float(capped.mean()),
                         "ci_updates_capped": bootstrap_ci(capped, rng), "median_updates": float(np.median(updates)),
                         "score_mean": float(scores.mean()), "ci_score": bootstrap_ci(scores, rng),
                         "probe_auc_mean": float(auc.mean()), "ci_probe_auc": bootstrap_ci(auc, rng)}
    if "random" in summary:
        base = summary["random"]["mean_updates_capped"]
        for name in summary:
            summary[name]["ratio_to_random"] = summary[name]["mean_updates_capped"] / base
    return summary


def markdown(summary: dict) -> str:
    lines = ["| teacher | updates to threshold per seed | reached | mean (capped) [95 % CI] | ratio to random | "
             "mean probe acc. over the episode [CI] | final test score % [CI] |", "|---|---|---|---|---|---|---|"]
    for name, s in summary.items():
        per_seed = ", ".join("never" if not np.isfinite(u) else f"{u:.0f}" for u in s["updates_to_threshold"])
        lines.append(f"| {name} | {per_seed} | {s['reached']}/{s['runs']} | {s['mean_updates_capped']:.1f} "
                     f"[{s['ci_updates_capped'][0]:.1f}, {s['ci_updates_capped'][1]:.1f}] | "
                     f"{s.get('ratio_to_random', float('nan')):.2f} | {s['probe_auc_mean']:.3f} "
                     f"[{s['ci_probe_auc'][0]:.3f}, {s['ci_probe_auc'][1]:.3f}] | {s['score_mean']:.1f} "
                     f"[{s['ci_score'][0]:.1f}, {s['ci_score'][1]:.1f}] |")
    return "\n".join(lines)


def bench_quality(args) -> dict:
    import teachgym
    from teachgym.loop import teacher_seed

    env = make_env(args.env, args.env_kwargs)
    runs = []
    for seed in args.seeds:
        for name in args.teachers:
            teacher = teachgym.make_teacher(name)
            obs, info = env.reset(seed=seed)
            teacher.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
            curve, tick, done = [info["target_accuracy"]], time.perf_counter(), False
            while not done:
                action = teacher.act(obs, info)
                obs, reward, terminated, truncated, info = env.step(action)
                teacher.update(action, reward, obs, info)
                curve.append(info["target_accuracy"])
                done = terminated or truncated
            runs.append({"teacher": name, "seed": seed, "curve": curve, "score": info["score"],
                         "seconds": time.perf_counter() - tick})
            print(f"{name:>14} seed {seed}: final probe acc {curve[-1]:.3f}, test score {info['score']:.1f}, "
                  f"{runs[-1]['seconds']:.0f}s", flush=True)
    summary = summarize(runs, args.teachers, args.threshold, env.updates_per_step, env.n_steps)
    return {"runs": runs, "summary": summary, "load": load_average()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["speed", "overhead", "quality", "summary", "build", "probes"])
    parser.add_argument("--env", default="teachgym/GRPOArithmetic-v0")
    parser.add_argument("--env-kwargs", type=json.loads, default={}, help="JSON dict for gym.make")
    parser.add_argument("--steps", type=int, default=20, help="teacher steps (speed, overhead, probes)")
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 2, 3, 4])
    parser.add_argument("--teachers", type=lambda s: s.split(","), default=["random", "easy-to-hard", "learnability",
                                                                             "sec", "dump"])
    parser.add_argument("--build-threads", type=int, default=2, help="torch threads for the warm-up (build)")
    parser.add_argument("--threshold", type=float, default=0.6, help="target probe accuracy (quality)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    parser.add_argument("--from", dest="source", type=Path, default=None, help="a quality JSON to summarise (summary)")
    args = parser.parse_args(argv)
    if args.job == "summary":
        saved = json.loads(args.source.read_text())
        kwargs = saved["env_kwargs"]
        updates = kwargs.get("updates_per_step", 4)
        teachers = list(dict.fromkeys(r["teacher"] for r in saved["runs"]))
        summary = summarize(saved["runs"], teachers, args.threshold, updates, kwargs.get("n_steps", 50))
        print(markdown(summary))
        return 0
    if args.job != "build":
        pin_one_thread()
    jobs = {"speed": bench_speed, "overhead": bench_overhead, "quality": bench_quality, "build": bench_build,
            "probes": bench_probes}
    result = {"job": args.job, "env": args.env, "env_kwargs": args.env_kwargs, "machine": machine(),
              **jobs[args.job](args)}
    text = json.dumps(result, indent=1, default=float)
    if args.out:
        args.out.write_text(text)
    print(json.dumps({k: v for k, v in result.items() if k not in ("runs", "summary")}, indent=1, default=float))
    if "summary" in result:
        print(markdown(result["summary"]))
    save_record(args, result)
    return 0


def save_record(args, result: dict) -> None:
    """The job's result as a benchmark record (``grpo_<job>_<env>``; the build job has no env)."""
    env_name = args.env.removeprefix("teachgym/GRPO").removesuffix("-v0").lower()
    name = "grpo_build" if args.job == "build" else f"grpo_{args.job}_{env_name}"
    notes = f"{args.env}, env kwargs {args.env_kwargs or 'none (the defaults)'}"
    if args.job != "quality":
        summary = {k: v for k, v in result.items() if k not in ("job", "env", "env_kwargs", "machine")}
        record(name, "grpo", summary, notes=notes)
        return
    finite = lambda values: [v if np.isfinite(v) else None for v in values]  # noqa: E731
    summary = {teacher: {"updates to threshold (capped)": {"mean": s["mean_updates_capped"],
                                                             "ci95": list(s["ci_updates_capped"])},
                         "reached": f"{s['reached']}/{s['runs']}", "ratio to random": s.get("ratio_to_random"),
                         "mean probe accuracy over the episode": {"mean": s["probe_auc_mean"],
                                                                  "ci95": list(s["ci_probe_auc"])},
                         "final test score %": {"mean": s["score_mean"], "ci95": list(s["ci_score"])}}
               for teacher, s in result["summary"].items()}
    per_seed = {teacher: finite(s["updates_to_threshold"]) for teacher, s in result["summary"].items()}
    record(name, "grpo", summary, {"GRPO updates to the threshold (None: never)": per_seed},
           notes=f"{notes}; threshold {args.threshold}, seeds {args.seeds}; runs that never reach it count as the "
                 "whole budget; 95 % percentile-bootstrap CIs over seeds")


if __name__ == "__main__":
    raise SystemExit(main())
