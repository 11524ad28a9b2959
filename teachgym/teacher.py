"""The Teacher contract: a policy for teacher environments.

A teacher sees spaces, observations and ``info`` (see :mod:`teachgym.env` for
the keys), never an env class or a student's hidden state, so it works on every
env whose spaces it supports. It owns its RNG, created in :meth:`reset`.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.utils.numeric import finite_float
from teachgym.validation import ConfigError


class Teacher(abc.ABC):
    """Base class of every teacher.

    Subclasses set ``supported_spaces`` to the action-space types they handle (and
    ``required_info`` to the ``info`` keys they cannot do without) and implement
    :meth:`act`; most also override :meth:`update` and :meth:`_setup`. The
    registry line adds the teacher's family and whether it is *privileged* (uses
    what a real teacher lacks, e.g. a schedule the env publishes).
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box, spaces.Discrete)
    #: ``info`` keys (names from :mod:`teachgym.info`) the teacher cannot work without; an env that does not
    #: publish them is incompatible, which :func:`teachgym.registry.compatibility` reports before a run
    required_info: ClassVar[tuple[str, ...]] = ()
    #: constructor arguments without a default that every use must give (e.g. ``path`` of a trained model)
    required_kwargs: ClassVar[tuple[str, ...]] = ()
    #: the env ids the teacher is made for (a policy trained on them); empty: any env its spaces and info fit
    env_ids: ClassVar[tuple[str, ...]] = ()
    #: packages the teacher imports beyond the base install, each with the extra that installs it
    #: (``{"stable_baselines3": "rl"}``); where one is missing, :func:`teachgym.registry.compatibility` says so
    required_packages: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.action_space: spaces.Space | None = None
        self.observation_space: spaces.Space | None = None
        self.rng = np.random.default_rng()

    @property
    def name(self) -> str:
        return getattr(self, "registry_name", type(self).__name__)

    def reset(self, action_space: spaces.Space, observation_space: spaces.Space | None = None, seed: int | None = None) -> None:
        """Start a new teaching run on an env with these spaces; forget earlier runs."""
        if not isinstance(action_space, self.supported_spaces):
            allowed = ", ".join(s.__name__ for s in self.supported_spaces)
            raise ConfigError(f"{type(self).__name__} supports action spaces {allowed}; got {action_space}")
        self.action_space = action_space
        self.observation_space = observation_space
        self.rng = np.random.default_rng(seed)
        self._setup()

    def _setup(self) -> None:
        """Per-run initialisation, after the spaces and ``self.rng`` are set."""

    @abc.abstractmethod
    def act(self, obs: Any, info: dict[str, Any]) -> Any:
        """Choose the next lesson (an element of the action space)."""

    def update(self, action: Any, reward: float, obs: Any, info: dict[str, Any]) -> None:
        """Learn from the step that followed ``action``. Default: nothing to learn."""

    def update_steps(self, actions: list[Any], rewards: list[float], obs: Any, info: dict[str, Any]) -> None:
        """Learn from several steps at once (e.g. one step of every sub-env of a vector env), in order.

        Exactly :func:`update_each`: ``update(action, reward, obs, step_info)`` for every pair whose action is
        not None, ``step_info`` being ``info`` with ``task`` = the action, ``outcome`` = the reward and, when
        ``info`` has ``episodes``, ``episodes`` counting up by one per pair learnt. A teacher whose
        :meth:`update` is the base's learns nothing and returns at once. An override must leave the teacher
        exactly as those calls would (the same state, so the same later choices); it may read the keys that
        all pairs share once.
        """
        if type(self).update is not Teacher.update:
            update_each(self, actions, rewards, obs, info)

    def random_action(self):
        """A uniform draw from the action space using the teacher's own RNG."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return int(space.start + self.rng.integers(space.n))
        if isinstance(space, spaces.Box):
            return self.rng.uniform(space.low, space.high).astype(space.dtype)
        raise ConfigError(f"no uniform draw defined for {space}")


def finite_outcome(info: dict[str, Any]) -> float | None:
    """The step's ``outcome`` as a float, or None if missing or not finite.

    Teachers skip steps whose outcome is NaN or +-inf rather than let one bad
    value poison their statistics.
    """
    return finite_float(keys.OUTCOME.get(info))


def update_each(teacher: Teacher, actions: list[Any], rewards: list[float], obs: Any, info: dict[str, Any]) -> None:
    """The plain form of :meth:`Teacher.update_steps`: one ``teacher.update`` per pair, each with its own ``info``."""
    update = teacher.update
    count = info.get("episodes")
    for action, reward in zip(actions, rewards):
        if action is None:
            continue
        step_info = info.copy()
        if count is not None:
            step_info["episodes"] = count
            count += 1
        step_info["task"] = action
        step_info["outcome"] = reward
        update(action, reward, obs, step_info)


def pair_info(info: dict[str, Any], action: Any, reward: Any, before: int) -> dict[str, Any]:
    """The ``info`` :func:`update_each` gives the pair that has ``before`` pairs learnt before it."""
    out = info.copy()
    count = info.get("episodes")
    if count is not None:
        out["episodes"] = count + before
    out["task"] = action
    out["outcome"] = reward
    return out
