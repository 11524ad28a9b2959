"""Leitner queue network tutor (Leitner, 1972; the queueing form of Reddy et al., 2016).

Items move between numbered decks: deck 0 holds the items not yet shown
(shuffled), a correct answer moves an item up one deck and a wrong one down one
(never below deck 1). Each step the tutor serves the head of one deck: deck 0
with probability ``arrival_prob`` (while it is not empty), otherwise deck
``q >= 1`` with probability proportional to ``1 / sqrt(q)`` among the non-empty
ones, so well-known items (high decks) come back less often. The first step
always introduces a new item. This is the scheme of Reddy, Levine & Dragan
(2017)'s Leitner tutor; ``arrival_prob`` is its one hyperparameter, which they
tune on a grid of 0.01.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from teachgym.teachers.common.bandit import sample_index
from teachgym.teachers.tutoring.tutoring_base import TutorTeacher
from teachgym.validation import check_float


class LeitnerTutor(TutorTeacher):
    """Leitner queue network (see the module docstring).

    Needs only ``info["outcome"]`` (>= 0.5 counts as correct; a missing or
    non-finite outcome counts as wrong), so it runs on any Discrete env.

    Args:
        arrival_prob: probability of serving a new item while any are left. Tuned per student on a 0.01
            grid (benchmarks/bench_tutoring.py) the medians were 0.79-0.875 on the Flashcards envs, hence
            the default 0.85 (Reddy et al.'s code starts from 0.1).
    """

    def __init__(self, arrival_prob: float = 0.85):
        super().__init__()
        self.arrival_prob = check_float("arrival_prob", arrival_prob, low=0.0, high=1.0)

    def _start_episode(self) -> None:
        self._decks: list[deque[int]] = [deque(int(i) for i in self.rng.permutation(self.n_items))]
        self._deck_of = np.zeros(self.n_items, dtype=np.int64)
        self._shown_any = False

    def _choose(self, obs, info) -> int:
        new_left = bool(self._decks[0])
        if not self._shown_any and new_left:
            return self._decks[0][0]
        weights = np.array([0.0] + [1.0 / np.sqrt(q) if self._decks[q] else 0.0 for q in range(1, len(self._decks))])
        if weights.sum() > 0:
            weights *= (1.0 - (self.arrival_prob if new_left else 0.0)) / weights.sum()
        weights[0] = self.arrival_prob if new_left else 0.0
        if weights.sum() == 0:  # cannot happen once an item was shown; kept so a deck is always served
            weights = np.array([1.0 if deck else 0.0 for deck in self._decks])
        return self._decks[sample_index(weights, self.rng)][0]

    def _observe(self, item, correct, obs, info) -> None:
        current = int(self._deck_of[item])
        self._decks[current].remove(item)
        target = max(1, current + (1 if correct else -1))
        while target >= len(self._decks):
            self._decks.append(deque())
        self._decks[target].append(item)
        self._deck_of[item] = target
        self._shown_any = True
