"""The ``teachgym`` command line.

    teachgym list [envs|teachers|students]
    teachgym run --env teachgym/ToyCurriculum-v0 --teacher alp-gmm --seed 0 --out result.json [--plot DIR]
    teachgym compare --env teachgym/ToyCurriculum-v0 --teachers random,alp-gmm --seeds 2 --out-dir runs/ [--plot DIR]
    teachgym leaderboard run --suite quick --jobs 2 [--backend ray] [--db runs/leaderboard.sqlite]
    teachgym leaderboard show --suite quick [--format text|md|csv|json]
    teachgym leaderboard html --suite quick --out runs/leaderboard-html

Teachers given as ``package.module:Class`` are imported from the current
directory too (as ``python -m`` does). Errors are one line; ``--debug`` shows
the traceback.
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

from teachgym.utils.kv import parse_pair
from teachgym.validation import ConfigError


def parse_kwargs(pairs: list[str] | None, what: str) -> dict[str, Any]:
    """Turn ``["n_steps=5000", "reward_mode=outcome"]`` into a dict (values: :func:`teachgym.utils.kv.parse_value`)."""
    return dict(parse_pair(pair, what) for pair in pairs or [])


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


def load_teacher_class(spec: str):
    """The class behind a teacher name or ``package.module:Class``; one clear ConfigError if it cannot be imported."""
    from teachgym.registry import UnknownNameError, teacher_registry

    try:
        return teacher_registry.entry(spec).load()
    except UnknownNameError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module may fail in any way while importing
        module = spec.partition(":")[0]
        raise ConfigError(f"cannot import teacher {spec!r} (module {module!r}): {type(exc).__name__}: {exc}; modules "
                          "are searched in the current directory and on PYTHONPATH (--debug shows the traceback)") from exc


def write_plots(out_dir: str | Path, env_id: str, records: list[dict]) -> list[Path]:
    """The leaderboard's learning-curve and curriculum plots of ``records`` (run dicts) as PNGs in ``out_dir``."""
    import numpy as np

    from teachgym.leaderboard.plots import curriculum_figure, curves_figure, save_png

    rows = [{"teacher": r["teacher"], "seed": r["seed"], "curve": r["curve"],
             "tasks": None if r.get("tasks") is None else np.asarray(r["tasks"], dtype=np.float64)} for r in records]
    stem = run_file_name(env_id, "plot", 0).split("__")[0]
    written = [save_png(curves_figure(env_id, rows), Path(out_dir) / f"{stem}__curves.png")]
    curriculum = curriculum_figure(env_id, rows)
    if curriculum is not None:
        written.append(save_png(curriculum, Path(out_dir) / f"{stem}__curriculum.png"))
    return written


def _cmd_run(args) -> int:
    import teachgym

    load_teacher_class(args.teacher)
    result = teachgym.run(args.env, args.teacher, args.seed, teacher_kwargs=parse_kwargs(args.teacher_kwarg, "--teacher-kwarg"),
                          progress=not args.no_progress, **parse_kwargs(args.env_kwarg, "--env-kwarg"))
    print(f"{result.teacher} on {result.env_id} (seed {result.seed}): score {result.score:.2f} "
          f"in {result.steps} steps, {result.wall_time:.2f} s")
    if args.out:
        write_json_atomic(Path(args.out), result.to_dict())
        print(f"wrote {args.out}")
    if args.plot:
        for path in write_plots(args.plot, result.env_id, [result.to_dict()]):
            print(f"wrote {path}")
    return 0


def _cmd_compare(args) -> int:
    import teachgym
    from teachgym.leaderboard.store import RunSpec
    from teachgym.leaderboard.sweep import check_specs

    env_kwargs = parse_kwargs(args.env_kwarg, "--env-kwarg")
    teachers = [t for t in args.teachers.split(",") if t]
    for teacher in teachers:  # every name and env is checked before the first run
        load_teacher_class(teacher)
    check_specs([RunSpec(env_id, env_kwargs, env_id, teacher, 0) for env_id in args.env for teacher in teachers])
    out_dir = Path(args.out_dir) if args.out_dir else None
    rows = []
    for env_id in args.env:
        records_of_env = []
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
                records_of_env.append(record)
            rows.append((env_id, teacher, scores, times))
            spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
            print(f"{env_id:<40} {teacher:<14} score {statistics.mean(scores):6.2f} ± {spread:5.2f} "
                  f"({args.seeds} seeds, {statistics.mean(times):.2f} s/run)", flush=True)
        if args.plot:
            for path in write_plots(args.plot, env_id, records_of_env):
                print(f"wrote {path}")
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
    skipped: list[tuple[str, str, str]] = []
    specs = plan(suite, split_teachers(args.teachers) if args.teachers else None, args.seeds, skipped)
    for teacher, env_label, why in skipped:
        print(f"not running {teacher} on {env_label}: {why}", flush=True)
    with RunStore(args.db) as store:
        missing = len(specs) - len(store.done_keys(include_failed=not args.retry_failed) & {s.key for s in specs})
        print(f"suite {suite.name}: {len(specs)} runs, {missing} to run, {args.jobs} job(s), {args.backend} backend, "
              f"store {args.db}", flush=True)
        with tqdm(total=missing, unit="run", disable=args.no_progress or missing == 0) as bar:
            summary = run_sweep(specs, store, jobs=args.jobs, backend=args.backend, ray_address=args.ray_address,
                                retry_failed=args.retry_failed, on_result=lambda spec, result: bar.update(1))
        taken = f", {summary.taken} being run by another sweep on this store" if summary.taken else ""
        print(f"ran {summary.ran} ({summary.failed} failed), {summary.already_done} already stored{taken}")
        result, failed = leaderboard(store, suite)
        print(to_text(result, failed))
        if args.html:
            from teachgym.leaderboard.html import write_html

            print(f"wrote {write_html(store, args.html, suite)}")
        keys = {s.key for s in specs}
        n_failed = sum(row["status"] == "failed" for row in store.rows() if row["run_key"] in keys)
    if n_failed and not args.allow_failed:
        print(f"teachgym: error: {n_failed} run(s) of this sweep are stored as failed (errors above); fix the cause "
              "and rerun with --retry-failed, or pass --allow-failed to exit 0 anyway", file=sys.stderr)
        return 1
    return 0


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


