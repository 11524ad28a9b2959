"""Registries of teachers, students and envs, with the metadata tests and the leaderboard read.

A new teacher is one file in ``teachers/<family>/`` and one ``register_teacher``
line in ``teachers/__init__.py``; a new env one module in ``envs/<family>/`` and
one ``register_env`` entry in ``envs/__init__.py``; nothing else changes. Outside
packages add teachers through the ``teachgym.teachers`` entry-point group, or by
import path (``"mypkg.mod:MyTeacher"``) wherever a teacher name is accepted.

Metadata:

- env (:class:`EnvMeta`): family, what the headline score measures (always in
  [0, 100]), a small *smoke* configuration for conformance tests, a cost class;
- teacher (:class:`TeacherMeta`): family, privileged or not (registry line);
  supported action spaces, required ``info`` keys and required arguments (class
  attributes of the teacher).

:func:`compatibility` says why a teacher cannot run on an env, before any run.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any


FAMILIES = ("generic", "curriculum", "deeprl", "tutoring", "datagen", "finetune_rl", "grpo", "multiagent")
COST_CLASSES = ("fast", "medium", "slow")


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    entry_point: str | Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    family: str = "generic"
    privileged: bool = False

    def load(self) -> Callable[..., Any]:
        if callable(self.entry_point):
            return self.entry_point
        return load_entry_point(self.entry_point)


def load_entry_point(path: str) -> Callable[..., Any]:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"entry point must look like 'package.module:Name', got {path!r}")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None


class UnknownNameError(KeyError):
    """A name that no registry entry, plugin or import path provides."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry:
    """Names to lazy entry points, filled by ``register`` calls in one package."""

    def __init__(self, kind: str, package: str, group: str):
        self.kind = kind
        self._package = package  # imported on first lookup: it holds the register() lines
        self._group = group  # entry-point group for plugins
        self._entries: dict[str, RegistryEntry] = {}
        self._loaded = False

    def register(self, name: str, entry_point: str | Callable[..., Any], description: str = "", *,
                 family: str = "generic", privileged: bool = False, **kwargs: Any) -> None:
        """Add ``name``; ``kwargs`` are fixed constructor arguments of the entry.

        Args:
            family: the env family the entry belongs to (``"generic"``: any family).
            privileged: the teacher uses what a real teacher lacks (a schedule the env
                publishes, an oracle observation): the leaderboard shows it as a reference row.
        """
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        if family not in FAMILIES:
            raise ValueError(f"{self.kind} {name!r}: family must be one of {FAMILIES}, got {family!r}")
        self._entries[name] = RegistryEntry(name, entry_point, kwargs, description, family, bool(privileged))

    def _load_all(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        importlib.import_module(self._package)
        for ep in entry_points(group=self._group):
            if ep.name not in self._entries:
                self._entries[ep.name] = RegistryEntry(ep.name, ep.value)

    def names(self) -> list[str]:
        self._load_all()
        return sorted(self._entries)

    def entry(self, name: str) -> RegistryEntry:
        self._load_all()
        if name in self._entries:
            return self._entries[name]
        if ":" in name:
            return RegistryEntry(name, name)
        close = difflib.get_close_matches(name, self.names(), n=3)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}; {hint}registered: {', '.join(self.names())} "
                               f"(or give 'package.module:Class')")

    def make(self, name: str, /, **kwargs: Any) -> Any:
        """An instance of ``name``; every keyword (``name=`` included) goes to its constructor."""
        entry = self.entry(name)
        obj = entry.load()(**{**entry.kwargs, **kwargs})
        if isinstance(name, str):
            try:
                obj.registry_name = name
            except AttributeError:
                pass
        return obj


@dataclass(frozen=True)
class TeacherMeta:
    """What a teacher needs and is: read by tests, the leaderboard and :func:`compatibility`."""

    name: str
    family: str
    privileged: bool
    supported_spaces: tuple[type, ...]
    required_info: tuple[str, ...]
    required_kwargs: tuple[str, ...]
    description: str = ""
    env_ids: tuple[str, ...] = ()
    required_packages: tuple[tuple[str, str], ...] = ()


def teacher_meta(teacher: Any) -> TeacherMeta:
    """The metadata of a teacher given by registered name, import path, class or instance."""
    if isinstance(teacher, str):
        entry = teacher_registry.entry(teacher)
        cls, name = entry.load(), teacher
    else:
        entry = None
        cls = teacher if isinstance(teacher, type) else type(teacher)
        name = getattr(teacher, "registry_name", cls.__name__)
        if name in teacher_registry.names():
            entry = teacher_registry.entry(name)
    return TeacherMeta(
        name=name,
        family=entry.family if entry else getattr(cls, "family", "generic"),
        privileged=entry.privileged if entry else bool(getattr(cls, "privileged", False)),
        supported_spaces=tuple(getattr(cls, "supported_spaces", ())),
        required_info=tuple(getattr(cls, "required_info", ())),
        required_kwargs=tuple(k for k in getattr(cls, "required_kwargs", ()) if not entry or k not in entry.kwargs),
        description=entry.description if entry else (cls.__doc__ or "").strip().split("\n")[0],
        env_ids=tuple(getattr(cls, "env_ids", ())),
        required_packages=tuple(dict(getattr(cls, "required_packages", {})).items()),
    )


