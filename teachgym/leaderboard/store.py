"""The run store: one SQLite file, one row per (teacher, env + kwargs, seed).

Each finished run is written in its own transaction under a unique key, so a
sweep killed at any moment (SIGKILL included) leaves only whole rows, and the
next sweep runs exactly the missing ones. SQLite's WAL journal keeps readers
(``leaderboard show``) working while a sweep writes.

Concurrent sweeps on one file split the work through *claims*: a sweep claims a
run (its host, pid and a heartbeat time, in one transaction) before starting it,
and skips runs claimed by a live sweep. A claim whose process is gone (same host)
or whose heartbeat is older than ``stale_after`` seconds (any host) is taken over.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import sqlite3
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.validation import ConfigError

LOCK_TIMEOUT_S = 60.0  # how long a store waits for another process's lock before giving up

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_key        TEXT PRIMARY KEY,
    env_id         TEXT NOT NULL,
    env_kwargs     TEXT NOT NULL,
    env_label      TEXT NOT NULL,
    teacher        TEXT NOT NULL,
    seed           INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    score          REAL,
    steps          INTEGER,
    wall_time      REAL,
    curve          TEXT,
    lessons        BLOB,
    tasks          BLOB,
    error          TEXT,
    code_version   TEXT,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS runs_by_env ON runs (env_label, teacher);
CREATE TABLE IF NOT EXISTS claims (
    run_key        TEXT PRIMARY KEY,
    claimer        TEXT NOT NULL,
    host           TEXT NOT NULL,
    pid            INTEGER NOT NULL,
    heartbeat      REAL NOT NULL
);
"""


class StoreError(ConfigError):
    """The run store file cannot be opened or read (not SQLite, truncated, or corrupt)."""



@dataclass(frozen=True)
class RunSpec:
    """What to run: the identity of one leaderboard run."""

    env_id: str
    env_kwargs: dict[str, Any]
    env_label: str
    teacher: str
    seed: int

    @property
    def key(self) -> str:
        identity = json.dumps([self.env_id, self.env_kwargs, self.teacher, self.seed], sort_keys=True)
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


def pack_array(array: np.ndarray | None) -> bytes | None:
    """Compressed ``.npy`` bytes (no pickle: object arrays are refused)."""
    if array is None:
        return None
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return zlib.compress(buffer.getvalue(), 6)


def unpack_array(blob: bytes | None) -> np.ndarray | None:
    if blob is None:
        return None
    return np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False)


