"""Local-pool speed-up of a leaderboard sweep: ``--jobs 1`` vs ``--jobs N`` on the same suite.

    python benchmarks/bench_leaderboard.py --suite quick --jobs 2

Each sweep writes into a fresh temporary SQLite store, so both do all the runs.
Target: >= 1.8x with 2 jobs on 2 cores for the quick suite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import machine, pin_one_thread, record


def sweep_seconds(suite_name: str, jobs: int, seeds: int | None) -> tuple[float, int]:
    from teachgym.leaderboard import RunStore, get_suite, plan, run_sweep

    specs = plan(get_suite(suite_name), seeds=seeds)
    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "lb.sqlite") as store:
        start = time.perf_counter()
        summary = run_sweep(specs, store, jobs=jobs)
        return time.perf_counter() - start, summary.ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, help="override the suite's seed count")
    args = parser.parse_args()
    pin_one_thread()
    print(f"machine: {machine()}\n")
    serial, runs = sweep_seconds(args.suite, 1, args.seeds)
    parallel, _ = sweep_seconds(args.suite, args.jobs, args.seeds)
    print(f"| suite | runs | --jobs 1 (s) | --jobs {args.jobs} (s) | speed-up |\n|---|---|---|---|---|")
    print(f"| {args.suite} | {runs} | {serial:.1f} | {parallel:.1f} | {serial / parallel:.2f}x |")
    record(f"leaderboard_{args.suite}", "core", {args.suite: {"runs": runs, "--jobs 1 (s)": serial,
                                                            f"--jobs {args.jobs} (s)": parallel,
                                                            "speed-up": serial / parallel}},
           notes="each sweep writes into a fresh SQLite store, so both do all the runs")


if __name__ == "__main__":
    main()
