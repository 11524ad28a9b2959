"""Registries of teachers and students: a name -> a lazy ``"module:attr"`` entry point.

A new teacher is one file in ``teachers/`` and one ``register_teacher`` line in
``teachers/__init__.py``; nothing else changes. Outside packages add teachers
through the ``teachgym.teachers`` entry-point group, or by import path
(``"mypkg.mod:MyTeacher"``) wherever a teacher name is accepted.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    entry_point: str | Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""

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

    def register(self, name: str, entry_point: str | Callable[..., Any], description: str = "", **kwargs: Any) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = RegistryEntry(name, entry_point, kwargs, description)

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
        raise UnknownNameError(f"unknown {self.kind} {name!r}; registered: {', '.join(self.names())} (or give 'package.module:Class')")

    def make(self, name: str, **kwargs: Any) -> Any:
        entry = self.entry(name)
        obj = entry.load()(**{**entry.kwargs, **kwargs})
        if isinstance(name, str):
            try:
                obj.registry_name = name
            except AttributeError:
                pass
        return obj


teacher_registry = Registry("teacher", "teachgym.teachers", "teachgym.teachers")
student_registry = Registry("student", "teachgym.students", "teachgym.students")

register_teacher = teacher_registry.register
register_student = student_registry.register
make_teacher = teacher_registry.make
make_student = student_registry.make
