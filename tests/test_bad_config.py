"""Every constructor argument of every registered env, given a wrong value, is refused cleanly.

For each env id and each argument of its class (and each key of the nested settings
dicts its smoke configuration uses, such as ``student_kwargs``), the env is built from
the registry's smoke configuration with that one argument replaced by a bad value: a
string boolean, a string, a negative, ``10**12``, ``inf``, ``nan``, an empty or string
tuple, a dict, an object, ``None``, ``True``, a float. The env must either build or
raise :class:`~teachgym.ConfigError` (or ``TypeError`` for an unknown keyword, Python's
own check, which names the keyword). Anything else (``ValueError``, ``IndexError``,
``AttributeError``, a hang, memory exhaustion) is a failure. Where the argument's type
is known (its default or annotation: bool, int, float, str, dict, sequence), a value
of another type must be refused, so ``oracle="false"`` can never mean True.

Envs of cost ``"slow"`` (language models) are skipped: one construction takes tens of
seconds there; their arguments are checked by the same helpers.
"""

from __future__ import annotations

import inspect
import signal
import warnings

import gymnasium as gym
import pytest

import teachgym  # noqa: F401
from teachgym.envs import env_ids
from teachgym.lessons import InvalidLessonError
from teachgym.registry import env_meta, load_entry_point
from teachgym.validation import ConfigError

HANG_GUARD_S = 60  # a construction still running after this long is reported as a hang (not a speed check)

BAD = {"string 'false'": "false", "string 'abc'": "abc", "-1": -1, "10**12": 10**12, "inf": float("inf"),
       "nan": float("nan"), "()": (), "('a', 'b')": ("a", "b"), "{'zz': 1}": {"zz": 1}, "object()": object(),
       "None": None, "True": True, "3": 3, "0.5": 0.5}
# Values of each known type that must be refused (None too, unless the argument is optional).
_NOT = {
    "bool": set(BAD) - {"True"},
    "int": {"string 'false'", "string 'abc'", "inf", "nan", "()", "('a', 'b')", "{'zz': 1}", "object()", "True", "0.5"},
    "float": {"string 'false'", "string 'abc'", "inf", "nan", "()", "('a', 'b')", "{'zz': 1}", "object()", "True"},
    "str": {"-1", "10**12", "inf", "nan", "()", "('a', 'b')", "{'zz': 1}", "object()", "True", "3", "0.5"},
    "dict": {"string 'false'", "string 'abc'", "-1", "10**12", "inf", "nan", "()", "('a', 'b')", "object()", "True",
             "3", "0.5"},
    "sequence": {"string 'false'", "string 'abc'", "-1", "10**12", "inf", "nan", "()", "('a', 'b')", "{'zz': 1}",
                 "object()", "True", "3", "0.5"},
}


def _kind(default, annotation) -> tuple[str | None, bool]:
    """The argument's type (None: unknown) and whether None is allowed."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    optional = default is None or "None" in text or "Optional" in text
    if isinstance(default, bool) or text.startswith("bool"):
        return "bool", optional
    for kind, python in (("int", int), ("float", float), ("str", str)):
        if (type(default) is python) or text.split(" |")[0] == kind:
            return kind, optional
    if isinstance(default, (tuple, list)) or text.startswith(("tuple", "list", "Sequence")):
        return "sequence", optional
    if text.startswith(("dict", "Mapping")):
        return "dict", optional
    return None, optional


def _arguments(cls) -> dict[str, tuple[str | None, bool]]:
    out: dict[str, tuple[str | None, bool]] = {}
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__ or not klass.__module__.startswith("teachgym"):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if name in ("self", "lessons") or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            kind, optional = _kind(None if p.default is p.empty else p.default, p.annotation)
            if name in out:  # a subclass sets the default; None may still mean the base class's default
                out[name] = (out[name][0], out[name][1] or p.default is None)
            else:
                out[name] = (kind, optional)
    return out


def _trials(env_id: str):
    smoke = env_meta(env_id).smoke
    cls = load_entry_point(gym.spec(env_id).entry_point)
    for name, (kind, optional) in _arguments(cls).items():
        for label, value in BAD.items():
            must_refuse = kind is not None and (label in _NOT[kind] or (label == "None" and not optional))
            yield name, label, {**smoke, name: value}, must_refuse
    for outer, inner in smoke.items():
        if isinstance(inner, dict):
            for key in [*inner, "no_such_setting"]:
                for label, value in BAD.items():
                    known = key in inner and type(inner[key]) in (bool, int, float, str)
                    kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(inner.get(key)))
                    must_refuse = (key == "no_such_setting" or (known and (label in _NOT[kind] or label == "None")))
                    yield f"{outer}[{key!r}]", label, {**smoke, outer: {**inner, key: value}}, must_refuse


class _Hang(Exception):
    pass


def _build(env_id: str, kwargs: dict) -> str:
    """'built', 'refused', or what went wrong."""
    def hang(*_):
        raise _Hang

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_GUARD_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gym.make(env_id, **kwargs).close()
        return "built"
    except (ConfigError, InvalidLessonError):
        return "refused"
    except TypeError as error:
        return "refused" if "unexpected keyword argument" in str(error) else f"TypeError: {error}"
    except _Hang:
        return f"still running after {HANG_GUARD_S} s"
    except Exception as error:  # noqa: BLE001  (any other exception is the finding)
        return f"{type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


CHEAP_ENVS = [e for e in env_ids() if env_meta(e).cost != "slow"]


@pytest.mark.parametrize("env_id", CHEAP_ENVS)
def test_every_bad_constructor_argument_is_refused_cleanly(env_id, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a string accepted as a file name (a log path) is written here, not in the checkout
    problems = []
    for name, label, kwargs, must_refuse in _trials(env_id):
        outcome = _build(env_id, kwargs)
        if outcome == "built" and must_refuse:
            problems.append(f"{name}={label}: accepted")
        elif outcome not in ("built", "refused"):
            problems.append(f"{name}={label}: {outcome[:160]}")
    if problems:
        summary = f"{env_id}: {len(problems)} bad settings not refused cleanly:\n"
        pytest.fail(summary + "\n".join(problems), pytrace=False)
