"""Offline-only baseline: learn from the offline data alone, never explore."""

from __future__ import annotations

from teachgym.teachers.finetune_rl.offline_online import OfflineOnlineTeacher


class OfflineOnlyTeacher(OfflineOnlineTeacher):
    """Offline share 1 on every step: online episodes (the student's greedy policy,
    no exploration) are played because the budget runs, but get no regression weight."""

    def choose(self, obs, info):
        return {"greedy": 1.0}, 1.0
