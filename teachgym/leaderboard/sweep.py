"""Sweeps: every (teacher, env, seed) of a suite, run where missing, stored as they finish.

Backends: ``local`` (a process pool, one BLAS/torch thread per worker; ``jobs=1``
runs in this process) and ``ray`` (the same runs as Ray tasks, on a cluster given
by ``ray_address`` or a local Ray). Only this process writes to the store, one
transaction per finished run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teachgym.leaderboard.store import RunSpec, RunStore, pack_array
from teachgym.leaderboard.suites import Suite, SuiteEnv
from teachgym.validation import ConfigError

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_teacher_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"alp-gmm"``, ``"alp-gmm(warm_start=true, fit_rate=100)"``, ``"pkg.mod:Class"`` or ``"teacher.zip"``.

    Values in parentheses are JSON where they parse (else strings). A path to an
    existing ``.zip`` is a trained SB3 teacher (``sb3-policy`` with ``path=``).
    """
    spec = spec.strip()
    if spec.endswith(".zip"):
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"teacher {spec!r}: no such SB3 model file")
        return "sb3-policy", {"path": str(path)}
    if not spec.endswith(")"):
        return spec, {}
    name, sep, args = spec[:-1].partition("(")
    if not sep or not name:
        raise ConfigError(f"teacher spec must look like name or name(key=value, ...), got {spec!r}")
    kwargs: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in args.split(","))):
        key, eq, raw = part.partition("=")
        if not eq:
            raise ConfigError(f"teacher spec {spec!r}: argument {part!r} must be key=value")
        try:
            kwargs[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            kwargs[key.strip()] = raw.strip()
    return name.strip(), kwargs


def compatible_teachers(env_entry: SuiteEnv) -> list[str]:
    """Registered teachers whose action spaces include the env's (``generic = False`` ones excluded)."""
    import gymnasium as gym

    import teachgym

    env = gym.make(env_entry.env_id, **env_entry.kwargs)
    try:
        space = env.action_space
    finally:
        env.close()
    names = []
    for name in teachgym.teacher_registry.names():
        cls = teachgym.teacher_registry.entry(name).load()
        if getattr(cls, "generic", True) and isinstance(space, tuple(cls.supported_spaces)):
            names.append(name)
    return names


def plan(suite: Suite, teachers: Iterable[str] | None = None, seeds: int | None = None) -> list[RunSpec]:
    """Every run of the suite: teachers given > the suite entry's teachers > all compatible teachers."""
    n_seeds = suite.seeds if seeds is None else seeds
    if n_seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {n_seeds}")
    chosen = list(teachers) if teachers else None
    specs = []
    for entry in suite.envs:
        names = chosen or list(entry.teachers or compatible_teachers(entry))
        for name in names:
            for seed in range(n_seeds):
                specs.append(RunSpec(entry.env_id, dict(entry.kwargs), entry.label, name, seed))
    return specs


def code_version() -> str:
    """The git commit of the source tree when there is one, else the package version."""
    import teachgym

    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"teachgym {teachgym.__version__}"


def execute(spec: RunSpec) -> dict[str, Any]:
    """Run one spec and return a storable record; a run that raises becomes a 'failed' record."""
    _pin_threads()
    try:
        import teachgym

        name, kwargs = parse_teacher_spec(spec.teacher)
        result = teachgym.run(spec.env_id, name, spec.seed, teacher_kwargs=kwargs, **spec.env_kwargs)
        tasks = result.tasks if result.tasks.ndim >= 1 and result.tasks.dtype != object else None
        return {
            "status": "ok", "score": result.score, "steps": result.steps, "wall_time": result.wall_time,
            "curve": [list(p) for p in result.curve], "lessons": pack_array(_numeric(result.lessons)),
            "tasks": pack_array(_numeric(tasks)),
        }
    except Exception:  # noqa: BLE001 - any failure of user code is recorded, and the sweep goes on
        return {"status": "failed", "error": traceback.format_exc()}


@dataclass
class SweepSummary:
    planned: int
    already_done: int
    ran: int
    failed: int


def run_sweep(
    specs: list[RunSpec],
    store: RunStore,
    *,
    jobs: int = 1,
    backend: str = "local",
    ray_address: str | None = None,
    retry_failed: bool = False,
    on_result: Callable[[RunSpec, dict], None] | None = None,
) -> SweepSummary:
    """Run every spec not yet in ``store``; write each result as soon as it arrives."""
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    if backend not in ("local", "ray"):
        raise ConfigError(f"--backend must be 'local' or 'ray', got {backend!r}")
    done = store.done_keys(include_failed=not retry_failed)
    todo = [s for s in specs if s.key not in done]
    version = code_version()
    failed = 0

    def record(spec: RunSpec, result: dict) -> None:
        nonlocal failed
        failed += result["status"] == "failed"
        store.write(spec, result, version)
        if on_result is not None:
            on_result(spec, result)

    if backend == "ray":
        _run_ray(todo, jobs, ray_address, record)
    elif jobs == 1 or len(todo) <= 1:
        for spec in todo:
            record(spec, execute(spec))
    else:
        _run_pool(todo, jobs, record)
    return SweepSummary(planned=len(specs), already_done=len(specs) - len(todo), ran=len(todo), failed=failed)


def _run_pool(todo: list[RunSpec], jobs: int, record: Callable[[RunSpec, dict], None]) -> None:
    for var in _THREAD_VARS:  # inherited by the spawned workers before numpy loads there
        os.environ.setdefault(var, "1")
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads or torch
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_pin_threads) as pool:
        pending = {}
        queue = iter(todo)
        for spec in queue:  # keep at most 2 runs per worker in flight: a kill loses little
            pending[pool.submit(execute, spec)] = spec
            if len(pending) >= 2 * jobs:
                break
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                spec = pending.pop(future)
                record(spec, future.result())
                following = next(queue, None)
                if following is not None:
                    pending[pool.submit(execute, following)] = following


def _run_ray(todo: list[RunSpec], jobs: int, address: str | None, record: Callable[[RunSpec, dict], None]) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError("--backend ray needs Ray: pip install 'teachgym[dist]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=jobs, **options)
    try:
        remote = ray.remote(num_cpus=1)(execute)
        pending = {remote.remote(spec): spec for spec in todo}
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for ref in finished:
                spec = pending.pop(ref)
                record(spec, ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def _pin_threads() -> None:
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - a base dependency
        pass
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _numeric(array):
    import numpy as np

    if array is None:
        return None
    array = np.asarray(array)
    return array if array.dtype.kind in "biuf" else None
