"""A hand-made easy-to-hard schedule, for envs that publish one.

The env describes its schedule in the reset ``info["easy_to_hard"]`` (see
:mod:`teachgym.env`); the teacher follows it using ``info["budget_used"]``.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError, check_choice, check_float


class EasyToHardTeacher(Teacher):
    """Follow the env's easy-to-hard schedule as the budget is spent.

    Box lessons (``{"easy": a, "hard": b}``): with progress ``p`` (budget used),
    ``window="expanding"`` samples uniformly in the box from ``a`` to
    ``a + s (b - a)`` with ``s = start + (1 - start) p``; ``window="sliding"``
    samples in a window of relative ``width`` centred at ``a + p (b - a)``.

    Region lessons (``{"order": [arm, ...]}``): practise the arms in order, each
    for an equal share of the budget; with probability ``review`` revisit an
    earlier arm instead.

    Args:
        window: "expanding" or "sliding" (box lessons).
        start: initial fraction of the easy-to-hard range (expanding window).
        width: window width as a fraction of the range (sliding window).
        review: probability of practising an earlier, easier lesson.
    """

    required_info = ("easy_to_hard",)

    def __init__(self, window: str = "expanding", start: float = 0.1, width: float = 0.2, review: float = 0.1):
        super().__init__()
        self.window = check_choice("window", window, ("expanding", "sliding"))
        self.start = check_float("start", start, low=0.0, high=1.0)
        self.width = check_float("width", width, low=0.0, high=1.0, low_open=True)
        self.review = check_float("review", review, low=0.0, high=1.0)

    def _setup(self) -> None:
        self._schedule = None

    def act(self, obs, info):
        if keys.EASY_TO_HARD.name in info:
            self._schedule = keys.EASY_TO_HARD.get(info)
        if self._schedule is None:
            raise ConfigError("easy-to-hard needs an env that publishes info['easy_to_hard'] at reset")
        progress = min(1.0, max(0.0, float(keys.BUDGET_USED.get(info, 0.0))))
        if isinstance(self.action_space, spaces.Discrete):
            order = self._schedule["order"]
            position = min(int(progress * len(order)), len(order) - 1)
            if position > 0 and self.rng.random() < self.review:
                position = int(self.rng.integers(position))
            return int(order[position])
        easy = np.asarray(self._schedule["easy"], dtype=np.float64)
        hard = np.asarray(self._schedule["hard"], dtype=np.float64)
        if self.window == "expanding":
            reach = self.start + (1.0 - self.start) * progress
            if self.rng.random() < self.review:
                reach *= self.rng.random()
            low, high = easy, easy + reach * (hard - easy)
        else:
            centre = easy + progress * (hard - easy)
            half = 0.5 * self.width * (hard - easy)
            low, high = centre - half, centre + half
        box_low, box_high = self.action_space.low, self.action_space.high
        low, high = np.clip(np.minimum(low, high), box_low, box_high), np.clip(np.maximum(low, high), box_low, box_high)
        return self.rng.uniform(low, high).astype(self.action_space.dtype)
