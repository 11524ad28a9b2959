"""Small numeric helpers shared by envs, students and teachers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def largest_remainder(weights: Sequence[float] | np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` into integers in proportion to ``weights`` (largest-remainder rounding, ties to the
    lower index); zeros if no weight is positive or ``total`` is not.

    >>> largest_remainder([1, 1, 1], 10).tolist()
    [4, 3, 3]
    """
    weights = np.asarray(weights, dtype=np.float64)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.lexsort((np.arange(weights.size), -(exact - counts)))
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def finite_float(value: Any) -> float | None:
    """``value`` as a float, or None if it is missing, not a number, or not finite."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
