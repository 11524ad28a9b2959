"""The design game seen by one single-agent teacher: fixed Q-learning partners play, the teacher picks arms."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from teachgym.env import TeacherEnv, Taught
from teachgym.envs.curriculum.gridworld import TEST_SET
from teachgym.envs.multiagent.design_game import DesignGameEnv
from teachgym.envs.multiagent.partners import QLearningPlayer
from teachgym.lessons import read_arm
from teachgym.validation import check_choice, check_float


class DesignGameTeacherEnv(TeacherEnv):
    """A teacher chooses the task arm of each round of the gridworld design game against fixed partners.

    ## Description

    A single-agent view of :class:`teachgym.envs.multiagent.design_game.DesignGameEnv`
    (task ``"gridworld"``): the teacher agent of that game is the teachgym
    teacher, and its partners are fixed, learning :class:`QLearningPlayer`
    s: the ``student`` and, for ``objective="regret"``, the ``antagonist``
    (PAIRED). Each step is one round of the game: the teacher's arm is the
    design action, the env draws a task in that region and a start cell, and
    every partner plays one episode of that level, learning from it with
    one-step Q-learning. So any registered single-agent teacher can be scored
    inside the multi-agent game without a multi-agent algorithm.

    ## Action Space

    ``Discrete(K)``, ``K = prod(task_bins)`` (default 4 x 3 x 2 = 24): an arm,
    a region of the gridworld task box ``(start_distance, slip,
    time_pressure)`` (row-major, as the design game's).

    ## Observation Space

    The design game's teacher observation, ``Box(0, 1, (K * P + 1,))``: per arm,
    each partner's score (success 0/1) on its last level from that arm (0
    before the first), partners in agent order (``P`` = 1, or 2 with an
    antagonist); then the fraction of the teaching budget used.

    ## Rewards

    The design game's teacher reward for the round: absolute learning progress
    of the student on the arm (``objective="learning_progress"``), or PAIRED's
    regret, antagonist return - student return (``objective="regret"``).

    ## Score

    The student's exact greedy success on the held-out ``TEST_SET`` of the
    gridworld curriculum env (40 tasks), in percent; the same scale as
    ``teachgym/GridworldCurriculum-v0``.

    ## Episode End

    Truncated after ``n_steps`` rounds. Info: the core keys; ``outcome`` is the
    student's success on the round's level, ``task`` the task played.

    ## Arguments

    ```python
    gym.make("teachgym/DesignGameTeacher-v0", n_steps=1500, objective="learning_progress",
             task_bins=(4, 3, 2), epsilon=0.1, learning_rate=0.5, discount=0.95)  # task_bins=None: (4, 3, 2)
    gym.make("teachgym/DesignGameTeacherPAIRED-v0")  # objective="regret", with an antagonist
    ```

    ``epsilon``, ``learning_rate`` and ``discount`` are the partners'; further
    keyword arguments go to the gridworld design (``maze``, ``max_slip``,
    ``horizon``).

    ## Version History

    * v0: initial version.
    """

    def __init__(self, n_steps: int = 1500, objective: str = "learning_progress", task_bins=None,
                 epsilon: float = 0.1, learning_rate: float = 0.5, discount: float = 0.95,
                 score_every: int | None = 250, **design_kwargs: Any):
        self.objective = check_choice("objective", objective, ("learning_progress", "regret"))
        self.partner_kwargs = {"epsilon": check_float("epsilon", epsilon, low=0.0, high=1.0),
                               "learning_rate": check_float("learning_rate", learning_rate, low=0.0, high=1.0,
                                                            low_open=True),
                               "discount": check_float("discount", discount, low=0.0, high=1.0)}
        self.game = DesignGameEnv(task="gridworld", objective=self.objective, n_rounds=n_steps, task_bins=task_bins,
                                  **design_kwargs)
        super().__init__(self.game.design.lessons, n_steps=n_steps, score_every=score_every)
        self.observation_space = self.game.observation_spaces["teacher"]["observation"]
        self.test_set = TEST_SET.copy()
        self.players: dict[str, QLearningPlayer] = {}
        self._obs: dict[str, dict] = {}

    # -- hooks -------------------------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        seeds = rng.integers(2**63, size=1 + len(self.game.players))
        self._obs, _ = self.game.reset(seed=int(seeds[0]))
        self.players = {p: QLearningPlayer(self.game, seed=int(s), **self.partner_kwargs)
                        for p, s in zip(self.game.players, seeds[1:])}

    def _read_lesson(self, action: Any) -> int:
        return read_arm(action, self.game.n_arms)

    def _teach(self, arm: int) -> Taught:
        self._obs, _, _, _, _ = self.game.step({"teacher": arm})
        while True:
            actions = {p: player.act(self._obs[p]) for p, player in self.players.items()}
            self._obs, rewards, _, _, infos = self.game.step(actions)
            for p, player in self.players.items():
                player.learn(self._obs[p], rewards[p], ended="episode_return" in infos[p])
            if "arm" in infos["teacher"]:
                info = infos["teacher"]
                return Taught(float(info["outcome"]), float(rewards["teacher"]), task=info["task"])

    def _observation(self) -> np.ndarray:
        return self._obs["teacher"]["observation"].copy()

    def score(self) -> float:
        return 100.0 * float(self.players["student"].held_out_success(self.test_set).mean())

    # -- checkpointing -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        # One deepcopy keeps the partners' link to the game's maze tables.
        game, players, obs = copy.deepcopy((self.game, self.players, self._obs))
        return {"t": self._t, "rng": self.np_random.bit_generator.state, "game": game, "players": players,
                "obs": obs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._t = int(state["t"])
        self.np_random.bit_generator.state = state["rng"]
        self.game, self.players, self._obs = copy.deepcopy((state["game"], state["players"], state["obs"]))
