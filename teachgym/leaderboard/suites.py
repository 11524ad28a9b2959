"""Suites: named sets of (env id + kwargs) with a seed count, loaded from TOML data.

A suite entry may name a challenge *profile* (what it isolates is its ``description``) and
the *ranking* it belongs to (default: the env's family). A suite may ``include`` other
suites' envs, state its time ``budget``, and declare a ``tuning`` table for the tuned track
(:mod:`teachgym.leaderboard.tuning`).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from teachgym.validation import ConfigError


@dataclass(frozen=True)
class SuiteEnv:
    """One env of a suite.

    Attributes:
        env_id: the registered env id.
        kwargs: env arguments.
        teachers: the teachers to run (None: every compatible registered teacher).
        best_known: the score normalised to 1 (None: the best non-privileged mean in the data).
        ranking: the ranking this env counts in (None: its env family).
        profile: the challenge profile's name, if the entry is one.
        description: what the entry (profile) isolates.
        seeds: this env's seed count (None: the suite's); an included suite's envs keep its count.
    """

    env_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    teachers: tuple[str, ...] | None = None
    best_known: float | None = None
    ranking: str | None = None
    profile: str | None = None
    description: str = ""
    seeds: int | None = None

    @property
    def label(self) -> str:
        """``env_id`` plus its kwargs, e.g. ``teachgym/ToyCurriculum-v0{"n_useless_dims": 5}``: the run identity."""
        return self.env_id + (json.dumps(self.kwargs, sort_keys=True) if self.kwargs else "")

    @property
    def title(self) -> str:
        """A short name to show: ``profile (EnvName)`` for a profile, else ``EnvName`` and its kwargs as ``k=v``."""
        name = self.env_id.split("/")[-1]
        if self.profile:
            return f"{self.profile} ({name})"
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.kwargs.items()))
        return f"{name} ({args})" if args else name


@dataclass(frozen=True)
class Tuning:
    """The tuned track's search budget: ``configs`` configurations per teacher (its defaults first, then
    draws from its declared search space), each run on ``seeds`` tuning seeds, disjoint from the
    evaluation seeds."""

    configs: int = 6
    seeds: int = 3


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    seeds: int
    envs: tuple[SuiteEnv, ...]
    budget: str = ""
    tuning: Tuning | None = None

    @property
    def hash(self) -> str:
        """A digest of what the suite's runs depend on (envs, kwargs, teachers, seeds, tuning)."""
        identity = {"seeds": self.seeds, "envs": [[e.env_id, e.kwargs, list(e.teachers or ()), e.seeds] for e in self.envs],
                    "tuning": None if self.tuning is None else [self.tuning.configs, self.tuning.seeds]}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def entry(self, label: str) -> SuiteEnv:
        for env in self.envs:
            if env.label == label:
                return env
        raise KeyError(label)


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
    specs = data.get("suites", {})
    return {name: _parse_suite(name, spec, specs) for name, spec in specs.items()}


def get_suite(name: str, path: str | Path | None = None) -> Suite:
    suites = load_suites(path)
    if name not in suites:
        raise ConfigError(f"--suite must be one of {', '.join(sorted(suites))}; got {name!r}")
    return suites[name]


def _parse_env(where: str, entry: dict[str, Any]) -> SuiteEnv:
    if not isinstance(entry.get("id"), str):
        raise ConfigError(f"{where}.id must be an env id string")
    kwargs = entry.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{where}.kwargs must be a table")
    teachers = entry.get("teachers")
    if teachers is not None and not (isinstance(teachers, list) and all(isinstance(t, str) for t in teachers)):
        raise ConfigError(f"{where}.teachers must be a list of teacher names")
    best = entry.get("best_known")
    if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float))):
        raise ConfigError(f"{where}.best_known must be a number")
    for key in ("ranking", "profile", "description"):
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError(f"{where}.{key} must be a string")
    seeds = entry.get("seeds")
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise ConfigError(f"{where}.seeds must be an integer >= 1, got {seeds!r}")
    unknown = set(entry) - {"id", "kwargs", "teachers", "best_known", "ranking", "profile", "description", "seeds"}
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; allowed: id, kwargs, teachers, best_known, "
                          "ranking, profile, description, seeds")
    return SuiteEnv(entry["id"], dict(kwargs), tuple(teachers) if teachers else None,
                    None if best is None else float(best), entry.get("ranking"), entry.get("profile"),
                    " ".join(entry.get("description", "").split()), seeds)


def _parse_suite(name: str, spec: dict[str, Any], all_specs: dict[str, Any], seen: tuple[str, ...] = ()) -> Suite:
    seeds = spec.get("seeds", 5)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"suites.{name}.seeds must be an integer >= 1, got {seeds!r}")
    envs: list[SuiteEnv] = []
    if spec.get("all_registered"):
        from teachgym.envs import env_ids

        envs = [SuiteEnv(env_id) for env_id in env_ids()]
    for other in spec.get("include", []):
        if other not in all_specs:
            raise ConfigError(f"suites.{name}.include names {other!r}, which is not a suite")
        if other in seen or other == name:
            raise ConfigError(f"suites.{name}.include forms a cycle through {other!r}")
        included = _parse_suite(other, all_specs[other], all_specs, (*seen, name))
        envs += [replace(e, seeds=e.seeds or included.seeds) for e in included.envs]
    envs += [_parse_env(f"suites.{name}.envs[{i}]", entry) for i, entry in enumerate(spec.get("envs", []))]
    labels = [e.label for e in envs]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"suites.{name} lists an env twice: {sorted({l for l in labels if labels.count(l) > 1})}")
    if not envs:
        raise ConfigError(f"suites.{name} lists no envs")
    tuning = spec.get("tuning")
    if tuning is not None:
        if not isinstance(tuning, dict):
            raise ConfigError(f"suites.{name}.tuning must be a table")
        for key in ("configs", "seeds"):
            value = tuning.get(key, getattr(Tuning, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"suites.{name}.tuning.{key} must be an integer >= 1, got {value!r}")
        tuning = Tuning(tuning.get("configs", Tuning.configs), tuning.get("seeds", Tuning.seeds))
    return Suite(name, " ".join(spec.get("description", "").split()), seeds, tuple(envs),
                 " ".join(str(spec.get("budget", "")).split()), tuning)
