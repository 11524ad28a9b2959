"""What every multi-agent teaching env shares: spaces per agent, seeding, action checks, the AEC form."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec

from teachgym.lessons import InvalidLessonError, read_arm


class InvalidActionError(InvalidLessonError):
    """An acting agent sent an action outside its action space (the message names the agent)."""


def waiting_mask(n: int) -> np.ndarray:
    """The action mask of an agent with nothing to do: only action 0, which the env ignores."""
    mask = np.zeros(n, dtype=np.int8)
    mask[0] = 1
    return mask


def discrete_action(agent: str, actions: dict[str, Any], space: spaces.Discrete) -> int:
    """The acting ``agent``'s action from ``actions`` as an int, or InvalidActionError naming the agent.

    The accepted forms are the project's rule for Discrete actions (:func:`teachgym.lessons.read_arm`).
    """
    if agent not in actions or actions[agent] is None:
        raise InvalidActionError(f"actions must include an action for {agent!r}, which acts in this step")
    try:
        return read_arm(actions[agent], int(space.n), what=f"action of {agent!r}")
    except InvalidLessonError as error:
        raise InvalidActionError(str(error)) from None


class MultiAgentTeachEnv(ParallelEnv):
    """Base of the teachgym ParallelEnvs: fixed ``possible_agents``, one space object per agent.

    Subclasses set ``possible_agents``, ``observation_spaces`` and ``action_spaces``
    in ``__init__`` and call :meth:`_seed` first thing in ``reset``. All randomness
    of an episode comes from ``self.np_random``, created from the seed at reset
    (a ``reset`` without a seed continues the previous generator).
    """

    metadata = {"render_modes": [], "is_parallelizable": True}

    def __init__(self) -> None:
        self.render_mode = None
        self.agents: list[str] = []
        self.np_random: np.random.Generator | None = None
        self.observation_spaces: dict[str, spaces.Space] = {}
        self.action_spaces: dict[str, spaces.Space] = {}

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def _seed(self, seed: int | None) -> None:
        if seed is not None or self.np_random is None:
            self.np_random = np.random.default_rng(seed)

    def _check_running(self) -> None:
        if not self.agents:
            raise RuntimeError(f"{type(self).__name__}.step() called with no live agents: call reset() first")

    def render(self) -> None:
        """No rendering: the state a reader wants (scores, tasks) is in the infos."""
        return None

    def close(self) -> None:
        """Nothing to release."""


def aec_from_parallel(par_env: ParallelEnv):
    """The AEC form of ``par_env``: PettingZoo's ``parallel_to_aec`` (order-enforced).

    The env checks actions itself (raising :class:`InvalidActionError`), so no
    assert-based wrapper is added.
    """
    return parallel_to_aec(par_env)
