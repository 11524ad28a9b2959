"""Discrete teachers inside the gridworld design game (the leaderboard's ``multiagent`` suite), vs random.

Runs the suite's missing runs into a resumable store, then records per env each teacher's IQM and
mean held-out score with 95 % bootstrap CIs, its IQM difference to random with a CI, and the pooled
normalised ranking. Usage: ``python benchmarks/bench_design_teachers.py [--db PATH] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import machine, pin_one_thread, record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="runs/multiagent.sqlite", help="the run store (resumable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sweep-time", help="measured 'cpu_s,wall_s,runs' of an earlier sweep into --db")
    args = parser.parse_args()
    pin_one_thread()
    print(f"machine: {machine()}")
    from teachgym.leaderboard import RunStore, get_suite, plan, run_sweep
    from teachgym.leaderboard.report import leaderboard

    suite = get_suite("multiagent")
    with RunStore(args.db) as store:
        start, load = time.process_time(), os.getloadavg()[0]
        ran = run_sweep(plan(suite), store, jobs=args.jobs).ran
        times = {"runs_now": ran, "load_before": round(load, 2)}
        if args.sweep_time:
            cpu, wall, runs = (float(v) for v in args.sweep_time.split(","))
            times.update(earlier_sweep={"cpu_s": cpu, "wall_s": wall, "runs": int(runs)})
        result, failed = leaderboard(store, suite)
    summary, per_seed = {"times": times, "failed_runs": len(failed)}, {}
    for entry in suite.envs:
        stats = result.per_env[entry.label]
        rows = {}
        for teacher, s in sorted(stats.items(), key=lambda kv: -kv[1].iqm):
            rows[teacher] = {"iqm": round(s.iqm, 2), "iqm_ci": [round(v, 2) for v in s.iqm_ci],
                             "mean": round(s.mean, 2), "n": s.n,
                             "vs_random": None if s.vs_baseline is None else [round(v, 2) for v in s.vs_baseline]}
            per_seed[f"{entry.title}: {teacher}"] = [round(v, 3) for v in s.scores]
        beats = [t for t, r in rows.items() if r["vs_random"] and r["vs_random"][1] > 0]
        worse = [t for t, r in rows.items() if r["vs_random"] and r["vs_random"][2] < 0]
        summary[entry.title] = {"teachers": rows, "CI above random": beats, "CI below random": worse}
        print(entry.title, "above random:", beats, "below:", worse, flush=True)
    ranking = result.rankings[0] if hasattr(result, "rankings") and result.rankings else None
    if ranking is not None:
        summary["pooled ranking"] = [row.teacher for row in getattr(ranking, "rows", [])]
    record("multiagent_design_teachers", "multiagent", summary, per_seed, notes=(
        f"store {args.db}; --jobs {args.jobs}; suite multiagent (1500 rounds per run, Q-learning partners); "
        "score: student's exact greedy success on the gridworld TEST_SET (40 tasks), %; CIs: 95 % bootstrap"))


if __name__ == "__main__":
    main()
