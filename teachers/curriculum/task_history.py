"""Growable (task, outcome) history with batched absolute-learning-progress queries.

ALP-GMM defines the ALP of episode i as |r_i - r_j| where j is the earlier task
nearest to task i. The reference implementation queries a KD-tree on every
episode and rebuilds it constantly; but the teacher only *uses* ALPs when it
refits its GMM, so here ALPs are computed for a whole batch at once: one KD-tree
query against everything before the batch plus a brute-force pass inside it.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


class TaskHistory:
    """Tasks (``(n, D)``) and outcomes (``(n,)``) in arrays that double as they fill."""

    def __init__(self, dim: int, capacity: int = 1024):
        self.tasks = np.zeros((capacity, dim))
        self.outcomes = np.zeros(capacity)
        self.size = 0
        self._alp = np.zeros(capacity)
        self._alp_done = 0  # ALPs are known for indices < _alp_done
        self._forest: list[tuple[int, int, cKDTree]] = []  # (start, stop, tree) over [0, _alp_done)

    def add(self, task: np.ndarray, outcome: float) -> None:
        if self.size == self.tasks.shape[0]:
            self.tasks = np.concatenate([self.tasks, np.zeros_like(self.tasks)])
            self.outcomes = np.concatenate([self.outcomes, np.zeros_like(self.outcomes)])
            self._alp = np.concatenate([self._alp, np.zeros_like(self._alp)])
        self.tasks[self.size] = task
        self.outcomes[self.size] = outcome
        self.size += 1

    def alp(self, min_history: int = 6) -> np.ndarray:
        """ALP of every recorded episode (0 for the first ``min_history``, as the reference)."""
        start, stop = self._alp_done, self.size
        if stop > start:
            self._alp[start:stop] = self._batch_alp(start, stop, min_history)
            self._add_to_forest(start, stop)
            self._alp_done = stop
        return self._alp[: self.size]

    def _batch_alp(self, start: int, stop: int, min_history: int) -> np.ndarray:
        batch = self.tasks[start:stop]
        best = np.full(stop - start, np.inf)
        nearest = np.zeros(stop - start, dtype=np.int64)
        for lo, _, tree in self._forest:
            dist, idx = tree.query(batch, k=1)
            closer = dist < best
            best[closer], nearest[closer] = dist[closer], idx[closer] + lo
        # Earlier episodes of the same batch: strict lower triangle of the pairwise distances.
        sq = (batch * batch).sum(1)
        inside = sq[:, None] - 2.0 * (batch @ batch.T) + sq[None, :]
        inside = np.sqrt(np.maximum(inside, 0.0))
        inside[self._upper(stop - start)] = np.inf
        if stop - start > 1:
            j = inside.argmin(axis=1)
            d = inside[np.arange(stop - start), j]
            closer = d < best
            best[closer], nearest[closer] = d[closer], j[closer] + start
        with np.errstate(over="ignore", invalid="ignore"):  # huge outcomes: the caller checks finiteness
            alp = np.abs(self.outcomes[start:stop] - self.outcomes[nearest])
        alp[np.arange(start, stop) < min_history] = 0.0
        return alp

    @staticmethod
    def _upper(n: int) -> np.ndarray:
        return np.triu(np.ones((n, n), dtype=bool))

    def _add_to_forest(self, start: int, stop: int) -> None:
        # Log-structured merge: trees of similar size are merged, so each query
        # touches O(log n) trees and each point is re-indexed O(log n) times.
        self._forest.append((start, stop, cKDTree(self.tasks[start:stop])))
        while len(self._forest) > 1:
            (lo_a, hi_a, _), (lo_b, hi_b, _) = self._forest[-2], self._forest[-1]
            if hi_a - lo_a > 2 * (hi_b - lo_b):
                break
            self._forest[-2:] = [(lo_a, hi_b, cKDTree(self.tasks[lo_a:hi_b]))]
