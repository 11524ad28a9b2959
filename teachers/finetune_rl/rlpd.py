"""RLPD-style baseline: a fixed symmetric mix of offline and online data (Ball et al., 2023)."""

from __future__ import annotations

from teachgym.teachers.finetune_rl.offline_online import OfflineOnlineTeacher
from teachgym.validation import check_float


class RLPDTeacher(OfflineOnlineTeacher):
    """A fixed offline share (RLPD's symmetric sampling: 0.5) and the student's own policy online.

    RLPD adds no exploration bonus: online episodes follow the student's greedy
    policy, with a ``uniform_weight`` share of episodes played uniformly at
    random (where the env offers such policies).

    Args:
        share: the offline share of every step, in [0, 1].
        uniform_weight: the mixture weight of uniformly random episodes, in [0, 1].
    """

    def __init__(self, share: float = 0.5, uniform_weight: float = 0.1):
        super().__init__()
        self.share = check_float("share", share, low=0.0, high=1.0)
        self.uniform_weight = check_float("uniform_weight", uniform_weight, low=0.0, high=1.0)

    def choose(self, obs, info):
        return {"greedy": 1.0 - self.uniform_weight, "uniform": self.uniform_weight}, self.share
