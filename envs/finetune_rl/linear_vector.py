"""FineTuneRL-Linear, vectorised: ``N`` LSVI learners of one linear MDP taught as one batch.

Built by ``gym.make_vec("teachgym/FineTuneRL-Linear-v0", num_envs=N,
vectorization_mode="vector_entry_point")``. Sub-env ``i`` reproduces
``gym.make(id, **kwargs)`` reset with ``seed + i`` exactly: the same observations,
rewards, tasks, outcomes, progress keys and scores. The learners plan with the single
student's planner over a batch axis and learn through
:class:`teachgym.students.finetune_rl.lsvi_batch.LSVIBatch`, which draws every random
number from learner ``i``'s generator in the single student's order (see
:mod:`teachgym.vector` for seeding, autoreset and the batched ``info``). Each reset
draws every learner's offline dataset as the single env does (or reads the one
``offline_dataset``), which is the slow part of a reset.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from teachgym import info as keys
from teachgym.envs.finetune_rl.linear import FineTuneRLLinearEnv
from teachgym.students.finetune_rl.lsvi import COVER
from teachgym.students.finetune_rl.lsvi_batch import LSVIBatch
from teachgym.students.finetune_rl.offline_data import linear_dataset
from teachgym.vector import TaughtBatch, TeacherVectorEnv


class FineTuneRLLinearVectorEnv(TeacherVectorEnv):
    """``num_envs`` FineTuneRL-Linear learners stepped together; other arguments are
    :class:`FineTuneRLLinearEnv`'s.

    Args:
        num_envs: learners in the batch.
        autoreset_mode: Gymnasium's ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        **kwargs: the single env's arguments (``n_steps``, ``episodes_per_step``, ``instance``, ...).
    """

    def __init__(self, num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **kwargs: Any):
        env = FineTuneRLLinearEnv(**kwargs)
        super().__init__(env, num_envs, autoreset_mode)
        self.students = LSVIBatch(env.student, self.num_envs)
        self.optimal_value, self.budget = env.optimal_value, env.budget
        self._value = np.zeros(self.num_envs)
        self._streak_start = np.full(self.num_envs, -1)  # -1: not epsilon-optimal now
        self._eigen_scale = np.ones(self.num_envs)

    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        env = self.single_env
        datasets = [env._fixed_offline if env._fixed_offline is not None else
                    linear_dataset(env.mdp, env.n_offline_episodes, env.offline_coverage, rng) for rng in rngs]
        self.students.reset(rngs, datasets)
        samples = self.students.stats["off_count"].max(axis=1)
        self._eigen_scale = np.array([math.log1p(float(count) + self.budget) for count in samples])
        self._value = self.students.greedy_values()
        self._streak_start = np.where(self._eps_optimal(), 0, -1)

    def _reset_infos(self) -> dict[str, Any]:
        infos = super()._reset_infos()
        infos.update(self._progress_info())  # the single env's reset keys, per learner
        return infos

    def _eps_optimal(self) -> np.ndarray:
        return self._value >= self.optimal_value - self.single_env.epsilon

    def _progress_info(self) -> dict[str, np.ndarray]:
        everyone = np.ones(self.num_envs, dtype=bool)
        online = max(self._t, 0) * self.single_env.episodes_per_step
        progress = {keys.VALUE.name: 100.0 * self._value / self.optimal_value,
                    keys.ONLINE_EPISODES.name: np.full(self.num_envs, online),
                    keys.EPS_OPTIMAL.name: self._eps_optimal(), keys.EPISODES_TO_EPS.name: self._streak_start.copy()}
        return {**progress, **{"_" + key: everyone for key in progress}}

    def _teach(self, tasks: np.ndarray) -> TaughtBatch:
        n_cover, per_step = len(COVER), self.single_env.episodes_per_step
        weights = tasks[:, :n_cover]
        mixture = np.empty_like(weights)
        for i, row in enumerate(weights):  # row by row, as the single env normalises its lesson
            total = row.sum()
            mixture[i] = row / total if total > 0 else np.full(n_cover, 1.0 / n_cover)
        share = tasks[:, -1].copy()
        outcome, counts = self.students.learn(mixture, share, per_step)
        before, self._value = self._value, self.students.greedy_values()
        optimal = self._eps_optimal()
        starting = optimal & (self._streak_start < 0)
        self._streak_start = np.where(optimal, self._streak_start, -1)
        self._streak_start[starting] = (self._t + 1) * per_step  # self._t counts the steps before this one
        if self.single_env.reward_mode == "gain":
            reward = (self._value - before) / per_step
        else:
            reward = -(self.optimal_value - self._value) / self.optimal_value
        info = {key: value for key, value in self._progress_info().items() if not key.startswith("_")}
        return TaughtBatch(outcome, reward, task=np.concatenate([mixture, share[:, None]], axis=1),
                           info={**info, keys.EPISODES_PER_POLICY.name: counts})

    def _observations(self) -> np.ndarray:
        students, horizon = self.students, self.single_env.mdp.horizon
        _, value_estimate, cover_value, cover_uncertainty = students.plan(students.offline_share)
        n_off, n_on = students.stats["off_count"][:, 0], students.stats["on_count"][:, 0]
        rows = []
        for i in range(self.num_envs):
            head = [max(self._t, 0) * self.single_env.episodes_per_step / self.budget,
                    n_off[i] / (n_off[i] + n_on[i]) if n_off[i] + n_on[i] > 0 else 0.0,
                    students.offline_share[i], value_estimate[i] / horizon]
            eigen = [np.linalg.eigvalsh(students.stats[f"{source}_cov"][i]).reshape(-1) for source in ("off", "on")]
            rows.append(np.concatenate([head, cover_value[i] / horizon, cover_uncertainty[i] / horizon,
                                        np.log1p(np.maximum(np.concatenate(eigen), 0.0)) / self._eigen_scale[i]]))
        return np.clip(np.stack(rows), 0.0, 1.0).astype(np.float32)

    def scores(self) -> np.ndarray:
        if self.single_env.score_mode == "value":
            return 100.0 * self._value / self.optimal_value
        return np.where(self._streak_start < 0, 0.0, 100.0 * (1.0 - self._streak_start / self.budget))
