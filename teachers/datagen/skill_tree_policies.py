"""DataEnvGym's hand-written Skill-Tree policies: alternate explore/exploit, and fill balanced.

Both read the tree (``info["tree"]``, discovered subskills per skill) and the
action mask the Skill-Tree env publishes. DataEnvGym's policies keep a standing
allocation per subskill and change it by deltas; here each iteration's budget
is allocated afresh, so "exploit" spreads it over the discovered subskills
(evenly, or to even out their data counts when filling).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.teachers.datagen.plans import DataTeacher
from teachgym.validation import ConfigError, check_int


class _TreePolicy(DataTeacher):
    supported_spaces: ClassVar = (spaces.MultiDiscrete,)
    required_info: ClassVar[tuple[str, ...]] = ("taxonomy", "tree")

    def _tree_or_fail(self) -> np.ndarray:
        if self.layout["kind"] != "skill_tree":
            raise ConfigError(f"{type(self).__name__} needs a Skill-Tree env (lesson_space kind 'skill_tree'), "
                              f"got kind {self.layout['kind']!r}")
        if self.tree is None:
            self.tree = np.zeros((self.n_skills, int(self.layout["max_subskills"])), dtype=bool)
            self.tree[:, 0] = True
        return self.tree

    def _explore(self, skill: int) -> np.ndarray:
        action = np.zeros(self.action_space.shape, dtype=np.int64)
        action[0], action[1] = 1, skill
        return action

    def _expandable(self, info) -> np.ndarray:
        """Skills with a hidden subskill, from the env's action mask when it gives one."""
        mask = keys.ACTION_MASK.get(info)
        k = self.n_skills
        try:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape == (int(np.sum(self.action_space.nvec)),) and mask[1]:
                return mask[2: 2 + k].copy()
        except (TypeError, ValueError):
            pass
        return np.zeros(k, dtype=bool)

    def _balanced_exploit(self, tree: np.ndarray) -> np.ndarray:
        return self.exploit_action(tree.astype(np.float64))

    def _least_grown(self, tree: np.ndarray, candidates: np.ndarray) -> int:
        """The candidate skill with the fewest discovered subskills (ties: lowest accuracy, then at random)."""
        index = np.flatnonzero(candidates)
        noise = self.rng.random(index.size)
        key = sorted(range(index.size), key=lambda i: (tree[index[i]].sum(), self.skill_accuracy[index[i]], noise[i]))
        return int(index[key[0]])


class AlternateExploreExploitTeacher(_TreePolicy):
    """Explore on even iterations (the least-grown skill), exploit evenly on odd ones; exploit only once the tree is full."""

    def act(self, obs, info):
        self._read(info)
        tree = self._tree_or_fail()
        expandable = self._expandable(info)
        if self.steps % 2 == 0 and expandable.any():
            return self._explore(self._least_grown(tree, expandable))
        return self._balanced_exploit(tree)


class FillBalancedTeacher(_TreePolicy):
    """Grow the tree as the alternating policy does until every skill has ``target`` subskills, then fill.

    Filling (DataEnvGym's ``FillBalancedSkillTreePolicy``): exploit with weight on each
    discovered subskill in proportion to how far its data count is below the largest
    one (``info["subskill_data_counts"]``), so the data per subskill evens out.

    Args:
        target: subskills per skill to discover before filling (0: every subskill).
    """

    def __init__(self, target: int = 0):
        super().__init__()
        self.target = check_int("target", target, low=0, high=10_000)

    def act(self, obs, info):
        self._read(info)
        tree = self._tree_or_fail()
        expandable = self._expandable(info)
        if self.target > 0:
            expandable &= tree.sum(axis=1) < self.target
        if expandable.any():
            if self.steps % 2 == 0:
                return self._explore(self._least_grown(tree, expandable))
            return self._balanced_exploit(tree)
        counts = np.asarray(keys.SUBSKILL_DATA_COUNTS.get(info, np.zeros(tree.shape)), dtype=np.float64)
        if counts.shape != tree.shape or not np.all(np.isfinite(counts)):
            return self._balanced_exploit(tree)
        deficit = np.where(tree, counts[tree].max() - counts, 0.0) if tree.any() else np.zeros(tree.shape)
        return self.exploit_action(deficit if deficit.any() else tree.astype(np.float64))