class RunStore:
    """SQLite-backed store of leaderboard runs.

    Args:
        path: the SQLite file (created if missing).
        stale_after: seconds after which another sweep's claim without a heartbeat is taken over.

    Raises:
        StoreError: the file is not a readable run store (it is checked on opening).
    """

    def __init__(self, path: str | Path, stale_after: float = 300.0):
        self.path = Path(path)
        self.stale_after = float(stale_after)
        self.claimer = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = None
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                self._db = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(SCHEMA)
                problems = [row[0] for row in self._db.execute("PRAGMA quick_check(3)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("; ".join(problems))
                return
            except sqlite3.DatabaseError as exc:
                if self._db is not None:
                    self._db.close()
                    self._db = None
                # Switching a new file to WAL fails at once (no busy wait) while another process creates it.
                if "locked" in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.05 + 0.05 * (os.getpid() % 5))
                    continue
                raise unreadable(self.path, exc) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def done_keys(self, include_failed: bool = True) -> set[str]:
        query = "SELECT run_key FROM runs" + ("" if include_failed else " WHERE status = 'ok'")
        return {row[0] for row in self._db.execute(query)}

    def write(self, spec: RunSpec, record: dict[str, Any], code_version: str) -> None:
        """Write one finished (or failed) run in a single transaction; replaces an earlier failed row."""
        row = (
            spec.key, spec.env_id, json.dumps(spec.env_kwargs, sort_keys=True), spec.env_label, spec.teacher, spec.seed,
            record["status"], record.get("score"), record.get("steps"), record.get("wall_time"),
            json.dumps(record.get("curve")) if record.get("curve") is not None else None,
            record.get("lessons"), record.get("tasks"), record.get("error"), code_version,
        )
        with self._transaction():
            self._db.execute("DELETE FROM claims WHERE run_key = ? AND claimer = ?", (spec.key, self.claimer))
            self._db.execute(
                "INSERT INTO runs (run_key, env_id, env_kwargs, env_label, teacher, seed, status, score, steps, "
                "wall_time, curve, lessons, tasks, error, code_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(run_key) DO UPDATE SET status=excluded.status, score=excluded.score, steps=excluded.steps, "
                "wall_time=excluded.wall_time, curve=excluded.curve, lessons=excluded.lessons, tasks=excluded.tasks, "
                "error=excluded.error, code_version=excluded.code_version, created_at=excluded.created_at "
                "WHERE runs.status = 'failed'",
                row,
            )

    def rows(self, env_labels: Iterable[str] | None = None, with_arrays: bool = False) -> Iterator[dict[str, Any]]:
        columns = "run_key, env_id, env_kwargs, env_label, teacher, seed, status, score, steps, wall_time, curve, error, " \
                  "code_version, created_at" + (", lessons, tasks" if with_arrays else "")
        query = f"SELECT {columns} FROM runs"
        params: tuple = ()
        if env_labels is not None:
            labels = tuple(env_labels)
            query += f" WHERE env_label IN ({','.join('?' * len(labels))})"
            params = labels
        cursor = self._db.execute(query + " ORDER BY env_label, teacher, seed", params)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            row["env_kwargs"] = json.loads(row["env_kwargs"])
            row["curve"] = json.loads(row["curve"]) if row["curve"] else []
            if with_arrays:
                row["lessons"] = unpack_array(row["lessons"])
                row["tasks"] = unpack_array(row["tasks"])
            yield row

    def raw_rows(self, env_labels: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Rows of ``env_labels`` as stored (kwargs and curve decoded, arrays as compressed bytes), for export."""
        labels = tuple(env_labels)
        cursor = self._db.execute(
            "SELECT run_key, env_id, env_kwargs, env_label, teacher, seed, status, score, steps, wall_time, curve, "
            f"error, code_version, created_at, lessons, tasks FROM runs WHERE env_label IN ({','.join('?' * len(labels))}) "
            "ORDER BY env_label, teacher, seed", labels)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            row["env_kwargs"] = json.loads(row["env_kwargs"])
            row["curve"] = json.loads(row["curve"]) if row["curve"] else None
            yield row

    def insert_missing(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert rows (columns as stored) whose run key is not stored yet, in one transaction; return how many."""
        columns = ("run_key", "env_id", "env_kwargs", "env_label", "teacher", "seed", "status", "score", "steps",
                   "wall_time", "curve", "lessons", "tasks", "error", "code_version", "created_at")
        before = self.count()
        with self._transaction():
            self._db.executemany(f"INSERT OR IGNORE INTO runs ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))})", [tuple(r[c] for c in columns) for r in rows])
        return self.count() - before

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    # -- claims: concurrent sweeps on one file split the work -------------------------------
    def now(self) -> str:
        """SQLite's clock in the format of ``created_at``."""
        return self._db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]

    def claim(self, run_key: str, retry_failed_before: str | None = None) -> str:
        """Try to claim one run for this store's sweep.

        Args:
            run_key: the run's key.
            retry_failed_before: with a ``created_at`` time, a failed row older than it is
                run again; ``None``: a failed row counts as done.

        Returns:
            ``"claimed"`` (run it), ``"done"`` (stored meanwhile) or ``"taken"`` (a live sweep runs it).
        """
        with self._transaction():
            row = self._db.execute("SELECT status, created_at FROM runs WHERE run_key = ?", (run_key,)).fetchone()
            if row is not None and (row[0] == "ok" or retry_failed_before is None or row[1] >= retry_failed_before):
                return "done"
            held = self._db.execute("SELECT claimer, host, pid, heartbeat FROM claims WHERE run_key = ?",
                                    (run_key,)).fetchone()
            if held is not None and held[0] != self.claimer and self._claim_is_live(*held[1:]):
                return "taken"
            host, pid = self.claimer.split(":")[:2]
            self._db.execute("INSERT OR REPLACE INTO claims (run_key, claimer, host, pid, heartbeat) VALUES (?,?,?,?,?)",
                             (run_key, self.claimer, host, int(pid), time.time()))
        return "claimed"

    def release(self, run_keys: Iterable[str] | None = None) -> None:
        """Drop this sweep's claims (all of them when ``run_keys`` is None)."""
        with self._transaction():
            if run_keys is None:
                self._db.execute("DELETE FROM claims WHERE claimer = ?", (self.claimer,))
            else:
                self._db.executemany("DELETE FROM claims WHERE run_key = ? AND claimer = ?",
                                     [(key, self.claimer) for key in run_keys])

    def heartbeat(self) -> None:
        """Mark this sweep's claims as alive; safe from another thread (it opens its own connection)."""
        db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            db.execute("UPDATE claims SET heartbeat = ? WHERE claimer = ?", (time.time(), self.claimer))
        finally:
            db.close()

    def claims(self) -> list[dict[str, Any]]:
        cursor = self._db.execute("SELECT run_key, claimer, host, pid, heartbeat FROM claims ORDER BY run_key")
        return [dict(zip([d[0] for d in cursor.description], values)) for values in cursor]

    def _claim_is_live(self, host: str, pid: int, heartbeat: float) -> bool:
        if time.time() - heartbeat > self.stale_after:
            return False
        if host != socket.gethostname():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's live process
            return True
        return True

    def _transaction(self):
        return _Transaction(self._db)


def unreadable(path: Path, exc: Exception) -> StoreError:
    """The one-line error for a run store SQLite cannot read."""
    if "locked" in str(exc):
        return StoreError(f"--db {path} stayed locked by another process for {LOCK_TIMEOUT_S:g} s ({exc}); "
                          f"try again later")
    return StoreError(f"--db {path} is not a readable run store ({exc}): it is not an SQLite file, or it is "
                      f"truncated or corrupt. Move it aside (or delete it) to start a new store, or pass another --db")


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self):
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *exc):
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
