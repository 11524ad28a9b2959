"""Trained teachers saved as weights plus a plain config, so that loading one runs no code from the file.

A Stable-Baselines3 ``model.zip`` stores Python objects with cloudpickle, and
loading it runs whatever those objects name: a zip from someone else can do
anything its reader can. :func:`save_teacher` writes one ``.safetensors`` file
instead: the policy's tensors (and its optimizers', so training can continue)
and, in the file's metadata, a JSON config: the algorithm, the policy class
(from an allow-list, see :mod:`teachgym.training.plain_config`), its settings
and the observation and action spaces. :func:`load_teacher` rebuilds the policy
network from the config and loads the tensors into it; :func:`load_teacher_model`
rebuilds the whole algorithm to train on. Nothing in the file is executed.

SB3 zips are read by :func:`load_sb3_zip` only with ``trust_pickle=True`` (for
files you produced yourself), and with a warning. Convert a zip of your own
once, then share the ``.safetensors`` file::

    python -m teachgym.training.safe_policy convert runs/teachers/run/model.zip --trust-pickle
    python -m teachgym.training.safe_policy show runs/teachers/run/model.safetensors
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teachgym.training.plain_config import class_name, decode, decode_space, encode, encode_space, resolve_class
from teachgym.validation import ConfigError

FORMAT = "teachgym-teacher"
VERSION = 1
SUFFIX = ".safetensors"
_NOT_HYPERPARAMETERS = {"self", "policy", "env", "policy_kwargs", "device", "_init_setup_model", "tensorboard_log",
                        "verbose", "action_noise", "rollout_buffer_class", "replay_buffer_class"}


class UntrustedFileError(ConfigError):
    """A file that could run code when loaded was refused (no ``trust_pickle=True``)."""


class UnsafeLoadWarning(UserWarning):
    """A file is being loaded with pickle because the caller said it is trusted."""


def algorithm_classes() -> dict[str, type]:
    """The algorithms a teacher file may name: SB3's, and sb3-contrib's RecurrentPPO when installed."""
    import stable_baselines3

    classes = {name: getattr(stable_baselines3, name.upper()) for name in ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")}
    try:
        from sb3_contrib import RecurrentPPO
    except ImportError:
        pass
    else:
        classes["recurrentppo"] = RecurrentPPO
    return classes


def algorithm_class(algo: Any) -> type:
    """The algorithm class called ``algo``; ConfigError listing the allowed names otherwise."""
    classes = algorithm_classes()
    if algo not in classes:
        raise ConfigError(f"algo must be one of {', '.join(map(repr, classes))}; got {algo!r}")
    return classes[algo]


def is_sb3_zip(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a zip archive (how SB3 saves models), from its first bytes."""
    if not Path(path).is_file():
        raise ConfigError(f"no model file at {str(path)!r}")
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def untrusted_zip_message(path: str | os.PathLike, option: str = "trust_pickle=True") -> str:
    """Why a zip is refused, and what to do instead."""
    return (f"{path} is a Stable-Baselines3 zip: loading it unpickles Python objects stored in the file, which can "
            f"run any code the file contains, so it is not loaded by default. Teacher files from others must be "
            f"{SUFFIX} files written by teachgym (scripts/train_ppo_teacher.py, scripts/train_rl_tutor.py or "
            f"teachgym.training.safe_policy.save_teacher), which load without running code. If you produced this zip "
            f"yourself, pass {option}, or convert it once: "
            f"python -m teachgym.training.safe_policy convert {path} --trust-pickle")


@dataclass
class SavedTeacher:
    """A policy rebuilt from a teacher file; ``predict`` and the spaces work as on an SB3 model."""

    path: Path
    algo: str
    policy: Any
    observation_space: Any
    action_space: Any
    config: dict[str, Any]

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = False):
        """The policy's action (and recurrent state), as ``model.predict`` of SB3."""
        return self.policy.predict(observation, state, episode_start, deterministic)