def missing_packages(meta: TeacherMeta) -> list[tuple[str, str]]:
    """The ``(package, extra)`` pairs of ``meta.required_packages`` that are not installed."""
    import importlib.util

    return [(package, extra) for package, extra in meta.required_packages if importlib.util.find_spec(package) is None]


@dataclass(frozen=True)
class EnvMeta:
    """Registry metadata of one env id.

    Attributes:
        env_id: the Gymnasium id.
        family: the env family (folder name under ``envs/``).
        score: what the headline score measures (always in [0, 100]).
        smoke: keyword arguments of a small configuration that conformance tests and
            the teacher x env matrix run (seconds, not minutes).
        cost: ``"fast"`` (numpy student), ``"medium"`` (SB3 or small torch students) or
            ``"slow"`` (language models).
    """

    env_id: str
    family: str
    score: str
    smoke: dict[str, Any]
    cost: str


ENV_META: dict[str, EnvMeta] = {}


def register_env(env_id: str, entry_point: str, *, family: str, score: str, smoke: dict[str, Any] | None = None,
                 cost: str = "fast", kwargs: dict[str, Any] | None = None, **spec: Any) -> None:
    """Register ``env_id`` with Gymnasium (lazy entry point) and record its metadata."""
    from gymnasium.envs.registration import register, registry

    if family not in FAMILIES:
        raise ValueError(f"env {env_id!r}: family must be one of {FAMILIES}, got {family!r}")
    if cost not in COST_CLASSES:
        raise ValueError(f"env {env_id!r}: cost must be one of {COST_CLASSES}, got {cost!r}")
    if env_id not in registry:
        register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs or {}), **spec)
    ENV_META[env_id] = EnvMeta(env_id, family, score, dict(smoke or {}), cost)


def env_meta(env_id: str) -> EnvMeta:
    """The metadata of a registered env id."""
    import teachgym.envs  # noqa: F401  (fills ENV_META)

    try:
        return ENV_META[env_id]
    except KeyError:
        close = difflib.get_close_matches(env_id, list(ENV_META), n=3)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise UnknownNameError(f"unknown env {env_id!r}; {hint}registered: {', '.join(sorted(ENV_META))}") from None


def published_info(env: Any) -> tuple[str, ...]:
    """Every ``info`` key an env instance (or env class) publishes: the core keys and its family's.

    ``easy_to_hard`` counts only for envs that define a hand-made curriculum.
    """
    from teachgym import info as keys
    from teachgym.env import TeacherEnv

    target = env.unwrapped if hasattr(env, "unwrapped") else env
    cls = target if isinstance(target, type) else type(target)
    core = [k.name for k in keys.CORE_KEYS]
    if not (issubclass(cls, TeacherEnv) and cls.easy_to_hard is not TeacherEnv.easy_to_hard):
        core.remove(keys.EASY_TO_HARD.name)
    return (*core, *getattr(target, "published_info", ()))


def compatibility(teacher: Any, env: Any) -> list[str]:
    """Why ``teacher`` cannot run on ``env``; an empty list if it can.

    Args:
        teacher: a registered name, import path, Teacher class or instance.
        env: an env instance (its real spaces are checked) or a registered env id (its
            default configuration: the action space is read from a smoke instance of it).
    """
    import gymnasium as gym

    meta = teacher_meta(teacher)
    missing = missing_packages(meta)
    if missing:
        extras = ",".join(sorted({extra for _, extra in missing}))
        return [f"teacher {meta.name!r} needs {', '.join(package for package, _ in missing)}, not installed here "
                f"(pip install 'teachgym[{extras}]')"]
    if isinstance(env, str):
        made = gym.make(env, **env_meta(env).smoke)
        try:
            return compatibility(teacher, made)
        finally:
            made.close()
    problems = []
    space = env.action_space
    if meta.supported_spaces and not isinstance(space, meta.supported_spaces):
        allowed = ", ".join(s.__name__ for s in meta.supported_spaces)
        problems.append(f"teacher {meta.name!r} supports action spaces {allowed}; the env's is {type(space).__name__}")
    have = set(published_info(env))
    missing = [k for k in meta.required_info if k not in have]
    if missing:
        problems.append(f"teacher {meta.name!r} needs info keys {missing}, which the env does not publish")
    env_id = getattr(getattr(env, "spec", None), "id", None)
    if meta.env_ids and env_id not in meta.env_ids:
        problems.append(f"teacher {meta.name!r} is made for the envs {list(meta.env_ids)} only; this env is {env_id}")
    return problems


teacher_registry = Registry("teacher", "teachgym.teachers", "teachgym.teachers")
student_registry = Registry("student", "teachgym.students", "teachgym.students")

register_teacher = teacher_registry.register
register_student = student_registry.register
make_teacher = teacher_registry.make
make_student = student_registry.make
