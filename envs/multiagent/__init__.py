"""Multi-agent teaching envs (PettingZoo ``ParallelEnv``), with a registry of ids.

They are not Gymnasium envs and are not in ``gym.register``: build one with
:func:`make` (ParallelEnv) or :func:`make_aec` (AECEnv). Importing this package
imports neither PettingZoo nor any env module; :func:`make` does.

>>> from teachgym.envs import multiagent
>>> sorted(multiagent.MULTIAGENT_ENVS)[0]
'teachgym/multiagent/Classroom-v0'
"""

from __future__ import annotations

import importlib
from typing import Any

from teachgym.validation import ConfigError

_PACKAGE = "teachgym.envs.multiagent"

# id -> (module with parallel_env() / env(), default keyword arguments)
MULTIAGENT_ENVS: dict[str, tuple[str, dict[str, Any]]] = {
    "teachgym/multiagent/DesignGame-v0": (f"{_PACKAGE}.design_game", {"task": "gridworld"}),
    "teachgym/multiagent/DesignGamePAIRED-v0": (f"{_PACKAGE}.design_game",
                                                {"task": "gridworld", "objective": "regret"}),
    "teachgym/multiagent/DesignGameCartPole-v0": (f"{_PACKAGE}.design_game", {"task": "cartpole"}),
    "teachgym/multiagent/DesignGameCartPolePAIRED-v0": (f"{_PACKAGE}.design_game",
                                                        {"task": "cartpole", "objective": "regret"}),
    "teachgym/multiagent/CoTeaching-v0": (f"{_PACKAGE}.co_teaching", {}),
    "teachgym/multiagent/Classroom-v0": (f"{_PACKAGE}.classroom", {}),
    "teachgym/multiagent/ClassroomTutors-v0": (f"{_PACKAGE}.classroom", {"mode": "tutors"}),
}


def _entry(env_id: str) -> tuple[Any, dict[str, Any]]:
    if env_id not in MULTIAGENT_ENVS:
        raise ConfigError(f"unknown multi-agent env {env_id!r}; registered: {', '.join(sorted(MULTIAGENT_ENVS))}")
    module, defaults = MULTIAGENT_ENVS[env_id]
    return importlib.import_module(module), defaults


def make(env_id: str, **kwargs: Any):
    """The registered env ``env_id`` as a PettingZoo ``ParallelEnv``; ``kwargs`` override its defaults."""
    module, defaults = _entry(env_id)
    return module.parallel_env(**{**defaults, **kwargs})


def make_aec(env_id: str, **kwargs: Any):
    """The registered env ``env_id`` as a PettingZoo ``AECEnv`` (through ``parallel_to_aec``)."""
    module, defaults = _entry(env_id)
    return module.env(**{**defaults, **kwargs})


def env_ids() -> list[str]:
    """Every registered multi-agent env id."""
    return sorted(MULTIAGENT_ENVS)
