"""The competence-grid student of the ALP-GMM paper's toy environment, single and batched.

Portelas et al. (2019), "Teacher algorithms for curriculum learning of Deep RL
in continuously parameterized environments", toy env: the task space
``[0, 1]^d`` is split into ``n_cells^d`` cells. Each episode on a task adds one
unit of competence (up to ``max_competence``) to the task's cell, but only if
the cell is *unlocked*: it is the origin cell, or one of its "previous"
neighbours (each index equal or one lower, not all equal) has competence
``>= unlock_threshold``. A cell counts as mastered when its competence is
``> unlock_threshold`` (strictly, as the reference implementation). Extra
("useless") task dimensions beyond ``n_dims`` are ignored.

The dynamics live in one place, :class:`GridBatch` and its pure step
:func:`practise`, which advance ``N`` independent students at once. The
single :class:`CompetenceGridStudent` is a batch of one, and the vectorised
teacher env steps a batch of thousands with the same function, so the two
cannot drift apart.

Students may differ (see :mod:`teachgym.students.curriculum.populations`):
``rate`` is the competence gained per episode (the paper: 1), ``flip`` mirrors
task dimensions so that mastery spreads from another corner of the task space,
and ``noise`` is the std of the Gaussian noise on the reported outcome.

Unlike the reference implementation, nothing lives in module globals: every
student is independent, and all state is in :meth:`CompetenceGridStudent.state_dict`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.populations import Interleaved
from teachgym.validation import ConfigError, check_float, check_int


class GridBatch:
    """The state of ``n`` competence-grid students of one grid shape, as arrays.

    Attributes:
        competence: ``(n, n_total)`` float64 competence per cell (row-major, task-space cells).
        competence01: ``(n, n_total)`` float32 ``competence / max_competence`` (may be a view
            into an observation buffer, see ``competence01_out``).
        unlocked: ``(n, n_total)`` bool: the cell can learn now.
        n_mastered: ``(n,)`` int64 cells with competence above ``unlock_threshold``.
        rate: ``(n,)`` competence gained per episode.
        flip: ``(n, n_dims)`` bool: task dimension mirrored (mastery starts at its high end).
        noise: ``(n,)`` std of the Gaussian noise on reported outcomes.
    """

    def __init__(self, n: int, n_cells: int, n_dims: int, max_competence: float, unlock_threshold: float,
                 competence01_out: np.ndarray | None = None):
        self.n, self.n_cells, self.n_dims = n, n_cells, n_dims
        self.n_total = n_cells**n_dims
        self.max_competence, self.unlock_threshold = float(max_competence), float(unlock_threshold)
        self.strides = np.array([n_cells ** (n_dims - 1 - i) for i in range(n_dims)], dtype=np.int64)
        # Offsets to the "next" neighbours (each index equal or one higher, not all equal).
        self.offsets = np.array([o for o in itertools.product((0, 1), repeat=n_dims) if any(o)], dtype=np.int64)
        self.rows = np.arange(n)
        self.row_start = self.rows * self.n_total
        self.competence = np.zeros((n, self.n_total))
        self.competence01 = np.zeros((n, self.n_total), np.float32) if competence01_out is None else competence01_out
        self.unlocked = np.zeros((n, self.n_total), dtype=bool)
        self.n_mastered = np.zeros(n, dtype=np.int64)
        self.rate = np.ones(n)
        self.flip = np.zeros((n, n_dims), dtype=bool)
        self.noise = np.zeros(n)

    def reset(self, rows: np.ndarray | slice, rate=1.0, flip=False, noise=0.0) -> None:
        """Fresh students in ``rows``, with the given parameters (scalars or one value per row)."""
        rows = self.rows[rows]
        self.competence[rows] = 0.0
        self.competence01[rows] = 0.0
        self.n_mastered[rows] = 0
        self.rate[rows] = rate
        self.flip[rows] = flip
        self.noise[rows] = noise
        if self.unlock_threshold <= 0.0:  # every cell has a previous neighbour at or above the threshold
            self.unlocked[rows] = True
        else:
            self.unlocked[rows] = False
            self.unlocked[rows, self.origin(rows)] = True

    def cells_of(self, tasks: np.ndarray) -> np.ndarray:
        """Flat task-space cell of each task (rows of ``tasks``; values at 1.0 fall in the last cell)."""
        index = np.minimum((tasks[:, : self.n_dims] * self.n_cells).astype(np.int64), self.n_cells - 1)
        return index.dot(self.strides)

    def _index(self, cells: np.ndarray) -> np.ndarray:
        return (cells[:, None] // self.strides) % self.n_cells

    def _flat(self, index: np.ndarray) -> np.ndarray:
        return np.clip(index, 0, self.n_cells - 1) @ self.strides

    def origin(self, rows) -> np.ndarray:
        """The origin cell (in task space) of the students in ``rows``."""
        return self._flat(np.where(self.flip[rows], self.n_cells - 1, 0))

    def refresh_unlocked(self, rows) -> None:
        """Recompute ``unlocked`` of ``rows`` from their competences (reset and state loading)."""
        rows = self.rows[rows]
        if rows.size == 0:
            return
        cells = np.arange(self.n_total)
        index = self._index(cells)  # (n_total, d)
        unlocked = np.zeros((rows.size, self.n_total), dtype=bool)
        for k, row in enumerate(rows):
            direction = np.where(self.flip[row], -1, 1)
            for offset in self.offsets:  # a previous neighbour lies one step back along the offset
                previous = index - offset * direction
                inside = np.all((previous >= 0) & (previous < self.n_cells), axis=1)
                level = self.competence[row, self._flat(previous)]
                unlocked[k] |= inside & (level >= self.unlock_threshold)
            unlocked[k, self.origin(row)] = True
        self.unlocked[rows] = unlocked

    def score(self) -> np.ndarray:
        """Headline score of every student: % of cells mastered."""
        return 100.0 * (self.n_mastered / self.n_total)


def practise(batch: GridBatch, cells: np.ndarray, normals: np.ndarray | None = None) -> np.ndarray:
    """One episode for every student of ``batch``: student ``i`` practises task-space cell ``cells[i]``.

    Updates the batch in place and returns each student's outcome: its
    normalised competence on the cell, plus ``noise * normals`` clipped to
    [0, 1] when ``normals`` (one standard normal per student) is given.
    """
    flat = batch.row_start + cells  # flat indices into the (n, n_total) arrays: cheaper than 2-D indexing
    competence = batch.competence.reshape(-1)
    level = competence[flat]
    # A locked cell gains 0.0 (level + 0.0 is level exactly); a full cell stays at the cap.
    new = np.minimum(level + batch.rate * batch.unlocked.reshape(-1)[flat], batch.max_competence)
    competence[flat] = new
    outcome = new / batch.max_competence
    batch.competence01[batch.rows, cells] = outcome
    threshold = batch.unlock_threshold
    crossing = (level <= threshold) & (new >= threshold)  # a superset of both threshold events, which are rare
    if np.count_nonzero(crossing):
        rows = np.flatnonzero(crossing)
        before, after = level[rows], new[rows]
        batch.n_mastered[rows] += after > threshold  # mastered: strictly above the threshold
        rows = rows[(before < threshold) & (after >= threshold)]  # unlocks the next cells
        if rows.size:
            index = batch._index(cells[rows])
            direction = np.where(batch.flip[rows], -1, 1)
            following = batch._flat(index[:, None, :] + batch.offsets[None] * direction[:, None, :])
            batch.unlocked[rows[:, None], following] = True  # clipped at the border: the cell itself
    if normals is not None:
        outcome = np.clip(outcome + batch.noise * normals, 0.0, 1.0)
    return outcome


class CompetenceGridStudent(Student):
    """A grid of per-cell competences with prerequisite unlocking (see module docstring): a batch of one.

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
        self.batch = GridBatch(1, self.n_cells, self.n_dims, self.max_competence, self.unlock_threshold)
        self.competence01 = self.batch.competence01[0]  # read-only view for the env
        self.params: dict[str, Any] = {}
        self._rng = np.random.default_rng(0)
        self.batch.reset(slice(None), noise=self.outcome_noise)

    def reset(self, rng: np.random.Generator, params: dict[str, Any] | None = None) -> None:
        """A fresh student drawing its noise from ``rng``; ``params`` (``rate``, ``flip``, ``noise``) override
        the paper's student (rate 1, origin at 0, noise ``outcome_noise``)."""
        self._rng = rng
        self.params = dict(params or {})
        self.batch.reset(slice(None), **{"noise": self.outcome_noise, **self.params})

    @property
    def n_mastered(self) -> int:
        return int(self.batch.n_mastered[0])

    def cell_of(self, task) -> int:
        """Flat index of the cell containing ``task`` (values at 1.0 fall in the last cell)."""
        return int(self.batch.cells_of(np.asarray(task, dtype=np.float64)[None])[0])

    def learn(self, lesson, budget: int = 1) -> LearnReport:
        """Practise ``budget`` episodes of task ``lesson`` (a vector in [0, 1]^d)."""
        cell = self._cell(np.asarray(lesson, dtype=np.float64))
        for _ in range(budget - 1):
            self._practise_one(cell, None)
        normal = self._rng.standard_normal() if self.batch.noise[0] > 0.0 else None
        return LearnReport(outcome=self._practise_one(cell, normal), work=budget)

    def _cell(self, task: np.ndarray) -> int:
        """:meth:`GridBatch.cells_of` for one task, in Python scalars (the same arithmetic)."""
        batch, cell = self.batch, 0
        for d in range(batch.n_dims):
            cell += min(int(float(task[d]) * batch.n_cells), batch.n_cells - 1) * int(batch.strides[d])
        return cell

    def _practise_one(self, cell: int, normal: float | None) -> float:
        """:func:`practise` for this batch of one, in Python scalars: the same float64 arithmetic, so the same
        competences and outcomes; a step that crosses the unlock threshold (rare) goes through :func:`practise`."""
        batch = self.batch
        competence = batch.competence[0]
        level = float(competence[cell])
        new = min(level + (float(batch.rate[0]) if batch.unlocked[0, cell] else 0.0), batch.max_competence)
        threshold = batch.unlock_threshold
        if level <= threshold and new >= threshold:
            normals = None if normal is None else np.array([normal])
            return float(practise(batch, np.array([cell]), normals)[0])
        competence[cell] = new
        outcome = new / batch.max_competence
        batch.competence01[0, cell] = outcome
        if normal is not None:
            outcome = min(max(outcome + float(batch.noise[0]) * float(normal), 0.0), 1.0)
        return outcome

    def evaluate(self, probes) -> np.ndarray:
        """Normalised competence (in [0, 1]) of the cell of each probe task (rows of ``probes``)."""
        probes = np.atleast_2d(np.asarray(probes, dtype=np.float64))
        return self.batch.competence[0, self.batch.cells_of(probes)] / self.max_competence

    @property
    def mastered_fraction(self) -> float:
        return self.n_mastered / self.n_total

    def competence_grid(self) -> np.ndarray:
        """Competences as an ``(n_cells,) * n_dims`` array (task-space layout)."""
        return self.batch.competence[0].reshape((self.n_cells,) * self.n_dims).copy()

    def state_dict(self) -> dict[str, Any]:
        return {"competence": self.batch.competence[0].tolist(), "rng": self._rng.bit_generator.state,
                "params": {k: np.asarray(v).tolist() for k, v in self.params.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        competence = np.asarray(state["competence"], dtype=np.float64)
        if competence.shape != (self.n_total,):
            raise ConfigError(f"state['competence'] must have {self.n_total} cells, got {competence.size}")
        self.params = dict(state.get("params", {}))
        self.batch.reset(slice(None), **{"noise": self.outcome_noise, **self.params})
        self.batch.competence[0] = competence
        self.batch.competence01[0] = competence / self.max_competence
        self.batch.n_mastered[0] = int(np.sum(competence > self.unlock_threshold))
        self.batch.refresh_unlocked(slice(None))
        self._rng.bit_generator.state = state["rng"]


#: The competence-grid population (see :mod:`teachgym.students.populations`): competence gained per
#: episode, and the std of the outcome noise, each in interleaved train / held-out bands; every task
#: dimension is mirrored with probability 1/2 in both parts, so mastery starts from a corner the teacher
#: must find.
GRID_RATE = Interleaved(0.5, 2.0, bands=4, log=True)
GRID_NOISE = Interleaved(0.0, 0.2, bands=4)


def draw_grid_student(rng: np.random.Generator, part: str, n_dims: int) -> dict[str, Any]:
    """Parameters of one student of the ``part`` population (``rate``, ``flip``, ``noise``)."""
    return {"rate": GRID_RATE.draw(rng, part), "flip": rng.random(n_dims) < 0.5,
            "noise": GRID_NOISE.draw(rng, part)}
