"""The teacher-student design game: a teacher designs levels, learning agents play them (PAIRED-style)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.envs.multiagent.base import MultiAgentTeachEnv, aec_from_parallel, discrete_action, waiting_mask
from teachgym.envs.multiagent.design_tasks import make_design
from teachgym.validation import ConfigError, check_choice, check_int

OBJECTIVES = ("learning_progress", "regret")


class DesignGameEnv(MultiAgentTeachEnv):
    """A teacher picks the task of each student episode; the student (and an antagonist) play it.

    ## Description

    Unsupervised environment design as a PettingZoo game (Dennis et al., 2020,
    PAIRED). The game alternates two phases. In the *design* phase (one step)
    the ``teacher`` picks an arm: a region of the task family's parameter box,
    from which the env draws the task, then one *level* (the start cell or the
    reset seed), the same for every player. In the *play* phase the ``student``
    and, if present, the ``antagonist`` each play one episode of that level,
    simultaneously, one move per step, in their own copy of it. When every
    player's episode has ended the round is over and the next design phase
    starts. The student and antagonist are learned by the user's multi-agent
    algorithm; the env only plays the task.

    Task families (``task=``): ``"gridworld"``, the maze of the
    ``GridworldCurriculum`` envs (task ``(start_distance, slip, time_pressure)``,
    reward 1 on reaching the goal, lava and the step limit end the episode), and
    ``"cartpole"``, the deep-RL family's CartPole (task ``(pole_length,
    pole_mass, gravity)``, +1 per step up to 500).

    ## Agents

    ``teacher``, ``student`` and, with ``antagonist=True`` (the default for the
    ``regret`` objective), ``antagonist``. All stay live until the game ends.

    ## Action Spaces

    | agent | space | meaning |
    |-------|-------|---------|
    | teacher | ``Discrete(K)``, ``K = prod(task_bins)`` | arm: a region of the task box (row-major) |
    | student, antagonist | the task's: ``Discrete(4)`` moves up/right/down/left, or CartPole's ``Discrete(2)`` | a move |

    An agent with nothing to do in a step (the players in the design phase, the
    teacher in the play phase, a player whose episode ended before the other's)
    is *waiting*: its ``action_mask`` allows only action 0, and whatever it sends
    (or nothing) is ignored: the documented no-op. An acting agent must send
    an integer inside its space; anything else raises
    :class:`teachgym.envs.multiagent.base.InvalidActionError` (a
    :class:`teachgym.InvalidLessonError`) naming the agent.

    ## Observation Spaces

    Every agent gets ``Dict(observation=Box, action_mask=MultiBinary(n))``
    (``n``: its number of actions; all ones while acting).

    | agent | ``observation`` |
    |-------|-----------------|
    | teacher | ``Box(0, 1, (K * P + 1,))``: per arm, each player's score on its last level from that arm (0 before the first), players in agent order; then the fraction of rounds played |
    | student, antagonist | gridworld: one-hot of the cell (the maze's non-wall cells, row-major) and the fraction of the step limit used; cartpole: CartPole's 4 numbers. The last state on the step an episode ends; all zeros while waiting |

    ## Rewards

    Players: the task's reward each step (their episode return over a round).
    Teacher, on the step that ends a round (0 otherwise), by ``objective``:

    * ``"learning_progress"``: absolute learning progress on the arm:
      ``|score - previous score of the student on this arm|`` (0 before the first),
      where score is in [0, 1] (gridworld: success; cartpole: return / 500).
    * ``"regret"``: PAIRED's regret estimate, antagonist return - student return.

    ## Episode End

    Truncated for every agent after ``n_rounds`` rounds (never terminated).
    Infos: every agent's info has ``phase`` (the phase of the next step) and
    ``round``; a player's info at the end of its episode has ``episode_return``
    and ``is_success``; the teacher's info at the end of a round has ``task``
    (the parameters played), ``arm``, ``outcome`` (the student's score),
    ``student_return`` and, with an antagonist, ``antagonist_return`` and ``regret``.

    ## Arguments

    ```python
    from teachgym.envs.multiagent import design_game
    env = design_game.parallel_env(task="gridworld", objective="regret", antagonist=True,
                                   n_rounds=200, task_bins=(4, 3, 2), max_slip=0.6)
    aec = design_game.env(task="cartpole", objective="learning_progress", task_bins=3)
    ```

    Further keyword arguments go to the task family (gridworld: ``maze``,
    ``max_slip``, ``horizon``).

    ## Version History

    * v0: initial version.
    """

    metadata = {"name": "design_game_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, task: str = "gridworld", objective: str = "learning_progress", antagonist: bool | None = None,
                 n_rounds: int = 200, task_bins=None, **task_kwargs):
        super().__init__()
        self.objective = check_choice("objective", objective, OBJECTIVES)
        self.has_antagonist = (objective == "regret") if antagonist is None else bool(antagonist)
        if self.objective == "regret" and not self.has_antagonist:
            raise ConfigError("objective='regret' needs antagonist=True (regret = antagonist - student return)")
        self.n_rounds = check_int("n_rounds", n_rounds, low=1, high=10_000_000)
        if task_bins is not None:
            task_kwargs["task_bins"] = task_bins
        self.design = make_design(task, **task_kwargs)
        self.task_name = task
        self.players = ["student", "antagonist"] if self.has_antagonist else ["student"]
        self.possible_agents = ["teacher", *self.players]
        self.n_arms = self.design.lessons.n_arms
        teacher_obs = spaces.Box(0.0, 1.0, (self.n_arms * len(self.players) + 1,), dtype=np.float32)
        self.action_spaces = {"teacher": spaces.Discrete(self.n_arms)}
        self.observation_spaces = {"teacher": spaces.Dict(
            {"observation": teacher_obs, "action_mask": spaces.MultiBinary(self.n_arms)})}
        for player in self.players:
            self.action_spaces[player] = self.design.action_space
            self.observation_spaces[player] = spaces.Dict(
                {"observation": self.design.observation_space,
                 "action_mask": spaces.MultiBinary(int(self.design.action_space.n))})
        self._masks = {agent: (np.ones(self.action_spaces[agent].n, dtype=np.int8),
                               waiting_mask(self.action_spaces[agent].n)) for agent in self.possible_agents}
        self._blank = self.design.blank_observation()
        self._phase = "design"
        self._round = 0
        self._runs: dict[str, Any] = {}
        self._ended_now: set[str] = set()
        self._arm = 0
        self._last_score = np.zeros((len(self.players), self.n_arms))

    # -- PettingZoo API ------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None):
        self._seed(seed)
        self.agents = self.possible_agents[:]
        self._phase, self._round, self._runs, self._ended_now = "design", 0, {}, set()
        self._last_score[:] = 0.0
        infos = {agent: {"phase": self._phase, "round": 0} for agent in self.agents}
        return self._observations(), infos

    def step(self, actions: dict[str, Any]):
        self._check_running()
        rewards = dict.fromkeys(self.agents, 0.0)
        infos: dict[str, dict] = {agent: {} for agent in self.agents}
        self._ended_now = set()
        if self._phase == "design":
            self._design_level(discrete_action("teacher", actions, self.action_spaces["teacher"]))
        else:
            for player in self.players:
                run = self._runs[player]
                if run.done:
                    continue  # waiting: its action is the no-op
                move = discrete_action(player, actions, self.action_spaces[player])
                rewards[player] = run.step(move, self.np_random)
                if run.done:
                    self._ended_now.add(player)
                    infos[player].update(episode_return=run.episode_return, is_success=run.success)
            if all(run.done for run in self._runs.values()):
                rewards["teacher"], infos["teacher"] = self._end_round()
        for agent in self.agents:
            infos[agent].update(phase=self._phase, round=self._round)
        observations = self._observations()
        ended = self._round >= self.n_rounds
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, ended)
        if ended:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    # -- the game --------------------------------------------------------------------------
    def _design_level(self, arm: int) -> None:
        self._arm = arm
        task = self.design.lessons.to_task(arm, self.np_random)
        level = self.design.new_level(task, self.np_random)
        self._level = level
        self._runs = {player: self.design.start(level, i) for i, player in enumerate(self.players)}
        self._phase = "play"

    def _end_round(self) -> tuple[float, dict]:
        student = self._runs["student"]
        info = {"task": self._level.task.copy(), "arm": self._arm, "outcome": student.score,
                "student_return": student.episode_return}
        if self.objective == "regret":
            antagonist = self._runs["antagonist"]
            reward = antagonist.episode_return - student.episode_return
            info.update(antagonist_return=antagonist.episode_return, regret=reward)
        else:
            reward = abs(student.score - self._last_score[0, self._arm])
            if self.has_antagonist:
                info["antagonist_return"] = self._runs["antagonist"].episode_return
        for i, player in enumerate(self.players):
            self._last_score[i, self._arm] = self._runs[player].score
        self._round += 1
        self._phase = "design"
        return float(reward), info

    def _observations(self) -> dict[str, dict]:
        designing = self._phase == "design"
        teacher = np.empty(self.observation_spaces["teacher"]["observation"].shape, dtype=np.float32)
        teacher[:-1] = self._last_score.ravel()
        teacher[-1] = self._round / self.n_rounds
        observations = {"teacher": {"observation": teacher, "action_mask": self._mask("teacher", designing)}}
        for player in self.players:
            run = self._runs.get(player)
            acting = run is not None and not run.done and not designing
            shown = acting or player in self._ended_now
            observations[player] = {"observation": run.observation.copy() if shown else self._blank.copy(),
                                    "action_mask": self._mask(player, acting)}
        return {agent: observations[agent] for agent in self.agents}

    def _mask(self, agent: str, acting: bool) -> np.ndarray:
        return self._masks[agent][0 if acting else 1].copy()


def parallel_env(**kwargs) -> DesignGameEnv:
    """The design game as a PettingZoo ``ParallelEnv`` (see :class:`DesignGameEnv` for the arguments)."""
    return DesignGameEnv(**kwargs)


def env(**kwargs):
    """The design game as a PettingZoo ``AECEnv`` (``parallel_to_aec`` of :func:`parallel_env`)."""
    return aec_from_parallel(parallel_env(**kwargs))
