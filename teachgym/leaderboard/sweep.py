"""Sweeps: every (teacher, env, seed) of a suite, run where missing, stored as they finish.

Backends: ``local`` (a process pool, one BLAS/torch thread per worker; ``jobs=1``
runs in this process) and ``ray`` (the same runs as Ray tasks, on a cluster given
by ``ray_address`` or a local Ray). Only this process writes to the store, one
transaction per finished run. Each run is claimed in the store before it starts,
so several sweeps on one file split the work; pool workers die with the sweep
(Linux: the parent-death signal; everywhere: a watchdog thread on the parent pid).
Teacher names and their compatibility with each env are checked before anything runs.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teachgym.leaderboard.store import RunSpec, RunStore, pack_array
from teachgym.leaderboard.suites import Suite, SuiteEnv
from teachgym.utils.kv import parse_pair
from teachgym.validation import ConfigError

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
HEARTBEAT_SECONDS = 30.0


def parse_teacher_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"alp-gmm"``, ``"alp-gmm(warm_start=true, fit_rate=100)"``, ``"pkg.mod:Class"`` or ``"teacher.zip"``.

    Values in parentheses are read by :func:`teachgym.utils.kv.parse_value`. A path to an
    existing ``.safetensors`` teacher file (or an SB3 ``.zip``, loaded only with
    ``trust_pickle``) is a trained teacher (``sb3-policy`` with ``path=``).
    """
    spec = spec.strip()
    if spec.endswith((".zip", ".safetensors")):
        path = Path(spec).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"teacher {spec!r}: no such teacher file")
        return "sb3-policy", {"path": str(path)}
    if not spec.endswith(")"):
        return spec, {}
    name, sep, args = spec[:-1].partition("(")
    if not sep or not name:
        raise ConfigError(f"teacher spec must look like name or name(key=value, ...), got {spec!r}")
    kwargs = dict(parse_pair(part, f"teacher spec {spec!r}: argument {part!r}")
                  for part in filter(None, (p.strip() for p in args.split(","))))
    return name.strip(), kwargs


def compatible_teachers(env_entry: SuiteEnv) -> list[str]:
    """Registered teachers that can run on the env (:func:`teachgym.registry.compatibility`) with no
    argument every use must give (``required_kwargs``, e.g. a trained model's path)."""
    import gymnasium as gym

    import teachgym
    from teachgym.registry import compatibility, teacher_meta

    env = gym.make(env_entry.env_id, **env_entry.kwargs)
    try:
        return [name for name in teachgym.teacher_registry.names()
                if not teacher_meta(name).required_kwargs and not compatibility(name, env)]
    finally:
        env.close()


def plan(suite: Suite, teachers: Iterable[str] | None = None, seeds: int | None = None,
         skipped: list[tuple[str, str, str]] | None = None) -> list[RunSpec]:
    """Every run of the suite: teachers given > the suite entry's teachers > all compatible teachers.

    Seeds ``0 .. n-1``: ``seeds`` if given, else the entry's own count, else the suite's.

    Teachers given here run on the suite's envs they can run on; ``skipped``, when
    given, receives ``(teacher, env label, why)`` for the others. A given teacher
    that fits none of the envs is an error. (Teachers listed by the suite itself run
    on their env or fail :func:`check_specs`.)
    """
    n_seeds = suite.seeds if seeds is None else seeds
    if n_seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {n_seeds}")
    chosen = list(teachers) if teachers else None
    specs = []
    reasons: dict[str, list[str]] = {t: [] for t in chosen or ()}
    for entry in suite.envs:
        if chosen:
            misfits = _misfits(chosen, entry)
            for teacher, why in misfits.items():
                reasons[teacher].append(f"{entry.label}: {why}")
                if skipped is not None:
                    skipped.append((teacher, entry.label, why))
            names = [t for t in chosen if t not in misfits]
        else:
            names = list(entry.teachers or compatible_teachers(entry))
            for teacher, why in _not_installed(names).items():  # a suite's teacher whose optional packages are absent
                if skipped is not None:
                    skipped.append((teacher, entry.label, why))
                names.remove(teacher)
        entry_seeds = n_seeds if seeds is not None else entry.seeds or n_seeds
        for name in names:
            for seed in range(entry_seeds):
                specs.append(RunSpec(entry.env_id, dict(entry.kwargs), entry.label, name, seed))
    nowhere = [t for t, why in reasons.items() if len(why) == len(suite.envs)]
    if nowhere:
        raise ConfigError("; ".join(f"teacher {t!r} can run on none of the suite's envs ({'; '.join(reasons[t])})"
                                    for t in nowhere))
    return specs


