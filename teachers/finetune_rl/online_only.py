"""Online-only baseline: ignore the offline data, explore with one policy of the env's cover."""

from __future__ import annotations

from teachgym.teachers.finetune_rl.offline_online import OfflineOnlineTeacher
from teachgym.validation import ConfigError


class OnlineOnlyTeacher(OfflineOnlineTeacher):
    """Offline share 0 on every step; every online episode follows ``explore``.

    With the default ``explore="optimistic"`` this is LSVI-UCB run from scratch,
    the standard online algorithm the offline data should beat.

    Args:
        explore: the exploration policy's name in the env's cover (``explore:<name>``
            lessons); ignored on envs without a cover.
    """

    def __init__(self, explore: str = "optimistic"):
        super().__init__()
        if not isinstance(explore, str) or not explore:
            raise ConfigError(f"explore must be the name of an exploration policy, got {explore!r}")
        self.explore = explore

    def choose(self, obs, info):
        cover = self.cover_names()
        if cover and self.explore not in cover:
            raise ConfigError(f"explore must be one of the env's exploration policies {cover}, got {self.explore!r}")
        return {self.explore: 1.0}, 0.0
