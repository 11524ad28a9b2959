"""Settings of a trained policy as plain JSON: numbers, strings, lists, spaces, and classes from an allow-list.

:mod:`teachgym.training.safe_policy` stores a teacher's settings with
:func:`encode` and reads them with :func:`decode`. Decoding never imports or
calls anything a file names: a class is resolved only if it is on the
allow-list (:func:`allowed_classes`; extend it from your own code with
:func:`allow_class`), and a space is rebuilt from its numbers.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.validation import ConfigError

MAX_SPACE_SIZE = 10_000_000  # elements of one Box / MultiDiscrete: a file cannot make us allocate more
_EXTRA_CLASSES: dict[str, type] = {}


def class_name(cls: type) -> str:
    """``module.QualName``: how a class is written in a teacher file."""
    return f"{cls.__module__}.{cls.__qualname__}"


def allow_class(cls: type) -> type:
    """Add ``cls`` (a policy, features extractor, activation or optimizer class of yours) to the allow-list.

    Call it in your own code before loading a teacher file that names ``cls``;
    usable as a class decorator.
    """
    _EXTRA_CLASSES[class_name(cls)] = cls
    return cls


def allowed_classes() -> dict[str, type]:
    """Every class a teacher file may name, by :func:`class_name`."""
    import torch
    from stable_baselines3.common import torch_layers

    from teachgym.training.safe_policy import algorithm_classes

    classes: list[type] = [
        torch.nn.Tanh, torch.nn.ReLU, torch.nn.LeakyReLU, torch.nn.ELU, torch.nn.GELU, torch.nn.SiLU,
        torch.nn.Sigmoid, torch.nn.Softplus, torch.nn.Mish, torch.nn.Identity,
        torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD, torch.optim.RMSprop,
        torch_layers.FlattenExtractor, torch_layers.CombinedExtractor, torch_layers.NatureCNN,
    ]
    for algorithm in algorithm_classes().values():
        classes.extend(algorithm.policy_aliases.values())
    try:
        from teachgym.teachers.tutoring.itemwise_policy import ItemwiseExtractor, ItemwisePolicy

        classes += [ItemwisePolicy, ItemwiseExtractor]
    except ImportError:  # pragma: no cover - needs SB3, which is imported above
        pass
    return {**{class_name(c): c for c in classes}, **_EXTRA_CLASSES}


def resolve_class(name: Any, field: str) -> type:
    """The allow-listed class called ``name``; ConfigError naming ``field`` otherwise."""
    allowed = allowed_classes()
    if not isinstance(name, str) or name not in allowed:
        raise ConfigError(f"{field} names class {name!r}, which is not on the allow-list of classes a teacher file "
                          "may use; if it is your own class, call teachgym.training.plain_config.allow_class(cls) "
                          "before loading")
    return allowed[name]


def encode(value: Any, field: str) -> Any:
    """``value`` as plain JSON; classes as ``{"class": name}``, spaces as ``{"space": ...}``.

    Raises ConfigError naming ``field`` for anything else (functions, objects).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value, field)
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, spaces.Space):
        return {"space": encode_space(value, field)}
    if isinstance(value, type):
        name = class_name(value)
        if name not in allowed_classes():
            raise ConfigError(f"{field}: class {name} is not on the allow-list of a teacher file; register it with "
                              "teachgym.training.plain_config.allow_class(cls)")
        return {"class": name}
    if isinstance(value, (list, tuple)):
        return [encode(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ConfigError(f"{field}: only dicts with string keys can be stored, got keys {list(value)!r}")
        if set(value) & {"class", "space"} and len(value) == 1:
            raise ConfigError(f"{field}: a dict whose only key is 'class' or 'space' cannot be stored")
        return {key: encode(item, f"{field}.{key}") for key, item in value.items()}
    raise ConfigError(f"{field}: {type(value).__name__} {value!r} cannot be stored as plain settings")


def decode(value: Any, field: str) -> Any:
    """The inverse of :func:`encode` (lists stay lists)."""
    if isinstance(value, list):
        return [decode(item, f"{field}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if set(value) == {"class"}:
            return resolve_class(value["class"], field)
        if set(value) == {"space"}:
            return decode_space(value["space"], field)
        return {key: decode(item, f"{field}.{key}") for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ConfigError(f"{field}: unexpected {type(value).__name__} in a teacher file")


def encode_space(space: spaces.Space, field: str) -> dict[str, Any]:
    """A Box, Discrete, MultiDiscrete, MultiBinary or Dict space as plain JSON."""
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": space.dtype.name,
                "low": _floats(space.low), "high": _floats(space.high)}
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist(),
                "dtype": space.dtype.name}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n).tolist()}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {key: encode_space(sub, f"{field}.{key}") for key, sub in space.items()}}
    raise ConfigError(f"{field}: {type(space).__name__} spaces cannot be stored in a teacher file")