def _not_installed(teachers: list[str]) -> dict[str, str]:
    """Why each of ``teachers`` whose optional packages are not installed cannot run (others are left out)."""
    from teachgym.registry import missing_packages, teacher_meta

    out = {}
    for teacher in teachers:
        try:
            missing = missing_packages(teacher_meta(parse_teacher_spec(teacher)[0]))
        except Exception:  # noqa: BLE001 - unknown or unimportable: check_specs reports it with the others
            continue
        if missing:
            extras = ",".join(sorted({extra for _, extra in missing}))
            out[teacher] = (f"needs {', '.join(package for package, _ in missing)}, not installed here "
                            f"(pip install 'teachgym[{extras}]')")
    return out


def _misfits(teachers: list[str], entry: SuiteEnv) -> dict[str, str]:
    """Why each of ``teachers`` cannot run on the suite env (unknown names are left to :func:`check_specs`)."""
    import gymnasium as gym

    from teachgym.registry import compatibility

    env = gym.make(entry.env_id, **entry.kwargs)
    out = {}
    try:
        for teacher in teachers:
            try:
                why = compatibility(parse_teacher_spec(teacher)[0], env)
            except Exception:  # noqa: BLE001 - unknown or unimportable: check_specs reports it with the others
                continue
            if why:
                out[teacher] = "; ".join(why)
    finally:
        env.close()
    return out


def check_specs(specs: Iterable[RunSpec]) -> None:
    """Raise one ConfigError listing every unknown teacher and every teacher x env that cannot run.

    Names are looked up in the teacher registry (with a "did you mean"), import paths
    imported, and :func:`teachgym.registry.compatibility` asked for each teacher on
    each env as configured (one instance of each env is made).
    """
    import gymnasium as gym

    from teachgym.registry import UnknownNameError, compatibility, teacher_registry

    specs = list(specs)
    problems: list[str] = []
    usable: dict[str, str] = {}
    for spec_text in dict.fromkeys(s.teacher for s in specs):
        name, _ = parse_teacher_spec(spec_text)
        try:
            teacher_registry.entry(name).load()
            usable[spec_text] = name
        except UnknownNameError as exc:
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - an import path whose module fails to import
            problems.append(f"teacher {spec_text!r} cannot be imported: {type(exc).__name__}: {exc}")
    by_env: dict[str, tuple[RunSpec, list[str]]] = {}
    for spec in specs:
        identity = json.dumps([spec.env_id, spec.env_kwargs], sort_keys=True)
        names = by_env.setdefault(identity, (spec, []))[1]
        if spec.teacher in usable and spec.teacher not in names:
            names.append(spec.teacher)
    for spec, teachers in by_env.values():
        if not teachers:
            continue
        try:
            env = gym.make(spec.env_id, **spec.env_kwargs)
        except Exception as exc:  # noqa: BLE001 - reported with the env's label
            problems.append(f"env {spec.env_label}: cannot be made: {type(exc).__name__}: {exc}")
            continue
        try:
            for teacher in teachers:
                problems += [f"{spec.env_label}: {why}" for why in compatibility(usable[teacher], env)]
        finally:
            env.close()
    if problems:
        raise ConfigError("nothing was run: " + "; ".join(problems))


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
    """What a sweep did.

    Attributes:
        planned: runs in the plan.
        already_done: runs found stored (before or during the sweep).
        ran: runs this sweep executed.
        failed: of those, runs that raised.
        taken: runs a live concurrent sweep was running, left to it.
    """

    planned: int
    already_done: int
    ran: int
    failed: int
    taken: int = 0


