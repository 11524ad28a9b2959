"""Uniform allocation: the same number of examples for every skill, every iteration (DataEnvGym's baseline)."""

from __future__ import annotations

import numpy as np

from teachgym.teachers.datagen.plans import DataTeacher


class UniformAllocationTeacher(DataTeacher):
    """Teach every skill equally; on a Skill-Tree, exploit every discovered subskill equally and never explore.

    Where an action cannot cover every skill at once (Open-Ended numeric plans have
    ``n_entries`` slots), equal-weight skills are picked at random each iteration.
    """

    def plan(self):
        return np.ones(self.n_skills), None
