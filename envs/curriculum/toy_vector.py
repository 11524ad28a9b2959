"""ToyCurriculum, vectorised: ``N`` competence-grid students taught as one batch.

Built by ``gym.make_vec("teachgym/ToyCurriculum-v0", num_envs=N,
vectorization_mode="vector_entry_point")`` (or the Discrete id). Sub-env ``i``
reproduces ``gym.make(id, **kwargs)`` reset with ``seed + i`` exactly: the same
observations, rewards, tasks, outcomes and scores, because both step the student
with :func:`teachgym.students.curriculum.competence_grid.practise` and draw every
random number from the same generators in the same order (see
:mod:`teachgym.vector` for seeding, autoreset and the batched ``info``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from teachgym.envs.curriculum.toy import ToyCurriculumEnv
from teachgym.students.curriculum.competence_grid import GridBatch, draw_grid_student, practise
from teachgym.validation import ConfigError
from teachgym.vector import TaughtBatch, TeacherVectorEnv

_NORMAL_BLOCK = 256  # outcome-noise draws per student at a time


class ToyCurriculumVectorEnv(TeacherVectorEnv):
    """``num_envs`` ToyCurriculum students stepped together; every other argument is :class:`ToyCurriculumEnv`'s.

    Args:
        num_envs: students in the batch.
        autoreset_mode: Gymnasium's ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        **kwargs: the single env's arguments (``n_cells``, ``lesson_mode``, ``population``, ...).
    """

    def __init__(self, num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **kwargs: Any):
        env = ToyCurriculumEnv(**kwargs)
        if env.task_range != (0.0, 1.0) or env.cell_order != "ascending" or env.forgetting != 0.0:
            raise ConfigError("the vector ToyCurriculum env supports only the default task_range=(0, 1), "
                              f"cell_order='ascending' and forgetting=0; got task_range={env.task_range}, "
                              f"cell_order={env.cell_order!r}, forgetting={env.forgetting} (use the single env, "
                              "gym.make, for these profiles)")
        super().__init__(env, num_envs, autoreset_mode)
        student = env.student
        self.population, self.reward_mode = env.population, env.reward_mode
        self._n_grid = student.n_total
        self._obs = np.zeros((self.num_envs, self._n_grid + 1), dtype=np.float32)
        self.batch = GridBatch(self.num_envs, student.n_cells, student.n_dims, student.max_competence,
                               student.unlock_threshold, competence01_out=self._obs[:, : self._n_grid])
        self._student_rngs: list[np.random.Generator] = []
        self._normals = np.zeros((self.num_envs, 0))
        self._next_normal = 0
        self._noisy = False

    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        self._student_rngs = rngs
        if self.population is None:
            self.batch.reset(slice(None), noise=self.single_env.student.outcome_noise)
        else:
            drawn = [draw_grid_student(rng, self.population, self.batch.n_dims) for rng in rngs]
            self.batch.reset(slice(None), rate=[d["rate"] for d in drawn], flip=np.array([d["flip"] for d in drawn]),
                             noise=[d["noise"] for d in drawn])
        self._noisy = bool(np.any(self.batch.noise > 0.0))
        self._normals = np.zeros((self.num_envs, 0))
        self._next_normal = 0

    def _draw_normals(self) -> np.ndarray:
        """One standard normal per student from its own generator, drawn in blocks (the student's order)."""
        if self._next_normal >= self._normals.shape[1]:
            self._normals = np.stack([rng.standard_normal(_NORMAL_BLOCK) for rng in self._student_rngs])
            self._next_normal = 0
        self._next_normal += 1
        return self._normals[:, self._next_normal - 1]

    def _teach(self, tasks: np.ndarray) -> TaughtBatch:
        cells = self.batch.cells_of(tasks)
        before = self.batch.n_mastered.copy()
        outcome = practise(self.batch, cells, self._draw_normals() if self._noisy else None)
        if self.reward_mode == "mastery_gain":
            return TaughtBatch(outcome, (self.batch.n_mastered - before) / self._n_grid)
        return TaughtBatch(outcome, outcome)

    def _observations(self) -> np.ndarray:
        self._obs[:, -1] = self._t / self.n_steps
        return self._obs.copy()

    def scores(self) -> np.ndarray:
        return self.batch.score()
