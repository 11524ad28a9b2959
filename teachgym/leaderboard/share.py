"""Sharing runs: export a suite's runs as one JSON-lines file, import someone else's.

The first line is a header naming the suite and its hash (:attr:`Suite.hash`: envs, kwargs,
teachers, seeds, tuning); every further line is one run (env, kwargs, teacher spec, seed,
status, score, curve, the code version that produced it, lessons and tasks as base64 of the
store's compressed ``.npy`` bytes). :func:`import_runs` refuses a file of another suite (or
of the same suite name with other settings), checks every run (its key, its env, its score,
its arrays) before writing any, and then adds the runs the store lacks, in one transaction;
runs already stored are kept as they are.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teachgym.leaderboard.store import RunSpec, RunStore, unpack_array
from teachgym.leaderboard.suites import Suite
from teachgym.validation import ConfigError

FORMAT = "teachgym-leaderboard-runs"
VERSION = 1
_FIELDS = ("run_key", "env_id", "env_kwargs", "env_label", "teacher", "seed", "status", "score", "steps", "wall_time",
           "curve", "error", "code_version", "created_at")


@dataclass
class ImportSummary:
    """What an import did: runs in the file, runs added, runs the store already had."""

    in_file: int
    added: int
    already_stored: int


def export_runs(store: RunStore, suite: Suite, path: str | Path) -> int:
    """Write the suite's runs in ``store`` to ``path`` (JSON lines, header first); return the run count."""
    import teachgym

    labels = [e.label for e in suite.envs]
    header = {"format": FORMAT, "version": VERSION, "suite": suite.name, "suite_hash": suite.hash,
              "seeds": suite.seeds, "teachgym": teachgym.__version__,
              "exported": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for row in store.raw_rows(labels):
            record = {k: row[k] for k in _FIELDS}
            for name in ("lessons", "tasks"):
                record[name] = None if row[name] is None else base64.b64encode(row[name]).decode("ascii")
            f.write(json.dumps(record) + "\n")
            count += 1
    return count


def import_runs(store: RunStore, suite: Suite, path: str | Path) -> ImportSummary:
    """Merge the runs of ``path`` into ``store`` after checking that the file belongs to ``suite``.

    Raises:
        ConfigError: the file is not a teachgym runs file, belongs to another suite (name or hash),
            or holds a run that fails a check (the line is named); nothing is written then.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read runs file {path}: {exc}") from None
    if not lines:
        raise ConfigError(f"{path} is empty: not a teachgym runs file")
    header = _json(lines[0], path, 1)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a teachgym runs file (its first line has no format {FORMAT!r})")
    if header.get("version") != VERSION:
        raise ConfigError(f"{path} has format version {header.get('version')!r}; this teachgym reads {VERSION}")
    if header.get("suite") != suite.name or header.get("suite_hash") != suite.hash:
        raise ConfigError(f"{path} holds runs of suite {header.get('suite')!r} (hash {header.get('suite_hash')}); "
                          f"--suite {suite.name} has hash {suite.hash}: the suites differ (envs, kwargs, teachers, "
                          "seeds or tuning), so the runs are not comparable")
    entries = {e.label: e for e in suite.envs}
    records = [_checked(_json(line, path, i), entries, path, i) for i, line in enumerate(lines[1:], start=2) if line.strip()]
    added = store.insert_missing(records)
    return ImportSummary(len(records), added, len(records) - added)


def _json(line: str, path: Path, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{number}: not JSON ({exc})") from None


def _checked(record: Any, entries: dict, path: Path, number: int) -> dict[str, Any]:
    where = f"{path}:{number}"
    if not isinstance(record, dict) or set(record) != {*_FIELDS, "lessons", "tasks"}:
        raise ConfigError(f"{where}: a run must have exactly the fields {sorted({*_FIELDS, 'lessons', 'tasks'})}")
    entry = entries.get(record["env_label"])
    if entry is None:
        raise ConfigError(f"{where}: env {record['env_label']!r} is not an env of the suite")
    if record["env_id"] != entry.env_id or record["env_kwargs"] != entry.kwargs:
        raise ConfigError(f"{where}: env id and kwargs do not match the suite's {entry.label!r}")
    seed, teacher = record["seed"], record["teacher"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or not isinstance(teacher, str) or not teacher:
        raise ConfigError(f"{where}: seed must be an integer >= 0 and teacher a non-empty string")
    if RunSpec(entry.env_id, entry.kwargs, entry.label, teacher, seed).key != record["run_key"]:
        raise ConfigError(f"{where}: run_key does not match the run's env, teacher and seed")
    if record["status"] not in ("ok", "failed"):
        raise ConfigError(f"{where}: status must be 'ok' or 'failed', got {record['status']!r}")
    score = record["score"]
    if record["status"] == "ok" and not (isinstance(score, (int, float)) and not isinstance(score, bool)
                                         and math.isfinite(score) and 0.0 <= score <= 100.0):
        raise ConfigError(f"{where}: an ok run's score must be a number in [0, 100], got {score!r}")
    out = dict(record)
    for name in ("lessons", "tasks"):
        if out[name] is not None:
            try:
                out[name] = base64.b64decode(out[name], validate=True)
                unpack_array(out[name])
            except Exception as exc:  # noqa: BLE001 - any malformed array refuses the file
                raise ConfigError(f"{where}: {name} is not a base64 compressed .npy array ({exc})") from None
    out["env_kwargs"] = json.dumps(entry.kwargs, sort_keys=True)
    out["curve"] = None if out["curve"] is None else json.dumps(out["curve"])
    return out
