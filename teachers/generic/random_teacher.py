"""The uniform random teacher: the baseline every leaderboard normalises against."""

from __future__ import annotations

from teachgym.teacher import Teacher


class RandomTeacher(Teacher):
    """Draws every lesson uniformly from the action space with its own RNG."""

    def act(self, obs, info):
        return self.random_action()
