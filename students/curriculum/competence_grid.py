"""The competence-grid student of the ALP-GMM paper's toy environment.

Portelas et al. (2019), "Teacher algorithms for curriculum learning of Deep RL
in continuously parameterized environments", toy env: the task space
``[0, 1]^d`` is split into ``n_cells^d`` cells. Each episode on a task adds one
unit of competence (up to ``max_competence``) to the task's cell, but only if
the cell is *unlocked*: it is the origin cell, or one of its "previous"
neighbours (each index equal or one lower, not all equal) has competence
``>= unlock_threshold``. A cell counts as mastered when its competence is
``> unlock_threshold`` (strictly, as the reference implementation). Extra
("useless") task dimensions beyond ``n_dims`` are ignored.

Unlike the reference implementation, nothing lives in module globals: every
student is independent, and all state is in :meth:`state_dict`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.validation import ConfigError, check_float, check_int


class CompetenceGridStudent(Student):
    """A grid of per-cell competences with prerequisite unlocking (see module docstring).

    Args:
        n_cells: cells per dimension.
        n_dims: task dimensions that matter.
        max_competence: competence cap per cell (the paper: 100).
        unlock_threshold: competence that unlocks the next cells (the paper: 75).
        outcome_noise: std of Gaussian noise added to the reported outcome
            (clipped to [0, 1]); the competence itself is noise-free.
    """

    def __init__(self, n_cells: int = 10, n_dims: int = 2, max_competence: int = 100,
                 unlock_threshold: int = 75, outcome_noise: float = 0.0):
        self.n_cells = check_int("n_cells", n_cells, low=1, high=1000)
        self.n_dims = check_int("n_dims", n_dims, low=1, high=8)
        if self.n_cells**self.n_dims > 10_000_000:
            raise ConfigError(f"n_cells**n_dims must be <= 1e7 cells, got {self.n_cells}**{self.n_dims}")
        self.max_competence = check_int("max_competence", max_competence, low=1)
        self.unlock_threshold = check_int("unlock_threshold", unlock_threshold, low=0, high=self.max_competence)
        self.outcome_noise = check_float("outcome_noise", outcome_noise, low=0.0)
        self.n_total = self.n_cells**self.n_dims
        self._strides = [self.n_cells ** (self.n_dims - 1 - i) for i in range(self.n_dims)]
        self._previous = [self._previous_neighbours(cell) for cell in range(self.n_total)]
        self.competence01 = np.zeros(self.n_total, dtype=np.float32)  # read-only view for the env
        self._rng = np.random.default_rng(0)
        self._competence = [0] * self.n_total
        self.n_mastered = 0

    def _previous_neighbours(self, cell: int) -> tuple[int, ...]:
        index = [(cell // s) % self.n_cells for s in self._strides]
        choices = [sorted({i, max(0, i - 1)}) for i in index]
        flat = {sum(c * s for c, s in zip(combo, self._strides)) for combo in itertools.product(*choices)}
        flat.discard(cell)
        return tuple(sorted(flat))

    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._competence = [0] * self.n_total
        self.competence01[:] = 0.0
        self.n_mastered = 0

    def cell_of(self, task) -> int:
        """Flat index of the cell containing ``task`` (values at 1.0 fall in the last cell)."""
        n = self.n_cells
        cell = 0
        for value, stride in zip(task[: self.n_dims], self._strides):
            i = int(value * n)
            cell += (i if i < n else n - 1) * stride
        return cell

    def learn(self, lesson, budget: int = 1) -> LearnReport:
        """Practise ``budget`` episodes of task ``lesson`` (a vector in [0, 1]^d)."""
        cell = self.cell_of(lesson)
        competence = self._competence
        level = competence[cell]
        for _ in range(budget):
            if level >= self.max_competence:
                break
            if cell != 0 and not any(competence[j] >= self.unlock_threshold for j in self._previous[cell]):
                break
            level += 1
            if level == self.unlock_threshold + 1:
                self.n_mastered += 1
        competence[cell] = level
        self.competence01[cell] = level / self.max_competence
        outcome = level / self.max_competence
        if self.outcome_noise > 0.0:
            outcome = min(1.0, max(0.0, outcome + self.outcome_noise * float(self._rng.standard_normal())))
        return LearnReport(outcome=outcome, work=budget)

    def evaluate(self, probes) -> np.ndarray:
        """Normalised competence (in [0, 1]) of the cell of each probe task (rows of ``probes``)."""
        probes = np.atleast_2d(np.asarray(probes, dtype=np.float64))
        return np.array([self._competence[self.cell_of(p)] / self.max_competence for p in probes])

    @property
    def mastered_fraction(self) -> float:
        return self.n_mastered / self.n_total

    def competence_grid(self) -> np.ndarray:
        """Competences as an ``(n_cells,) * n_dims`` integer array."""
        return np.asarray(self._competence).reshape((self.n_cells,) * self.n_dims)

    def state_dict(self) -> dict[str, Any]:
        return {"competence": list(self._competence), "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        competence = [int(c) for c in state["competence"]]
        if len(competence) != self.n_total:
            raise ConfigError(f"state['competence'] must have {self.n_total} cells, got {len(competence)}")
        self._competence = competence
        self.competence01[:] = np.asarray(competence, dtype=np.float32) / self.max_competence
        self.n_mastered = sum(c > self.unlock_threshold for c in competence)
        self._rng.bit_generator.state = state["rng"]
