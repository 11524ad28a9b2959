"""``key=value`` settings from the command line and teacher specs, parsed one way everywhere."""

from __future__ import annotations

import json
from typing import Any

from teachgym.validation import ConfigError

_PYTHON_SPELLINGS = {"True": True, "False": False, "None": None}


def parse_value(raw: str) -> Any:
    """A setting's value: JSON where it parses (``5``, ``0.1``, ``true``, ``[1, 2]``, ``{"a": 1}``), Python's
    ``True``/``False``/``None`` as what they spell, else the text itself.

    >>> parse_value("0.5"), parse_value("False"), parse_value("outcome")
    (0.5, False, 'outcome')
    """
    raw = raw.strip()
    if raw in _PYTHON_SPELLINGS:
        return _PYTHON_SPELLINGS[raw]
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_pair(pair: str, what: str) -> tuple[str, Any]:
    """``"key=value"`` as ``(key, parse_value(value))``; ConfigError naming ``what`` if it has no ``=`` or key."""
    key, sep, raw = pair.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{what} must look like key=value, got {pair!r}")
    return key.strip(), parse_value(raw)
