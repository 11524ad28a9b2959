"""Shared benchmark set-up: one BLAS/torch thread, machine description."""

from __future__ import annotations

import os
import platform
import datetime


def pin_one_thread() -> None:
    """Pin BLAS/OpenMP (and torch, if loaded later) to one thread, as the machine notes require."""
    from teachgym.utils.threads import pin_process_to_one_thread

    pin_process_to_one_thread()


def machine() -> str:
    return f"{platform.node()} | {platform.processor() or platform.machine()} | {os.cpu_count()} cores | " \
           f"Python {platform.python_version()} | {datetime.date.today().isoformat()}"


def bootstrap_ci(values, n: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95 % CI of the mean of ``values`` (``n`` resamples, a fixed seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = np.asarray(values)
    means = values[rng.integers(values.size, size=(n, values.size))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REPO_ROOT = os.path.dirname(os.path.dirname(RESULTS_DIR))  # commands are written as run from here


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)), timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=os.path.dirname(os.path.abspath(__file__)), timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def source_at(ref: str, path: str) -> str:
    """The text of the repository file ``path`` at git revision ``ref``."""
    import subprocess

    return subprocess.run(["git", "show", f"{ref}:{path}"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout


def module_at(ref: str, path: str, name: str):
    """The Python module ``path`` as it is at git revision ``ref``, imported as ``name`` beside this tree's."""
    import types

    module = types.ModuleType(name)
    module.__file__ = f"{ref}:{path}"
    exec(compile(source_at(ref, path), module.__file__, "exec"), module.__dict__)
    return module


def record(name: str, family: str, summary: dict, per_seed: dict | list | None = None, *, notes: str = "",
           argv: list[str] | None = None, results_dir: str | None = None) -> str:
    """Write one benchmark result as JSON to ``benchmarks/results/<name>.json`` and return the path.

    The record carries what a reader needs to trust and reproduce it: the command, the commit, the
    machine, its load, the date, the headline ``summary`` (plain numbers and strings) and the
    ``per_seed`` numbers behind it. ``benchmarks/render_results.py`` turns the folder into RESULTS.md.
    A later run of the same ``name`` replaces the file: the page shows current results only.
    """
    import json
    import shlex
    import sys

    argv = sys.argv if argv is None else argv
    payload = {
        "name": name,
        "family": family,
        "command": "python " + shlex.join([os.path.relpath(os.path.abspath(argv[0]), REPO_ROOT)]
                                           + list(argv[1:])) if argv else "",
        "commit": _git_commit(),
        "machine": machine(),
        "load_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary,
        "per_seed": per_seed,
        "notes": notes,
    }
    folder = results_dir or RESULTS_DIR
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.json")
    with open(path, "w") as f:
        json.dump(payload, f, indent=1, default=float)
        f.write("\n")
    return path


def train_or_load_teacher(run_dir, env_id: str, training: dict, steps: int, seed: int):
    """A learned teacher's file and training report in ``run_dir``; trains it first if the run is not finished.

    ``training``: :class:`teachgym.training.learned_teacher.LearnedTeacherConfig` settings besides the env, the
    steps and the seed. Returns ``(teacher file, training report)``.
    """
    import json
    from pathlib import Path

    run_dir = Path(run_dir)
    report_path, teacher = run_dir / "training.json", run_dir / "teacher.safetensors"
    if report_path.is_file() and teacher.is_file():
        return teacher, json.loads(report_path.read_text())
    from teachgym.training.learned_teacher import LearnedTeacherConfig, train

    config = LearnedTeacherConfig(env_id=env_id, total_timesteps=steps, seed=seed, out_dir=str(run_dir.parent),
                                  run_name=run_dir.name, progress=False, checkpoint_every=100_000, eval_seeds=0,
                                  **training)
    return train(config)


def progress_rows(run_dir, points: int = 12) -> list[dict]:
    """About ``points`` rows of a training run's ``progress.csv`` (SB3's logger) that have episode returns, the
    last one included."""
    import csv
    from pathlib import Path

    with open(Path(run_dir) / "progress.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("rollout/ep_rew_mean")]
    return rows[:: max(1, len(rows) // points)] + rows[-1:]
