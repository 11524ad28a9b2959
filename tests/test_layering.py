"""The dependency rules of DESIGN.md, checked on the source: who may import what.

- teachers/ never import an env or a student (a teacher sees spaces, observations and info only);
- students/ never import an env or a teacher (a student does not know who teaches it);
- envs/ never import a teacher;
- the core imports no family at module level (families are reached through lazy entry points; the
  ``teachgym.envs`` package itself, the list of registered ids, is not a family module);
- nothing in the package imports scripts/ or benchmarks/.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("teachgym.envs", "teachgym.students", "teachgym.teachers")
# Package folder -> the teachgym sub-packages it must never import (anywhere in a module, lazily or not).
FORBIDDEN = {
    "teachers": ("teachgym.envs", "teachgym.students"),
    "students": ("teachgym.envs", "teachgym.teachers"),
    "envs": ("teachgym.teachers",),
}


def imported_modules(tree: ast.AST, top_level_only: bool = False) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in ``tree`` (only module-level statements if ``top_level_only``)."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "teachgym":  # ``from teachgym import envs`` names a sub-package
                found += [(node.lineno, f"teachgym.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def violations(path: Path, forbidden: tuple[str, ...], top_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for line, module in imported_modules(tree, top_level_only)
            if any(module == bad or module.startswith(bad + ".") for bad in forbidden)]


def sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_family_imports_follow_the_dependency_rules(folder):
    found = [v for path in sources(folder) for v in violations(path, FORBIDDEN[folder])]
    assert not found, "\n".join(found)


def test_core_imports_no_family_at_module_level():
    core = sources("teachgym")
    assert core, "no core sources found"
    # ``teachgym.envs`` itself is the list of registered ids (lazy string entry points); its sub-packages are families.
    found = [v for path in core for v in violations(path, FAMILIES, top_level_only=True)
             if not v.endswith(" imports teachgym.envs")]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("folder", ["teachgym", "envs", "students", "teachers"])
def test_package_never_imports_scripts_or_benchmarks(folder):
    found = [v for path in sources(folder) for v in violations(path, ("scripts", "benchmarks", "_common"))]
    assert not found, "\n".join(found)


def test_the_checker_sees_a_violation(tmp_path, monkeypatch):
    """The rules are enforced by a parser that does find lazy imports inside functions."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from teachgym.envs.curriculum import toy\n    return toy\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations(bad, ("teachgym.envs",)) == ["bad.py:2 imports teachgym.envs.curriculum"]
    assert violations(bad, ("teachgym.envs",), top_level_only=True) == []
