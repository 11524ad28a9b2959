"""Suites: named sets of (env id + kwargs) with a seed count, loaded from TOML data."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from teachgym.validation import ConfigError


@dataclass(frozen=True)
class SuiteEnv:
    """One env of a suite: id, kwargs, optional teacher list and best-known score."""

    env_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    teachers: tuple[str, ...] | None = None
    best_known: float | None = None

    @property
    def label(self) -> str:
        """``env_id`` plus its kwargs, e.g. ``teachgym/ToyCurriculum-v0{"n_useless_dims": 5}``."""
        return self.env_id + (json.dumps(self.kwargs, sort_keys=True) if self.kwargs else "")


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    seeds: int
    envs: tuple[SuiteEnv, ...]


def load_suites(path: str | Path | None = None) -> dict[str, Suite]:
    """Suites from ``path`` (a TOML file) or the packaged ``suites.toml``."""
    if path is None:
        text = resources.files("teachgym.leaderboard").joinpath("suites.toml").read_text()
    else:
        text = Path(path).read_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"suite file {path or 'suites.toml'} is not valid TOML: {exc}") from None
    return {name: _parse_suite(name, spec) for name, spec in data.get("suites", {}).items()}


def get_suite(name: str, path: str | Path | None = None) -> Suite:
    suites = load_suites(path)
    if name not in suites:
        raise ConfigError(f"--suite must be one of {', '.join(sorted(suites))}; got {name!r}")
    return suites[name]


def _parse_suite(name: str, spec: dict[str, Any]) -> Suite:
    seeds = spec.get("seeds", 5)
    if not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"suites.{name}.seeds must be an integer >= 1, got {seeds!r}")
    envs = []
    if spec.get("all_registered"):
        from teachgym.envs import env_ids

        envs = [SuiteEnv(env_id) for env_id in env_ids()]
    for i, entry in enumerate(spec.get("envs", [])):
        where = f"suites.{name}.envs[{i}]"
        if not isinstance(entry.get("id"), str):
            raise ConfigError(f"{where}.id must be an env id string")
        kwargs = entry.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise ConfigError(f"{where}.kwargs must be a table")
        teachers = entry.get("teachers")
        if teachers is not None and not (isinstance(teachers, list) and all(isinstance(t, str) for t in teachers)):
            raise ConfigError(f"{where}.teachers must be a list of teacher names")
        best = entry.get("best_known")
        if best is not None and not isinstance(best, (int, float)):
            raise ConfigError(f"{where}.best_known must be a number")
        envs.append(SuiteEnv(entry["id"], dict(kwargs), tuple(teachers) if teachers else None,
                             None if best is None else float(best)))
    if not envs:
        raise ConfigError(f"suites.{name} lists no envs")
    return Suite(name, spec.get("description", ""), seeds, tuple(envs))
