"""GRPO on reasoning-gym (``teachgym/GRPOReasoning-v0``): step time, memory, overhead, teaching quality.

    python benchmarks/bench_grpo_reasoning.py speed --steps 10
    python benchmarks/bench_grpo_reasoning.py overhead --steps 10
    python benchmarks/bench_grpo_reasoning.py quality --seeds 0,1,2,3,4 \\
        --teachers random,rg-threshold,learnability,sec,dump --gain 0.03
    python benchmarks/bench_grpo_reasoning.py quality --seeds 0,1,2 --no-record --out runs/a.json ...
    python benchmarks/bench_grpo_reasoning.py quality --seeds 3,4 --no-record --out runs/b.json ...
    python benchmarks/bench_grpo_reasoning.py quality --from runs/a.json,runs/b.json --gain 0.03 --name NAME
    python benchmarks/bench_grpo_reasoning.py scan --seeds 0,1 --jobs 2 \\
        --env-kwargs '{"tasks": {"datasets": ["chain_sum", "gcd"], "levels": 3}}'

The jobs are those of ``bench_grpo.py`` (same measurements, same bare
``GRPOTrainer`` loop for the overhead, same bootstrap CIs) run on the
reasoning-gym env; ``--env-kwargs`` (JSON) overrides this script's settings
(:data:`SETTINGS`), which keep a CPU run short: a smaller warm-up, 20 teacher
steps of K = 4 GRPO updates. ``quality`` and ``scan`` use
:data:`TEACHING_SETTINGS` on top: the env's own 1500-step warm-up (after 600
steps no arm gains within the budget), 50 teacher steps (200 updates), 16
probes per arm, learning rate 3e-4. ``quality``'s threshold is the mean probe
score over all arms (the target distribution, as the env's score) and by
default the warmed student's plus :data:`DEFAULT_GAIN`. Results are recorded
as ``grpo_reasoning_<job>``.

``quality --from`` merges the ``--out`` files of runs made in parallel (same env
and settings) and records them as one result; ``--gain`` sets the threshold to
the warmed student's probe score plus the gain.

``scan``: what the student can learn from one arm alone. For every arm and
seed, the warmed student practises only that arm for the whole budget
(``n_steps`` teacher steps); the job records every arm's probe score at the
start and the end, the practised arm's curve and its GRPO signal (the fraction
of groups whose rewards differ). ``--jobs`` runs seeds in parallel processes.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_grpo  # noqa: E402
import teachgym  # noqa: E402,F401  (registers the envs whose settings are read below)
from _common import machine, pin_one_thread, record  # noqa: E402

ENV_ID = "teachgym/GRPOReasoning-v0"
SETTINGS = {"n_steps": 20, "updates_per_step": 4, "probes_per_arm": 8, "test_per_arm": 16,
            "tiny": {"warmup_steps": 600}}
# quality and scan: GRPOReasoning-v1's defaults over v0's (200 updates; 16 probes per arm, as 8 leave the mean probe
# score too coarse for a threshold 0.03 above the start; lr 3e-4) and the env's own warm-up (1500 steps; with
# SETTINGS' 600 no arm gains in the budget).
TEACHING_SETTINGS = {**{key: value for key, value in gym.spec("teachgym/GRPOReasoning-v1").kwargs.items()
                        if key not in gym.spec(ENV_ID).kwargs}, "tiny": {"warmup_steps": 1500}}
DEFAULT_GAIN = 0.03


def _scan_seed(env_id: str, env_kwargs: dict, seed: int) -> list[dict]:
    """One seed of the scan: each arm practised alone for the whole budget, from the same warmed student."""
    pin_one_thread()
    env = bench_grpo.make_env(env_id, env_kwargs)
    rows = []
    for arm, name in enumerate(env.family.arm_names):
        _, info = env.reset(seed=seed)
        start = np.asarray(info["arm_accuracy"], dtype=float)
        curve, signal, reward, done = [float(start[arm])], [], [], False
        while not done:
            _, _, terminated, truncated, info = env.step(arm)
            curve.append(float(info["arm_accuracy"][arm]))
            signal.append(1.0 - float(info.get("frac_reward_zero_std", 1.0)))
            reward.append(float(info.get("reward_mean", 0.0)))
            done = terminated or truncated
        end = np.asarray(info["arm_accuracy"], dtype=float)
        others = np.arange(len(end)) != arm
        rows.append({"arm": name, "seed": seed, "start": float(start[arm]), "end": float(end[arm]),
                     "best": max(curve), "last_quarter": float(np.mean(curve[-max(1, len(curve) // 4):])),
                     "curve": curve, "grpo_signal": float(np.mean(signal)), "grpo_reward": float(np.mean(reward)),
                     "others_start": float(start[others].mean()) if others.any() else None,
                     "others_end": float(end[others].mean()) if others.any() else None,
                     "all_start": start.tolist(), "all_end": end.tolist()})
        print(f"seed {seed} {name:>24}: probe {curve[0]:.3f} -> {curve[-1]:.3f} (best {max(curve):.3f}), "
              f"GRPO signal {rows[-1]['grpo_signal']:.2f}, reward {rows[-1]['grpo_reward']:.2f}", flush=True)
    return rows


def bench_scan(args) -> dict:
    """Per arm, averaged over seeds: probe score at the start and end of a run that practises only that arm."""
    context = get_context("spawn")  # torch in forked children is fragile
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), mp_context=context) as pool:
        runs = [row for rows in pool.map(_scan_seed, [args.env] * len(args.seeds), [args.env_kwargs] * len(args.seeds),
                                              args.seeds)
                for row in rows]
    arms = list(dict.fromkeys(r["arm"] for r in runs))
    summary = {}
    for arm in arms:
        mine = [r for r in runs if r["arm"] == arm]
        mean = lambda key: float(np.mean([r[key] for r in mine]))  # noqa: E731
        summary[arm] = {"start": mean("start"), "end": mean("end"), "gain": mean("end") - mean("start"),
                        "last_quarter": mean("last_quarter"), "best": mean("best"),
                        "grpo_signal": mean("grpo_signal"), "grpo_reward": mean("grpo_reward"),
                        "others_change": float(np.mean([r["others_end"] - r["others_start"] for r in mine]))
                        if mine[0]["others_start"] is not None else None}
    return {"runs": runs, "summary": summary, "load": bench_grpo.load_average()}


def scan_table(summary: dict) -> str:
    lines = ["| arm | probe start | end | gain | mean of last quarter | GRPO signal | GRPO reward | others' change |",
             "|---|---|---|---|---|---|---|---|"]
    for arm, s in summary.items():
        other = "–" if s["others_change"] is None else f"{s['others_change']:+.3f}"
        lines.append(f"| {arm} | {s['start']:.3f} | {s['end']:.3f} | {s['gain']:+.3f} | {s['last_quarter']:.3f} | "
                     f"{s['grpo_signal']:.2f} | {s['grpo_reward']:.2f} | {other} |")
    return "\n".join(lines)


def relative_threshold(args, result: dict) -> None:
    """Set ``args.threshold`` to the warmed student's probe score plus ``args.gain`` and summarise again.

    Every run starts from the same warmed student and probe set, so the start is one number.
    """
    starts = {round(run["curve"][0], 12) for run in result["runs"]}
    if len(starts) != 1:
        raise SystemExit(f"--gain: the runs start from different probe scores {sorted(starts)}")
    args.threshold = starts.pop() + args.gain
    kwargs = args.env_kwargs
    result["summary"] = bench_grpo.summarize(result["runs"], args.teachers, args.threshold,
                                             kwargs["updates_per_step"], kwargs["n_steps"])
    result["threshold"] = args.threshold


def merge_quality(args) -> dict:
    """The quality result of several parallel runs' ``--out`` files (same env and settings, any teachers/seeds)."""
    parts = [json.loads(path.read_text()) for path in args.sources]
    for part in parts:
        if part["job"] != "quality" or part["env"] != parts[0]["env"] or part["env_kwargs"] != parts[0]["env_kwargs"]:
            raise SystemExit(f"--from: {args.sources} are not quality runs of one env with the same settings")
    args.env, args.env_kwargs = parts[0]["env"], parts[0]["env_kwargs"]
    runs = [run for part in parts for run in part["runs"]]
    args.teachers = list(dict.fromkeys(run["teacher"] for run in runs))
    args.seeds = sorted({run["seed"] for run in runs})
    kwargs = args.env_kwargs
    summary = bench_grpo.summarize(runs, args.teachers, args.threshold, kwargs["updates_per_step"], kwargs["n_steps"])
    args.parts = [f"{path} (seeds {sorted({r['seed'] for r in part['runs']})})"
                  for path, part in zip(args.sources, parts)]
    return {"job": "quality", "env": args.env, "env_kwargs": kwargs, "machine": machine(), "runs": runs,
            "summary": summary, "load": " / ".join(part["load"] for part in parts)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["speed", "overhead", "quality", "scan"])
    parser.add_argument("--env-kwargs", type=json.loads, default={}, help="JSON dict merged over SETTINGS")
    parser.add_argument("--steps", type=int, default=10, help="teacher steps (speed, overhead)")
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 2, 3, 4])
    parser.add_argument("--teachers", type=lambda s: s.split(","),
                        default=["random", "rg-threshold", "learnability", "sec", "dump"])
    parser.add_argument("--threshold", type=float, default=None,
                        help="target probe score (quality; default: the warmed student's + DEFAULT_GAIN)")
    parser.add_argument("--env", default=ENV_ID, help="a GRPOReasoning env id")
    parser.add_argument("--from", dest="sources", type=lambda s: [Path(x) for x in s.split(",")], default=None,
                        help="quality: summarise and record these --out files of parallel runs instead of running")
    parser.add_argument("--no-record", action="store_true", help="write --out only (a part of a parallel run)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes, one seed each (scan)")
    parser.add_argument("--gain", type=float, default=None,
                        help="quality: the threshold is the warmed student's probe score plus this (overrides "
                             "--threshold)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    parser.add_argument("--name", default=None, help="result name (default grpo_reasoning_<job>)")
    args = parser.parse_args(argv)
    teaching = TEACHING_SETTINGS if args.job in ("quality", "scan") else {}
    args.env_kwargs = {**SETTINGS, **teaching, **args.env_kwargs}
    if args.job == "quality" and args.threshold is None and args.gain is None:
        args.gain = DEFAULT_GAIN
    if args.threshold is None:
        args.threshold = float("inf")  # replaced by the warmed student's probe score + gain
    pin_one_thread()
    jobs = {"speed": bench_grpo.bench_speed, "overhead": bench_grpo.bench_overhead,
            "quality": bench_grpo.bench_quality, "scan": bench_scan}
    if args.sources:
        result = merge_quality(args)
    else:
        result = {"job": args.job, "env": args.env, "env_kwargs": args.env_kwargs, "machine": machine(),
                  **jobs[args.job](args)}
    if args.job == "quality" and args.gain is not None:
        relative_threshold(args, result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=float))
    print(json.dumps({k: v for k, v in result.items() if k not in ("runs", "summary")}, indent=1, default=float))
    if args.no_record:
        return 0
    notes = f"{args.env}, env kwargs {args.env_kwargs}"
    if args.sources:
        notes += f"; merged from parallel runs {', '.join(args.parts)}"
    if args.job == "scan":
        print(scan_table(result["summary"]))
        per_seed = {r["arm"] + f" seed {r['seed']}": {k: r[k] for k in ("start", "end", "best", "grpo_signal")}
                    for r in result["runs"]}
        record(args.name or "grpo_reasoning_scan", "grpo", result["summary"], per_seed,
               notes=f"{notes}; seeds {args.seeds}; each arm practised alone for the whole budget "
                     "(n_steps x updates_per_step GRPO updates) from the same warmed student; probe score = "
                     "greedy answers scored by the dataset's own scorer; 'GRPO signal' = fraction of GRPO groups "
                     "whose rewards differ; 'others' change' = mean probe change of the arms not practised")
        return 0
    if args.job != "quality":
        record(args.name or f"grpo_reasoning_{args.job}", "grpo",
               {k: v for k, v in result.items() if k not in ("job", "env", "env_kwargs", "machine")}, notes=notes)
        return 0
    print(bench_grpo.markdown(result["summary"]))
    finite = lambda values: [v if np.isfinite(v) else None for v in values]  # noqa: E731
    summary = {teacher: {"updates to threshold (capped)": {"mean": s["mean_updates_capped"],
                                                             "ci95": list(s["ci_updates_capped"])},
                         "reached": f"{s['reached']}/{s['runs']}", "ratio to random": s.get("ratio_to_random"),
                         "mean probe score over the episode": {"mean": s["probe_auc_mean"],
                                                               "ci95": list(s["ci_probe_auc"])},
                         "final test score %": {"mean": s["score_mean"], "ci95": list(s["ci_score"])}}
               for teacher, s in result["summary"].items()}
    per_seed = {teacher: finite(s["updates_to_threshold"]) for teacher, s in result["summary"].items()}
    record(args.name or "grpo_reasoning_quality", "grpo", summary,
           {"GRPO updates to the threshold (None: never)": per_seed},
           notes=f"{notes}; threshold {args.threshold:.4f}"
                 + (f" (the warmed student's probe score + {args.gain})" if args.gain is not None else "")
                 + f" (mean probe score over all arms), seeds {args.seeds}; runs "
                 "that never reach it count as the whole budget; 95 % percentile-bootstrap CIs over seeds; "
                 "'random' is the uniform teacher")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