def save_teacher(model, path: str | os.PathLike) -> Path:
    """Write a trained SB3 ``model`` to ``path`` (a ``.safetensors`` file), atomically.

    The file holds the policy's and the optimizers' tensors, and as metadata the
    algorithm, the policy class and settings, both spaces, the constructor
    hyperparameters that are plain values (schedules only when constant) and
    ``num_timesteps``. Raises ConfigError when a setting cannot be stored as
    plain JSON (e.g. a custom class not registered with ``allow_class``).
    """
    import torch
    from safetensors.torch import save_file
    from stable_baselines3.common.save_util import recursive_getattr

    path = Path(path)
    if path.suffix != SUFFIX:
        raise ConfigError(f"path must end in {SUFFIX}, got {str(path)!r}")
    algo = next((name for name, cls in algorithm_classes().items() if type(model) is cls), None)
    if algo is None:
        raise ConfigError(f"model must be one of the algorithms {sorted(algorithm_classes())}, got {type(model)!r}")
    hyperparameters, not_stored = _hyperparameters(model)
    config: dict[str, Any] = {
        "algo": algo, "policy_class": encode(type(model.policy), "policy_class")["class"],
        "policy_kwargs": encode(dict(model.policy_kwargs), "policy_kwargs"),
        "use_sde": bool(getattr(model, "use_sde", False)),
        "observation_space": encode_space(model.observation_space, "observation_space"),
        "action_space": encode_space(model.action_space, "action_space"),
        "hyperparameters": hyperparameters, "not_stored": not_stored, "num_timesteps": int(model.num_timesteps),
        "optimizers": {},
    }

    def plain(tensor: torch.Tensor) -> torch.Tensor:  # safetensors refuses tensors that share memory
        return tensor.detach().to("cpu").contiguous().clone()

    tensors = {f"policy/{key}": plain(value) for key, value in model.policy.state_dict().items()}
    state_dicts, variables = model._get_torch_save_params()
    for name in state_dicts:
        if name == "policy":
            continue
        state = recursive_getattr(model, name).state_dict()
        per_param: dict[str, dict[str, Any]] = {}
        for index, entries in state["state"].items():
            for key, value in entries.items():
                if torch.is_tensor(value):
                    tensors[f"optimizer/{name}/{index}/{key}"] = plain(value)
                else:
                    per_param.setdefault(str(index), {})[key] = encode(value, f"{name}.state.{key}")
        config["optimizers"][name] = {"param_groups": encode(state["param_groups"], f"{name}.param_groups"),
                                      "state": per_param}
    for name in variables:
        value = recursive_getattr(model, name)
        if value is not None:
            tensors[f"variable/{name}"] = plain(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        save_file(tensors, staging, metadata={"format": FORMAT, "version": str(VERSION), "config": json.dumps(config)})
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return path


def read_teacher_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config, tensors)`` of a teacher file; UntrustedFileError for a zip, ConfigError for anything else wrong."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no teacher file at {str(path)!r}")
    if is_sb3_zip(path):
        raise UntrustedFileError(untrusted_zip_message(path))
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ConfigError(f"{path} is not a teacher file ({SUFFIX} written by save_teacher): {exc}") from None
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise ConfigError(f"{path} is a safetensors file but not a teachgym teacher (no {FORMAT!r} metadata)")
    if metadata.get("version") != str(VERSION):
        raise ConfigError(f"{path} is a teacher file of version {metadata.get('version')!r}; this teachgym reads "
                          f"version {VERSION}")
    try:
        config = json.loads(metadata["config"])
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: the teacher config is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the teacher config must be a JSON object")
    return config, tensors


def load_teacher(path: str | os.PathLike, device: str = "cpu") -> SavedTeacher:
    """Rebuild the policy saved by :func:`save_teacher` at ``path`` and load its weights (no pickle).

    Raises UntrustedFileError for an SB3 zip (see :func:`load_sb3_zip`) and
    ConfigError naming the file for a malformed one.
    """
    import torch

    config, tensors = read_teacher_file(path)
    algorithm, policy_class, kwargs = _policy_parts(config, path)
    observation_space = decode_space(config.get("observation_space"), f"{path}: observation_space")
    action_space = decode_space(config.get("action_space"), f"{path}: action_space")
    from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm

    if issubclass(algorithm, OnPolicyAlgorithm):  # on-policy algorithms pass use_sde beside policy_kwargs
        kwargs.setdefault("use_sde", bool(config.get("use_sde", False)))
    with torch.random.fork_rng(devices=[]):  # the initial weights, overwritten below, draw from torch's generator
        try:
            policy = policy_class(observation_space, action_space, lambda _: 0.0, **kwargs)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"{path}: cannot rebuild {class_name(policy_class)} from the saved settings: "
                              f"{exc}") from None
    _load_weights(policy, tensors, path)
    policy.set_training_mode(False)
    return SavedTeacher(Path(path), config["algo"], policy.to(device), observation_space, action_space, config)


