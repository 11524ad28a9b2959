"""Co-teaching: several teachers share one student's practice budget, one subject each."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.envs.multiagent.base import MultiAgentTeachEnv, aec_from_parallel, discrete_action
from teachgym.students.multiagent.interference import InterferenceStudent
from teachgym.validation import check_float, check_int


class CoTeachingEnv(MultiAgentTeachEnv):
    """N teachers, one student, one subject per teacher, interference between subjects.

    ## Description

    The student (:class:`teachgym.students.multiagent.interference.InterferenceStudent`)
    learns ``n_teachers`` subjects; teacher ``i`` teaches subject ``i``. Each
    step the teachers claim shares of the step's ``budget`` units of practice at
    the same time: teacher ``i``'s action ``k_i`` claims ``k_i / levels`` of the
    budget. If the claims add up to more than the budget they are scaled down
    in proportion, so the budget is shared; unclaimed budget is not spent.
    Practice on one subject erodes the others through the interference matrix
    ``W`` (``W[i, j]``: forgetting of subject ``i`` per unit on subject ``j``)
    while the subject itself gains with diminishing returns. Subjects differ in
    how fast they are learned, so a teacher that claims the whole budget for a
    fast subject can keep a slow subject from ever being learned: the question
    the ``shared_weight`` knob asks is whether teachers that also care about the
    others' subjects leave room for them.

    ## Agents

    ``teacher_0`` ... ``teacher_{N-1}``, all live until the end.

    ## Action Spaces

    ``Discrete(levels + 1)`` for every teacher: the claim ``k / levels`` of the
    step budget, ``k = 0 .. levels``. Every action is always allowed (no mask);
    an action outside the space raises
    :class:`teachgym.envs.multiagent.base.InvalidActionError` naming the teacher.

    ## Observation Spaces

    ``Box(0, 1, (2N + 1,), float32)`` for every teacher (identical spaces, so one
    policy can serve all teachers):

    | index | observation |
    |-------|-------------|
    | 0 .. N-1 | the student's competence on every subject |
    | N .. 2N-1 | one-hot: which subject is this teacher's |
    | 2N | fraction of the episode's steps used |

    ## Rewards

    With ``g_j`` the change of competence on subject ``j`` in the step (negative
    when interference outweighs practice), teacher ``i`` receives
    ``g_i + shared_weight * mean_j g_j``. ``shared_weight=0``: each teacher is
    paid for its own subject only (competitive over the shared budget); large
    ``shared_weight``: mostly the class's mean gain (cooperative); negative:
    paid when the others lose.

    ## Starting State

    All competences 0; the student's per-subject learning rates are drawn at
    reset (log-normal around ``learning_rate``), so the seed picks the learner.

    ## Episode End

    Truncated for every teacher after ``n_steps`` steps. Every info holds
    ``competence`` (all subjects), ``share`` (the units this teacher's subject
    received), ``gain`` (its subject's change) and ``mean_gain``; at reset and
    on the last step also ``score`` (mean competence, 0-100) and
    ``worst_subject`` (the lowest competence, 0-100).

    ## Arguments

    ```python
    from teachgym.envs.multiagent import co_teaching
    env = co_teaching.parallel_env(n_teachers=3, n_steps=100, budget=1.0, levels=4, shared_weight=0.0,
                                   learning_rate=None, interference=0.1, rate_spread=0.2)
    ```

    ``learning_rate``, ``interference`` (here 0.1 by default) and ``rate_spread``
    go to :class:`InterferenceStudent`.

    ## Version History

    * v0: initial version.
    """

    metadata = {"name": "co_teaching_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, n_teachers: int = 3, n_steps: int = 100, budget: float = 1.0, levels: int = 4,
                 shared_weight: float = 0.0, **student_kwargs):
        super().__init__()
        self.n_teachers = check_int("n_teachers", n_teachers, low=1, high=64)
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10_000_000)
        self.budget = check_float("budget", budget, low=0.0, low_open=True, high=1e6)
        self.levels = check_int("levels", levels, low=1, high=1000)
        self.shared_weight = check_float("shared_weight", shared_weight, low=-10.0, high=10.0)
        student_kwargs.setdefault("interference", 0.1)
        self.student = InterferenceStudent(n_subjects=self.n_teachers, **student_kwargs)
        self.possible_agents = [f"teacher_{i}" for i in range(self.n_teachers)]
        n = self.n_teachers
        for agent in self.possible_agents:
            self.action_spaces[agent] = spaces.Discrete(self.levels + 1)
            self.observation_spaces[agent] = spaces.Box(0.0, 1.0, (2 * n + 1,), dtype=np.float32)
        self._t = 0
        self._identity = np.eye(n, dtype=np.float32)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._seed(seed)
        self.agents = self.possible_agents[:]
        self.student.reset(self.np_random)
        self._t = 0
        competence = self.student.evaluate()
        infos = {agent: {"competence": competence.copy(), **self._scores(competence)} for agent in self.agents}
        return self._observations(competence), infos

    def step(self, actions: dict[str, Any]):
        self._check_running()
        claims = np.array([discrete_action(agent, actions, self.action_spaces[agent]) for agent in self.agents],
                          dtype=np.float64) * (self.budget / self.levels)
        total = claims.sum()
        units = claims * (self.budget / total) if total > self.budget else claims
        gain = self.student.practice(units)
        self._t += 1
        mean_gain = float(gain.mean())
        competence = self.student.evaluate()
        ended = self._t >= self.n_steps
        rewards, infos = {}, {}
        for i, agent in enumerate(self.agents):
            rewards[agent] = float(gain[i] + self.shared_weight * mean_gain)
            infos[agent] = {"competence": competence.copy(), "share": float(units[i]), "gain": float(gain[i]),
                            "mean_gain": mean_gain}
            if ended:
                infos[agent].update(self._scores(competence))
        observations = self._observations(competence)
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, ended)
        if ended:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _observations(self, competence: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n_teachers
        observations = {}
        for i, agent in enumerate(self.agents):
            obs = np.empty(2 * n + 1, dtype=np.float32)
            # Competence is in [0, 1] by construction; the clip guards float32 rounding at the edges.
            obs[:n] = np.clip(competence, 0.0, 1.0)
            obs[n:2 * n] = self._identity[i]
            obs[-1] = self._t / self.n_steps
            observations[agent] = obs
        return observations

    @staticmethod
    def _scores(competence: np.ndarray) -> dict[str, float]:
        return {"score": 100.0 * float(competence.mean()), "worst_subject": 100.0 * float(competence.min())}


def parallel_env(**kwargs) -> CoTeachingEnv:
    """Co-teaching as a PettingZoo ``ParallelEnv`` (see :class:`CoTeachingEnv` for the arguments)."""
    return CoTeachingEnv(**kwargs)


def env(**kwargs):
    """Co-teaching as a PettingZoo ``AECEnv`` (``parallel_to_aec`` of :func:`parallel_env`)."""
    return aec_from_parallel(parallel_env(**kwargs))
