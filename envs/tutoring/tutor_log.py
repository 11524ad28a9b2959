"""The observation every tutoring env shares: the tutor's log of the session.

Per item (or skill): reviews, correct answers, time since the last review, then
(oracle mode only) the student's true recall / correct-answer probability, then
the fraction of the budget used. The reset ``info["tutor_log"]`` publishes the
layout as plain data (:class:`teachgym.info.TutorLog`, shared with the tutors
that read it), so tutors find it without importing any env.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces


def write_log(space: spaces.Box, attempts: np.ndarray, correct: np.ndarray, since: np.ndarray,
              recall: np.ndarray | None, budget_used: float) -> np.ndarray:
    """The observation vector (float32) of one log."""
    parts = [attempts, correct, since] + ([] if recall is None else [recall]) + [[budget_used]]
    obs = np.concatenate(parts).astype(np.float32)
    # Only float rounding (a clock summed from many delays) can step past the bounds; keep obs in the space.
    return np.clip(obs, space.low, space.high)


def tutor_log_space(n: int, oracle: bool, count_high: float, since_high: float) -> spaces.Box:
    """The observation space of a log: counts in ``[0, count_high]``, times since review in ``[0, since_high]``."""
    high = np.concatenate([np.full(2 * n, count_high), np.full(n, since_high), np.ones(n if oracle else 0), [1.0]])
    return spaces.Box(np.zeros_like(high, dtype=np.float32), high.astype(np.float32), dtype=np.float32)


def time_since(now: float, last: np.ndarray) -> np.ndarray:
    """Time since each item's last review; since the session start (time 0) for items never reviewed (NaN)."""
    return now - np.where(np.isnan(last), 0.0, last)