def _debug_option() -> argparse.ArgumentParser:
    """``--debug``, accepted before and after the command (SUPPRESS: a later parser does not reset it)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error")
    return parent


def _add_leaderboard(sub) -> None:
    board = sub.add_parser("leaderboard", parents=[_debug_option()],
                           help="resumable sweeps of teachers x envs x seeds, statistics, HTML")
    lb = board.add_subparsers(dest="leaderboard_command", required=True)

    def common(p, suite_required: bool):
        p.add_argument("--suite", required=suite_required, default=None if suite_required else "quick",
                       help="suite name (see teachgym/leaderboard/suites.toml)")
        p.add_argument("--suite-file", help="a TOML file of suites instead of the packaged one")
        p.add_argument("--db", default=DEFAULT_DB, help=f"SQLite run store (default {DEFAULT_DB})")

    p = lb.add_parser("run", parents=[_debug_option()],
                      help="run every missing (teacher, env, seed) of a suite; resumes after a crash")
    common(p, suite_required=True)
    p.add_argument("--teachers", help="comma-separated teacher specs: name, name(key=value,...), pkg.mod:Class, model.zip")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 (default: the suite's)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: CPU count)")
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs stored as failed")
    p.add_argument("--html", metavar="DIR", help="also write the HTML page into DIR")
    p.add_argument("--allow-failed", action="store_true", help="exit 0 even if runs are stored as failed")
    p.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)  # strict is the default; accepted so scripts passing it still run
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_leaderboard_run)

    p = lb.add_parser("show", parents=[_debug_option()], help="print the leaderboard")
    common(p, suite_required=False)
    p.add_argument("--format", choices=["text", "md", "csv", "json"], default="text")
    p.add_argument("--update-readme", metavar="README", help="write the Markdown table between the README's markers")
    p.set_defaults(func=_cmd_leaderboard_show)

    p = lb.add_parser("html", parents=[_debug_option()], help="write a self-contained HTML page")
    common(p, suite_required=False)
    p.add_argument("--out", required=True, help="output directory (index.html)")
    p.set_defaults(func=_cmd_leaderboard_html)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teachgym", description="Teacher environments: run and compare teachers.",
                                     parents=[_debug_option()])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", parents=[_debug_option()], help="list registered envs, teachers and students")
    p.add_argument("what", nargs="?", default="all", choices=["all", "envs", "teachers", "students"])
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", parents=[_debug_option()],
                       help="one teaching run; prints the score, optionally writes a JSON result")
    p.add_argument("--env", required=True, help="env id, e.g. teachgym/ToyCurriculum-v0")
    p.add_argument("--teacher", required=True, help="registered teacher name or package.module:Class")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE", help="env argument (repeatable)")
    p.add_argument("--teacher-kwarg", action="append", metavar="KEY=VALUE", help="teacher argument (repeatable)")
    p.add_argument("--out", help="write the run (score, curve, lessons) to this JSON file")
    p.add_argument("--plot", metavar="DIR", help="write the learning-curve and curriculum plots (PNG) into DIR")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("compare", parents=[_debug_option()], help="several teachers x seeds on one or more envs")
    p.add_argument("--env", action="append", required=True, help="env id (repeatable)")
    p.add_argument("--teachers", required=True, help="comma-separated teacher names")
    p.add_argument("--seeds", type=int, default=2, help="seeds 0..N-1")
    p.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE")
    p.add_argument("--out-dir", help="one JSON per run; runs already there are reused (resume)")
    p.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    p.add_argument("--plot", metavar="DIR", help="write each env's learning-curve and curriculum plots (PNG) into DIR")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_compare)
    _add_leaderboard(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (getattr(args, "seeds", None) or 1) < 1:
        print("teachgym: error: --seeds must be >= 1", file=sys.stderr)
        return 2
    if os.getcwd() not in sys.path:  # import paths (mymod:MyTeacher) resolve from here, as under `python -m`
        sys.path.append(os.getcwd())
    try:
        return args.func(args)
    except (ConfigError, KeyError, ValueError, TypeError, ImportError, gym.error.Error) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"teachgym: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
