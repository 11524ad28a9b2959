"""Leaderboard sweep times.

Default: the local pool's speed-up, ``--jobs 1`` vs ``--jobs N`` on the same suite
(target: >= 1.8x with 2 jobs on 2 cores for the quick suite).
``--backends local,ray``: one sweep of the suite per backend with ``--jobs N``
(Ray: a local Ray started with N CPUs), wall time and the CPU time of the
sweep's processes, runs and failures per backend.

    python benchmarks/bench_leaderboard.py --suite quick --jobs 2
    python benchmarks/bench_leaderboard.py --suite standard --jobs 2 --backends local,ray
    python benchmarks/bench_leaderboard.py --suite quick --suite-file benchmarks/suites/quick_300.toml \
        --jobs 2 --backends local --name leaderboard_quick300_time   # the quick suite's first 300 runs

Each sweep writes into a fresh temporary SQLite store, so every sweep does all the runs.
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


def timed_cli_sweep(suite_name: str, jobs: int, backend: str, seeds: int | None, suite_file: str | None = None) -> dict:
    """One ``teachgym leaderboard run`` of the suite in a child process: wall and CPU seconds, runs, failures."""
    import os
    import resource
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "teachgym.cli", "leaderboard", "run", "--suite", suite_name, "--jobs",
                   str(jobs), "--backend", backend, "--db", str(Path(tmp) / "lb.sqlite"), "--no-progress",
                   "--allow-failed"] + ([] if seeds is None else ["--seeds", str(seeds)]) \
            + ([] if suite_file is None else ["--suite-file", str(Path(suite_file).resolve())])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = [line for line in out.stdout.splitlines() if line.startswith("ran ")]
    print(f"{backend}: {wall:.0f} s wall; {ran[0] if ran else out.stderr[-500:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round((after.ru_utime - before.ru_utime)
                                                    + (after.ru_stime - before.ru_stime), 1),
            "summary_line": ran[0] if ran else None, "exit_status": out.returncode,
            "load_1min_start": round(load, 2), "load_1min_end": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, help="override the suite's seed count")
    parser.add_argument("--backends", default="", help="comma-separated backends to time one sweep each (local, ray)")
    parser.add_argument("--suite-file", help="a TOML file of suites instead of the packaged one (with --backends)")
    parser.add_argument("--name", help="the result's name (default leaderboard_<suite>_time)")
    args = parser.parse_args()
    if args.suite_file and not args.backends:
        parser.error("--suite-file needs --backends (the sweeps run through the CLI)")
    pin_one_thread()
    print(f"machine: {machine()}\n")
    if args.backends:
        times = {backend: timed_cli_sweep(args.suite, args.jobs, backend, args.seeds, args.suite_file)
                 for backend in args.backends.split(",")}
        record(args.name or f"leaderboard_{args.suite}_time", "core", {f"--jobs {args.jobs}": times},
               notes="One sweep per backend into a fresh store (every run done). CPU time: user + system of the "
                     "sweep's reaped descendants (the local pool's workers; Ray's daemons and workers only as far "
                     "as they are reaped, so Ray's figure may be low). The GRPO tiny LM and DataGen math base "
                     "were already in the cache (their first builds take about 2 min and 46 s more).")
        return
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
