"""A compiled loop of :meth:`~teachgym.teachers.curriculum.learning_progress.DiscountedProgress.replay` (numba).

The same float operations in the same order as the Python loop, on float64 (no fastmath, no parallel), so
the two give the same statistics bit for bit (``tests/test_batched_updates.py``). Compiled with
``cache=True``: the first use on a machine compiles and caches the kernel, later processes load it.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def replay(stats, n_arms, discount, arms, progress, largest):
    """Tick then measure each step in order; ``progress[k]`` NaN: a tick only. Returns the new ``largest``.

    ``stats`` holds the counts then the sums (``2 * n_arms`` values) and is updated in place.
    """
    size = stats.shape[0]
    for k in range(arms.shape[0]):
        for j in range(size):
            stats[j] = stats[j] * discount
        value = progress[k]
        if value != value:
            continue
        if value > largest:
            factor = largest / value
            for j in range(n_arms, size):
                stats[j] = stats[j] * factor
            largest = value
        arm = arms[k]
        stats[arm] += 1.0
        stats[n_arms + arm] += value / largest if largest > 0.0 else 0.0
    return largest
