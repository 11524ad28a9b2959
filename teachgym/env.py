"""The teacher-environment base class.

A teacher env is a ``gymnasium.Env`` whose action is the teacher's lesson and
whose reward is the student's progress. This base class owns what every teacher
env shares: the lesson space (action -> task), the budget (``truncated`` when it
is spent), and the ``info`` keys every teacher may rely on:

==================  ============================================================
key                 meaning
==================  ============================================================
``lesson``          the action as received (reset: absent)
``task``            the task parameters the student actually practised
``outcome``         the student's result on that task (what bandits learn from)
``budget_used``     fraction of the teaching budget spent, in [0, 1]
``score``           the headline score, at reset, every ``score_every`` steps
                    and always on the last step
``lesson_space``    (reset only) a JSON description of the lesson space
``easy_to_hard``    (reset only, where the env defines one) a hand-made
                    curriculum: ``{"easy": task, "hard": task}`` for box lessons,
                    ``{"order": [arm, ...]}`` for region lessons
==================  ============================================================

Subclasses implement :meth:`_reset_student`, :meth:`_teach`,
:meth:`_observation` and :meth:`score`.
"""

from __future__ import annotations

import abc
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.validation import check_int


class TeacherEnv(gym.Env, abc.ABC):
    """Base class of every teacher environment (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, lessons: BoxLessons | RegionLessons, n_steps: int, score_every: int | None = None):
        self.lessons = lessons
        self.action_space = lessons.action_space
        self.n_steps = check_int("n_steps", n_steps, low=1)
        self.score_every = None if score_every is None else check_int("score_every", score_every, low=1)
        self._t = -1  # -1: reset() not called yet

    # -- hooks -----------------------------------------------------------------
    @abc.abstractmethod
    def _reset_student(self, rng: np.random.Generator) -> None:
        """Start a fresh student that draws all its randomness from ``rng``."""

    @abc.abstractmethod
    def _teach(self, task: np.ndarray) -> tuple[float, float]:
        """Let the student learn on ``task``; return ``(outcome, reward)``."""

    @abc.abstractmethod
    def _observation(self) -> np.ndarray:
        """What a teacher could know now (an element of ``observation_space``)."""

    @abc.abstractmethod
    def score(self) -> float:
        """The headline score of the student now."""

    def easy_to_hard(self) -> dict | None:
        """A hand-made curriculum for this env, or None if it defines none."""
        return None

    def _step_info(self) -> dict[str, Any]:
        """Env-specific ``info`` keys for the step just taken (student statistics, work done)."""
        return {}

    # -- helpers for subclasses ----------------------------------------------------
    def _probe_reward(self, outcome: float, probes_before: np.ndarray, probes_after: np.ndarray) -> float:
        """The reward of envs whose ``reward_mode`` is "probe_gain" or "outcome".

        "probe_gain": the change of the mean probe score over the step, so an
        episode's return is the final mean probe score minus the initial one;
        "outcome": the lesson's ``outcome``.
        """
        if self.reward_mode == "probe_gain":
            return float(np.mean(probes_after) - np.mean(probes_before))
        return float(outcome)

    # -- gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._t = 0
        self._reset_student(np.random.default_rng(self.np_random.integers(2**63)))
        info = {"budget_used": 0.0, "score": self.score(), "lesson_space": self.lessons.describe()}
        schedule = self.easy_to_hard()
        if schedule is not None:
            info["easy_to_hard"] = schedule
        return self._observation(), info

    def step(self, action) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._t < 0:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._t >= self.n_steps:
            raise gym.error.ResetNeeded("the teaching budget is spent (truncated=True was returned); call reset()")
        task = self.lessons.to_task(action, self.np_random)
        outcome, reward = self._teach(task)
        self._t += 1
        truncated = self._t >= self.n_steps
        info = {"lesson": action, "task": task, "outcome": outcome, "budget_used": self._t / self.n_steps,
                **self._step_info()}
        if truncated or (self.score_every is not None and self._t % self.score_every == 0):
            info["score"] = self.score()
        return self._observation(), reward, False, truncated, info

    # -- checkpointing ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The env's whole teaching state (step, RNG, student), for checkpoint and resume."""
        return {"t": self._t, "rng": self.np_random.bit_generator.state, "student": self.student.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._t = int(state["t"])
        self.np_random.bit_generator.state = state["rng"]
        self.student.load_state_dict(state["student"])
