"""Offline datasets of transitions stored as ``.npz``, with loud validation.

A dataset file holds one array per field plus metadata entries (0-d arrays)
that say which problem it was made for. :func:`load_npz` refuses a file that is
not an ``.npz``, lacks a field, has a field of the wrong kind or shape, fields
of different lengths, non-finite values, or metadata that disagrees with the
problem it is loaded for; every error names the file and what is wrong.

The linear-MDP dataset (:func:`linear_dataset`, :func:`save_linear_dataset`,
:func:`load_linear_dataset`) has the fields ``step``, ``state``, ``action``
(int), ``reward`` (float in [0, 1]) and ``next_state`` (int), and the metadata
``horizon``, ``n_states``, ``n_actions``, ``feature_dim`` and, where written by
teachgym, ``mdp_fingerprint`` (:meth:`LinearMDP.fingerprint`): data made for a
different instance is refused even when its sizes agree.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from teachgym.students.finetune_rl.linear_mdp import LinearMDP
from teachgym.validation import ConfigError


class DatasetError(ConfigError):
    """An offline dataset file is missing, malformed or made for another problem."""


# field -> (numpy kind letters allowed, trailing shape after the length axis)
FieldSpec = Mapping[str, tuple[str, tuple[int, ...]]]


def save_npz(path: str | os.PathLike, fields: Mapping[str, np.ndarray], **metadata: Any) -> None:
    """Write ``fields`` and ``metadata`` (stored as ``meta_<name>``) to a compressed ``.npz``."""
    arrays = {name: np.asarray(value) for name, value in fields.items()}
    arrays.update({f"meta_{name}": np.asarray(value) for name, value in metadata.items()})
    np.savez_compressed(path, **arrays)


def load_npz(path: str | os.PathLike, spec: FieldSpec, expected_meta: Mapping[str, Any],
             optional_meta: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Load and check a dataset file against ``spec`` and the expected metadata.

    Args:
        path: the ``.npz`` file.
        spec: required fields: name -> (allowed dtype kinds, e.g. "iu" or "f",
            trailing shape). Extra fields are ignored.
        expected_meta: metadata that must be present and equal.
        optional_meta: metadata that must be equal where present.

    Returns:
        The required fields, each a numpy array of the same length.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetError(f"offline dataset {path!r}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise DatasetError(f"offline dataset {path!r} is not a readable .npz file ({error})") from None
    missing = [name for name in spec if name not in contents]
    if missing:
        raise DatasetError(f"offline dataset {path!r} lacks field(s) {missing}; it has {sorted(contents)}")
    fields, length = {}, None
    for name, (kinds, trailing) in spec.items():
        array = contents[name]
        if array.dtype.kind not in kinds:
            raise DatasetError(f"offline dataset {path!r}: field {name!r} must have dtype kind {kinds!r} "
                               f"(i: int, u: unsigned, f: float, b: bool), got {array.dtype}")
        if array.ndim != 1 + len(trailing) or array.shape[1:] != tuple(trailing):
            want = "(N" + "".join(f", {n}" for n in trailing) + ("" if trailing else ",") + ")"
            raise DatasetError(f"offline dataset {path!r}: field {name!r} must have shape {want}, got {array.shape}")
        if length is None:
            length = len(array)
        elif len(array) != length:
            raise DatasetError(f"offline dataset {path!r}: field {name!r} has {len(array)} rows, "
                               f"but {next(iter(spec))!r} has {length}")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise DatasetError(f"offline dataset {path!r}: field {name!r} holds NaN or infinite values")
        fields[name] = array
    for name, want in expected_meta.items():
        _check_meta(path, contents, name, want, required=True)
    for name, want in (optional_meta or {}).items():
        _check_meta(path, contents, name, want, required=False)
    return fields


def _check_meta(path: str, contents: Mapping[str, np.ndarray], name: str, want: Any, required: bool) -> None:
    key = f"meta_{name}"
    if key not in contents:
        if required:
            raise DatasetError(f"offline dataset {path!r} lacks metadata {key!r} (expected {want!r})")
        return
    got = contents[key]
    got = got.item() if got.ndim == 0 else got.tolist()
    if isinstance(want, (tuple, list)):
        want = list(want)
    if got != want:
        raise DatasetError(f"offline dataset {path!r} was made for {name}={got!r}, but this env has {name}={want!r}")


def check_range(path: str | os.PathLike, fields: Mapping[str, np.ndarray], name: str, low: float, high: float,
                what: str = "") -> None:
    """Raise DatasetError unless every value of ``fields[name]`` lies in ``[low, high]``."""
    values = fields[name]
    if values.size and (values.min() < low or values.max() > high):
        bad = values[(values < low) | (values > high)][0]
        raise DatasetError(f"offline dataset {os.fspath(path)!r}: field {name!r} must be in [{low}, {high}]"
                           f"{' ' + what if what else ''}, found {bad}")


# -- linear MDP datasets ---------------------------------------------------------
LINEAR_SPEC: FieldSpec = {"step": ("iu", ()), "state": ("iu", ()), "action": ("iu", ()),
                          "reward": ("f", ()), "next_state": ("iu", ())}


def linear_dataset(mdp: LinearMDP, n_episodes: int, coverage: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n_episodes`` episodes of :meth:`LinearMDP.behaviour_policy` (``coverage``) as flat transitions."""
    episodes = mdp.sample_episodes(mdp.behaviour_policy(coverage), n_episodes, rng)
    data = {name: array.reshape(-1) for name, array in episodes.items()}
    data["step"] = np.tile(np.arange(mdp.horizon), n_episodes)
    return data


def _linear_meta(mdp: LinearMDP) -> dict[str, Any]:
    return {"horizon": mdp.horizon, "n_states": mdp.n_states, "n_actions": mdp.n_actions, "feature_dim": mdp.dim}


def save_linear_dataset(path: str | os.PathLike, data: Mapping[str, np.ndarray], mdp: LinearMDP) -> None:
    """Write a linear-MDP dataset with the metadata :func:`load_linear_dataset` checks."""
    save_npz(path, {name: data[name] for name in LINEAR_SPEC}, **_linear_meta(mdp),
             mdp_fingerprint=mdp.fingerprint())


def load_linear_dataset(path: str | os.PathLike, mdp: LinearMDP) -> dict[str, np.ndarray]:
    """Load a linear-MDP dataset and check it against ``mdp`` (sizes, fingerprint, value ranges)."""
    data = load_npz(path, LINEAR_SPEC, _linear_meta(mdp), {"mdp_fingerprint": mdp.fingerprint()})
    check_range(path, data, "step", 0, mdp.horizon - 1, f"(horizon {mdp.horizon})")
    check_range(path, data, "state", 0, mdp.n_states - 1, f"({mdp.n_states} states)")
    check_range(path, data, "next_state", 0, mdp.n_states - 1, f"({mdp.n_states} states)")
    check_range(path, data, "action", 0, mdp.n_actions - 1, f"({mdp.n_actions} actions)")
    check_range(path, data, "reward", 0.0, 1.0, "(linear-MDP rewards)")
    return {"step": data["step"].astype(np.int64), "state": data["state"].astype(np.int64),
            "action": data["action"].astype(np.int64), "reward": data["reward"].astype(np.float64),
            "next_state": data["next_state"].astype(np.int64)}
