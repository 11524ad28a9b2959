"""Anki's SM-2 scheduler (Anki's variant of SuperMemo-2, its default before FSRS), on a day-based deck.

Per card Anki keeps an interval ``I`` (days) and an ease ``E`` (2.5 at first).
What is modelled, with Anki's default deck options:

- New card: the learning steps (1 m, 10 m) happen within the day of the first
  view; the card graduates to ``graduating_interval`` (1 day), or to
  ``easy_interval`` (4 days) when the first view is graded Easy.
- Review ``late`` days after it was due, with the ease before the review (Anki's
  v2 review formulas; each interval is floored to whole days, multiplied by the
  ``interval_modifier`` and at least one day longer than the previous)::

      Hard:  I_h = max((I + late / 4) * hard_multiplier, I + 1)           E -= 0.15
      Good:  I_g = max((I + late / 2) * E, I_h + 1)
      Easy:  I_e = max((I + late) * E * easy_bonus, I_g + 1)              E += 0.15
      Again: a lapse: I = max(1, I * lapse_multiplier); the relearning step
             (10 m) is within the day                                     E -= 0.20

  with ``E >= 1.3`` and ``I <= maximum_interval``. Not modelled: fuzz, load
  balancing, leech handling, and same-day repetitions (the env shows a card at
  most once a day; their time is part of the first view's or lapse's cost).

The teachgym ``sm2`` tutor is Wozniak's original SM-2 on the within-session
Flashcards envs; this one is what Anki users ran for years.
"""

from __future__ import annotations

import math

import numpy as np

from teachgym.teachers.tutoring.deck_scheduler import DeckScheduler
from teachgym.validation import check_float, check_int


class AnkiSM2Tutor(DeckScheduler):
    """Anki's SM-2 with its default deck options (see the module docstring).

    Args:
        starting_ease: ease of a new card.
        graduating_interval: days after a first view graded Again, Hard or Good.
        easy_interval: days after a first view graded Easy.
        hard_multiplier: Hard's interval multiplier.
        easy_bonus: Easy's extra multiplier.
        interval_modifier: multiplies every review interval (Anki's "interval modifier").
        lapse_multiplier: share of the interval kept after a lapse (Anki's "new interval").
        maximum_interval: longest interval in days.
    """

    def __init__(self, starting_ease: float = 2.5, graduating_interval: int = 1, easy_interval: int = 4,
                 hard_multiplier: float = 1.2, easy_bonus: float = 1.3, interval_modifier: float = 1.0,
                 lapse_multiplier: float = 0.0, maximum_interval: int = 36500):
        super().__init__()
        self.starting_ease = check_float("starting_ease", starting_ease, low=1.3, high=10.0)
        self.graduating_interval = check_int("graduating_interval", graduating_interval, low=1)
        self.easy_interval = check_int("easy_interval", easy_interval, low=1)
        self.hard_multiplier = check_float("hard_multiplier", hard_multiplier, low=0.5, high=10.0)
        self.easy_bonus = check_float("easy_bonus", easy_bonus, low=1.0, high=10.0)
        self.interval_modifier = check_float("interval_modifier", interval_modifier, low=0.1, high=10.0)
        self.lapse_multiplier = check_float("lapse_multiplier", lapse_multiplier, low=0.0, high=1.0)
        self.maximum_interval = check_int("maximum_interval", maximum_interval, low=1)

    def _start_episode(self) -> None:
        self.ease = np.full(self.n_cards, self.starting_ease)
        self.interval = np.zeros(self.n_cards)

    def _constrained(self, days: float, at_least: float) -> float:
        return min(max(math.floor(days * self.interval_modifier), at_least), self.maximum_interval)

    def _schedule(self, card: int, rating: int, day: int, first: bool) -> int:
        if first:
            self.ease[card] = self.starting_ease
            self.interval[card] = self.easy_interval if rating == 4 else self.graduating_interval
            return int(self.interval[card])
        old, ease = self.interval[card], self.ease[card]
        late = max(0.0, day - self.due[card])
        if rating == 1:
            self.ease[card] = max(1.3, ease - 0.20)
            self.interval[card] = max(1.0, math.floor(old * self.lapse_multiplier))
            return int(self.interval[card])
        hard = self._constrained((old + late / 4) * self.hard_multiplier, old + 1)
        good = self._constrained((old + late / 2) * ease, hard + 1)
        easy = self._constrained((old + late) * ease * self.easy_bonus, good + 1)
        self.interval[card] = (hard, good, easy)[rating - 2]
        self.ease[card] = max(1.3, ease + (-0.15, 0.0, 0.15)[rating - 2])
        return int(self.interval[card])
