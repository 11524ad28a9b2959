"""Interval tables on a day-based deck: a fixed interval for every card, and Leitner's boxes.

- :class:`FixedIntervalTutor`: every studied card comes back ``interval`` days
  later, whatever its rating (the baseline of srs-simulator's comparisons).
- :class:`LeitnerBoxTutor`: Leitner's box system as people run it with a card
  box (Leitner, 1972): box ``k`` is reviewed every ``intervals[k]`` days
  (default 1, 2, 4, 8, 16, 32, 64); a new card enters the first box, a recalled
  card (Hard, Good or Easy) moves up one box, a forgotten one (Again) back to
  the first. The teachgym ``leitner`` tutor is the within-session queue network
  of Reddy et al. on the Flashcards envs; this is its day-based original.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.tutoring.deck_scheduler import DeckScheduler
from teachgym.validation import ConfigError, check_int


class FixedIntervalTutor(DeckScheduler):
    """Review every card ``interval`` days after its last study.

    Args:
        interval: days between two studies of a card.
    """

    def __init__(self, interval: int = 10):
        super().__init__()
        self.interval = check_int("interval", interval, low=1, high=36500)

    def _start_episode(self) -> None:
        pass

    def _schedule(self, card: int, rating: int, day: int, first: bool) -> int:
        return self.interval


class LeitnerBoxTutor(DeckScheduler):
    """Leitner's boxes (see the module docstring).

    Args:
        intervals: review interval in days of each box, first box first (non-decreasing).
    """

    def __init__(self, intervals: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)):
        super().__init__()
        self.intervals = tuple(check_int(f"intervals[{i}]", v, low=1, high=36500) for i, v in enumerate(intervals))
        if not self.intervals or any(a > b for a, b in zip(self.intervals, self.intervals[1:])):
            raise ConfigError(f"intervals must be a non-empty non-decreasing sequence of days, got {intervals!r}")

    def _start_episode(self) -> None:
        self.box = np.zeros(self.n_cards, dtype=np.int64)

    def _schedule(self, card: int, rating: int, day: int, first: bool) -> int:
        if first or rating == 1:
            self.box[card] = 0
        else:
            self.box[card] = min(self.box[card] + 1, len(self.intervals) - 1)
        return self.intervals[self.box[card]]
