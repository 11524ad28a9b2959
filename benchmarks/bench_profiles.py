"""Does the benchmark separate teachers? The challenge profiles, both tracks, and the suites' times.

    python benchmarks/bench_profiles.py --db runs/profiles.sqlite --jobs 2              # profiles, both tracks
    python benchmarks/bench_profiles.py --time-suites quick --jobs 2                     # CPU time of suites
    python benchmarks/bench_profiles.py --db runs/profiles.sqlite --rerun-defaults riac  # after a default changed

A stored run is keyed by env, env kwargs, teacher (with its explicit kwargs) and seed, not by the code,
so after a teacher's default changes its stored default runs are stale: ``--rerun-defaults`` deletes
them (the teacher named without kwargs, on the suite's envs) before the sweep, which then re-runs them.

Claims measured (each from the stored runs, through the leaderboard's own statistics):

1. on each profile entry, at least one non-privileged teacher beats random: the 95 % bootstrap CI
   of its IQM difference to random lies above 0 (or the entry is reported as unsolved);
2. the rankings differ across profiles: the winner (best IQM among non-privileged teachers) of
   each entry, the number of distinct winners, and Kendall's tau between the entries' orderings;
3. in the tuned track, ALP-GMM is at least at random's level on every continuous-task profile:
   the upper end of the CI of its IQM difference to random is >= 0 (else the entry is listed);
4. suite times: CPU seconds (this process and its workers) and wall seconds of a sweep into a
   fresh store, with the 1-minute load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from _common import machine, pin_one_thread, record


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sweep(suite, store, jobs: int, track: str, seeds: int | None = None, backend: str = "local") -> dict:
    """Run one track of ``suite`` into ``store``; CPU and wall seconds, runs (Ray's workers are not this
    process's children: with ``backend="ray"`` the CPU seconds miss them, and only wall time counts)."""
    from teachgym.leaderboard import plan, run_sweep
    from teachgym.leaderboard.tuning import TuningPlan, teachers_by_env

    specs = plan(suite, seeds=seeds)
    start_cpu, start_wall, load = cpu_seconds(), time.perf_counter(), os.getloadavg()[0]
    ran = 0
    if track == "defaults":
        ran += run_sweep(specs, store, jobs=jobs, backend=backend).ran
    else:
        tuning = TuningPlan(suite, teachers_by_env(specs))
        ran += run_sweep(tuning.search_specs(), store, jobs=jobs).ran
        by_label = {}
        for spec in specs:
            by_label[spec.env_label] = max(by_label.get(spec.env_label, 0), spec.seed + 1)
        ran += run_sweep(tuning.evaluation_specs(tuning.chosen(store), by_label), store, jobs=jobs).ran
    return {"runs": ran, "backend": backend, "cpu_s": round(cpu_seconds() - start_cpu, 1), "wall_s": round(time.perf_counter() - start_wall, 1),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def forget_default_runs(db: str, teachers: list[str], labels: list[str]) -> int:
    """Delete the stored runs of ``teachers`` at their defaults on the env ``labels``; how many were deleted."""
    import sqlite3

    if not teachers or not Path(db).exists():
        return 0
    with sqlite3.connect(db) as conn:
        cursor = conn.execute(
            f"DELETE FROM runs WHERE teacher IN ({','.join('?' * len(teachers))}) "
            f"AND env_label IN ({','.join('?' * len(labels))})", [*teachers, *labels])
        return cursor.rowcount


def kendall_tau(a: list[str], b: list[str]) -> float:
    """Kendall's tau between two orderings, over the teachers both contain."""
    common = [t for t in a if t in b]
    pairs = list(itertools.combinations(common, 2))
    if not pairs:
        return float("nan")
    agree = sum((a.index(x) < a.index(y)) == (b.index(x) < b.index(y)) for x, y in pairs)
    return (2 * agree - len(pairs)) / len(pairs)


def profile_claims(result, suite) -> tuple[dict, dict]:
    """Per entry: teachers beating random, the winner, the ordering; per-seed scores."""
    entries, per_seed = {}, {}
    from teachgym.leaderboard.report import is_privileged

    privileged = {t for stats in result.per_env.values() for t in stats if is_privileged(t)}
    for entry in suite.envs:
        stats = result.per_env.get(entry.label, {})
        real = {t: s for t, s in stats.items() if t not in privileged and t != result.baseline}
        order = sorted(real, key=lambda t: -real[t].iqm)
        entries[entry.title] = {
            "ranking": entry.ranking, "order": order, "winner": order[0] if order else None,
            "beat_random": [t for t in order if real[t].beats_baseline],
            "iqm": {t: round(s.iqm, 2) for t, s in stats.items()},
            "vs_random_ci": {t: [round(v, 2) for v in s.vs_baseline] for t, s in real.items() if s.vs_baseline},
        }
        per_seed[entry.title] = {t: s.scores for t, s in stats.items()}
    return entries, per_seed


def separation(entries: dict) -> dict:
    winners = {title: e["winner"] for title, e in entries.items()}
    taus = {}
    for group in {e["ranking"] for e in entries.values()}:
        titles = [t for t, e in entries.items() if e["ranking"] == group]
        for x, y in itertools.combinations(titles, 2):
            taus[f"{x} vs {y}"] = round(kendall_tau(entries[x]["order"], entries[y]["order"]), 2)
    return {"winners": winners, "distinct winners": len(set(winners.values())),
            "unsolved (no teacher beats random)": [t for t, e in entries.items() if not e["beat_random"]],
            "kendall tau between profiles of one ranking": taus}


def gridworld_lessons(store, suite) -> dict:
    """Where each teacher's lessons fell on the gridworld profiles (evaluation seeds): the share whose task
    any policy can solve (optimal success > 0.5) and the share of near starts (start_distance < 0.25)."""
    import gymnasium as gym
    import numpy as np

    out = {}
    for entry in suite.envs:
        if "Gridworld" not in entry.env_id or "Box" not in (entry.ranking or ""):
            continue
        env = gym.make(entry.env_id, **entry.kwargs).unwrapped
        env.reset(seed=0)
        shares: dict[str, list] = {}
        for row in store.rows([entry.label], with_arrays=True):
            if row["seed"] >= 10_000 or row["tasks"] is None:
                continue
            tasks = np.asarray(row["tasks"], dtype=np.float64)
            solvable = float((env.student.optimal_success(tasks) > 0.5).mean())
            shares.setdefault(row["teacher"], []).append((row["score"], solvable, float((tasks[:, 0] < 0.25).mean())))
        out[entry.title] = {t: {"score": round(float(np.mean([v[0] for v in vals])), 1),
                                "solvable lessons": round(float(np.mean([v[1] for v in vals])), 2),
                                "near starts": round(float(np.mean([v[2] for v in vals])), 2)}
                            for t, vals in sorted(shares.items())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default="profiles")
    parser.add_argument("--db", default="runs/profiles.sqlite", help="the run store (resumable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tracks", default="defaults,tuned")
    parser.add_argument("--time-suites", help="comma-separated suites to time, each into a fresh store")
    parser.add_argument("--seeds", type=int, help="override the suites' seed counts (timing)")
    parser.add_argument("--backend", choices=["local", "ray"], default="local", help="for --time-suites")
    parser.add_argument("--rerun-defaults", default="",
                        help="comma-separated teachers whose defaults changed: their stored default runs are re-run")
    args = parser.parse_args()
    pin_one_thread()
    print(f"machine: {machine()}")
    from teachgym.leaderboard import RunStore, get_suite

    if args.time_suites:
        times = {}
        for name in args.time_suites.split(","):
            with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "lb.sqlite") as store:
                times[name] = sweep(get_suite(name), store, args.jobs, "defaults", args.seeds, args.backend)
            print(name, times[name], flush=True)
        record(f"leaderboard_suite_times_{args.backend}", "core", times, notes=(
            f"--jobs {args.jobs}; cpu_s: user+system seconds of the sweep and its pool workers; wall_s on a shared "
            "machine (see load); on 2 idle cores the wall time is about cpu_s / 2" + (
                f"; seeds overridden to {args.seeds}" if args.seeds else "")))
        return

    from teachgym.leaderboard.report import leaderboard
    from teachgym.leaderboard.tuning import TuningPlan, teachers_by_env
    from teachgym.leaderboard import plan

    suite = get_suite(args.suite)
    summary, per_seed, times = {}, {}, {}
    name = f"leaderboard_{args.suite}"
    earlier = Path(__file__).parent / "results" / f"{name}.json"
    earlier_times = json.loads(earlier.read_text())["summary"].get("times", {}) if earlier.exists() else {}
    rerun = [t for t in args.rerun_defaults.split(",") if t]
    forgotten = forget_default_runs(args.db, rerun, [e.label for e in suite.envs])
    if rerun:
        print(f"deleted {forgotten} stored default runs of {rerun}", flush=True)
    with RunStore(args.db) as store:
        for track in args.tracks.split(","):
            times[track] = sweep(suite, store, args.jobs, track)
            if times[track]["runs"] == 0 and track in earlier_times:  # all stored: keep the sweep's measured time
                times[track] = earlier_times[track]
            print(track, times[track], flush=True)
        tuning = TuningPlan(suite, teachers_by_env(plan(suite)))
        for track in args.tracks.split(","):
            result, _ = leaderboard(store, suite, track, tuning)
            entries, per_seed[track] = profile_claims(result, suite)
            summary[track] = {"entries": entries, "separation": separation(entries)}
            if track == "tuned":
                summary[track]["chosen"] = {f"{suite.entry(env).title}: {t}": c for (env, t), c in result.chosen.items()}
                box = [e for e in suite.envs if e.ranking and "Box" in e.ranking]
                summary[track]["alp-gmm vs random (continuous profiles)"] = {
                    e.title: entries[e.title]["vs_random_ci"].get("alp-gmm") for e in box}
        summary["gridworld lessons"] = gridworld_lessons(store, suite)
    summary["times"] = times
    if rerun:
        summary["re-run defaults"] = {"teachers": rerun, "stored runs deleted": forgotten}
    for track in args.tracks.split(","):
        sep = summary[track]["separation"]
        print(f"\n{track}: winners {sep['winners']}\n  unsolved: {sep['unsolved (no teacher beats random)']}")
    record(name, "core", summary, per_seed,
           notes=f"store {args.db}; --jobs {args.jobs}; CIs: 95 % bootstrap of the IQM difference to random")


if __name__ == "__main__":
    main()
