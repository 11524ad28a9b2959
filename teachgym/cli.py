"""The ``teachgym`` command line.

    teachgym list [envs|teachers|students]
    teachgym run --env teachgym/ToyCurriculum-v0 --teacher alp-gmm --seed 0 --out result.json
    teachgym compare --env teachgym/ToyCurriculum-v0 --teachers random,alp-gmm --seeds 2 --out-dir runs/
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "seeds", 1) < 1:
        print("teachgym: error: --seeds must be >= 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ConfigError, KeyError, ValueError, TypeError, gym.error.Error) as exc:
        print(f"teachgym: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
