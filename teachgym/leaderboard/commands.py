"""``teachgym leaderboard run|show|html|export|import``: the leaderboard's command line.

Heavy parts (the sweep's workers, matplotlib, Ray) are imported inside the commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from teachgym.validation import ConfigError

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


def _tuning_plan(args, suite, specs=None):
    """The suite's tuning plan (the teachers of ``specs``, else of the suite's own plan); None without tuning."""
    from teachgym.leaderboard import plan
    from teachgym.leaderboard.tuning import TuningPlan, load_search_spaces, teachers_by_env

    if suite is None or suite.tuning is None:
        if getattr(args, "track", "defaults") != "defaults":
            raise ConfigError(f"suite {getattr(suite, 'name', None)!r} has no tuning table: it has only the defaults "
                              "track")
        return None
    return TuningPlan(suite, teachers_by_env(specs if specs is not None else plan(suite)),
                      load_search_spaces(args.suite_file))


def _sweep(args, store, specs, what: str):
    from tqdm.auto import tqdm

    from teachgym.leaderboard import run_sweep

    missing = len(specs) - len(store.done_keys(include_failed=not args.retry_failed) & {s.key for s in specs})
    print(f"{what}: {len(specs)} runs, {missing} to run, {args.jobs} job(s), {args.backend} backend, store {args.db}",
          flush=True)
    with tqdm(total=missing, unit="run", disable=args.no_progress or missing == 0) as bar:
        summary = run_sweep(specs, store, jobs=args.jobs, backend=args.backend, ray_address=args.ray_address,
                            retry_failed=args.retry_failed, on_result=lambda spec, result: bar.update(1))
    taken = f", {summary.taken} being run by another sweep on this store" if summary.taken else ""
    print(f"ran {summary.ran} ({summary.failed} failed), {summary.already_done} already stored{taken}")


def _cmd_leaderboard_run(args) -> int:
    from teachgym.leaderboard import RunStore, plan
    from teachgym.leaderboard.report import leaderboard, to_text

    suite = _leaderboard_suite(args)
    skipped: list[tuple[str, str, str]] = []
    specs = plan(suite, split_teachers(args.teachers) if args.teachers else None, args.seeds, skipped)
    for teacher, env_label, why in skipped:
        print(f"not running {teacher} on {env_label}: {why}", flush=True)
    tracks = ["defaults", "tuned"] if args.track == "both" else [args.track]
    tuning = _tuning_plan(args, suite, specs) if "tuned" in tracks else None
    with RunStore(args.db) as store:
        keys: set[str] = set()
        if "defaults" in tracks:
            _sweep(args, store, specs, f"suite {suite.name}, defaults track")
            keys |= {s.key for s in specs}
        if tuning is not None:
            search = tuning.search_specs()
            _sweep(args, store, search, f"suite {suite.name}, tuned track: search ({suite.tuning.configs} "
                                        f"configurations x {suite.tuning.seeds} tuning seeds per teacher and env)")
            seeds = {}
            for spec in specs:
                seeds[spec.env_label] = max(seeds.get(spec.env_label, 0), spec.seed + 1)
            evaluation = tuning.evaluation_specs(tuning.chosen(store), seeds)
            _sweep(args, store, evaluation, f"suite {suite.name}, tuned track: the chosen configurations")
            keys |= {s.key for s in search} | {s.key for s in evaluation}
        for track in tracks:
            result, failed = leaderboard(store, suite, track, tuning)
            print(to_text(result, failed))
        if args.html:
            from teachgym.leaderboard.html import write_html

            print(f"wrote {write_html(store, args.html, suite, track=tracks[0], tuning=tuning)}")
        n_failed = sum(row["status"] == "failed" for row in store.rows() if row["run_key"] in keys)
    if n_failed and not args.allow_failed:
        print(f"teachgym: error: {n_failed} run(s) of this sweep are stored as failed (errors above); fix the cause "
              "and rerun with --retry-failed, or pass --allow-failed to exit 0 anyway", file=sys.stderr)
        return 1
    return 0


def _open_store(args):
    from teachgym.leaderboard import RunStore

    if not Path(args.db).exists():
        raise ConfigError(f"--db {args.db} does not exist; run `teachgym leaderboard run` first")
    return RunStore(args.db)


def _cmd_leaderboard_show(args) -> int:
    from teachgym.leaderboard.report import leaderboard, to_csv, to_json, to_markdown, to_text, update_readme

    with _open_store(args) as store:
        suite = _leaderboard_suite(args)
        result, failed = leaderboard(store, suite, args.track, _tuning_plan(args, suite))
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
    from teachgym.leaderboard.html import write_html

    with _open_store(args) as store:
        suite = _leaderboard_suite(args)
        print(f"wrote {write_html(store, args.out, suite, track=args.track, tuning=_tuning_plan(args, suite))}")
    return 0


def _cmd_leaderboard_export(args) -> int:
    from teachgym.leaderboard.share import export_runs

    with _open_store(args) as store:
        suite = _leaderboard_suite(args)
        count = export_runs(store, suite, args.out)
    print(f"wrote {count} runs of suite {suite.name} (hash {suite.hash}) to {args.out}")
    return 0


def _cmd_leaderboard_import(args) -> int:
    from teachgym.leaderboard import RunStore
    from teachgym.leaderboard.share import import_runs

    suite = _leaderboard_suite(args)
    with RunStore(args.db) as store:
        summary = import_runs(store, suite, args.runs)
    print(f"{args.runs}: {summary.in_file} runs of suite {suite.name}; added {summary.added}, "
          f"{summary.already_stored} already stored (kept as they were)")
    return 0


def add_leaderboard(sub, debug_option) -> None:
    """Add ``teachgym leaderboard run|show|html|export|import`` to the CLI's subparsers."""
    board = sub.add_parser("leaderboard", parents=[debug_option()],
                           help="resumable sweeps of teachers x envs x seeds, statistics, HTML")
    lb = board.add_subparsers(dest="leaderboard_command", required=True)

    def common(p, suite_required: bool):
        p.add_argument("--suite", required=suite_required, default=None if suite_required else "quick",
                       help="suite name (see teachgym/leaderboard/suites.toml)")
        p.add_argument("--suite-file", help="a TOML file of suites instead of the packaged one")
        p.add_argument("--db", default=DEFAULT_DB, help=f"SQLite run store (default {DEFAULT_DB})")

    p = lb.add_parser("run", parents=[debug_option()],
                      help="run every missing (teacher, env, seed) of a suite; resumes after a crash")
    common(p, suite_required=True)
    p.add_argument("--teachers", help="comma-separated teacher specs: name, name(key=value,...), pkg.mod:Class, model.zip")
    p.add_argument("--seeds", type=int, help="seeds 0..N-1 (default: the suite's)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: CPU count)")
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--track", choices=["defaults", "tuned", "both"], default="defaults",
                   help="defaults: each teacher's defaults; tuned: the same search budget per teacher on tuning seeds, "
                        "then the best configuration (suites with a tuning table)")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs stored as failed")
    p.add_argument("--html", metavar="DIR", help="also write the HTML page into DIR")
    p.add_argument("--allow-failed", action="store_true", help="exit 0 even if runs are stored as failed")
    p.add_argument("--strict", action="store_true", help=argparse.SUPPRESS)  # strict is the default; accepted so scripts passing it still run
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_leaderboard_run)

    p = lb.add_parser("show", parents=[debug_option()], help="print the leaderboard")
    common(p, suite_required=False)
    p.add_argument("--format", choices=["text", "md", "csv", "json"], default="text")
    p.add_argument("--track", choices=["defaults", "tuned"], default="defaults")
    p.add_argument("--update-readme", metavar="README", help="write the Markdown table between the README's markers")
    p.set_defaults(func=_cmd_leaderboard_show)

    p = lb.add_parser("html", parents=[debug_option()], help="write a self-contained HTML page")
    common(p, suite_required=False)
    p.add_argument("--out", required=True, help="output directory (index.html)")
    p.add_argument("--track", choices=["defaults", "tuned"], default="defaults")
    p.set_defaults(func=_cmd_leaderboard_html)

    p = lb.add_parser("export", parents=[debug_option()],
                      help="write a suite's runs as one JSON-lines file (suite hash, code version, seeds) to share")
    common(p, suite_required=True)
    p.add_argument("--out", required=True, help="the .jsonl file to write")
    p.set_defaults(func=_cmd_leaderboard_export)

    p = lb.add_parser("import", parents=[debug_option()],
                      help="merge someone's exported runs into the store, after checking they are of the same suite")
    common(p, suite_required=True)
    p.add_argument("runs", help="a .jsonl file written by `teachgym leaderboard export`")
    p.set_defaults(func=_cmd_leaderboard_import)
