"""Coverage design in the spirit of FTPedel (Wagenmaker & Pacchiano, 2023).

FTPedel keeps the policies that may still be optimal and spends online
episodes on an experiment design that shrinks their uncertainty in the
feature directions the offline data leaves uncovered, pooling offline and
online data. Here the candidates are the env's cover policies, described in
the observation by an estimated value ``V_k`` and an uncertainty ``U_k`` (the
expected summed exploration bonus along their trajectories, i.e. how much
uncovered feature space they visit). Each step:

1. Policies still in the running: ``V_k + U_k >= max_j (V_j - U_j)``.
2. If the largest uncertainty among them is below ``tolerance`` (in units of
   the horizon), stop exploring: play the greedy policy.
3. Otherwise mix over the running policies in proportion to ``U_k ** power``,
   so most episodes go to the largest uncovered directions.

The offline share is the pooled one (every sample weighs the same) by default.
On an env whose observation lacks these entries (e.g. the SB3 variant) it
only sets the offline share.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.finetune_rl.offline_online import OfflineOnlineTeacher
from teachgym.validation import ConfigError, check_float


class CoverageDesignTeacher(OfflineOnlineTeacher):
    """Explore the most uncertain cover policies that may still be optimal (see module docstring).

    Args:
        offline_share: "pooled" (equal weight per sample, from the observation)
            or a fixed share in [0, 1].
        tolerance: stop exploring once every running policy's uncertainty / H is below it (>= 0).
        power: mixture weights are uncertainty ** power (>= 0; 0 = uniform over the running set).
    """

    def __init__(self, offline_share: str | float = "pooled", tolerance: float = 0.01, power: float = 2.0):
        super().__init__()
        if offline_share != "pooled":
            offline_share = check_float("offline_share", offline_share, low=0.0, high=1.0)
        self.offline_share = offline_share
        self.tolerance = check_float("tolerance", tolerance, low=0.0)
        self.power = check_float("power", power, low=0.0, high=16.0)

    def choose(self, obs, info):
        if self.offline_share == "pooled":
            share = float(self.observed(obs, "pooled_share", 1.0)[0])
        else:
            share = self.offline_share
        cover = self.cover_names()
        if not cover or "cover_value" not in self._layout or "cover_uncertainty" not in self._layout:
            return {}, share
        # Both blocks are documented in [0, 1]; clipping keeps corrupted observations from overflowing.
        value = np.clip(self.observed(obs, "cover_value", np.zeros(len(cover))), 0.0, 1.0)
        uncertainty = np.clip(self.observed(obs, "cover_uncertainty", np.zeros(len(cover))), 0.0, 1.0)
        if value.size != len(cover) or uncertainty.size != len(cover):
            raise ConfigError(f"{self.name}: the observation must describe each of the {len(cover)} cover policies")
        running = value + uncertainty >= (value - uncertainty).max()
        if not running.any() or uncertainty[running].max() < self.tolerance:
            return {"greedy": 1.0}, share
        weights = np.where(running, uncertainty ** self.power, 0.0)
        if not weights.sum() > 0:
            weights = running.astype(np.float64)
        return dict(zip(cover, (weights / weights.sum()).tolist())), share
