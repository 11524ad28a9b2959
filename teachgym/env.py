"""The teacher-environment base class: one step template for every env.

A teacher env is a ``gymnasium.Env`` whose action is the teacher's lesson and
whose reward is the student's progress. :class:`TeacherEnv` owns ``reset()`` and
``step()``; a family fills in hooks only:

======================  ===========================================================
hook                    what it does
======================  ===========================================================
``_reset_student(rng)`` start a fresh student drawing all its randomness from ``rng``
``_read_lesson(a)``     decode and validate the action (default: the lesson space's
                        ``to_task``); raise ``InvalidLessonError`` before any change
``_teach(lesson)``      let the student learn; return a :class:`Taught`
``_observation()``      what a teacher could know now
``score()``             the headline score in [0, 100]
``_reset_info()``       family keys published at reset (default: none)
``_score_info()``       family keys published with every headline score, e.g. the
                        family's natural unit (default: none)
``easy_to_hard()``      a hand-made curriculum, or None
======================  ===========================================================

The ``info`` keys are defined in :mod:`teachgym.info`; the core ones (``lesson``,
``task``, ``outcome``, ``budget_used``, ``score``, ``episode_start``,
``teaching_budget``, ``lesson_space``, ``easy_to_hard``) are written here, family
keys come from the hooks. An env lists the family keys it publishes in
``published_info`` so that teachers needing them are matched before a run.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np

from teachgym import info as keys
from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.validation import check_int


@dataclass
class Taught:
    """What one lesson did: the result of :meth:`TeacherEnv._teach`.

    Attributes:
        outcome: the student's result on the task practised (``info["outcome"]``).
        reward: the teacher's reward for the step.
        task: the task actually practised, when it differs from the decoded lesson
            (``info["task"]``; None: the decoded lesson itself).
        info: family keys for this step's ``info`` (names from :mod:`teachgym.info`).
    """

    outcome: float
    reward: float
    task: Any = None
    info: dict[str, Any] = field(default_factory=dict)


class TeacherEnv(gym.Env, abc.ABC):
    """Base class of every teacher environment (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": []}
    #: family ``info`` keys (from :mod:`teachgym.info`) this env publishes, besides the core ones
    published_info: ClassVar[tuple[str, ...]] = ()

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

    def _read_lesson(self, action: Any) -> Any:
        """Decode ``action`` into what :meth:`_teach` takes; raise InvalidLessonError, changing nothing, if invalid."""
        return self.lessons.to_task(action, self.np_random)

    @abc.abstractmethod
    def _teach(self, lesson: Any) -> Taught:
        """Let the student learn on the decoded ``lesson``; return what happened."""

    @abc.abstractmethod
    def _observation(self) -> np.ndarray:
        """What a teacher could know now (an element of ``observation_space``)."""

    @abc.abstractmethod
    def score(self) -> float:
        """The headline score of the student now."""

    def easy_to_hard(self) -> dict | None:
        """A hand-made curriculum for this env, or None if it defines none."""
        return None

    def _reset_info(self) -> dict[str, Any]:
        """Family ``info`` keys published at reset. Default: none."""
        return {}

    def _score_info(self) -> dict[str, Any]:
        """Family ``info`` keys published with every headline score (the family's natural unit). Default: none."""
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

    # -- gymnasium API: the one template every env shares -------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._t = 0
        self._reset_student(np.random.default_rng(self.np_random.integers(2**63)))
        info = {keys.EPISODE_START.name: True, keys.TEACHING_BUDGET.name: self.n_steps, keys.BUDGET_USED.name: 0.0,
                keys.SCORE_KEY.name: self.score(), **self._score_info(),
                keys.LESSON_SPACE.name: self.lessons.describe(), **self._reset_info()}
        schedule = self.easy_to_hard()
        if schedule is not None:
            info[keys.EASY_TO_HARD.name] = schedule
        return self._observation(), info

    def step(self, action) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._t < 0:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._t >= self.n_steps:
            raise gym.error.ResetNeeded("the teaching budget is spent (truncated=True was returned); call reset()")
        lesson = self._read_lesson(action)
        taught = self._teach(lesson)
        self._t += 1
        truncated = self._t >= self.n_steps
        info = {keys.LESSON.name: action, keys.TASK.name: lesson if taught.task is None else taught.task,
                keys.OUTCOME.name: taught.outcome, keys.BUDGET_USED.name: self._t / self.n_steps, **taught.info}
        if truncated or (self.score_every is not None and self._t % self.score_every == 0):
            info[keys.SCORE_KEY.name] = self.score()
            info.update(self._score_info())
        return self._observation(), taught.reward, False, truncated, info

    # -- checkpointing ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The env's whole teaching state (step, RNG, student), for checkpoint and resume."""
        return {"t": self._t, "rng": self.np_random.bit_generator.state, "student": self.student.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._t = int(state["t"])
        self.np_random.bit_generator.state = state["rng"]
        self.student.load_state_dict(state["student"])
