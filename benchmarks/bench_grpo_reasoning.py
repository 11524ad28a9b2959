"""GRPO on reasoning-gym (``teachgym/GRPOReasoning-v0``): step time, memory, overhead, teaching quality.

    python benchmarks/bench_grpo_reasoning.py speed --steps 10
    python benchmarks/bench_grpo_reasoning.py overhead --steps 10
    python benchmarks/bench_grpo_reasoning.py quality --seeds 0,1,2,3,4 \\
        --teachers random,rg-threshold,learnability,sec,dump --threshold 0.3

The jobs are those of ``bench_grpo.py`` (same measurements, same bare
``GRPOTrainer`` loop for the overhead, same bootstrap CIs) run on the
reasoning-gym env; ``--env-kwargs`` (JSON) overrides this script's settings
(:data:`SETTINGS`), which keep a CPU run short: a smaller warm-up, 20 teacher
steps of K = 4 GRPO updates. Results are recorded as ``grpo_reasoning_<job>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_grpo  # noqa: E402
from _common import machine, pin_one_thread, record  # noqa: E402

ENV_ID = "teachgym/GRPOReasoning-v0"
SETTINGS = {"n_steps": 20, "updates_per_step": 4, "probes_per_arm": 8, "test_per_arm": 16,
            "tiny": {"warmup_steps": 600}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["speed", "overhead", "quality"])
    parser.add_argument("--env-kwargs", type=json.loads, default={}, help="JSON dict merged over SETTINGS")
    parser.add_argument("--steps", type=int, default=10, help="teacher steps (speed, overhead)")
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 2, 3, 4])
    parser.add_argument("--teachers", type=lambda s: s.split(","),
                        default=["random", "rg-threshold", "learnability", "sec", "dump"])
    parser.add_argument("--threshold", type=float, default=0.3, help="target probe score (quality)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON result here")
    parser.add_argument("--name", default=None, help="result name (default grpo_reasoning_<job>)")
    args = parser.parse_args(argv)
    args.env = ENV_ID
    args.env_kwargs = {**SETTINGS, **args.env_kwargs}
    pin_one_thread()
    jobs = {"speed": bench_grpo.bench_speed, "overhead": bench_grpo.bench_overhead,
            "quality": bench_grpo.bench_quality}
    result = {"job": args.job, "env": ENV_ID, "env_kwargs": args.env_kwargs, "machine": machine(),
              **jobs[args.job](args)}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=float))
    print(json.dumps({k: v for k, v in result.items() if k not in ("runs", "summary")}, indent=1, default=float))
    notes = f"{ENV_ID}, env kwargs {args.env_kwargs}"
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
           notes=f"{notes}; threshold {args.threshold} (mean probe score over all arms), seeds {args.seeds}; runs "
                 "that never reach it count as the whole budget; 95 % percentile-bootstrap CIs over seeds; "
                 "'random' is the uniform teacher")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
