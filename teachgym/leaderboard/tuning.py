"""The tuned track: every teacher gets the same hyperparameter-search budget, on tuning seeds.

For each env of a suite with a ``tuning`` table and each teacher that runs there, the search
tries ``configs`` configurations: the teacher's defaults first, then draws from the search
space declared for it in the suite file's ``[search_spaces.NAME]`` tables (a teacher without a declared space, e.g. one
without hyperparameters, has only its defaults). Each configuration runs on ``seeds`` tuning
seeds, ``TUNING_SEED_BASE + i``, disjoint from the evaluation seeds ``0 .. n-1``; the one with
the best mean score (ties: the earlier, so the defaults win ties) is then run on the
evaluation seeds. The search runs are ordinary runs of the store (teacher spec strings such as
``alp-gmm(fit_rate=62, random_task_ratio=0.12)``), so a killed search resumes like any sweep,
and the choice is recomputed from the stored runs: nothing else is kept.

Search-space entries (constructor arguments): ``{ low, high }`` a float (``log = true``:
log-uniform), ``{ low, high, int = true }`` an integer, ``{ choice = [...] }``, or
``{ budget_share = [low, high], min = m }``: an integer share of the env's teaching budget
(``n_steps``), drawn log-uniformly, at least ``m``; so one draw means the same thing on a
500-step and a 20,000-step env.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.leaderboard.store import RunSpec, RunStore
from teachgym.leaderboard.suites import Suite, SuiteEnv
from teachgym.validation import ConfigError

TUNING_SEED_BASE = 10_000


def load_search_spaces(path: str | Path | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Search spaces by teacher name: the ``search_spaces`` tables of the suite file ``path`` if it has
    any, else of the packaged ``suites.toml`` (validated)."""
    packaged = resources.files("teachgym.leaderboard").joinpath("suites.toml").read_text()
    spaces = tomllib.loads(Path(path).read_text()).get("search_spaces") if path is not None else None
    if spaces is None:
        spaces = tomllib.loads(packaged).get("search_spaces", {})
    for teacher, params in spaces.items():
        for name, spec in params.items():
            where = f"search space {teacher}.{name}"
            if not isinstance(spec, dict):
                raise ConfigError(f"{where} must be a table")
            if "choice" in spec:
                if not isinstance(spec["choice"], list) or not spec["choice"]:
                    raise ConfigError(f"{where}.choice must be a non-empty list")
            elif "budget_share" in spec:
                share = spec["budget_share"]
                if not (isinstance(share, list) and len(share) == 2 and 0 < share[0] <= share[1] <= 1):
                    raise ConfigError(f"{where}.budget_share must be [low, high] with 0 < low <= high <= 1")
            elif not ("low" in spec and "high" in spec and spec["low"] <= spec["high"]):
                raise ConfigError(f"{where} needs low <= high, a choice list or a budget_share")
            elif spec.get("log") and spec["low"] <= 0:
                raise ConfigError(f"{where}: a log-uniform range needs low > 0")
    return spaces


def _draw(spec: dict[str, Any], rng: np.random.Generator, budget: int) -> Any:
    if "choice" in spec:
        return spec["choice"][int(rng.integers(len(spec["choice"])))]
    if "budget_share" in spec:
        low, high = spec["budget_share"]
        share = math.exp(rng.uniform(math.log(low), math.log(high)))
        return max(int(spec.get("min", 1)), round(share * budget))
    low, high = float(spec["low"]), float(spec["high"])
    value = math.exp(rng.uniform(math.log(low), math.log(high))) if spec.get("log") else rng.uniform(low, high)
    if spec.get("int"):
        return int(round(value))
    return float(f"{value:.3g}")


def configurations(teacher: str, space: dict[str, dict[str, Any]] | None, n: int, budget: int) -> list[dict[str, Any]]:
    """``n`` configurations of ``teacher`` (its defaults first, then distinct draws from ``space``).

    The draws come from a generator seeded by the teacher's name, so a teacher gets the same
    draws (as budget shares) on every env, and any two sweeps plan the same runs.
    """
    configs: list[dict[str, Any]] = [{}]
    if not space:
        return configs
    rng = np.random.default_rng(int(hashlib.sha256(teacher.encode()).hexdigest()[:12], 16))
    for _ in range(50 * n):
        if len(configs) >= n:
            break
        draw = {name: _draw(spec, rng, budget) for name, spec in sorted(space.items())}
        if draw not in configs:
            configs.append(draw)
    return configs


