"""Skill-Tree structure: grow each skill's tree of subskills (explore) or re-allocate data (exploit)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.utils.numeric import largest_remainder
from teachgym.envs.datagen.base import DataGenEnv, Plan, make_domain
from teachgym.envs.datagen.engines import DataRequest
from teachgym.envs.datagen.plans import SpaceLessons, multidiscrete_action
from teachgym.validation import check_int

EXPLOIT, EXPLORE = 0, 1


class SkillTreeEnv(DataGenEnv):
    """Teach a small model by growing and feeding a tree of skills and subskills.

    ## Description

    DataEnvGym's Skill-Tree environment on a CPU. Each skill has a tree of
    subskills, hidden at first except the first ``initial_subskills`` of each skill.
    Each step the teacher either *explores* - discovers the next hidden subskill of a
    skill and spends the iteration's ``budget`` on data for it - or *exploits* -
    splits the budget across the discovered subskills. The student is retrained on
    all data so far and evaluated on a validation set covering every subskill,
    discovered or not.

    ## Action Space

    ``MultiDiscrete([2, n_skills] + [n_levels] * (n_skills * max_subskills))``:
    ``a[0]`` 0 = exploit, 1 = explore; ``a[1]`` the skill to explore (ignored when
    exploiting); ``a[2:]`` the weight of each (skill, subskill) slot, row-major
    (ignored when exploring). Invalid choices are masked: ``info["action_mask"]``
    and ``env.unwrapped.action_masks()`` give the flat mask (sb3-contrib's
    MaskablePPO convention: one boolean per value of each dimension). A masked
    choice is a malformed plan: exploring a skill with no hidden subskill, or an
    exploit with no weight on a discovered slot, is rejected (the step costs its
    budget, nothing is made); weight on an undiscovered slot is lost, with a note in
    ``info["plan_errors"]``.

    ## Observation Space

    ``Box(0, 1, (3 * n_skills * max_subskills + n_skills + 1,), float32)``:

    | index                       | observation                                          |
    |-----------------------------|------------------------------------------------------|
    | 0 .. S-1 (S = slots)        | 1 if the slot's subskill is discovered               |
    | S .. 2S-1                   | validation accuracy of each discovered slot (else 0) |
    | 2S .. 3S-1                  | examples of each slot so far / (n_steps * budget)    |
    | 3S .. 3S+n_skills-1         | validation accuracy of each skill (all subskills)    |
    | last                        | fraction of the episode's iterations used            |

    ## Rewards

    The gain in mean per-skill validation accuracy over the step (``reward="likelihood"``, math and
    code: of the mean per-skill answer log-likelihood instead; see SkillListEnv).

    ## Starting State

    The student's base weights (math: a pretrained base, see SkillListEnv), no data; ``initial_subskills`` subskills of each skill discovered.

    ## Episode End

    Truncated after ``n_steps`` iterations; ``info["score"]`` is the test accuracy in
    percent. Info keys and the trajectory log are as in :class:`SkillListEnv`, plus
    ``tree`` (discovered flags per skill), ``action_mask`` and ``subskill_data_counts``.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/DataGen-Math-SkillTree-v0", n_levels=4, initial_subskills=1,
                   n_steps=10, budget=64)
    ```

    ## Version History

    * v0: initial version. The math defaults (pretrained base with replay, level 0, 200 steps at
      lr 1e-3) replaced a from-scratch student within v0 (CHANGELOG.md);
      ``domain=MathDomain(levels=(0, 1, 2), base_skills=())`` with
      ``student_kwargs={"base_steps": 0, "lr": 3e-3, "replay_fraction": 0.0}, train_steps=150``
      gives the from-scratch setting (up to the level-0 percentages range).
    """

    published_info = (*DataGenEnv.published_info, "tree", "action_mask", "subskill_data_counts",
                      "explored")

    def __init__(self, domain="math", n_levels: int = 4, initial_subskills: int = 1, **kwargs):
        self.n_levels = check_int("n_levels", n_levels, low=2, high=1000)
        domain = make_domain(domain)
        self.initial_subskills = check_int("initial_subskills", initial_subskills, low=1, high=domain.max_subskills)
        k, s = domain.n_skills, domain.max_subskills
        space = spaces.MultiDiscrete([2, k] + [self.n_levels] * (k * s))
        super().__init__(SpaceLessons(space, {"kind": "skill_tree", "n_skills": k, "max_subskills": s,
                                              "n_levels": self.n_levels, "skills": [x.name for x in domain.skills]}),
                         domain=domain, **kwargs)
        self.observation_space = spaces.Box(0.0, 1.0, (3 * k * s + k + 1,), dtype=np.float32)
        self._exists = np.zeros((k, s), dtype=bool)
        for i, skill in enumerate(domain.skills):
            self._exists[i, : len(skill.subskills)] = True
        self.discovered = np.zeros((k, s), dtype=bool)

    # -- structure state -----------------------------------------------------------
    def _reset_structure(self) -> None:
        self.discovered = self._exists & (np.arange(self.max_subskills) < self.initial_subskills)

    def _structure_state(self) -> dict[str, Any]:
        return {"discovered": self.discovered.tolist()}

    def _load_structure_state(self, state: dict[str, Any]) -> None:
        self.discovered = np.array(state["discovered"], dtype=bool)

    def _replay_plan(self, event: dict[str, Any]) -> None:
        if event.get("rejected") is None and event.get("explored") is not None:
            skill, subskill = event["explored"]
            self.discovered[skill, subskill] = True

    def _expandable(self) -> np.ndarray:
        return (self._exists & ~self.discovered).any(axis=1)

    def action_masks(self) -> np.ndarray:
        """Flat boolean mask over every value of every action dimension (MaskablePPO convention)."""
        expandable = self._expandable()
        mode = np.array([True, bool(expandable.any())])
        skill = expandable if expandable.any() else np.ones(self.n_skills, dtype=bool)
        levels = np.ones((self.n_skills * self.max_subskills, self.n_levels), dtype=bool)
        levels[~self.discovered.reshape(-1), 1:] = False
        return np.concatenate([mode, skill, levels.reshape(-1)])

    # -- plans ---------------------------------------------------------------------
    def _plan(self, action) -> Plan:
        values = multidiscrete_action(action, self.action_space)
        task = np.zeros(self.n_skills)
        if values[0] == EXPLORE:
            skill = int(values[1])
            hidden = np.flatnonzero(self._exists[skill] & ~self.discovered[skill])
            if hidden.size == 0:
                return Plan([], task, rejected=f"explore: skill {self.domain.skills[skill].name!r} has no hidden "
                                               "subskill left (see info['action_mask'])")
            subskill = int(hidden[0])
            task[skill] = self.budget
            return Plan([DataRequest(skill, self.budget, subskill)], task,
                        extras={"explored": [skill, subskill]})
        weights = values[2:].reshape(self.n_skills, self.max_subskills).astype(np.float64)
        errors = [f"slot ({self.domain.skills[k].name}, {j}) is not discovered; its weight is lost"
                  for k, j in zip(*np.nonzero((weights > 0) & ~self.discovered))]
        if not (weights * self.discovered).any():
            return Plan([], task, rejected="exploit: no weight on a discovered subskill (see info['action_mask'])",
                        errors=errors)
        counts = largest_remainder(weights.reshape(-1), self.budget).reshape(weights.shape)
        counts[~self.discovered] = 0
        requests = [DataRequest(int(k), int(counts[k, j]), int(j)) for k, j in zip(*np.nonzero(counts))]
        return Plan(requests, counts.sum(axis=1).astype(np.float64), errors=errors, extras={"explored": None})

    def _after_iteration(self, plan: Plan) -> None:
        if plan.extras.get("explored") is not None:
            skill, subskill = plan.extras["explored"]
            self.discovered[skill, subskill] = True

    # -- observations ----------------------------------------------------------------
    def _feedback(self) -> dict[str, Any]:
        return {**super()._feedback(), "tree": self.discovered.tolist(), "action_mask": self.action_masks(),
                "subskill_data_counts": self.data_counts(by_subskill=True).tolist()}

    def _observation(self) -> np.ndarray:
        flags = self.discovered.reshape(-1).astype(np.float64)
        accuracy = np.where(self.discovered, self.subskill_accuracy(), 0.0).reshape(-1)
        shares = np.minimum(self.data_counts(by_subskill=True).reshape(-1) / (self.n_steps * self.budget), 1.0)
        return np.concatenate([flags, accuracy, shares, self.skill_accuracy, [self._t / self.n_steps]]).astype(np.float32)
