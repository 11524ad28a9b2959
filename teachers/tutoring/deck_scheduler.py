"""What the day-based deck schedulers share: read each day's ratings, keep due days, emit the day's review mask.

A deck scheduler teaches on envs whose action is a 0/1 mask over a deck (1:
review the card today; ``MultiBinary``) and whose step ``info["review_log"]``
lists the day's studied cards and their ratings (1 Again .. 4 Easy, first views
included): ``teachgym/SpacedRepetition-FSRS-v0``. Each day it marks every card
whose due day has come; the env reviews as many as the day's time allows, and
a card the env could not review stays due. The scheduler sees only the ratings,
as an app sees its user's answers, never the learner's memory.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher


class DeckScheduler(Teacher, abc.ABC):
    """Base class: subclasses implement :meth:`_start_episode` and :meth:`_schedule` (see the module docstring)."""

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.MultiBinary,)
    required_info: ClassVar[tuple[str, ...]] = (keys.REVIEW_LOG.name,)

    def _setup(self) -> None:
        self.n_cards = int(np.prod(self.action_space.shape))
        self._steps = 0
        self._restart()

    def _restart(self) -> None:
        self.day = 0
        self.due = np.full(self.n_cards, np.inf)  # day a card is due next; inf: not seen yet
        self.seen = np.zeros(self.n_cards, dtype=bool)
        self._start_episode()

    def act(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        # a reset info is a new learner, even without reset() between episodes
        if keys.is_episode_start(info) and self._steps > 0:
            self._steps = 0
            self._restart()
        return (self.due <= self.day).astype(self.action_space.dtype)

    def update(self, action: Any, reward: float, obs: Any, info: dict[str, Any]) -> None:
        self._steps += 1
        log = info.get(keys.REVIEW_LOG.name)
        day = self.day
        if keys.REVIEW_LOG.check(log):
            day = int(log["day"])
            for card, rating in zip(log["cards"], log["ratings"]):
                card, rating = int(card), int(rating)
                if 0 <= card < self.n_cards and 1 <= rating <= 4:
                    interval = self._schedule(card, rating, day, first=not self.seen[card])
                    self.seen[card] = True
                    self.due[card] = day + max(1, int(interval))
        self.day = day + 1

    @abc.abstractmethod
    def _start_episode(self) -> None:
        """Forget the previous learner's cards."""

    @abc.abstractmethod
    def _schedule(self, card: int, rating: int, day: int, first: bool) -> int:
        """Update ``card`` after a study graded ``rating`` on ``day`` (``first``: its first view); return the
        whole days until it is due again (at least 1)."""
