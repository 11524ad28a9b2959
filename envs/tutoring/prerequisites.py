"""PrerequisiteTutor: choose which skill a BKT learner practises, over a prerequisite graph."""

from __future__ import annotations

import numpy as np

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.envs.tutoring.tutor_log import time_since, tutor_log_space, write_log
from teachgym.lessons import DiscreteLessons
from teachgym.students.tutoring.bkt import PrerequisiteBKTStudent, check_prerequisites, layered_prerequisites
from teachgym.validation import check_bool, check_int, check_mapping


class PrerequisiteTutorEnv(TeacherEnv):
    """Teach a knowledge-tracing learner a course of skills with prerequisites.

    ## Description

    The course is a prerequisite graph of ``n_skills`` skills (by default a
    random layered DAG fixed by ``graph_seed``: ``n_layers`` layers, each skill
    requiring 1 to ``max_parents`` skills of the layer before). The student is a
    multi-skill BKT learner (:class:`teachgym.students.tutoring.bkt.PrerequisiteBKTStudent`):
    each skill is mastered or not; an exercise on a skill is answered correctly
    with probability ``1 - slip`` (mastered) or ``guess`` (not), and teaches it
    with probability ``learn``, ten times lower while a prerequisite is not
    mastered; mastered skills are forgotten over time unless reviewed. Every
    reset draws a new student (per-skill guess/slip/learn/forget and a learning
    speed) unless ``student_seed`` fixes one. ``population="train"`` or
    ``"held_out"`` draws each student's learning speed and forgetting multiplier
    from two disjoint parts of a wider population
    (:data:`teachgym.students.tutoring.bkt.BKT_POPULATION`), so a tutor trained on
    ``"train"`` students can be tested on ``"held_out"`` ones; ``None`` (default)
    is the distribution above.

    ## Action Space

    ``Discrete(n_skills)``: the skill of the next exercise (skills are numbered in
    topological order). Anything else raises :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, n_steps, (3 n_skills + 1,), float32)`` (``4 n_skills + 1`` with ``oracle=True``):

    | index                  | observation                                          |
    |------------------------|------------------------------------------------------|
    | 0 .. n-1               | exercises on each skill so far                        |
    | n .. 2n-1              | correct answers on each skill                         |
    | 2n .. 3n-1             | steps since each skill's last exercise (since start)  |
    | 3n .. 4n-1 (oracle)    | the student's true P(correct) on each skill           |
    | last                   | fraction of the budget used                           |

    The reset ``info`` also holds ``tutor_log`` (this layout), ``prerequisites``
    (the graph, public course knowledge) and ``bkt_population`` (the
    population's mean guess/slip/learn/forget, what a tutor fitted on past
    students would know).

    ## Rewards

    The change in the fraction of skills mastered (can be negative when a skill
    is forgotten); the return is the final mastered fraction minus the initial one.

    ## Starting State

    Each skill is mastered with its prior probability (mean 0.05); nothing logged.

    ## Episode End

    Never terminates; truncated after ``n_steps`` exercises. ``info["score"]`` is
    the expected percentage of skills still mastered ``retention_steps`` idle steps
    after now (the end-of-course mastery that is *retained*); alongside it,
    ``info["expected_retention"]`` gives the same in [0, 1] and
    ``info["mastered_fraction"]`` the fraction mastered now.
    ``info["outcome"]`` is 1.0 for a correct answer, else 0.0.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/PrerequisiteTutor-BKT-v1", n_skills=12, n_layers=4, max_parents=2,
                   graph_seed=0, n_steps=100, retention_steps=100, oracle=False, student_seed=None,
                   population=None)
    ```

    ``prerequisites=[[], [0], [0, 1], ...]`` gives the graph explicitly;
    ``student_kwargs`` pass population settings to the student.
    ``gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` steps N
    students as one numpy batch (:mod:`teachgym.envs.tutoring.prerequisites_vector`;
    sub-env ``i`` equals this env seeded ``seed + i``).

    ## Version History

    * v1: ``info["score"]`` in percent (100 x the v0 score); the [0, 1] value is
      ``info["expected_retention"]``. Teaching dynamics and rewards are unchanged.
    * v0: initial version.
    """

    published_info = ("tutor_log", "prerequisites", "bkt_population", "mastered_fraction",
                      "expected_retention")

    def __init__(self, n_skills: int = 12, n_layers: int = 4, max_parents: int = 2, graph_seed: int = 0,
                 prerequisites: list[list[int]] | None = None, n_steps: int = 100, retention_steps: int = 100,
                 oracle: bool = False, student_seed: int | None = None, student_kwargs: dict | None = None,
                 score_every: int | None = None, population: str | None = None):
        if prerequisites is None:
            graph_rng = np.random.default_rng(check_int("graph_seed", graph_seed, low=0))
            prerequisites = layered_prerequisites(n_skills, n_layers, max_parents, graph_rng)
        self.prerequisites = check_prerequisites(prerequisites)
        self.n_skills = len(self.prerequisites)
        self.retention_steps = check_int("retention_steps", retention_steps, low=0)
        self.oracle = check_bool("oracle", oracle)
        self.student = PrerequisiteBKTStudent(self.prerequisites, student_seed=student_seed, population=population,
                                              **check_mapping("student_kwargs", student_kwargs))
        self.population = self.student.population
        super().__init__(DiscreteLessons(self.n_skills, names=("skill",)), n_steps=n_steps, score_every=score_every)
        self.observation_space = tutor_log_space(self.n_skills, self.oracle, float(self.n_steps), float(self.n_steps))

    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)

    def _reset_info(self) -> dict:
        return {keys.TUTOR_LOG.name: keys.TutorLog.describe(self.n_skills, self.oracle, 1.0, "step"),
                keys.PREREQUISITES.name: [list(p) for p in self.prerequisites],
                keys.BKT_POPULATION.name: {**self.student.means, "blocked_factor": self.student.blocked_factor}}

    def _score_info(self) -> dict:
        return {keys.MASTERED_FRACTION.name: self.student.mastered_fraction,
                keys.EXPECTED_RETENTION.name: self.student.expected_retention(self.retention_steps)}

    def _teach(self, task: np.ndarray) -> Taught:
        before = self.student.mastered_fraction
        outcome = self.student.learn(task).outcome
        return Taught(outcome, self.student.mastered_fraction - before)

    def _observation(self) -> np.ndarray:
        s = self.student
        return write_log(self.observation_space, s.attempts, s.correct, time_since(s.step, s.last_practice),
                         s.correct_probabilities() if self.oracle else None, self._t / self.n_steps)

    def score(self) -> float:
        return 100.0 * self.student.expected_retention(self.retention_steps)

    def easy_to_hard(self) -> dict:
        return {"order": list(range(self.n_skills))}  # the topological order of the course
