"""ToyCurriculum: the ALP-GMM paper's competence-grid toy env as a teacher env."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.students.curriculum.competence_grid import CompetenceGridStudent, draw_grid_student
from teachgym.students.populations import check_population
from teachgym.validation import ConfigError, check_choice, check_float, check_floats, check_int

RUGGED_SEED = 0  # the one fixed landscape of cell_order="shuffled": the same for every seed


class ToyCurriculumEnv(TeacherEnv):
    """Teach the competence-grid student of the ALP-GMM toy experiment.

    ## Description

    The student lives on the task space ``[0, 1]^(n_dims + n_useless_dims)``; the
    first ``n_dims`` dimensions are split into ``n_cells`` cells each. Each teacher
    step is one student episode on the chosen task: the task's cell gains one
    unit of competence (max 100) if it is the origin cell or a "previous"
    neighbour (every index equal or one lower) has competence >= 75. A cell is
    mastered above 75. Mastery must spread from the origin, so a teacher that
    finds the frontier of learnable tasks wins; a random teacher wastes most
    episodes on locked cells (Portelas et al., 2019: ALP-GMM masters 36-38 % of
    cells in 20,000 episodes, random ~4 %).

    ## Action Space

    ``lesson_mode="box"`` (``ToyCurriculum-v0``): ``Box(0, 1, (n_dims + n_useless_dims,), float32)``,
    the task vector. ``lesson_mode="regions"`` (``ToyCurriculumDiscrete-v0``):
    ``Discrete(arms_per_dim ** n_dims)``; arm ``k`` is a square region of the grid
    (row-major) and the task is drawn uniformly in it. Actions outside the space
    raise :class:`teachgym.InvalidLessonError`; they are never clipped.

    ## Observation Space

    ``Box(0, 1, (n_cells ** n_dims + 1,), float32)``:

    | index             | observation                                         |
    |-------------------|-----------------------------------------------------|
    | 0 .. n_cells^d-1  | competence of each cell / 100 (row-major); what a   |
    |                   | teacher learns by probing each cell's centre         |
    | n_cells^d         | fraction of the episode budget used                 |

    ## Rewards

    ``reward_mode="mastery_gain"`` (default): the change in the mastered fraction,
    so the episode return is the final mastered fraction.
    ``reward_mode="outcome"``: the student's normalised competence on the task it
    just practised (the signal the paper's teachers receive).

    ## Starting State

    All competences 0; the budget is unused. With ``population="train"`` or
    ``"held_out"`` every reset draws a new student from that part of the
    competence-grid population (:func:`~teachgym.students.curriculum.competence_grid.draw_grid_student`:
    competence per episode 0.5-2, outcome noise 0-0.2 in disjoint interleaved
    bands, mastery starting from a random corner); the observation is unchanged,
    so the teacher must infer which student it faces. ``population=None``
    (default) is the paper's student.

    ## Challenge profiles

    Two arguments reshape the task space a teacher sees (the grid, the student and
    the score are unchanged; their defaults are the paper's env, bit for bit):

    - ``task_range=(low, high)``: the first ``n_dims`` lesson dimensions span
      ``[low, high]`` while the grid covers ``[0, 1]``. A task with a coordinate
      above 1 is *unfeasible* (the student learns nothing; outcome 0); one with a
      coordinate below 0 is *trivial* (already known: outcome 1, nothing learned).
      ``(0, 4)`` makes 15/16 of a 2-D space unfeasible, ``(-3, 1)`` 15/16 trivial.
    - ``cell_order``: ``"ascending"`` (default) the paper's layout, mastery spreads
      from the low corner; ``"descending"``: from the high corner, and no
      hand-made schedule is published (the prior "easy = low values" is wrong
      and nothing replaces it); ``"shuffled"``: the cells of each dimension are
      permuted by one fixed permutation (``RUGGED_SEED``), so difficulty is
      rugged (non-monotonic) along every task dimension and neighbouring tasks
      need not share prerequisites; no schedule is published. The observation
      lists competences in the teacher's task layout in every case.

    A third changes the student: ``forgetting`` (default 0: the paper's student,
    who never forgets) is the competence, in the paper's units (one per
    episode, cap 100), that every cell *not* practised in an episode loses in
    that episode, never below 0. A cell that falls to the mastery threshold
    (75) or below stops counting as mastered, and one below it no longer
    unlocks its successors, exactly as if it had never reached it (the origin
    cell is always unlocked). With ``forgetting=0.01`` a cell at full
    competence, left alone, drops out of mastery after 2,500 episodes; one just
    mastered (76) after 100. Mastery must be kept, not only reached: the
    mastered fraction (and the ``mastery_gain`` reward) can fall, and a teacher
    that never returns to a region loses it.

    ## Episode End

    Never terminates; truncated after ``n_steps`` student episodes. The headline
    ``info["score"]`` (percentage of cells mastered, 0-100) is reported at reset,
    every ``score_every`` steps and on the last step. Every step's ``info`` holds
    ``task`` (the task practised) and ``outcome`` (normalised competence on it).

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/ToyCurriculum-v0", n_cells=10, n_dims=2, n_useless_dims=0,
                   n_steps=20_000, reward_mode="mastery_gain", outcome_noise=0.0, population=None,
                   task_range=(0.0, 1.0), cell_order="ascending", forgetting=0.0)
    env = gym.make("teachgym/ToyCurriculumDiscrete-v0", arms_per_dim=5)
    ```

    ## Version History

    * v0: initial version (paper defaults: 10 cells x 2 dims, 20,000 episodes). Options added since
      without a version bump, because their defaults keep the env bit for bit: ``population``,
      ``task_range`` and ``cell_order``, then ``forgetting``.
    """

    REWARD_MODES = ("mastery_gain", "outcome")

    def __init__(self, n_cells: int = 10, n_dims: int = 2, n_useless_dims: int = 0, n_steps: int = 20_000,
                 lesson_mode: str = "box", arms_per_dim: int = 5, reward_mode: str = "mastery_gain",
                 outcome_noise: float = 0.0, score_every: int | None = 1000, population: str | None = None,
                 task_range: tuple[float, float] = (0.0, 1.0), cell_order: str = "ascending",
                 forgetting: float = 0.0):
        n_useless_dims = check_int("n_useless_dims", n_useless_dims, low=0, high=64)
        low, high = check_floats("task_range", task_range, length=2, low=-1e6, high=1e6)
        if not (low <= 0.0 and high >= 1.0):
            raise ConfigError(f"task_range must be (low, high) with low <= 0 and high >= 1 (the grid is [0, 1]), "
                              f"got {task_range!r}")
        self.task_range = (low, high)
        self.cell_order = check_choice("cell_order", cell_order, ("ascending", "descending", "shuffled"))
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, ("box", "regions"))
        self.population = check_population(population)
        self.student = CompetenceGridStudent(n_cells=n_cells, n_dims=n_dims, outcome_noise=outcome_noise)
        n_dims = self.student.n_dims
        self.forgetting = check_float("forgetting", forgetting, low=0.0, high=float(self.student.max_competence))
        arms_per_dim = check_int("arms_per_dim", arms_per_dim, low=1, high=self.student.n_cells)
        lows, highs = [low] * n_dims + [0.0] * n_useless_dims, [high] * n_dims + [1.0] * n_useless_dims
        if self.lesson_mode == "box":
            lessons = BoxLessons(lows, highs)
        else:
            lessons = RegionLessons.grid(lows, highs, [arms_per_dim] * n_dims + [1] * n_useless_dims)
        self._profiled = self.task_range != (0.0, 1.0) or self.cell_order == "shuffled"
        self._cell_permutation = self._obs_index = None
        if self.cell_order == "shuffled":
            n = self.student.n_cells
            rng = np.random.default_rng(RUGGED_SEED)
            self._cell_permutation = np.stack([rng.permutation(n) for _ in range(n_dims)])
            teacher_cells = np.unravel_index(np.arange(n**n_dims), (n,) * n_dims)
            student_cells = tuple(self._cell_permutation[d][teacher_cells[d]] for d in range(n_dims))
            self._obs_index = np.ravel_multi_index(student_cells, (n,) * n_dims)
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)
        self._n_grid = self.student.n_total
        self.observation_space = spaces.Box(0.0, 1.0, (self._n_grid + 1,), dtype=np.float32)
        self._obs = np.zeros(self._n_grid + 1, dtype=np.float32)

    def _reset_student(self, rng: np.random.Generator) -> None:
        params = None if self.population is None else draw_grid_student(rng, self.population, self.student.n_dims)
        if self.cell_order == "descending":
            params = {**(params or {}), "flip": np.ones(self.student.n_dims, dtype=bool)}
        self.student.reset(rng, params)

    def _student_task(self, task: np.ndarray) -> np.ndarray | float:
        """The task in the grid's coordinates, or the fixed outcome of an unfeasible (0) or trivial (1) task."""
        coords = task[: self.student.n_dims]
        if np.any(coords > 1.0):
            return 0.0
        if np.any(coords < 0.0):
            return 1.0
        if self._cell_permutation is None:
            return task
        n = self.student.n_cells
        scaled = coords * n
        cells = np.minimum(scaled.astype(np.int64), n - 1)
        within = np.minimum(scaled - cells, 1.0 - 1e-9)  # a coordinate of exactly 1 stays in the last cell
        moved = np.array(task, dtype=np.float64)
        moved[: self.student.n_dims] = (self._cell_permutation[np.arange(cells.size), cells] + within) / n
        return moved

    def _teach(self, task: np.ndarray) -> Taught:
        if self.forgetting > 0.0:
            return self._teach_and_forget(task)
        if self._profiled:
            task = self._student_task(task)
            if not isinstance(task, np.ndarray):  # unfeasible or trivial: the student learns nothing
                return Taught(task, 0.0 if self.reward_mode == "mastery_gain" else task)
        before = self.student.n_mastered
        outcome = self.student.learn(task).outcome
        if self.reward_mode == "mastery_gain":
            return Taught(outcome, (self.student.n_mastered - before) / self._n_grid)
        return Taught(outcome, outcome)

    def _teach_and_forget(self, task: np.ndarray) -> Taught:
        """:meth:`_teach` followed by forgetting in every cell but the one practised."""
        student = self.student
        before = student.n_mastered
        if self._profiled:
            task = self._student_task(task)
        if isinstance(task, np.ndarray):
            outcome = student.learn(task).outcome
            practised = student.cell_of(task)
        else:  # unfeasible or trivial: the student learns nothing, and practises no cell
            outcome, practised = task, None
        batch = student.batch
        competence, threshold = batch.competence[0], batch.unlock_threshold
        kept = competence[practised] if practised is not None else 0.0
        was_unlocking = competence >= threshold
        np.maximum(competence - self.forgetting, 0.0, out=competence)
        if practised is not None:
            competence[practised] = kept
        batch.competence01[0] = competence / batch.max_competence
        batch.n_mastered[0] = np.count_nonzero(competence > threshold)
        if np.any(was_unlocking & (competence < threshold)):
            batch.refresh_unlocked(slice(None))
        if self.reward_mode == "mastery_gain":
            return Taught(outcome, (student.n_mastered - before) / self._n_grid)
        return Taught(outcome, outcome)

    def _observation(self) -> np.ndarray:
        obs = self._obs
        if self._obs_index is None:
            obs[: self._n_grid] = self.student.competence01
        else:
            obs[: self._n_grid] = self.student.competence01[self._obs_index]
        obs[-1] = self._t / self.n_steps
        return obs.copy()

    def score(self) -> float:
        return 100.0 * self.student.mastered_fraction

    def easy_to_hard(self) -> dict | None:
        if self.cell_order != "ascending":
            return None  # no prior knowledge: the env publishes no schedule
        if isinstance(self.lessons, BoxLessons):
            return {"easy": self.lessons.low.tolist(), "hard": self.lessons.high.tolist()}
        # Regions ordered by distance from the origin cell (sum of grid indices), ties row-major.
        centres = (self.lessons.region_low + self.lessons.region_high) / 2
        return {"order": np.argsort(centres[:, : self.student.n_dims].sum(axis=1), kind="stable").tolist()}
