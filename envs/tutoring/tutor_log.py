"""The observation every tutoring env shares: the tutor's log of the session.

Per item (or skill): reviews, correct answers, time since the last review, then
(oracle mode only) the student's true recall / correct-answer probability, then
the fraction of the budget used. The reset ``info["tutor_log"]`` publishes the
layout as plain data (``fields``: name -> ``[start, stop)`` slice), which is how
tutors find it without importing any env.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces


def tutor_log_fields(n: int, oracle: bool) -> dict[str, list[int]]:
    """Field name -> ``[start, stop)`` of the observation vector."""
    fields = {"attempts": [0, n], "correct": [n, 2 * n], "since_review": [2 * n, 3 * n]}
    stop = 3 * n
    if oracle:
        fields["recall"] = [stop, stop + n]
        stop += n
    fields["budget_used"] = [stop, stop + 1]
    return fields


def write_log(space: spaces.Box, attempts: np.ndarray, correct: np.ndarray, since: np.ndarray,
              recall: np.ndarray | None, budget_used: float) -> np.ndarray:
    """The observation vector (float32) of one log."""
    parts = [attempts, correct, since] + ([] if recall is None else [recall]) + [[budget_used]]
    obs = np.concatenate(parts).astype(np.float32)
    # Only float rounding (a clock summed from many delays) can step past the bounds; keep obs in the space.
    return np.clip(obs, space.low, space.high)