def run_sweep(
    specs: list[RunSpec],
    store: RunStore,
    *,
    jobs: int = 1,
    backend: str = "local",
    ray_address: str | None = None,
    retry_failed: bool = False,
    on_result: Callable[[RunSpec, dict], None] | None = None,
    check: bool = True,
) -> SweepSummary:
    """Run every spec not yet in ``store``; write each result as soon as it arrives.

    Args:
        check: first run :func:`check_specs` on the missing runs (raises ConfigError).
    """
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    if backend not in ("local", "ray"):
        raise ConfigError(f"--backend must be 'local' or 'ray', got {backend!r}")
    since = store.now() if retry_failed else None
    done = store.done_keys(include_failed=not retry_failed)
    todo = [s for s in specs if s.key not in done]
    if check and todo:
        check_specs(todo)
    version = code_version()
    counts = {"ran": 0, "failed": 0, "done": len(specs) - len(todo), "taken": 0}

    def claimed() -> Iterable[RunSpec]:
        for spec in todo:
            outcome = store.claim(spec.key, since)
            if outcome == "claimed":
                yield spec
            else:
                counts[outcome] += 1

    def record(spec: RunSpec, result: dict) -> None:
        counts["ran"] += 1
        counts["failed"] += result["status"] == "failed"
        store.write(spec, result, version)
        if on_result is not None:
            on_result(spec, result)

    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(store, stop), daemon=True, name="teachgym-claims")
    beat.start()
    try:
        if backend == "ray":
            _run_ray(claimed(), jobs, ray_address, record)
        elif jobs == 1 or len(todo) <= 1:
            for spec in claimed():
                record(spec, execute(spec))
        else:
            _run_pool(claimed(), jobs, record)
    finally:
        stop.set()
        beat.join()
        store.release()
    return SweepSummary(planned=len(specs), already_done=counts["done"], ran=counts["ran"], failed=counts["failed"],
                        taken=counts["taken"])


def _heartbeat(store: RunStore, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            store.heartbeat()
        except Exception:  # noqa: BLE001 - a missed beat only risks a duplicate run, never a wrong row
            pass


def _run_pool(todo: Iterable[RunSpec], jobs: int, record: Callable[[RunSpec, dict], None]) -> None:
    for var in _THREAD_VARS:  # inherited by the spawned workers before numpy loads there
        os.environ.setdefault(var, "1")
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads or torch
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                             initargs=(os.getpid(),)) as pool:
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


def _run_ray(todo: Iterable[RunSpec], jobs: int, address: str | None, record: Callable[[RunSpec, dict], None]) -> None:
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
        queue = iter(todo)
        pending = {}
        for spec in queue:  # claim as slots free up, so concurrent sweeps share the work
            pending[remote.remote(spec)] = spec
            if len(pending) >= 2 * jobs:
                break
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for ref in finished:
                spec = pending.pop(ref)
                record(spec, ray.get(ref))
                following = next(queue, None)
                if following is not None:
                    pending[remote.remote(following)] = following
    finally:
        if started_here:
            ray.shutdown()


def _worker_init(parent_pid: int) -> None:
    """Pool worker set-up: die with the sweep process, one thread per library."""
    if sys.platform.startswith("linux"):
        try:  # the kernel sends SIGKILL when the parent dies (SIGKILL of the sweep included)
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="teachgym-parent-watch").start()
    _pin_threads()


def _watch_parent(parent_pid: int) -> None:
    """Fallback where there is no parent-death signal: poll the parent pid once a second."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGKILL)


def _pin_threads() -> None:
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - a base dependency
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _numeric(array):
    import numpy as np

    if array is None:
        return None
    array = np.asarray(array)
    return array if array.dtype.kind in "biuf" else None
