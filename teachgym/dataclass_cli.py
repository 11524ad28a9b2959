"""Parse command-line arguments into a dataclass whose fields carry their own docstrings.

CleanRL-style scripts declare an ``Args`` dataclass with a docstring under each
field. :func:`parse_args` uses `tyro <https://brentyi.github.io/tyro/>`_ when
it is installed; otherwise it builds an ``argparse`` parser from the fields,
taking each field's help text from its docstring, so the text is written once.
Supported field types without tyro: str, int, float, bool (``--flag`` /
``--no-flag``), ``X | None`` and ``list[str]``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.util
import inspect
import textwrap
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of dataclass ``cls`` (empty if its source is unavailable)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body
    docs = {}
    for node, following in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and \
                isinstance(following, ast.Expr) and isinstance(getattr(following, "value", None), ast.Constant) and \
                isinstance(following.value.value, str):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def parse_args(cls: type[T], argv: Sequence[str] | None = None, use_tyro: bool | None = None) -> T:
    """An instance of dataclass ``cls`` from ``argv`` (tyro if installed, else argparse)."""
    if use_tyro is None:
        use_tyro = importlib.util.find_spec("tyro") is not None
    if use_tyro:
        import tyro

        return tyro.cli(cls, args=argv)
    return _argparse(cls, argv)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults after each help text; the description kept as written (a script's module docstring)."""


def build_parser(cls: type, description: str | None = None) -> argparse.ArgumentParser:
    """An ``argparse`` parser with one ``--field-name`` option per field of dataclass ``cls``.

    Each option's help is the field's docstring (or ``field(metadata={"help": ...})``),
    so help text is written once, next to the field.

    Args:
        cls: the dataclass.
        description: the ``--help`` description (default: the first line of ``cls``'s docstring).
    """
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    if description is None:
        description = (cls.__doc__ or "").strip().split("\n")[0]
    parser = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    for f in dataclasses.fields(cls):
        kind, optional = _unwrap_optional(hints[f.name])
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        help_text = (f.metadata.get("help") or docs.get(f.name, "")).replace("%", "%%")
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        elif typing.get_origin(kind) in (list, tuple):
            parser.add_argument(flag, nargs="*", default=default, required=required, help=help_text)
        elif kind in (str, int, float):
            convert = kind if not optional else (lambda s, k=kind: None if s.lower() == "none" else k(s))
            parser.add_argument(flag, type=convert, default=default, required=required, help=help_text)
        else:
            raise TypeError(f"field {f.name}: type {hints[f.name]} is not supported without tyro")
    return parser


def _argparse(cls: type[T], argv: Sequence[str] | None) -> T:
    return cls(**vars(build_parser(cls).parse_args(argv)))


def _unwrap_optional(kind: Any) -> tuple[Any, bool]:
    args = typing.get_args(kind)
    if type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None)), True
    return kind, False
