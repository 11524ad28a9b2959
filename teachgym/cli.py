"""The ``teachgym`` command line.

    teachgym list [envs|teachers|students]
    teachgym run --env teachgym/ToyCurriculum-v0 --teacher alp-gmm --seed 0 --out result.json
    teachgym compare --env teachgym/ToyCurriculum-v0 --teachers random,alp-gmm --seeds 2 --out-dir runs/
    teachgym leaderboard run --suite quick --jobs 2 [--backend ray] [--db runs/leaderboard.sqlite]
    teachgym leaderboard show --suite quick [--format text|md|csv|json]
    teachgym leaderboard html --suite quick --out runs/leaderboard-html
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

from teachgym.validation import ConfigError


def parse_kwargs(pairs: list[str] | None, what: str) -> dict[str, Any]:
    """Turn ``["n_steps=5000", "reward_mode=outcome"]`` into a dict; values are JSON when they parse."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} must look like key=value, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def run_file_name(env_id: str, teacher: str, seed: int) -> str:
    """``{env}__{teacher}__{seed}.json`` with path-unsafe characters replaced."""
    safe = lambda s: "".join(c if c.isalnum() or c in "-_." else "-" for c in s)  # noqa: E731
    return f"{safe(env_id)}__{safe(teacher)}__{seed}.json"


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write ``payload`` so that a crash leaves either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(payload, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _cmd_list(args) -> int:
    import teachgym
    from teachgym.envs import env_ids

    if args.what in ("envs", "all"):
        print("envs:")
        for env_id in env_ids():
            print(f"  {env_id}")
    for what, registry in (("teachers", teachgym.teacher_registry), ("students", teachgym.student_registry)):
        if args.what in (what, "all"):
            print(f"{what}:")
            for name in registry.names():
                print(f"  {name:<16} {registry.entry(name).description}")
    return 0


def _cmd_run(args) -> int:
    import teachgym

    result = teachgym.run(args.env, args.teacher, args.seed, teacher_kwargs=parse_kwargs(args.teacher_kwarg, "--teacher-kwarg"),
                          progress=not args.no_progress, **parse_kwargs(args.env_kwarg, "--env-kwarg"))
    print(f"{result.teacher} on {result.env_id} (seed {result.seed}): score {result.score:.2f} "
          f"in {result.steps} steps, {result.wall_time:.2f} s")
    if args.out:
        write_json_atomic(Path(args.out), result.to_dict())
        print(f"wrote {args.out}")
    return 0


def _cmd_compare(args) -> int:
    import teachgym

    env_kwargs = parse_kwargs(args.env_kwarg, "--env-kwarg")
    teachers = [t for t in args.teachers.split(",") if t]
    out_dir = Path(args.out_dir) if args.out_dir else None
    rows = []
    for env_id in args.env:
        for teacher in teachers:
            scores, times = [], []
            for seed in range(args.seeds):
                path = out_dir / run_file_name(env_id, teacher, seed) if out_dir else None
                if path is not None and path.exists():  # resume: finished runs are kept
                    record = json.loads(path.read_text())
                else:
                    record = teachgym.run(env_id, teacher, seed, progress=not args.no_progress, **env_kwargs).to_dict()
                    if path is not None:
                        write_json_atomic(path, record)
                scores.append(record["score"])
                times.append(record["wall_time"])
            rows.append((env_id, teacher, scores, times))
            spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
            print(f"{env_id:<40} {teacher:<14} score {statistics.mean(scores):6.2f} ± {spread:5.2f} "
                  f"({args.seeds} seeds, {statistics.mean(times):.2f} s/run)", flush=True)
    if args.markdown:
        print("\n| env | teacher | score (mean ± std) | seeds | s/run |\n|---|---|---|---|---|")
        for env_id, teacher, scores, times in rows:
            spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
            print(f"| {env_id} | {teacher} | {statistics.mean(scores):.2f} ± {spread:.2f} | {len(scores)} "
                  f"| {statistics.mean(times):.2f} |")
    return 0


DEFAULT_DB = "runs/leaderboard.sqlite"


def split_teachers(text: str) -> list[str]:
    """Split ``"a,b(x=1,y=2),c"`` on the commas outside parentheses."""
    names, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += char
    names.append(current.strip())
    return [n for n in names if n]


def _leaderboard_suite(args):
    from teachgym.leaderboard.suites import get_suite

    return get_suite(args.suite, args.suite_file) if args.suite else None


def _cmd_leaderboard_run(args) -> int:
    from tqdm.auto import tqdm

    from teachgym.leaderboard import RunStore, plan, run_sweep
    from teachgym.leaderboard.report import leaderboard, to_text

    suite = _leaderboard_suite(args)
    specs = plan(suite, split_teachers(args.teachers) if args.teachers else None, args.seeds)
    with RunStore(args.db) as store:
        missing = len(specs) - len(store.done_keys(include_failed=not args.retry_failed) & {s.key for s in specs})
        print(f"suite {suite.name}: {len(specs)} runs, {missing} to run, {args.jobs} job(s), {args.backend} backend, "
              f"store {args.db}", flush=True)
        with tqdm(total=missing, unit="run", disable=args.no_progress or missing == 0) as bar:
            summary = run_sweep(specs, store, jobs=args.jobs, backend=args.backend, ray_address=args.ray_address,
                                retry_failed=args.retry_failed, on_result=lambda spec, result: bar.update(1))
        print(f"ran {summary.ran} ({summary.failed} failed), {summary.already_done} already stored")
        result, failed = leaderboard(store, suite)
        print(to_text(result, failed))
        if args.html:
            from teachgym.leaderboard.html import write_html

            print(f"wrote {write_html(store, args.html, suite)}")
    return 1 if summary.failed and args.strict else 0


def _cmd_leaderboard_show(args) -> int:
    from teachgym.leaderboard import RunStore
    from teachgym.leaderboard.report import leaderboard, to_csv, to_json, to_markdown, to_text, update_readme

    if not Path(args.db).exists():
        raise ConfigError(f"--db {args.db} does not exist; run `teachgym leaderboard run` first")
    with RunStore(args.db) as store:
        result, failed = leaderboard(store, _leaderboard_suite(args))
    text = {"text": lambda: to_text(result, failed), "md": lambda: to_markdown(result, failed),
            "csv": lambda: to_csv(result), "json": lambda: to_json(result, failed)}[args.format]()
    if args.update_readme:
        command = f"teachgym leaderboard show --suite {args.suite} --format md --update-readme {args.update_readme}"
        update_readme(args.update_readme, to_markdown(result, failed), command)
        print(f"updated {args.update_readme}")
    else:
        print(text)
    return 0


def _cmd_leaderboard_html(args) -> int:
    from teachgym.leaderboard import RunStore
    from teachgym.leaderboard.html import write_html

    if not Path(args.db).exists():
        raise ConfigError(f"--db {args.db} does not exist; run `teachgym leaderboard run` first")
    with RunStore(args.db) as store:
        print(f"wrote {write_html(store, args.out, _leaderboard_suite(args))}")
    return 0


def _add_leaderboard(sub) -> None:
    board = sub.add_parser("leaderboard", help="resumable sweeps of teachers x envs x seeds, statistics, HTML")
    lb = board.add_subparsers(dest="leaderboard_command", required=True)

    def common(p, suite_required: bool):
        p.add_argument("--suite", required=suite_required, default=None if suite_required else "quick",
                       help="suite name (see teachgym/leaderboard/suites.toml)")
        p.add_argument("--suite-file", help="a TOML file of suites instead of the packaged one")
        p.add_argument("--db", default=DEFAULT_DB, help=f"SQLite run store (default {DEFAULT_DB})")

    p = lb.add_parser("run", help="run every missing (teacher, env, seed) of a suite; resumes after a crash")
    common(p, suite_required=True)
    p.add_argument("--teachers", help="comma-separated teacher specs: name, name(key=value,...), pkg.mod:Class, model.zip")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 (default: the suite's)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: CPU count)")
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs stored as failed")
    p.add_argument("--html", metavar="DIR", help="also write the HTML page into DIR")
    p.add_argument("--strict", action="store_true", help="exit 1 if any run failed")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_leaderboard_run)

    p = lb.add_parser("show", help="print the leaderboard")
    common(p, suite_required=False)
    p.add_argument("--format", choices=["text", "md", "csv", "json"], default="text")
    p.add_argument("--update-readme", metavar="README", help="write the Markdown table between the README's markers")
    p.set_defaults(func=_cmd_leaderboard_show)

    p = lb.add_parser("html", help="write a self-contained HTML page")
    common(p, suite_required=False)
    p.add_argument("--out", required=True, help="output directory (index.html)")
    p.set_defaults(func=_cmd_leaderboard_html)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teachgym", description="Teacher environments: run and compare teachers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered envs, teachers and students")
    p.add_argument("what", nargs="?", default="all", choices=["all", "envs", "teachers", "students"])
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="one teaching run; prints the score, optionally writes a JSON result")
    p.add_argument("--env", required=True, help="env id, e.g. teachgym/ToyCurriculum-v0")
    p.add_argument("--teacher", required=True, help="registered teacher name or package.module:Class")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE", help="env argument (repeatable)")
    p.add_argument("--teacher-kwarg", action="append", metavar="KEY=VALUE", help="teacher argument (repeatable)")
    p.add_argument("--out", help="write the run (score, curve, lessons) to this JSON file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("compare", help="several teachers x seeds on one or more envs")
    p.add_argument("--env", action="append", required=True, help="env id (repeatable)")
    p.add_argument("--teachers", required=True, help="comma-separated teacher names")
    p.add_argument("--seeds", type=int, default=2, help="seeds 0..N-1")
    p.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE")
    p.add_argument("--out-dir", help="one JSON per run; runs already there are reused (resume)")
    p.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_compare)
    _add_leaderboard(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (getattr(args, "seeds", None) or 1) < 1:
        print("teachgym: error: --seeds must be >= 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ConfigError, KeyError, ValueError, TypeError, gym.error.Error) as exc:
        print(f"teachgym: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
