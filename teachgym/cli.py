"""The ``teachgym`` command line.

    teachgym list [envs|teachers|students]
    teachgym run --env teachgym/ToyCurriculum-v0 --teacher alp-gmm --seed 0 --out result.json [--plot DIR]
    teachgym compare --env teachgym/ToyCurriculum-v0 --teachers random,alp-gmm --seeds 2 --out-dir runs/ [--plot DIR]
    teachgym leaderboard run --suite quick --jobs 2 [--backend ray] [--db runs/leaderboard.sqlite]
    teachgym leaderboard show --suite quick [--format text|md|csv|json]
    teachgym leaderboard html --suite quick --out runs/leaderboard-html
    teachgym leaderboard run --suite profiles --track both
    teachgym leaderboard export --suite quick --out runs.jsonl; teachgym leaderboard import --suite quick runs.jsonl

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

from teachgym.leaderboard.commands import DEFAULT_DB, add_leaderboard, split_teachers  # noqa: F401 (re-exported)
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

    def numeric(tasks):  # the curriculum plot draws task parameters; tasks that are not numbers are left out
        try:
            return None if tasks is None else np.asarray(tasks, dtype=np.float64)
        except (TypeError, ValueError):
            return None

    rows = [{"teacher": r["teacher"], "seed": r["seed"], "curve": r["curve"], "tasks": numeric(r.get("tasks"))}
            for r in records]
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


def _debug_option() -> argparse.ArgumentParser:
    """``--debug``, accepted before and after the command (SUPPRESS: a later parser does not reset it)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error")
    return parent


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
    add_leaderboard(sub, _debug_option)
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
