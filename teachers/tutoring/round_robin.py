"""Round-robin tutor: review every item in turn, in a shuffled order."""

from __future__ import annotations

from teachgym.teachers.tutoring.tutoring_base import TutorTeacher


class RoundRobinTutor(TutorTeacher):
    """Cycle through all items in one order, drawn per student with the tutor's RNG.

    Uses no feedback: each item is reviewed once every ``n_items`` steps, which
    Reddy et al. (2017) report as a strong baseline for exponential forgetting.
    Works on any Discrete env (the items are the arms).
    """

    def _start_episode(self) -> None:
        self._order = self.rng.permutation(self.n_items)
        self._position = 0

    def _choose(self, obs, info) -> int:
        item = int(self._order[self._position % self.n_items])
        self._position += 1
        return item

    def _observe(self, item, correct, obs, info) -> None:
        pass