def decode_space(data: Any, field: str) -> spaces.Space:
    """The space :func:`encode_space` wrote; ConfigError naming ``field`` for anything malformed."""
    try:
        kind = data["type"]
        if kind == "Box":
            shape = _shape(data["shape"], field)
            dtype = _dtype(data["dtype"], field)
            low = np.asarray(_unfloats(data["low"]), dtype=np.float64).reshape(shape)
            high = np.asarray(_unfloats(data["high"]), dtype=np.float64).reshape(shape)
            return spaces.Box(low.astype(dtype), high.astype(dtype), shape=shape, dtype=dtype)
        if kind == "Discrete":
            return spaces.Discrete(_int(data["n"], field, low=1), start=_int(data["start"], field))
        if kind == "MultiDiscrete":
            nvec = np.asarray(data["nvec"], dtype=np.int64)
            if nvec.size > MAX_SPACE_SIZE:
                raise ConfigError(f"{field}: MultiDiscrete of {nvec.size} entries is too large")
            return spaces.MultiDiscrete(nvec, dtype=_dtype(data["dtype"], field),
                                        start=np.asarray(data["start"], dtype=np.int64))
        if kind == "MultiBinary":
            n = data["n"]
            return spaces.MultiBinary(list(_shape(n, field)) if isinstance(n, list) else _int(n, field, low=1))
        if kind == "Dict":
            return spaces.Dict({str(k): decode_space(v, f"{field}.{k}") for k, v in data["spaces"].items()})
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{field}: malformed space description {data!r}: {exc}") from None
    raise ConfigError(f"{field}: space type {kind!r} is not one of Box, Discrete, MultiDiscrete, MultiBinary, Dict")


def _int(value: Any, field: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        raise ConfigError(f"{field}: expected an integer{'' if low is None else f' >= {low}'}, got {value!r}")
    return value


def _shape(value: Any, field: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{field}: a shape must be a list of integers, got {value!r}")
    shape = tuple(_int(v, field, low=0) for v in value)
    if math.prod(shape) > MAX_SPACE_SIZE:
        raise ConfigError(f"{field}: a space of shape {shape} is too large (more than {MAX_SPACE_SIZE} entries)")
    return shape


def _dtype(name: Any, field: str) -> np.dtype:
    try:
        dtype = np.dtype(str(name))
    except TypeError:
        raise ConfigError(f"{field}: unknown dtype {name!r}") from None
    if dtype.kind not in "biuf":
        raise ConfigError(f"{field}: dtype {name!r} is not a number type")
    return dtype


def _floats(array: np.ndarray) -> list:
    """Bounds as JSON: infinities as the strings "inf" / "-inf" (JSON has no infinity)."""
    return [v if math.isfinite(v) else ("inf" if v > 0 else "-inf") for v in np.asarray(array, np.float64).ravel().tolist()]


def _unfloats(values: Any) -> list[float]:
    if not isinstance(values, list):
        raise ValueError("bounds must be a list")
    out = []
    for v in values:
        if v in ("inf", "-inf"):
            out.append(float(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
        else:
            raise ValueError(f"bound {v!r} is not a number")
    return out
