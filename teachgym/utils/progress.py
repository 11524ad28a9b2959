"""Discounted per-arm statistics of learning progress, shared by the discounted bandits and env item scores.

:class:`DiscountedProgress` holds the discounted counts and sums of rescaled absolute learning progress of
discounted UCB and Thompson sampling (:mod:`teachgym.teachers.curriculum.learning_progress`);
:class:`ProgressScale` is the running-max rescaling every progress bandit uses.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def random_choice(mask: np.ndarray, rng: np.random.Generator) -> int | None:
    """A uniformly drawn index where ``mask`` is True, or None if there is none."""
    candidates = np.flatnonzero(mask)
    if candidates.size == 0:
        return None
    return int(candidates[0]) if candidates.size == 1 else int(candidates[rng.integers(candidates.size)])


class ProgressScale:
    """Rescales |LP| into [0, 1] by the largest |LP| seen so far (a running max).

    EXP3's and UCB's guarantees assume rewards in a known range ``[0, B]``; the
    running max makes ``B = 1`` hold whatever unit the env's outcomes are in.
    Its price: one huge outlier shrinks every later reward towards 0. Bandits keep
    their statistics in the current unit and multiply them by the factor
    :meth:`update` returns when the unit grows.
    """

    def __init__(self) -> None:
        self.largest = 0.0

    def update(self, progress: float) -> float:
        """Record ``progress``; return the factor (<= 1) that converts old statistics to the new unit."""
        if progress <= self.largest:
            return 1.0
        factor = self.largest / progress
        self.largest = progress
        return factor

    def __call__(self, progress: float) -> float:
        return progress / self.largest if self.largest > 0.0 else 0.0


# A count that was 1 shrinks to d ** k after k ticks; below this many ticks d ** k stays far above the smallest float.
_SAFE_LOG_COUNT = 700.0
# A replay at least this long runs in the compiled loop when numba is installed (shorter: dispatch costs more).
COMPILED_REPLAY_MIN = 32


@functools.cache
def _replay_kernel():
    """The compiled replay loop, or None when numba cannot be imported (it is imported on first need)."""
    try:
        import numba  # noqa: F401  (only whether it imports)
    except ImportError:
        return None
    from teachgym.utils.progress_kernels import replay

    return replay


class DiscountedProgress:
    """Discounted per-arm counts ``N_i`` and sums ``S_i`` of rescaled |LP| (Garivier & Moulines, 2011).

    :meth:`tick` once per step multiplies every statistic by ``discount``;
    :meth:`add` then counts one measurement ``r`` (|LP| over its running max, in
    [0, 1]) for the practised arm. An arm not practised for long sees ``N_i``
    shrink, so its estimate grows uncertain again: LP is non-stationary.
    """

    def __init__(self, n_arms: int, discount: float):
        self.discount = discount
        self._stats = np.zeros((2, n_arms))  # one array, so that a tick is one multiplication
        self.counts, self.sums = self._stats[0], self._stats[1]
        self._flat = self._stats.reshape(-1)  # a view: counts, then sums
        self._discount = np.array(discount)  # 0-d: the same product, a cheaper call
        self.scale = ProgressScale()
        self._measured = [False] * n_arms
        self._n_measured = 0
        self._ticks = 0
        # Until this many ticks no measured arm's count can have underflowed to 0.
        self._safe_ticks = math.inf if discount >= 1.0 else _SAFE_LOG_COUNT / -math.log(discount)

    def tick(self) -> None:
        np.multiply(self._stats, self._discount, out=self._stats)
        self._ticks += 1

    def add(self, arm: int, progress: float, weight: float = 1.0) -> None:
        """Count a measurement of ``weight`` (a share of one; 1: a whole one) for ``arm``."""
        scale = self.scale  # its update() and __call__(), inline
        if progress > scale.largest:
            self.sums *= scale.largest / progress
            scale.largest = progress
        self.counts[arm] += weight
        self.sums[arm] += weight * (progress / scale.largest if scale.largest > 0.0 else 0.0)
        if not self._measured[arm]:
            self._measured[arm] = True
            self._n_measured += 1

    def replay(self, arms: list[int], progress: list[float]) -> None:
        """:meth:`tick`, then :meth:`add` ``(arms[k], progress[k])`` unless it is NaN, for each ``k`` in order.

        The same float operations in the same order as those calls (each product and sum rounds as NumPy's
        does), with the statistics read and written back once: on Python floats, or for a long replay in a
        compiled loop when numba is installed (the ``fast`` extra), which gives the same bits.
        """
        if not arms:
            return
        n_arms, measured, scale = len(self._measured), self._measured, self.scale
        kernel = _replay_kernel() if len(arms) >= COMPILED_REPLAY_MIN else None
        if kernel is not None:
            scale.largest = kernel(self._flat, n_arms, float(self._discount), np.array(arms, dtype=np.int64),
                                   np.array(progress, dtype=np.float64), scale.largest)
            if self._n_measured < n_arms:
                for arm, value in zip(arms, progress):
                    if value == value and not measured[arm]:
                        measured[arm] = True
                        self._n_measured += 1
            self._ticks += len(arms)
            return
        discount = float(self._discount)
        stats = self._flat.tolist()
        largest = scale.largest
        for arm, value in zip(arms, progress):
            stats = [x * discount for x in stats]
            if value != value:
                continue
            if value > largest:
                factor = largest / value
                stats[n_arms:] = [x * factor for x in stats[n_arms:]]
                largest = value
            stats[arm] += 1.0
            stats[n_arms + arm] += value / largest if largest > 0.0 else 0.0
            if not measured[arm]:
                measured[arm] = True
                self._n_measured += 1
        self._flat[:] = stats
        scale.largest = largest
        self._ticks += len(arms)

    def untried(self) -> np.ndarray:
        """Arms with no weight of evidence (never measured, or a count that underflowed to 0)."""
        return self.counts <= 0.0

    def untried_arm(self, rng: np.random.Generator) -> int | None:
        """A uniformly drawn untried arm, or None if every arm has evidence."""
        if self._n_measured == len(self._measured) and self._ticks < self._safe_ticks:
            return None
        return random_choice(self.untried(), rng)
