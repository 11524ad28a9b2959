"""Config checks that raise errors naming the field and what is allowed.

Explicit ``raise`` rather than ``assert``: checks must survive ``python -O``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A setting is outside what is allowed; the message names the field."""


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise ConfigError naming ``name`` and the allowed range.

    Accepted: Python and numpy integers (not bools, floats or strings).
    """
    if not _is_integer(value):
        raise ConfigError(f"{name} must be an integer{_range_text(low, high)}, got {_show(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be an integer{_range_text(low, high)}, got {_show(value)}")
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
    if not _is_real(value):
        raise ConfigError(f"{name} must be a number{_range_text(low, high, low_open, high_open)}, got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf if value > 0 else -math.inf
    bad = not math.isfinite(number)
    if low is not None:
        bad |= number <= low if low_open else number < low
    if high is not None:
        bad |= number >= high if high_open else number > high
    if bad:
        raise ConfigError(f"{name} must be a finite number{_range_text(low, high, low_open, high_open)}, "
                          f"got {_show(value)}")
    return number


def check_choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of the strings ``allowed``, else raise ConfigError listing the choices."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {_show(value)}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (Python or numpy), else raise ConfigError naming ``name``.

    Strings are refused, never read: ``bool("false")`` is True. On the command line,
    ``--env-kwarg name=false`` gives a bool (values are read as JSON); ``name=False`` gives
    the string ``"False"``.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    hint = ""
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "on", "off", "0", "1"):
        hint = f" (a string is not a bool; on the command line write {name}=true or {name}=false: values are JSON)"
    raise ConfigError(f"{name} must be True or False{hint}, got {_show(value)}")


def check_str(name: str, value: Any, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a string (or None, when ``optional``), else raise ConfigError."""
    if (value is None and optional) or isinstance(value, str):
        return value
    raise ConfigError(f"{name} must be a string{' or None' if optional else ''}, got {_show(value)}")


def check_path(name: str, value: Any, *, optional: bool = False) -> str | os.PathLike | None:
    """Return ``value`` if it is a file path (a string or ``os.PathLike``; None when ``optional``), else raise."""
    if (value is None and optional) or isinstance(value, (str, os.PathLike)):
        return value
    raise ConfigError(f"{name} must be a file path (a string){' or None' if optional else ''}, got {_show(value)}")


def check_mapping(name: str, value: Any, *, keys: Iterable[str] | None = None) -> dict[str, Any]:
    """``value`` as a dict with string keys (None gives ``{}``); ``keys``: the only keys allowed."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{name} must be a dict of settings (string keys) or None, got {_show(value)}")
    if keys is not None:
        keys = tuple(keys)
        unknown = [k for k in value if k not in keys]
        if unknown:
            raise ConfigError(f"{name} has unknown keys {unknown}; allowed: {', '.join(keys)}")
    return dict(value)


def check_kwargs_for(name: str, value: Any, target: Any, *, positive: Iterable[str] = (),
                     untyped: Iterable[str] = (), high: int = 10**9) -> dict[str, Any]:
    """``value`` as a dict of keyword arguments ``target`` (a class or function) accepts, typed by its defaults.

    For passing settings through to a library (e.g. an SB3 algorithm's ``algo_kwargs``):
    an unknown key, or a value whose type differs from the default's (bool, int, float,
    str), raises ConfigError naming ``name[key]``. Ints must lie in ``[-1, high]``
    (``[1, high]`` for the keys in ``positive``); a float default also admits a callable
    (a schedule). Keys in ``untyped`` (settings of several types) are not type-checked.
    """
    kwargs = check_mapping(name, value)
    parameters = inspect.signature(target).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        allowed = sorted(k for k, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        unknown = [k for k in kwargs if k not in parameters]
        if unknown:
            raise ConfigError(f"{name} has unknown keys {unknown}; {getattr(target, '__name__', target)} takes "
                              f"{', '.join(allowed)}")
    positive, untyped = set(positive), set(untyped)
    for key, setting in kwargs.items():
        if key in untyped:
            continue
        default = parameters[key].default if key in parameters else None
        field = f"{name}[{key!r}]"
        if isinstance(default, bool):
            check_bool(field, setting)
        elif isinstance(default, int) and default is not None:
            check_int(field, setting, low=1 if key in positive else -1, high=high)
        elif isinstance(default, float) and not callable(setting):
            check_float(field, setting)
        elif isinstance(default, str):
            check_str(field, setting)
    return kwargs


def check_floats(name: str, value: Any, *, length: int | None = None, min_length: int = 0,
                 low: float | None = None, high: float | None = None) -> tuple[float, ...]:
    """Return ``value`` (a list, tuple or 1-D array of finite numbers) as a tuple of floats, or raise ConfigError."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be a list of numbers, got {_show(value)}")
    size = f"{length} numbers" if length is not None else f"at least {min_length} number(s)"
    if (length is not None and len(value) != length) or len(value) < min_length:
        raise ConfigError(f"{name} must be a list of {size}, got {_show(value)}")
    return tuple(check_float(f"{name}[{i}]", v, low=low, high=high) for i, v in enumerate(value))


def _is_integer(value: Any) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:38] + "..." + text[-38:]
    plain = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return text if plain else f"{text} ({type(value).__name__})"


def _range_text(low, high, low_open=False, high_open=False) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low}"
    if low is None:
        return f" {'<' if high_open else '<='} {high}"
    return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
