"""PrerequisiteTutor, vectorised: ``N`` BKT learners over one prerequisite graph taught as one numpy batch.

Built by ``gym.make_vec("teachgym/PrerequisiteTutor-BKT-v1", num_envs=N,
vectorization_mode="vector_entry_point")``. Sub-env ``i`` reproduces
``gym.make(id, **kwargs)`` reset with ``seed + i`` exactly. Each new student is
drawn by the single env's own student object from sub-env ``i``'s generator,
then copied into ``(N, n_skills)`` arrays. A BKT exercise draws a variable number
of uniforms (the answer, a learning draw only while the skill is not mastered,
one forgetting draw per skill), so each student reads its own stream of uniforms,
drawn ahead in blocks from its generator, through its own cursor: the same
numbers in the same order as the single student draws them one call at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from teachgym import info as keys
from teachgym.envs.tutoring.prerequisites import PrerequisiteTutorEnv
from teachgym.vector import TaughtBatch, TeacherVectorEnv

_BLOCK = 4096  # uniforms drawn ahead per student


class PrerequisiteTutorVectorEnv(TeacherVectorEnv):
    """``num_envs`` PrerequisiteTutor students stepped together; other arguments are :class:`PrerequisiteTutorEnv`'s.

    Args:
        num_envs: students in the batch.
        autoreset_mode: Gymnasium's ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        **kwargs: the single env's arguments (``n_skills``, ``population``, ...).
    """

    def __init__(self, num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **kwargs: Any):
        env = PrerequisiteTutorEnv(**kwargs)
        super().__init__(env, num_envs, autoreset_mode)
        student = env.student
        self.population, self.n_skills = env.population, env.n_skills
        self.parents = np.zeros((self.n_skills, self.n_skills), dtype=bool)  # parents[k, j]: j is a prerequisite of k
        for k, required in enumerate(env.prerequisites):
            self.parents[k, required] = True
        self.blocked_factor, self.consolidation = student.blocked_factor, student.consolidation
        n, k = self.num_envs, self.n_skills
        self.rows = np.arange(n)
        self.attempts = np.zeros((n, k), dtype=np.int64)
        self.correct = np.zeros((n, k), dtype=np.int64)
        self.last_practice = np.full((n, k), np.nan)
        self.step_count = 0
        self._stream = np.zeros((n, 0))
        self._cursor = np.zeros(n, dtype=np.intp)
        self._student_rngs: list[np.random.Generator] = []

    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        student = self.single_env.student
        params: dict[str, list[np.ndarray]] = {}
        mastered = []
        for rng in rngs:
            student.reset(rng)
            for name, value in student.params.items():
                params.setdefault(name, []).append(value)
            mastered.append(student.mastered.copy())
        self.params = {name: np.stack(values) for name, values in params.items()}
        self.mastered = np.stack(mastered)
        self.reviews = np.zeros_like(self.attempts)
        self.attempts[:] = 0
        self.correct[:] = 0
        self.last_practice[:] = np.nan
        self.step_count = 0
        self._student_rngs = rngs
        self._stream = np.stack([rng.random(_BLOCK) for rng in rngs])
        self._cursor[:] = 0

    def _take(self, count: int) -> np.ndarray:
        """The next ``count`` uniforms of every student's stream (the cursors do not move)."""
        if self._cursor.max() + count > self._stream.shape[1]:
            for i in np.flatnonzero(self._cursor + count > self._stream.shape[1]):  # keep the unread, draw on
                left = self._stream[i, self._cursor[i]:]
                self._stream[i] = np.concatenate([left, self._student_rngs[i].random(_BLOCK - left.size)])
                self._cursor[i] = 0
        return self._stream[self.rows[:, None], self._cursor[:, None] + np.arange(count)]

    def _forget_rates(self) -> np.ndarray:
        return self.params["forget"] / (1.0 + self.consolidation * self.reviews)

    def _teach(self, lessons: np.ndarray) -> TaughtBatch:
        rows, skills, n = self.rows, lessons[:, 0].astype(np.intp), self.n_skills
        before = self.mastered.mean(axis=1)
        draws = self._take(n + 2)
        knew = self.mastered[rows, skills]
        p_correct = np.where(knew, 1.0 - self.params["slip"][rows, skills], self.params["guess"][rows, skills])
        correct = draws[:, 0] < p_correct
        self.attempts[rows, skills] += 1
        self.correct[rows, skills] += correct
        self.last_practice[rows, skills] = self.step_count
        self.reviews[rows, skills] += knew
        ready = ~(self.parents[skills] & ~self.mastered).any(axis=1)
        rate = self.params["learn"][rows, skills] * np.where(ready, 1.0, self.blocked_factor)
        learned = ~knew & (draws[:, 1] < rate)
        self.mastered[rows, skills] |= learned
        self.reviews[rows[learned], skills[learned]] = 0
        first = np.where(knew, 1, 2)  # the forgetting draws follow the learning draw, if there was one
        forget_draws = draws[rows[:, None], first[:, None] + np.arange(n)]
        lost = self.mastered & (forget_draws < self._forget_rates())
        lost[rows, skills] = False
        self.mastered &= ~lost
        self.reviews[lost] = 0
        self._cursor += first + n
        self.step_count += 1
        return TaughtBatch(correct.astype(np.float64), self.mastered.mean(axis=1) - before)

    def _observations(self) -> np.ndarray:
        since = self.step_count - np.where(np.isnan(self.last_practice), 0.0, self.last_practice)
        parts = [self.attempts, self.correct, since]
        if self.single_env.oracle:
            parts.append(np.where(self.mastered, 1.0 - self.params["slip"], self.params["guess"]))
        budget = np.full((self.num_envs, 1), self._t / self.n_steps)
        obs = np.concatenate(parts + [budget], axis=1).astype(np.float32)
        space = self.single_observation_space
        return np.clip(obs, space.low, space.high)

    def _retention(self) -> np.ndarray:
        return (self.mastered * (1.0 - self._forget_rates()) ** self.single_env.retention_steps).mean(axis=1)

    def scores(self) -> np.ndarray:
        return 100.0 * self._retention()

    def _score_info(self) -> dict[str, np.ndarray]:
        return {keys.MASTERED_FRACTION.name: self.mastered.mean(axis=1),
                keys.EXPECTED_RETENTION.name: self._retention()}
