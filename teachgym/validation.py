"""Config checks that raise errors naming the field and what is allowed.

Explicit ``raise`` rather than ``assert``: checks must survive ``python -O``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A setting is outside what is allowed; the message names the field."""


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise ConfigError naming ``name`` and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not _is_integral(value):
        raise ConfigError(f"{name} must be an integer{_range_text(low, high)}, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be an integer{_range_text(low, high)}, got {value}")
    return value


def check_float(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the given bounds, or raise ConfigError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number{_range_text(low, high, low_open, high_open)}, got {value!r}") from None
    bad = not math.isfinite(number)
    if low is not None:
        bad |= number <= low if low_open else number < low
    if high is not None:
        bad |= number >= high if high_open else number > high
    if bad:
        raise ConfigError(f"{name} must be a finite number{_range_text(low, high, low_open, high_open)}, got {value!r}")
    return number


def check_choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ConfigError listing the choices."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _is_integral(value: Any) -> bool:
    try:
        return float(value).is_integer() and not isinstance(value, float)
    except (TypeError, ValueError):
        return False


def _range_text(low, high, low_open=False, high_open=False) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low}"
    if low is None:
        return f" {'<' if high_open else '<='} {high}"
    return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
