"""Weakest-skill targeting: allocate data in proportion to a missing-skill profile (STAT-style).

STAT (Skill-Targeted Adaptive Training) profiles which skills the student's
validation errors are missing and reweights training data by that profile. Here
the profile is exact, since every validation item is labelled with its skill:
``p_k`` = the share of validation errors that belong to skill ``k`` (equal
held-out counts per skill make it proportional to ``1 - accuracy_k``). Weights
are ``p_k ** (1 / temperature)`` mixed with a uniform floor, so no skill is
starved. With subskill feedback (Open-Ended, Skill-Tree), the profile is taken
over (skill, subskill) slots instead.
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.datagen.plans import DataTeacher
from teachgym.validation import check_float


class WeakestSkillTeacher(DataTeacher):
    """Target the skills (or subskills) the student misses most.

    Args:
        temperature: sharpness of the profile; below 1 concentrates on the weakest skills.
        floor: share of the budget spread uniformly over all skills.
        by_subskill: target (skill, subskill) slots where the structure can express it.
    """

    def __init__(self, temperature: float = 0.5, floor: float = 0.1, by_subskill: bool = True):
        super().__init__()
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True, high=100.0)
        self.floor = check_float("floor", floor, low=0.0, high=1.0)
        self.by_subskill = bool(by_subskill)

    def _profile(self, errors: np.ndarray, valid: np.ndarray) -> np.ndarray:
        errors = np.where(valid, errors, 0.0)
        if errors.sum() <= 0:
            profile = valid.astype(np.float64)
        else:
            profile = errors ** (1.0 / self.temperature)
            profile = profile / profile.sum()
        uniform = valid / max(valid.sum(), 1)
        return (1.0 - self.floor) * profile / max(profile.sum(), 1e-12) + self.floor * uniform

    def plan(self):
        skills = self._profile(1.0 - self.skill_accuracy, np.ones(self.n_skills, dtype=bool))
        kind = self.layout["kind"]
        if not self.by_subskill or kind == "allocation" or (kind == "open_ended" and self.layout.get("mode") == "text"):
            return skills, None
        valid = self.tree if (kind == "skill_tree" and self.tree is not None) else self._existing_slots()
        return skills, self._profile(1.0 - self.subskill_accuracy, valid).reshape(valid.shape)

    def _existing_slots(self) -> np.ndarray:
        s = int(self.layout["max_subskills"])
        valid = np.zeros((self.n_skills, s), dtype=bool)
        if self.taxonomy is not None:
            for k, skill in enumerate(self.taxonomy.get("skills", [])[: self.n_skills]):
                valid[k, : len(skill.get("subskills", []))] = True
        else:
            valid[:] = True
        return valid
