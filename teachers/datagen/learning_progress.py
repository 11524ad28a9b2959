"""Learning-progress data allocation: more data where validation accuracy is changing, not where it is lowest.

Weakest-skill targeting (:mod:`teachgym.teachers.datagen.targeting`) spends data
on the skills the student misses most, including skills it cannot learn yet.
Learning-progress teachers (Oudeyer et al., 2007; TSCL, Matiisen et al., 2017;
ALP-GMM, Portelas et al., 2019) spend it where the student is improving: here
the learning progress of skill ``k`` is the change of its validation accuracy
over the last ``window`` iterations, ``LP_k = |acc_k(t) - acc_k(t - window)| /
window`` (or its positive part with ``absolute=False``). Weights are ``LP_k **
(1 / temperature)`` mixed with a uniform ``floor``, so every skill keeps being
measured; with no progress anywhere (the first iteration, or a plateau) the
allocation is uniform. With subskill feedback (Open-Ended, Skill-Tree) the same
is done over (skill, subskill) slots.
"""

from __future__ import annotations

import numpy as np

from teachgym import info as keys
from teachgym.teachers.datagen.plans import _clean
from teachgym.teachers.datagen.targeting import WeakestSkillTeacher
from teachgym.validation import check_bool, check_int


class LearningProgressDataTeacher(WeakestSkillTeacher):
    """Allocate data in proportion to recent per-skill learning progress (see the module docstring).

    Args:
        window: iterations over which the change in accuracy is measured, >= 1.
        temperature: sharpness; below 1 concentrates on the fastest-changing skills.
        floor: share of the budget spread uniformly over all skills.
        absolute: use |change| (forgetting counts as progress to recover); False: improvement only.
        by_subskill: allocate over (skill, subskill) slots where the structure can express it.
    """

    def __init__(self, window: int = 1, temperature: float = 1.0, floor: float = 0.2, absolute: bool = True,
                 by_subskill: bool = True):
        super().__init__(temperature=temperature, floor=floor, by_subskill=by_subskill)
        self.window = check_int("window", window, low=1, high=10_000)
        self.absolute = check_bool("absolute", absolute)

    def _setup(self) -> None:
        super()._setup()
        self._skill_history: list[np.ndarray] = []
        self._slot_history: list[np.ndarray] = []

    def act(self, obs, info):
        self._read(info)
        if not self._skill_history:  # the reset feedback is the baseline progress is measured from
            self._skill_history.append(self.skill_accuracy.copy())
            self._slot_history.append(self.subskill_accuracy.copy())
        return self.encode(*self.plan())

    def update(self, action, reward, obs, info) -> None:
        super().update(action, reward, obs, info)
        if self.layout is None:
            return
        k, s = self.n_skills, int(self.layout.get("max_subskills", 1))
        skills = _clean(keys.SKILL_ACCURACY.get(info), (k,))
        if skills is not None:
            self._skill_history.append(skills)
            del self._skill_history[: -(self.window + 1)]
        slots = _clean(keys.SUBSKILL_ACCURACY.get(info), (k, s))
        if slots is not None:
            self._slot_history.append(slots)
            del self._slot_history[: -(self.window + 1)]

    def progress(self, history: list[np.ndarray]) -> np.ndarray | None:
        """Per-entry learning progress over the kept history (None with fewer than two records)."""
        if len(history) < 2:
            return None
        span = len(history) - 1
        change = (history[-1] - history[0]) / span
        return np.abs(change) if self.absolute else np.maximum(change, 0.0)

    def plan(self):
        progress = self.progress(self._skill_history)
        if progress is None:
            progress = np.zeros(self.n_skills)
        skills = self._profile(progress, np.ones(self.n_skills, dtype=bool))
        kind = self.layout["kind"]
        if not self.by_subskill or kind == "allocation" or (kind == "open_ended" and self.layout.get("mode") == "text"):
            return skills, None
        valid = self.tree if (kind == "skill_tree" and self.tree is not None) else self._existing_slots()
        slot_progress = self.progress(self._slot_history)
        if slot_progress is None or slot_progress.shape != valid.shape:
            slot_progress = np.zeros(valid.shape)
        return skills, self._profile(slot_progress, valid).reshape(valid.shape)
