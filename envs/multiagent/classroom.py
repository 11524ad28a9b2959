"""Classroom: one lesson per step, broadcast to a group of different students."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym.envs.multiagent.base import InvalidActionError, MultiAgentTeachEnv, aec_from_parallel
from teachgym.lessons import BoxLessons, InvalidLessonError, RegionLessons
from teachgym.students.curriculum.competence_grid import CompetenceGridStudent
from teachgym.validation import ConfigError, check_choice, check_float, check_int

# A quick pair, a slow learner who unlocks early and a slow, demanding one: the
# frontier of learnable tasks differs from student to student.
DEFAULT_CLASS = (
    {"episodes_per_lesson": 3, "unlock_threshold": 10},
    {"episodes_per_lesson": 2, "unlock_threshold": 10},
    {"episodes_per_lesson": 1, "unlock_threshold": 7},
    {"episodes_per_lesson": 1, "unlock_threshold": 14},
)


class ClassroomEnv(MultiAgentTeachEnv):
    """One teacher, one lesson per step for the whole class; the class is heterogeneous.

    ## Description

    Every student is a competence grid of the ALP-GMM toy env
    (:class:`teachgym.students.curriculum.competence_grid.CompetenceGridStudent`):
    a task in ``[0, 1]^2`` practises one cell, which gains competence only once
    a previous neighbour is unlocked, so mastery spreads from the origin. The
    students differ (``students=``): how many episodes one lesson gives them
    (``episodes_per_lesson``, their speed) and how much competence unlocks the
    next cells (``unlock_threshold``); any ``CompetenceGridStudent`` argument
    may differ. Each step the teacher gives one lesson, which every student
    practises. A lesson at the quick students' frontier is locked for the slow
    ones; a lesson at the slow students' frontier is wasted on the quick: the
    teacher must serve the group, and the worst student's score is reported
    beside the mean (fairness).

    ## Agents

    ``teacher_0`` (a single teacher, still a ParallelEnv so that multi-agent
    code and the registry treat it like the others).

    ## Action Spaces

    ``lesson_mode="regions"`` (default): ``Discrete(arms_per_dim ** 2)``; arm ``k``
    is a square region of the task space (row-major) and the task is drawn
    uniformly in it. ``lesson_mode="box"``: ``Box(0, 1, (2,), float32)``, the task.
    Invalid actions raise :class:`teachgym.envs.multiagent.base.InvalidActionError`
    (a :class:`teachgym.InvalidLessonError`) naming the field and range.

    ## Observation Spaces

    ``Box(0, 1, (sum of the students' cell counts + 1,), float32)``: every
    student's competence per cell / its maximum (student after student,
    row-major), then the fraction of steps used.

    ## Rewards

    With ``mean`` and ``worst`` the class's mean and lowest mastered fraction:
    ``(1 - fairness_weight) * change of mean + fairness_weight * change of worst``.
    The episode return is therefore the final weighted mix.

    ## Episode End

    Truncated after ``n_steps`` lessons. Every info holds ``task``, ``outcomes``
    (each student's normalised competence on the task after the lesson),
    ``scores`` (each student's mastered cells, 0-100), ``mean_score`` and
    ``worst_score`` (0-100); the reset info holds the scores too.

    ## Arguments

    ```python
    from teachgym.envs.multiagent import classroom
    env = classroom.parallel_env(students=[{"episodes_per_lesson": 3}, {"episodes_per_lesson": 1,
                                 "unlock_threshold": 14}], n_cells=5, max_competence=20, n_steps=300,
                                 lesson_mode="regions", arms_per_dim=5, fairness_weight=0.0)
    ```

    ``n_cells``, ``max_competence``, ``unlock_threshold`` and ``outcome_noise`` are
    class-wide defaults that a student's own dict overrides.

    ## Version History

    * v0: initial version.
    """

    metadata = {"name": "classroom_v0", "render_modes": [], "is_parallelizable": True}
    AGENT = "teacher_0"

    def __init__(self, students=DEFAULT_CLASS, n_cells: int = 5, max_competence: int = 20,
                 unlock_threshold: int = 10, outcome_noise: float = 0.0, n_steps: int = 300, lesson_mode: str = "regions",
                 arms_per_dim: int = 5, fairness_weight: float = 0.0):
        super().__init__()
        if isinstance(students, (str, bytes, dict)) or not students:
            raise ConfigError("students must be a non-empty sequence of dicts (one per student)")
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10_000_000)
        self.fairness_weight = check_float("fairness_weight", fairness_weight, low=0.0, high=1.0)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, ("regions", "box"))
        shared = {"n_cells": n_cells, "max_competence": max_competence, "unlock_threshold": unlock_threshold,
                  "outcome_noise": outcome_noise}
        self.students, self.speeds = [], []
        for i, profile in enumerate(students):
            if not isinstance(profile, dict):
                raise ConfigError(f"students[{i}] must be a dict of student settings, got {profile!r}")
            profile = {**shared, **profile}
            self.speeds.append(check_int(f"students[{i}].episodes_per_lesson", profile.pop("episodes_per_lesson", 1),
                                         low=1, high=1_000_000))
            try:
                self.students.append(CompetenceGridStudent(n_dims=2, **profile))
            except (TypeError, ConfigError) as error:
                raise ConfigError(f"students[{i}]: {error}") from None
        if self.lesson_mode == "box":
            self.lessons = BoxLessons([0.0, 0.0], [1.0, 1.0])
        else:
            per_dim = check_int("arms_per_dim", arms_per_dim, low=1, high=100)
            self.lessons = RegionLessons.grid([0.0, 0.0], [1.0, 1.0], [per_dim, per_dim])
        self._sizes = [s.n_total for s in self.students]
        self.possible_agents = [self.AGENT]
        self.action_spaces = {self.AGENT: self.lessons.action_space}
        self.observation_spaces = {self.AGENT: spaces.Box(0.0, 1.0, (sum(self._sizes) + 1,), dtype=np.float32)}
        self._t = 0
        self._mastered = np.zeros(len(self.students))

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._seed(seed)
        self.agents = self.possible_agents[:]
        self._t = 0
        for student in self.students:
            student.reset(self.np_random)
        self._mastered = self._mastered_fractions()
        return {self.AGENT: self._observation()}, {self.AGENT: self._scores()}

    def step(self, actions: dict[str, Any]):
        self._check_running()
        if self.AGENT not in actions:
            raise InvalidActionError(f"actions must include an action for {self.AGENT!r}")
        try:
            task = self.lessons.to_task(actions[self.AGENT], self.np_random)
        except InvalidLessonError as error:
            raise InvalidActionError(f"{self.AGENT}: {error}") from None
        outcomes = np.array([student.learn(task, speed).outcome for student, speed in zip(self.students, self.speeds)])
        before = self._mastered
        self._mastered = self._mastered_fractions()
        reward = (1.0 - self.fairness_weight) * (self._mastered.mean() - before.mean()) \
            + self.fairness_weight * (self._mastered.min() - before.min())
        self._t += 1
        ended = self._t >= self.n_steps
        info = {"task": task, "outcomes": outcomes, **self._scores()}
        observations = {self.AGENT: self._observation()}
        self.agents = [] if ended else self.agents
        return (observations, {self.AGENT: float(reward)}, {self.AGENT: False}, {self.AGENT: ended},
                {self.AGENT: info})

    def _mastered_fractions(self) -> np.ndarray:
        return np.array([student.mastered_fraction for student in self.students])

    def _scores(self) -> dict[str, Any]:
        scores = 100.0 * self._mastered
        return {"scores": scores.copy(), "mean_score": float(scores.mean()), "worst_score": float(scores.min())}

    def _observation(self) -> np.ndarray:
        obs = np.empty(sum(self._sizes) + 1, dtype=np.float32)
        obs[:-1] = np.concatenate([student.competence01 for student in self.students])
        obs[-1] = self._t / self.n_steps
        return obs


def parallel_env(**kwargs) -> ClassroomEnv:
    """The classroom as a PettingZoo ``ParallelEnv`` (see :class:`ClassroomEnv` for the arguments)."""
    return ClassroomEnv(**kwargs)


def env(**kwargs):
    """The classroom as a PettingZoo ``AECEnv`` (``parallel_to_aec`` of :func:`parallel_env`)."""
    return aec_from_parallel(parallel_env(**kwargs))
