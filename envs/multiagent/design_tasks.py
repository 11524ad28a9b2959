"""Task families a design-game teacher builds levels from, played step by step by learning agents.

A *design task* turns a teacher's arm into task parameters (a :class:`RegionLessons`
grid over the family's task box), a task into a *level* (everything random about
one episode that both the student and the antagonist must share: the start cell,
the reset seed) and a level into one :class:`Run` per player.

- :class:`GridworldDesign`: the maze family of
  :class:`teachgym.students.curriculum.tabular_q.TabularQStudent`; the maze, its
  move table, start cells per distance, slip and step limits are that student's,
  so a run plays exactly the dynamics the single-agent gridworld env trains on.
- :class:`ParamTaskDesign`: any deep-RL :class:`ParamTaskEnv` with a Discrete
  action space (CartPole by default). Box-action families (MountainCar) are
  refused: PettingZoo's test samplers draw masked actions with
  ``action_space.sample(mask)``, which a Box does not accept.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from teachgym.lessons import RegionLessons
from teachgym.students.curriculum.tabular_q import TASK_NAMES, TabularQStudent
from teachgym.validation import ConfigError, check_choice, check_int


@dataclass(frozen=True)
class Level:
    """One concrete episode set-up: task parameters plus the draws both players share."""

    task: np.ndarray
    start: int = 0  # gridworld: start cell
    seed: int = 0  # deep-RL tasks: reset seed (start state)


class Run:
    """One player's episode on a level. ``observation`` is a float32 vector of the task's space."""

    observation: np.ndarray
    done: bool = False
    episode_return: float = 0.0
    success: bool = False
    score: float = 0.0  # how good the episode was, in [0, 1]

    def step(self, action: int, rng: np.random.Generator) -> float:  # pragma: no cover - interface
        raise NotImplementedError


def _bins(value, dim: int) -> list[int]:
    bins = [value] * dim if np.ndim(value) == 0 else list(value)
    if len(bins) != dim:
        raise ConfigError(f"task_bins must be one integer or {dim} integers, got {value!r}")
    return [check_int(f"task_bins[{i}]", b, low=1, high=64) for i, b in enumerate(bins)]


class GridworldDesign:
    """Levels of the tabular-Q maze family (task ``(start_distance, slip, time_pressure)`` in ``[0, 1]^3``).

    Args:
        task_bins: arms per task dimension (one number or three).
        **maze_kwargs: ``maze``, ``max_slip``, ``horizon`` of :class:`TabularQStudent`.
    """

    name = "gridworld"

    def __init__(self, task_bins=(4, 3, 2), **maze_kwargs):
        unknown = set(maze_kwargs) - {"maze", "max_slip", "horizon"}
        if unknown:
            raise ConfigError(f"unknown gridworld arguments {sorted(unknown)}; allowed: maze, max_slip, horizon")
        self.model = TabularQStudent(**maze_kwargs)
        dim = len(TASK_NAMES)
        self.lessons = RegionLessons.grid([0.0] * dim, [1.0] * dim, _bins(task_bins, dim), names=TASK_NAMES)
        n = self.model.n_states
        self.observation_space = spaces.Box(0.0, 1.0, (n + 1,), dtype=np.float32)
        self.action_space = spaces.Discrete(4)  # up, right, down, left
        # The task model's own tables: playing them keeps the game's dynamics the student's.
        self._next, self._terminal = self.model._next, self.model._terminal
        self._starts_at = self.model._starts_at

    def new_level(self, task: np.ndarray, rng: np.random.Generator) -> Level:
        starts = self._starts_at[int(self.model.start_distance(task)[0])]
        return Level(task=task, start=int(starts[rng.integers(starts.size)]))

    def start(self, level: Level, player: int) -> Run:
        return _MazeRun(self, level)

    def blank_observation(self) -> np.ndarray:
        return np.zeros(self.observation_space.shape, dtype=np.float32)


class _MazeRun(Run):
    def __init__(self, design: GridworldDesign, level: Level):
        self._design = design
        self.cell = level.start
        self.slip = float(design.model.slip_probability(level.task)[0])
        self.limit = int(design.model.step_limit(level.task)[0])
        self.t = 0
        self.observation = self._observe()

    def _observe(self) -> np.ndarray:
        obs = np.zeros(self._design.model.n_states + 1, dtype=np.float32)
        obs[self.cell] = 1.0
        obs[-1] = self.t / self.limit
        return obs

    def step(self, action: int, rng: np.random.Generator) -> float:
        # One draw per step whatever happens, so both players' random streams stay aligned.
        coin, move = rng.random(2)
        if coin < self.slip:
            action = int(move * 4)
        design = self._design
        self.cell = int(design._next[self.cell, action])
        self.t += 1
        reward = 1.0 if self.cell == design.model.goal else 0.0
        self.episode_return += reward
        self.success = self.success or reward > 0.0
        self.done = bool(design._terminal[self.cell]) or self.t >= self.limit
        self.score = float(self.success)
        self.observation = self._observe()
        return reward


class ParamTaskDesign:
    """Levels of a deep-RL task family with Discrete actions (CartPole by default).

    Args:
        family: ``"cartpole"`` or a ``"module:Class"`` path to a :class:`ParamTaskEnv` subclass.
        task_bins: arms per task dimension (one number or one per dimension).
    """

    FAMILIES = {"cartpole": "teachgym.envs.deeprl.cartpole_task:CartPoleTask"}

    def __init__(self, family: str = "cartpole", task_bins=3):
        path = self.FAMILIES.get(family, family)
        module, _, attr = path.partition(":")
        if not attr:
            raise ConfigError(f"family must be one of {sorted(self.FAMILIES)} or 'module:Class', got {family!r}")
        self.family = getattr(importlib.import_module(module), attr)
        self.name = family
        probe = self.family()
        if not isinstance(probe.action_space, spaces.Discrete):
            raise ConfigError(f"design tasks need a Discrete action space (for action masks); {family!r} has "
                              f"{probe.action_space}")
        self.observation_space = spaces.Box(probe.observation_space.low, probe.observation_space.high,
                                            dtype=np.float32)
        self.action_space = spaces.Discrete(int(probe.action_space.n))
        dim = len(self.family.task_names)
        self.lessons = RegionLessons.grid(self.family.task_low, self.family.task_high, _bins(task_bins, dim),
                                          names=self.family.task_names)
        self._envs: dict[int, object] = {}

    def new_level(self, task: np.ndarray, rng: np.random.Generator) -> Level:
        return Level(task=task, seed=int(rng.integers(2**31 - 1)))

    def start(self, level: Level, player: int) -> Run:
        if player not in self._envs:
            self._envs[player] = self.family()
        return _ParamRun(self, self._envs[player], level)

    def blank_observation(self) -> np.ndarray:
        return np.zeros(self.observation_space.shape, dtype=np.float32)


class _ParamRun(Run):
    def __init__(self, design: ParamTaskDesign, env, level: Level):
        self._design, self._env = design, env
        env.set_task(level.task)
        obs, _ = env.reset(seed=level.seed)
        self.observation = np.asarray(obs, dtype=np.float32)

    def step(self, action: int, rng: np.random.Generator) -> float:
        obs, reward, terminated, truncated, info = self._env.step(action)
        self.observation = np.asarray(obs, dtype=np.float32)
        self.episode_return += float(reward)
        self.done = bool(terminated or truncated)
        if self.done:
            self.success = bool(info.get("is_success", False))
            self.score = float(self._design.family.episode_score(self.episode_return, self.success))
        return float(reward)


def make_design(task: str, **kwargs):
    """The design task named ``task`` (``"gridworld"`` or ``"cartpole"``)."""
    check_choice("task", task, ("gridworld", "cartpole"))
    if task == "gridworld":
        return GridworldDesign(**kwargs)
    return ParamTaskDesign("cartpole", **kwargs)
