"""ACCEL-style level editing (Parker-Holder, Jiang, Dennis, Samvelyan, Foerster, Grefenstette & Rocktäschel,
ICML 2022, "Evolving Curricula with Regret-Based Environment Design").

ACCEL is Robust PLR plus an editor: after the student trains on a replayed
level, the level is *edited* (a few small random changes) and the child is
evaluated and enters the level buffer if its score is high enough, so the
curriculum evolves from levels at the frontier of the student's abilities. On a
``Box`` task space an edit is ``n_edits`` Gaussian perturbations, each of one
uniformly chosen dimension with a std of ``edit_scale`` times the box width,
clipped into the box. The child is practised on the next step (a teacher env
has no evaluation-only step, see :mod:`teachgym.teachers.curriculum.plr`) and
scored like any new level; the buffer keeps it if its score beats the lowest.

Defaults follow the paper's BipedalWalker settings in its public configs:
positive value loss, rank prioritisation, replay probability 0.9, staleness
0.5, three edits per child. New levels are drawn uniformly in the box; the
paper's generator starts from easy levels, which an env publishes only as a
privileged hint, so it is not used.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from gymnasium import spaces

from teachgym.teachers.curriculum.plr import RobustPLRTeacher
from teachgym.validation import check_float, check_int


class ACCELTeacher(RobustPLRTeacher):
    """Robust PLR with Gaussian edits of replayed Box tasks (see the module docstring).

    Args:
        edit_scale: std of one edit as a fraction of the box width, > 0.
        n_edits: perturbations per child, >= 1.
        Other arguments: as :class:`teachgym.teachers.curriculum.plr.PLRTeacher`.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box,)

    def __init__(self, edit_scale: float = 0.05, n_edits: int = 3, score: str = "positive_value",
                 prioritisation: str = "rank", temperature: float = 0.1, staleness_coef: float = 0.5,
                 replay_prob: float = 0.9, capacity: int | None = None, min_fill: float = 0.5):
        super().__init__(score=score, prioritisation=prioritisation, temperature=temperature,
                         staleness_coef=staleness_coef, replay_prob=replay_prob, capacity=capacity, min_fill=min_fill)
        self.edit_scale = check_float("edit_scale", edit_scale, low=0.0, low_open=True, high=10.0)
        self.n_edits = check_int("n_edits", n_edits, low=1, high=1000)

    def _setup(self) -> None:
        super()._setup()
        self._children: list[np.ndarray] = []
        self.edits = 0

    def act(self, obs, info):
        if not self._children:
            return super().act(obs, info)
        if self.buffer is None:
            self._make_buffer(info)
        lesson = self._lesson(self._children.pop())
        self._pending = (lesson, None)
        return lesson

    def edit(self, level: np.ndarray) -> np.ndarray:
        """A child of ``level``: ``n_edits`` one-dimension Gaussian perturbations, clipped into the box."""
        child = np.array(level, dtype=np.float64)
        for _ in range(self.n_edits):
            i = int(self.rng.integers(self.box.dim))
            child[i] += self.edit_scale * self.box.width[i] * self.rng.standard_normal()
        return self.box.clip(child)

    def _after_update(self, level: np.ndarray, slot: int | None, replayed: bool) -> None:
        if replayed:
            self._children.append(self.edit(level))
            self.edits += 1