def load_teacher_model(path: str | os.PathLike, env, device: str = "cpu", **overrides):
    """The algorithm saved at ``path``, rebuilt on ``env`` with its weights and optimizer state, to train further.

    ``overrides`` replace saved hyperparameters (e.g. ``seed=1``).
    """
    from stable_baselines3.common.save_util import recursive_getattr, recursive_setattr
    from stable_baselines3.common.utils import check_for_correct_spaces

    config, tensors = read_teacher_file(path)
    algorithm, policy_class, kwargs = _policy_parts(config, path)
    hyperparameters = decode(config.get("hyperparameters", {}), f"{path}: hyperparameters")
    allowed = set(inspect.signature(algorithm.__init__).parameters) - _NOT_HYPERPARAMETERS
    if not isinstance(hyperparameters, dict) or set(hyperparameters) - allowed:
        raise ConfigError(f"{path}: hyperparameters must be a JSON object with keys among {sorted(allowed)}")
    if config.get("not_stored"):
        warnings.warn(f"{path} does not hold the settings {config['not_stored']} (not plain values); "
                      "training continues with their defaults", stacklevel=2)
    if isinstance(hyperparameters.get("train_freq"), list):  # SB3 reads (frequency, unit) only as a tuple
        hyperparameters["train_freq"] = tuple(hyperparameters["train_freq"])
    kwargs.pop("use_sde", None)
    try:
        model = algorithm(policy_class, env, policy_kwargs=kwargs, device=device, **{**hyperparameters, **overrides})
        check_for_correct_spaces(model.get_env(), decode_space(config["observation_space"], "observation_space"),
                                 decode_space(config["action_space"], "action_space"))
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: cannot rebuild the {config['algo']} model on this env: {exc}") from None
    _load_weights(model.policy, tensors, path)
    state_dicts, variables = model._get_torch_save_params()
    for name, saved in dict(config.get("optimizers", {})).items():
        if name not in state_dicts:
            raise ConfigError(f"{path}: optimizer {name!r} is not one of {config['algo']}'s {state_dicts}")
        state: dict[int, dict[str, Any]] = {}
        for index, entries in dict(saved.get("state", {})).items():
            state.setdefault(int(index), {}).update(decode(entries, f"{path}: {name}"))
        for key, tensor in tensors.items():
            prefix, _, rest = key.partition(f"optimizer/{name}/")
            if not prefix and rest:
                index, _, field = rest.partition("/")
                state.setdefault(int(index), {})[field] = tensor
        try:
            recursive_getattr(model, name).load_state_dict(
                {"state": state, "param_groups": decode(saved["param_groups"], f"{path}: {name}")})
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: the saved state of {name} does not fit the model: {exc}") from None
    for name in variables:
        if f"variable/{name}" in tensors:
            recursive_setattr(model, f"{name}.data", tensors[f"variable/{name}"].to(model.device))
    model.num_timesteps = int(config.get("num_timesteps", 0))
    return model


