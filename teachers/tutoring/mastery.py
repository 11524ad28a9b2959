"""Mastery-learning tutor: practise a skill until BKT says it is mastered (Corbett & Anderson, 1995).

The tutor keeps a BKT posterior ``P(L_k)`` that each skill is mastered,
updated from the outcome of every exercise (guess/slip evidence, then the learn
transition) and decayed by the forgetting rate for the skills not practised.
Each step it practises, in curriculum order, the first skill not yet mastered
whose prerequisites all are; a skill counts as mastered from the first time its
posterior reaches ``mastery`` (0.95, the cognitive tutors' criterion), so the
tutor moves on rather than chase the slow decay of every earlier skill. When
every skill is mastered it reviews the one with the lowest posterior.

The BKT parameters are the population means the env publishes at reset
(``info["bkt_population"]``, what a tutor fitted on earlier students would know),
the curriculum its ``info["prerequisites"]`` (skills numbered in topological
order). Without them (other envs) it uses ``DEFAULT_BKT`` and no prerequisites,
and takes the skills in a random order per student.
"""

from __future__ import annotations

import numpy as np

from teachgym import info as keys
from teachgym.teachers.tutoring.tutoring_base import TutorTeacher
from teachgym.validation import check_float

DEFAULT_BKT = {"init": 0.1, "learn": 0.2, "guess": 0.2, "slip": 0.1, "forget": 0.0, "blocked_factor": 1.0}


class MasteryTutor(TutorTeacher):
    """Practise each skill to a BKT mastery criterion, prerequisites first (see the module docstring).

    Args:
        mastery: posterior mastery probability that counts as mastered.
    """

    def __init__(self, mastery: float = 0.95):
        super().__init__()
        self.mastery = check_float("mastery", mastery, low=0.0, high=1.0, low_open=True, high_open=True)

    def _start_episode(self) -> None:
        self._bkt = dict(DEFAULT_BKT)
        self._parents: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * self.n_items
        self._order = self.rng.permutation(self.n_items)
        self._posterior = np.full(self.n_items, self._bkt["init"])
        self._mastered = np.zeros(self.n_items, dtype=bool)

    def _read_reset_info(self, info) -> None:
        population = keys.BKT_POPULATION.get(info)
        prerequisites = keys.PREREQUISITES.get(info)
        if isinstance(population, dict):
            for key in DEFAULT_BKT:
                value = population.get(key)
                if isinstance(value, (int, float)) and 0.0 <= value <= 1.0:
                    self._bkt[key] = float(value)
        if isinstance(prerequisites, list) and len(prerequisites) == self.n_items:
            try:
                parents = [np.asarray(p, dtype=np.int64).reshape(-1) for p in prerequisites]
            except (TypeError, ValueError):  # not a graph after all: keep the no-prerequisite default
                parents = [np.array([-1])]
            if all(((p >= 0) & (p < self.n_items)).all() for p in parents):
                self._parents = parents
                self._order = np.arange(self.n_items)  # skills are numbered in topological order
        self._posterior = np.full(self.n_items, self._bkt["init"])

    def _ready(self, skill: int) -> bool:
        return bool(self._mastered[self._parents[skill]].all())

    def _choose(self, obs, info) -> int:
        for skill in self._order:
            if not self._mastered[skill] and self._ready(int(skill)):
                return int(skill)
        return int(np.argmin(self._posterior))

    def _observe(self, item, correct, obs, info) -> None:
        bkt, p = self._bkt, self._posterior[item]
        if correct is not None:
            if correct:
                evidence, other = p * (1.0 - bkt["slip"]), (1.0 - p) * bkt["guess"]
            else:
                evidence, other = p * bkt["slip"], (1.0 - p) * (1.0 - bkt["guess"])
            total = evidence + other
            p = evidence / total if total > 0 else p
        learn = bkt["learn"] * (1.0 if self._ready(item) else bkt["blocked_factor"])
        self._posterior *= 1.0 - bkt["forget"]
        self._posterior[item] = p + (1.0 - p) * learn
        self._mastered |= self._posterior >= self.mastery
