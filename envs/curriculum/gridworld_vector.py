"""GridworldCurriculum, vectorised: ``N`` tabular Q-learners taught as one batch.

Built by ``gym.make_vec("teachgym/GridworldCurriculum-v0", num_envs=N,
vectorization_mode="vector_entry_point")`` (or the Discrete id). Sub-env ``i``
reproduces ``gym.make(id, **kwargs)`` reset with ``seed + i`` exactly: the same
observations, rewards, tasks, outcomes, ``env_steps`` and scores. Both step the
learners with :func:`teachgym.students.curriculum.tabular_q.q_learning_step` (here on
the ``N`` Q-tables stacked, all students' episodes in one call) and score them with
the single student's own dynamic programme, and every random number comes from
student ``i``'s generator in the order the single student draws it (see
:mod:`teachgym.vector` for seeding, autoreset and the batched ``info``).

Where the time goes: the Q-learning episodes are batched, the exact probe
evaluation (a dynamic programme per student) is not, so a batch is a few times
faster than as many single envs rather than orders of magnitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from teachgym import info as keys
from teachgym.envs.curriculum.gridworld import GridworldCurriculumEnv
from teachgym.students.curriculum.tabular_q import UNIFORMS_PER_STEP, draw_q_student, q_learning_step
from teachgym.vector import TaughtBatch, TeacherVectorEnv


class GridworldCurriculumVectorEnv(TeacherVectorEnv):
    """``num_envs`` GridworldCurriculum learners stepped together; other arguments are
    :class:`GridworldCurriculumEnv`'s.

    Args:
        num_envs: learners in the batch.
        autoreset_mode: Gymnasium's ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        **kwargs: the single env's arguments (``n_steps``, ``lesson_mode``, ``population``, ``epsilon``, ...).
    """

    def __init__(self, num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **kwargs: Any):
        env = GridworldCurriculumEnv(**kwargs)
        super().__init__(env, num_envs, autoreset_mode)
        self.model = env.student  # the maze and the evaluation; its own Q-table is never used
        self.population, self.reward_mode = env.population, env.reward_mode
        self.episodes_per_step = env.episodes_per_step
        n = self.num_envs
        self._q = np.zeros((n * self.model.n_states, 4))
        self._rows = np.arange(n) * self.model.n_states  # student i's Q-table starts at row i * n_states
        self._learning_rate = np.zeros(n)
        self._epsilon = np.zeros(n)
        self._probe_success = np.zeros((n, len(env.probe_set)))
        self._student_rngs: list[np.random.Generator] = []

    def _table(self, i: int) -> np.ndarray:
        cells = self.model.n_states
        return self._q[i * cells:(i + 1) * cells]

    def _evaluate(self, tasks: np.ndarray) -> np.ndarray:
        """Every student's exact greedy success on ``tasks``: ``(N, len(tasks))``."""
        return np.stack([self.model.greedy_success(self._table(i), tasks) for i in range(self.num_envs)])

    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        self._student_rngs = rngs
        model, settings = self.model, self.single_env.student._settings
        for i, rng in enumerate(rngs):
            params = {**settings, **({} if self.population is None else draw_q_student(rng, self.population))}
            self._learning_rate[i], self._epsilon[i] = params["learning_rate"], params["epsilon"]
        self._q[:] = 0.0
        self._probe_success = self._evaluate(self.single_env.probe_set)

    def _learn(self, tasks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``episodes_per_step`` Q-learning episodes of each student's task; ``(outcome, env_steps)`` per student."""
        model, n, budget = self.model, self.num_envs, self.episodes_per_step
        distance, slip, limit = model.start_distance(tasks), model.slip_probability(tasks), model.step_limit(tasks)
        random_move = 1.0 - (1.0 - self._epsilon) * (1.0 - slip)
        rngs = self._student_rngs
        state = np.concatenate([model.start_cells(int(distance[i]))[rng.integers(model.start_cells(
            int(distance[i])).size, size=budget)] for i, rng in enumerate(rngs)])
        # Each student's uniforms for the longest its episodes can run, drawn in the single student's
        # order; afterwards each generator is rewound to exactly what its episodes used.
        saved = [rng.bit_generator.state for rng in rngs]
        blocks = [rng.random((budget * int(limit[i]), UNIFORMS_PER_STEP)) for i, rng in enumerate(rngs)]
        uniforms = np.concatenate(blocks)
        block_start = np.concatenate([[0], np.cumsum([len(b) for b in blocks])[:-1]])
        owner = np.repeat(np.arange(n), budget)
        used = np.zeros(n, dtype=np.int64)
        successes = np.zeros(n, dtype=np.int64)
        env_steps = np.zeros(n, dtype=np.int64)
        for k in range(int(limit.max())):
            counts = np.bincount(owner, minlength=n)
            env_steps += counts
            rank = np.arange(owner.size) - (np.cumsum(counts) - counts)[owner]  # episodes stay grouped by student
            u = uniforms[block_start[owner] + used[owner] + rank]
            used += counts
            new_state, ended = q_learning_step(self._q, self._rows[owner], state, u, random_move[owner], model._next,
                                               model._terminal, model._reward, self._learning_rate[owner],
                                               model.discount)
            successes += np.bincount(owner[new_state == model.goal], minlength=n)
            going = ~ended & (k + 1 < limit[owner])
            state, owner = new_state[going], owner[going]
            if state.size == 0:
                break
        for rng, state_before, rows in zip(rngs, saved, used):
            rng.bit_generator.state = state_before
            rng.random((int(rows), UNIFORMS_PER_STEP))
        return successes / budget, env_steps

    def _teach(self, tasks: np.ndarray) -> TaughtBatch:
        outcome, env_steps = self._learn(tasks)
        before, self._probe_success = self._probe_success, self._evaluate(self.single_env.probe_set)
        if self.reward_mode == "probe_gain":  # per student, exactly as the single env averages
            reward = np.array([np.mean(after) - np.mean(was) for after, was in zip(self._probe_success, before)])
        else:
            reward = outcome
        return TaughtBatch(outcome, reward, info={keys.ENV_STEPS.name: env_steps})

    def _observations(self) -> np.ndarray:
        obs = np.empty((self.num_envs, self._probe_success.shape[1] + 1), dtype=np.float32)
        obs[:, :-1] = np.clip(self._probe_success, 0.0, 1.0)
        obs[:, -1] = self._t / self.n_steps
        return obs

    def scores(self) -> np.ndarray:
        return np.array([100.0 * float(row.mean()) for row in self._evaluate(self.single_env.test_set)])