def zip_algorithm(path: str | os.PathLike) -> str:
    """The algorithm that wrote an SB3 zip, read from its JSON ``data`` entry only (nothing is unpickled)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ConfigError(f"path must be a model zip saved by Stable-Baselines3, could not read {path}: "
                          f"{exc}") from None
    module = str(data.get("policy_class", {}).get("__module__", ""))  # e.g. "stable_baselines3.dqn.policies"
    parts = module.split(".")
    if "recurrent" in parts:
        return "recurrentppo"
    if len(parts) > 1 and parts[1] in algorithm_classes():
        return parts[1]
    if "clip_range" in data:  # PPO and A2C share common.policies; only PPO clips
        return "ppo"
    if "gae_lambda" in data:
        return "a2c"
    raise ConfigError(f"cannot tell which algorithm saved {path} (policy module {module!r}); pass algo=")


def load_sb3_zip(path: str | os.PathLike, algo: str = "auto", trust_pickle: bool = False, env=None,
                 device: str = "cpu", option: str = "trust_pickle=True"):
    """Load an SB3 zip with SB3's own loader, which unpickles: only with ``trust_pickle=True``.

    Raises UntrustedFileError (its message says why and what to do, naming
    ``option``) without it; warns with :class:`UnsafeLoadWarning` with it.
    """
    if trust_pickle is not True:
        if not isinstance(trust_pickle, bool):
            raise ConfigError(f"trust_pickle must be True or False, got {trust_pickle!r}")
        raise UntrustedFileError(untrusted_zip_message(path, option))
    algo = zip_algorithm(path) if algo == "auto" else algo
    algorithm = algorithm_class(algo)
    warnings.warn(f"loading {path} with Stable-Baselines3 unpickles it, which runs any code the file holds; "
                  f"do this only for files you produced yourself", UnsafeLoadWarning, stacklevel=2)
    return algorithm.load(path, env=env, device=device)


def convert_sb3_zip(path: str | os.PathLike, out: str | os.PathLike | None = None, trust_pickle: bool = False,
                    algo: str = "auto") -> Path:
    """Write the teacher file of an SB3 zip you produced yourself (loading the zip needs ``trust_pickle``)."""
    model = load_sb3_zip(path, algo, trust_pickle, option="--trust-pickle")
    return save_teacher(model, Path(out) if out else Path(path).with_suffix(SUFFIX))


def _policy_parts(config: dict[str, Any], path) -> tuple[type, type, dict[str, Any]]:
    from stable_baselines3.common.policies import BasePolicy

    algorithm = algorithm_class(config.get("algo"))
    policy_class = resolve_class(config.get("policy_class"), f"{path}: policy_class")
    if not issubclass(policy_class, BasePolicy):
        raise ConfigError(f"{path}: policy_class {config.get('policy_class')!r} is not an SB3 policy")
    kwargs = decode(config.get("policy_kwargs", {}), f"{path}: policy_kwargs")
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{path}: policy_kwargs must be a JSON object")
    return algorithm, policy_class, kwargs


def _load_weights(policy, tensors: dict[str, Any], path) -> None:
    weights = {key[len("policy/"):]: value for key, value in tensors.items() if key.startswith("policy/")}
    try:
        policy.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise ConfigError(f"{path}: the saved weights do not fit the policy its settings describe: {exc}") from None


def _hyperparameters(model) -> tuple[dict[str, Any], list[str]]:
    """The constructor arguments of ``model``'s algorithm that are plain values (constant schedules as numbers)."""
    stored, skipped = {}, []
    for name in inspect.signature(type(model).__init__).parameters:
        if name in _NOT_HYPERPARAMETERS or not hasattr(model, name):
            continue
        value = getattr(model, name)
        if callable(value) and not isinstance(value, type):
            start, end = value(1.0), value(0.0)
            if start != end:
                skipped.append(name)
                continue
            value = float(start)
        if name == "target_update_interval" and type(model).__name__ == "DQN":
            value *= model.n_envs  # DQN divides it by n_envs when it is built
        try:
            stored[name] = encode(value, name)
        except ConfigError:
            skipped.append(name)
    return stored, skipped


def main(argv: list[str] | None = None) -> int:
    """``convert`` an SB3 zip you produced into a teacher file, or ``show`` a teacher file's config."""
    parser = argparse.ArgumentParser(prog="python -m teachgym.training.safe_policy", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    convert = sub.add_parser("convert", help="write MODEL.safetensors beside an SB3 zip you produced yourself")
    convert.add_argument("zip")
    convert.add_argument("--out", help=f"output file (default: the zip's path with {SUFFIX})")
    convert.add_argument("--algo", default="auto")
    convert.add_argument("--trust-pickle", action="store_true",
                         help="confirm the zip is yours: loading it unpickles, which can run code it holds")
    show = sub.add_parser("show", help="print a teacher file's config (reads JSON only)")
    show.add_argument("file")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            print(f"wrote {convert_sb3_zip(args.zip, args.out, args.trust_pickle, args.algo)}")
        else:
            print(json.dumps(read_teacher_file(args.file)[0], indent=2))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