def spec_string(teacher: str, kwargs: dict[str, Any]) -> str:
    """The teacher spec of a configuration: ``name`` or ``name(key=value, ...)`` with sorted keys."""
    if not kwargs:
        return teacher
    return f"{teacher}(" + ", ".join(f"{k}={_value_text(v)}" for k, v in sorted(kwargs.items())) + ")"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def teaching_budget(entry: SuiteEnv) -> int:
    """The env's ``n_steps`` as configured in the suite (the env is made once to read it)."""
    import gymnasium as gym

    env = gym.make(entry.env_id, **entry.kwargs)
    try:
        return int(env.unwrapped.n_steps)
    finally:
        env.close()


class TuningPlan:
    """The search of one suite: for each (env label, teacher), its configuration specs.

    Args:
        suite: a suite with a ``tuning`` table.
        teachers: per env label, the teachers that run there (as :func:`~teachgym.leaderboard.sweep.plan` chose).
        spaces: search spaces (default: :func:`load_search_spaces` of the packaged suite file).
    """

    def __init__(self, suite: Suite, teachers: dict[str, list[str]], spaces: dict | None = None):
        if suite.tuning is None:
            raise ConfigError(f"suite {suite.name!r} has no [suites.{suite.name}.tuning] table: it has no tuned track")
        from teachgym.leaderboard.sweep import parse_teacher_spec

        self.suite = suite
        self.tuning = suite.tuning
        spaces = load_search_spaces() if spaces is None else spaces
        self.configs: dict[tuple[str, str], list[str]] = {}
        for entry in suite.envs:
            if not teachers.get(entry.label):
                continue
            budget = teaching_budget(entry)
            for teacher in teachers[entry.label]:
                name, base = parse_teacher_spec(teacher)
                drawn = configurations(name, spaces.get(name), self.tuning.configs, budget)
                self.configs[(entry.label, teacher)] = [spec_string(name, {**base, **c}) for c in drawn]

    @property
    def seeds(self) -> list[int]:
        return [TUNING_SEED_BASE + i for i in range(self.tuning.seeds)]

    def search_specs(self) -> list[RunSpec]:
        """Every run of the search: each configuration on each tuning seed."""
        entries = {e.label: e for e in self.suite.envs}
        return [RunSpec(entries[label].env_id, dict(entries[label].kwargs), label, config, seed)
                for (label, _), configs in self.configs.items() for config in configs for seed in self.seeds]

    def chosen(self, store: RunStore) -> dict[tuple[str, str], str]:
        """The best configuration of each (env label, teacher) whose search is complete in ``store``."""
        means: dict[tuple[str, str], list[float]] = defaultdict(list)
        tuning_seeds = set(self.seeds)
        for row in store.rows({label for label, _ in self.configs}):
            if row["seed"] in tuning_seeds and row["status"] == "ok":
                means[(row["env_label"], row["teacher"])].append(row["score"])
        out = {}
        for (label, teacher), configs in self.configs.items():
            scores = [means.get((label, c), []) for c in configs]
            if all(len(s) == len(self.seeds) for s in scores):
                best = max(range(len(configs)), key=lambda i: (float(np.mean(scores[i])), -i))
                out[(label, teacher)] = configs[best]
        return out

    def evaluation_specs(self, chosen: dict[tuple[str, str], str], seeds: dict[str, int]) -> list[RunSpec]:
        """The chosen configurations on the evaluation seeds ``0 .. seeds[env label]-1``."""
        entries = {e.label: e for e in self.suite.envs}
        return [RunSpec(entries[label].env_id, dict(entries[label].kwargs), label, config, seed)
                for (label, _), config in sorted(chosen.items()) for seed in range(seeds.get(label, 0))]

    def search_only_specs(self) -> set[str]:
        """Spec strings that exist only as search configurations (not a planned teacher itself)."""
        planned = {teacher for _, teacher in self.configs}
        return {c for configs in self.configs.values() for c in configs if c not in planned}


def teachers_by_env(specs: Iterable[RunSpec]) -> dict[str, list[str]]:
    """The teachers of a run plan, per env label, in plan order."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        names = out.setdefault(spec.env_label, [])
        if spec.teacher not in names:
            names.append(spec.teacher)
    return out
