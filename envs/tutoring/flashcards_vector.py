"""Flashcards, vectorised: ``N`` forgetting learners (EFC or HLR) taught as one numpy batch.

Built by ``gym.make_vec("teachgym/Flashcards-HLR-v1", num_envs=N,
vectorization_mode="vector_entry_point")`` (or the EFC id). Sub-env ``i``
reproduces ``gym.make(id, **kwargs)`` reset with ``seed + i`` exactly: the same
observations, rewards, outcomes, scores and ``info``. Each new student is drawn
by the single env's own student object from sub-env ``i``'s generator (so its
parameters are those the single env would draw), then its memory is copied into
``(N, n_items)`` arrays that every step updates for the whole batch with the
model's formulas, written in the same floating-point order as the single
student's; every answer is drawn from the student's own generator in the single
student's order (see :mod:`teachgym.vector` for seeding, autoreset and the
batched ``info``). ACT-R students (a growing list of traces per item) are not
batched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from teachgym import info as keys
from teachgym.envs.tutoring.flashcards import LOG_EPS, FlashcardsEnv
from teachgym.validation import ConfigError
from teachgym.vector import TaughtBatch, TeacherVectorEnv

_UNIFORM_BLOCK = 256  # answer draws per student at a time


class FlashcardsVectorEnv(TeacherVectorEnv):
    """``num_envs`` Flashcards students stepped together; every other argument is :class:`FlashcardsEnv`'s.

    Args:
        num_envs: students in the batch.
        autoreset_mode: Gymnasium's ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        **kwargs: the single env's arguments (``model``, ``n_items``, ``population``, ...).
    """

    MODELS = ("efc", "hlr")

    def __init__(self, num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 max_episode_steps: int | None = None, **kwargs: Any):
        env = FlashcardsEnv(**kwargs)
        if env.model not in self.MODELS:
            raise ConfigError(f"the vector Flashcards env batches the models {self.MODELS}; got model={env.model!r}")
        super().__init__(env, num_envs, autoreset_mode)
        self.population = env.population
        self.n_items, self.delay = env.n_items, env.delay
        n, k = self.num_envs, self.n_items
        self.attempts = np.zeros((n, k), dtype=np.int64)
        self.correct = np.zeros((n, k), dtype=np.int64)
        self.last_review = np.full((n, k), np.nan)
        self.last_seen = np.zeros((n, k))
        self.now = 0.0
        self._params: dict[str, np.ndarray] = {}
        self._rows = np.arange(n)
        self._student_rngs: list[np.random.Generator] = []
        self._uniforms = np.zeros((n, 0))
        self._next_uniform = 0

    # -- students -------------------------------------------------------------------
    def _reset_students(self, rngs: list[np.random.Generator]) -> None:
        student = self.single_env.student
        rows: dict[str, list[np.ndarray]] = {}
        memory = []
        for rng in rngs:
            student.reset(rng)
            for name, value in self._student_params(student).items():
                rows.setdefault(name, []).append(value)
            memory.append((student.last_seen.copy(), student.strength.copy() if self._efc else None))
        self._params = {name: np.stack(values) for name, values in rows.items()}
        self.last_seen = np.stack([m[0] for m in memory])
        if self._efc:
            self.strength = np.stack([m[1] for m in memory])
        self.attempts[:] = 0
        self.correct[:] = 0
        self.last_review[:] = np.nan
        self.now = 0.0
        self._student_rngs = rngs
        self._uniforms = np.zeros((self.num_envs, 0))
        self._next_uniform = 0

    @property
    def _efc(self) -> bool:
        return self.single_env.model == "efc"

    def _student_params(self, student) -> dict[str, np.ndarray]:
        """One student's parameters as the batch stores them (row ``i`` of each array)."""
        if self._efc:
            return {"theta": student.params["theta"], "gain": np.array([student.gain()])}
        return {"difficulty": student.params["difficulty"], "ability": student.params["ability"],
                "weights": np.array(student.student_weights())}

    def _draw_uniforms(self) -> np.ndarray:
        """One uniform per student from its own generator, drawn in blocks (the student's order)."""
        if self._next_uniform >= self._uniforms.shape[1]:
            self._uniforms = np.stack([rng.random(_UNIFORM_BLOCK) for rng in self._student_rngs])
            self._next_uniform = 0
        self._next_uniform += 1
        return self._uniforms[:, self._next_uniform - 1]

    def _recall(self) -> np.ndarray:
        """``(N, n_items)`` recall probabilities now (the single students' formulas, element by element)."""
        if self._efc:
            return np.exp(-self._params["theta"] * (self.now - self.last_seen) / self.strength)
        weights = self._params["weights"]
        log_h = (weights[:, 0:1] * self.attempts + weights[:, 1:2] * self.correct
                 + weights[:, 2:3] * (self.attempts - self.correct) + self._params["difficulty"]
                 + self._params["ability"][:, 0:1])
        half_lives = np.exp(np.clip(log_h, -700.0, 700.0))
        return np.exp(-self.single_env.student._log_base * (self.now - self.last_seen) / half_lives)

    # -- hooks --------------------------------------------------------------------------
    def _teach(self, lessons: np.ndarray) -> TaughtBatch:
        items = lessons[:, 0].astype(np.intp)
        if self.single_env.answer_timing == "after_delay":
            self.now += self.delay
        recalled = self._draw_uniforms() < self._recall()[self._rows, items]
        if self.single_env.answer_timing == "before_delay":
            self.now += self.delay
        self.attempts[self._rows, items] += 1
        self.correct[self._rows, items] += recalled
        self.last_review[self._rows, items] = self.now
        if self._efc:
            self.strength[self._rows, items] += self._params["gain"][:, 0]
        self.last_seen[self._rows, items] = self.now
        recall = self._recall()
        if self.single_env.reward_mode == "likelihood":
            reward = recall.mean(axis=1)
        else:
            reward = np.log(LOG_EPS + recall).mean(axis=1)
        return TaughtBatch(recalled.astype(np.float64), reward)

    def _observations(self) -> np.ndarray:
        env = self.single_env
        since = self.now - np.where(np.isnan(self.last_review), 0.0, self.last_review)
        parts = [self.attempts, self.correct, since]
        if env.oracle:
            ahead, self.now = self.now, self.now + env.oracle_lookahead
            try:
                parts.append(self._recall())
            finally:
                self.now = ahead
        budget = np.full((self.num_envs, 1), self._t / self.n_steps)
        obs = np.concatenate(parts + [budget], axis=1).astype(np.float32)
        space = self.single_observation_space
        return np.clip(obs, space.low, space.high)

    def scores(self) -> np.ndarray:
        return 100.0 * self._mean_recall()

    def _mean_recall(self) -> np.ndarray:
        return self._recall().mean(axis=1)

    def _score_info(self) -> dict[str, np.ndarray]:
        return {keys.MEAN_RECALL.name: self._mean_recall()}
