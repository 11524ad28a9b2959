"""Fixed partner policies for the design game, and the hook that scores a teachgym teacher in it.

- :class:`QLearningPlayer`: a tabular Q-learner that plays the gridworld design
  game as ``student`` or ``antagonist`` through the env's observations (the
  one-hot cell), with the update rule of
  :class:`teachgym.students.curriculum.tabular_q.TabularQStudent`, so its
  Q-table can be scored exactly on a held-out task set by that student's
  dynamic programme.
- :class:`RewardBanditTeacher`: a teacher (the :class:`teachgym.Teacher`
  contract) that learns which arm pays the env's teacher reward most: the same
  learner serves both objectives, so learning progress and regret compare on
  equal terms.
- :func:`score_design_teacher`: any single-agent teacher as the design game's
  ``teacher`` against Q-learning players; the score is the student's success
  on the held-out tasks of the gridworld curriculum env.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from teachgym.envs.multiagent.design_game import DesignGameEnv
from teachgym.teacher import Teacher
from teachgym.validation import check_float


class QLearningPlayer:
    """Epsilon-greedy one-step Q-learning on the gridworld design game's observations.

    Args:
        env: the (gridworld) design game it plays in; only its maze tables are read.
        seed: seed of the player's own RNG (exploration and tie-breaking).
        epsilon, learning_rate, discount: as :class:`TabularQStudent`'s.
    """

    def __init__(self, env: DesignGameEnv, seed: int, epsilon: float = 0.1, learning_rate: float = 0.5,
                 discount: float = 0.95):
        if env.task_name != "gridworld":
            raise ValueError(f"QLearningPlayer plays the gridworld design game, not {env.task_name!r}")
        self.design = env.design
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)
        self.learning_rate = check_float("learning_rate", learning_rate, low=0.0, high=1.0, low_open=True)
        self.discount = check_float("discount", discount, low=0.0, high=1.0)
        self.rng = np.random.default_rng(seed)
        self.q = np.zeros((self.design.model.n_states, 4))
        self._cell: int | None = None
        self._action = 0

    def act(self, obs: dict) -> int:
        """The move for this step (0, the no-op, while waiting)."""
        if obs["action_mask"].sum() <= 1:
            self._cell = None
            return 0
        self._cell = int(np.argmax(obs["observation"][:-1]))
        u = self.rng.random(6)
        values = self.q[self._cell]
        greedy = int(np.argmax((values == values.max()) * u[:4]))
        self._action = int(u[5] * 4) if u[4] < self.epsilon else greedy
        return self._action

    def learn(self, obs: dict, reward: float, ended: bool) -> None:
        """Update from the step that followed :meth:`act` (``obs``: the next observation)."""
        if self._cell is None:
            return
        cell = int(np.argmax(obs["observation"][:-1]))
        terminal = bool(self.design._terminal[cell])
        # A step-limit cut-off still bootstraps: the limit is not part of the state.
        target = reward + (0.0 if terminal else self.discount * self.q[cell].max())
        self.q[self._cell, self._action] += self.learning_rate * (target - self.q[self._cell, self._action])
        self._cell = None if ended else self._cell

    def held_out_success(self, tasks: np.ndarray) -> np.ndarray:
        """Exact success probability of the greedy policy on each task (TabularQStudent's DP)."""
        model = self.design.model
        model.load_state_dict({"q": self.q, "rng": np.random.default_rng(0).bit_generator.state})
        return model.evaluate(tasks)


class RewardBanditTeacher(Teacher):
    """Epsilon-greedy over arms on a recency-weighted mean of the env reward (non-stationary bandit).

    Args:
        epsilon: probability of a uniform arm.
        step_size: weight of the newest reward in an arm's estimate.
    """

    supported_spaces = (spaces.Discrete,)

    def __init__(self, epsilon: float = 0.2, step_size: float = 0.1):
        super().__init__()
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)
        self.step_size = check_float("step_size", step_size, low=0.0, high=1.0, low_open=True)

    def _setup(self) -> None:
        self.values = np.zeros(self.action_space.n)
        self.tried = np.zeros(self.action_space.n, dtype=bool)

    def act(self, obs, info) -> int:
        if not self.tried.all():
            return int(self.rng.choice(np.flatnonzero(~self.tried)))
        if self.rng.random() < self.epsilon:
            return self.random_action()
        best = np.flatnonzero(self.values == self.values.max())
        return int(self.rng.choice(best))

    def update(self, action, reward, obs, info) -> None:
        arm = int(action)
        self.values[arm] += (1.0 if not self.tried[arm] else self.step_size) * (float(reward) - self.values[arm])
        self.tried[arm] = True


@dataclass
class DesignScore:
    """What :func:`score_design_teacher` measured."""

    score: float  # held-out success of the student, percent
    arms: np.ndarray  # the teacher's arm each round
    teacher_return: float
    student_successes: float  # fraction of played episodes the student solved


def score_design_teacher(teacher: Teacher, seed: int = 0, n_rounds: int = 1500, objective: str = "learning_progress",
                         **env_kwargs) -> DesignScore:
    """Play ``teacher`` as the gridworld design game's ``teacher`` against Q-learning players.

    A run of :func:`teachgym.run` on
    :class:`teachgym.envs.multiagent.teacher_view.DesignGameTeacherEnv`
    (``teachgym/DesignGameTeacher-v0``): one teacher step per round, updated
    with the round's teacher reward. With ``objective="regret"`` an antagonist
    Q-learner plays too. ``env_kwargs`` go to that env.

    Returns:
        :class:`DesignScore`; ``score`` is the student's exact greedy success on
        the gridworld curriculum env's held-out ``TEST_SET``, in percent.
    """
    from teachgym.envs.multiagent.teacher_view import DesignGameTeacherEnv
    from teachgym.loop import run

    env = DesignGameTeacherEnv(n_steps=n_rounds, objective=objective, score_every=None, **env_kwargs)
    result = run(env, teacher, seed=seed)
    return DesignScore(result.score, np.asarray(result.lessons).reshape(-1).astype(np.int64),
                       float(np.sum(result.rewards)), float(np.mean(np.asarray(result.outcomes) > 0)))
