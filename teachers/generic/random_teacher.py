"""The uniform random teacher: the baseline every leaderboard normalises against."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym.teacher import Teacher

BATCH = 256  # lessons drawn per call of the RNG


class RandomTeacher(Teacher):
    """Draws every lesson uniformly from the action space with its own RNG.

    Lessons are drawn ``BATCH`` at a time: one RNG call per batch instead of one
    per lesson. NumPy's generators give the same numbers in one call of size
    ``k`` as in ``k`` calls, so the lessons are exactly those of
    :meth:`Teacher.random_action` called once per step.
    """

    def _setup(self) -> None:
        self._batch: list = []

    def act(self, obs, info):
        if not self._batch:
            self._batch = self._draw_batch()
        return self._batch.pop()

    def _draw_batch(self) -> list:
        """The next ``BATCH`` lessons, last one first (``act`` pops from the end)."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            draws = (int(space.start) + self.rng.integers(int(space.n), size=BATCH)).tolist()
        elif isinstance(space, spaces.Box):
            draws = list(self.rng.uniform(space.low, space.high, size=(BATCH, *space.shape)).astype(space.dtype))
        else:
            draws = [self.random_action() for _ in range(BATCH)]
        draws.reverse()
        return draws
