"""The trajectory log of a data-generation episode: every datum, plan and evaluation.

Events are plain JSON dicts with an ``"event"`` key:

===============  ===============================================================
event            fields
===============  ===============================================================
``reset``        ``root_seed``, ``domain`` (taxonomy), ``config``
``plan``         ``iteration``, ``action`` (as received), ``requests``,
                 ``rejected`` (None or why), ``plan_errors``
``data``         ``iteration``, ``datum`` (id, skill, subskill, difficulty,
                 question, answer, provenance[, scene])
``engine``       ``iteration``, the engine's report (requested, accepted, dropped)
``train``        ``iteration``, ``mode``, ``n_examples``, ``steps``, ``loss``
``evaluation``   ``iteration``, ``split`` (val / test), ``accuracy``,
                 ``per_skill``, ``correct`` (per item, in held-out order)
===============  ===============================================================

``TrajectoryLog.save`` writes JSON lines; with ``path`` set, events are also
appended to that file as they happen, so a running episode can be inspected.
:meth:`teachgym.envs.datagen.base.DataGenEnv.resume_from_log` rebuilds an
episode from such a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class TrajectoryLog:
    """An append-only list of events (see the module docstring)."""

    def __init__(self, path: str | Path | None = None):
        self.path = None if path is None else Path(path)
        self.events: list[dict[str, Any]] = []

    def clear(self) -> None:
        self.events = []
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("")

    def add(self, event: str, **fields: Any) -> dict[str, Any]:
        row = _jsonable({"event": event, **fields})
        self.events.append(row)
        if self.path is not None:
            with self.path.open("a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    def of(self, event: str) -> Iterator[dict[str, Any]]:
        return (e for e in self.events if e["event"] == event)

    def save(self, path: str | Path) -> None:
        with open(path, "w") as f:
            for row in self.events:
                f.write(json.dumps(row) + "\n")

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
