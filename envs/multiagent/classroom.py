"""Classroom: one lesson per step, broadcast to a group of different students, or one-to-one tutors sharing the budget."""

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

    With ``mode="tutors"`` the same lesson budget is shared by one-to-one
    tutors instead: tutor ``i`` teaches only student ``i``, and the ``n_steps``
    lessons go to the tutors in turn (step ``t`` belongs to tutor ``t mod N``),
    so every lesson can fit its student but reaches only one.

    ## Agents

    ``mode="broadcast"`` (default): ``teacher_0`` (a single teacher, still a
    ParallelEnv so that multi-agent code and the registry treat it like the
    others). ``mode="tutors"``: ``tutor_0`` ... ``tutor_{N-1}``, one per student;
    all stay live until the budget is spent, and a tutor's action in a step
    that is not its turn is ignored (the documented no-op; it must still be
    sent and valid).

    ## Action Spaces

    ``lesson_mode="regions"`` (default): ``Discrete(arms_per_dim ** 2)``; arm ``k``
    is a square region of the task space (row-major) and the task is drawn
    uniformly in it. ``lesson_mode="box"``: ``Box(0, 1, (2,), float32)``, the task.
    Invalid actions raise :class:`teachgym.envs.multiagent.base.InvalidActionError`
    (a :class:`teachgym.InvalidLessonError`) naming the field and range.

    ## Observation Spaces

    ``Box(0, 1, (sum of the students' cell counts + 1,), float32)``: every
    student's competence per cell / its maximum (student after student,
    row-major), then the fraction of steps used. A tutor sees its own student
    only: ``Box(0, 1, (its cell count + 2,), float32)``, its student's
    competences, the fraction of the shared budget used, and 1 if the next
    lesson is its own (else 0).

    ## Rewards

    With ``mean`` and ``worst`` the class's mean and lowest mastered fraction:
    ``(1 - fairness_weight) * change of mean + fairness_weight * change of worst``.
    The episode return is therefore the final weighted mix. A tutor gets the
    same mix with its own student's mastered fraction in place of the mean
    (``fairness_weight=1``: every tutor is rewarded for the class's worst).

    ## Episode End

    Truncated after ``n_steps`` lessons. Every info holds ``task``, ``outcomes``
    (each student's normalised competence on the task after the lesson; with
    tutors, ``outcome``, the taught student's, and ``tutor``, the index of the
    tutor whose lesson it was),
    ``scores`` (each student's mastered cells, 0-100), ``mean_score`` and
    ``worst_score`` (0-100); the reset info holds the scores too.

    ## Arguments

    ```python
    from teachgym.envs.multiagent import classroom
    env = classroom.parallel_env(students=[{"episodes_per_lesson": 3}, {"episodes_per_lesson": 1,
                                 "unlock_threshold": 14}], n_cells=5, max_competence=20, n_steps=300,
                                 lesson_mode="regions", arms_per_dim=5, fairness_weight=0.0, mode="broadcast")
    tutors = classroom.parallel_env(mode="tutors", n_steps=1200)  # 300 lessons per student of 4
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
                 arms_per_dim: int = 5, fairness_weight: float = 0.0, mode: str = "broadcast"):
        super().__init__()
        self.mode = check_choice("mode", mode, ("broadcast", "tutors"))
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
        if self.mode == "tutors":
            self.possible_agents = [f"tutor_{i}" for i in range(len(self.students))]
            self.observation_spaces = {agent: spaces.Box(0.0, 1.0, (size + 2,), dtype=np.float32)
                                       for agent, size in zip(self.possible_agents, self._sizes)}
        else:
            self.possible_agents = [self.AGENT]
            self.observation_spaces = {self.AGENT: spaces.Box(0.0, 1.0, (sum(self._sizes) + 1,), dtype=np.float32)}
        self.action_spaces = {agent: self.lessons.action_space for agent in self.possible_agents}
        self._t = 0
        self._mastered = np.zeros(len(self.students))

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._seed(seed)
        self.agents = self.possible_agents[:]
        self._t = 0
        for student in self.students:
            student.reset(self.np_random)
        self._mastered = self._mastered_fractions()
        return self._observations(), {agent: self._scores() for agent in self.agents}

    def step(self, actions: dict[str, Any]):
        self._check_running()
        missing = [agent for agent in self.agents if agent not in actions]
        if missing:
            raise InvalidActionError(f"actions must include an action for {missing[0]!r}")
        tasks = {}
        for agent in self.agents:  # every action is checked, the turn's is used
            try:
                tasks[agent] = self.lessons.to_task(actions[agent], self.np_random)
            except InvalidLessonError as error:
                raise InvalidActionError(f"{agent}: {error}") from None
        turn = self._t % len(self.students) if self.mode == "tutors" else None
        task = tasks[self.agents[0] if turn is None else self.possible_agents[turn]]
        taught = range(len(self.students)) if turn is None else [turn]
        outcomes = np.array([self.students[i].learn(task, self.speeds[i]).outcome for i in taught])
        before = self._mastered
        self._mastered = self._mastered_fractions()
        gains = self._mastered - before
        own = [gains.mean()] if turn is None else gains
        worst = self._mastered.min() - before.min()
        rewards = {agent: float((1.0 - self.fairness_weight) * own[i] + self.fairness_weight * worst)
                   for i, agent in enumerate(self.agents)}
        self._t += 1
        ended = self._t >= self.n_steps
        per_student = {"outcomes": outcomes} if turn is None else {"outcome": float(outcomes[0]), "tutor": turn}
        info = {"task": task, **per_student, **self._scores()}
        observations = self._observations()
        agents, self.agents = self.agents, ([] if ended else self.agents)
        return (observations, rewards, dict.fromkeys(agents, False), dict.fromkeys(agents, ended),
                {agent: {**info, "scores": info["scores"].copy()} for agent in agents})

    def _mastered_fractions(self) -> np.ndarray:
        return np.array([student.mastered_fraction for student in self.students])

    def _scores(self) -> dict[str, Any]:
        scores = 100.0 * self._mastered
        return {"scores": scores.copy(), "mean_score": float(scores.mean()), "worst_score": float(scores.min())}

    def _observations(self) -> dict[str, np.ndarray]:
        used = self._t / self.n_steps
        if self.mode == "broadcast":
            obs = np.empty(sum(self._sizes) + 1, dtype=np.float32)
            obs[:-1] = np.concatenate([student.competence01 for student in self.students])
            obs[-1] = used
            return {self.AGENT: obs}
        observations = {}
        for i, (agent, student) in enumerate(zip(self.possible_agents, self.students)):
            obs = np.empty(self._sizes[i] + 2, dtype=np.float32)
            obs[:-2] = student.competence01
            obs[-2:] = used, float(self._t < self.n_steps and self._t % len(self.students) == i)
            observations[agent] = obs
        return observations


def parallel_env(**kwargs) -> ClassroomEnv:
    """The classroom as a PettingZoo ``ParallelEnv`` (see :class:`ClassroomEnv` for the arguments)."""
    return ClassroomEnv(**kwargs)


def env(**kwargs):
    """The classroom as a PettingZoo ``AECEnv`` (``parallel_to_aec`` of :func:`parallel_env`)."""
    return aec_from_parallel(parallel_env(**kwargs))
