"""SuperMemo-2 tutor (Wozniak, 1990), with time measured in tutor steps.

SM-2 keeps, per card, an easiness factor ``EF`` (2.5 at first), a repetition
count ``n`` and an interval ``I``. After a review graded ``q`` in 0..5::

    EF <- max(1.3, EF + 0.1 - (5 - q) (0.08 + 0.02 (5 - q)))
    q >= 3:  I = 1 (n = 0), 6 (n = 1), I * EF (n >= 2);  n <- n + 1
    q <  3:  I = 1;  n <- 0   (start the card over, keeping EF)

and the card is due ``I * interval_unit`` steps later. A correct answer is
graded ``pass_quality`` (4), a wrong one ``fail_quality`` (1). Each step the
tutor reviews the most overdue due card; if none is due it introduces the next
new card (the deck is shuffled per student); if no new card is left it reviews
the card due soonest (learning ahead). SM-2 counts intervals in days; a
session of minutes needs a shorter unit, which is the ``interval_unit``
hyperparameter (in steps). Every card's state is per student and forgotten at
each new episode.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.tutoring.tutoring_base import TutorTeacher
from teachgym.validation import ConfigError, check_float, check_int


class SM2Tutor(TutorTeacher):
    """SuperMemo-2 scheduling (see the module docstring). Runs on any Discrete env.

    Args:
        interval_unit: steps per SM-2 "day". Tuned over {1, 2, 5, 10, 20, 50} per student
            (benchmarks/bench_tutoring.py) the medians were 10 (HLR) and 50 (EFC, ACT-R).
        pass_quality: grade (3-5) of a correct answer.
        fail_quality: grade (0-2) of a wrong or missing answer.
        initial_easiness: EF of a new card.
    """

    def __init__(self, interval_unit: float = 10.0, pass_quality: int = 4, fail_quality: int = 1,
                 initial_easiness: float = 2.5):
        super().__init__()
        self.interval_unit = check_float("interval_unit", interval_unit, low=0.0, low_open=True)
        self.pass_quality = check_int("pass_quality", pass_quality, low=3, high=5)
        self.fail_quality = check_int("fail_quality", fail_quality, low=0, high=2)
        self.initial_easiness = check_float("initial_easiness", initial_easiness, low=1.3, high=10.0)
        if self.pass_quality <= self.fail_quality:
            raise ConfigError("pass_quality must be above fail_quality")

    def _start_episode(self) -> None:
        self._new_cards = [int(i) for i in self.rng.permutation(self.n_items)]
        self._seen = np.zeros(self.n_items, dtype=bool)
        self._easiness = np.full(self.n_items, self.initial_easiness)
        self._repetitions = np.zeros(self.n_items, dtype=np.int64)
        self._interval = np.zeros(self.n_items)
        self._due = np.full(self.n_items, np.inf)
        self._now = 0

    def _choose(self, obs, info) -> int:
        due = self._seen & (self._due <= self._now)
        if due.any():
            return int(np.flatnonzero(due)[np.argmin(self._due[due])])
        if self._new_cards:
            return self._new_cards[0]
        return int(np.argmin(self._due))

    def _observe(self, item, correct, obs, info) -> None:
        self._now += 1
        if not self._seen[item]:
            self._seen[item] = True
            self._new_cards.remove(item)
        q = self.pass_quality if correct else self.fail_quality
        self._easiness[item] = max(1.3, self._easiness[item] + 0.1 - (5 - q) * (0.08 + 0.02 * (5 - q)))
        if q >= 3:
            n = self._repetitions[item]
            self._interval[item] = 1.0 if n == 0 else 6.0 if n == 1 else self._interval[item] * self._easiness[item]
            self._repetitions[item] = n + 1
        else:
            self._interval[item] = 1.0
            self._repetitions[item] = 0
        self._due[item] = self._now + self._interval[item] * self.interval_unit
