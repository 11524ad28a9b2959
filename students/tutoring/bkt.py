"""Multi-skill Bayesian knowledge tracing over a prerequisite graph, with forgetting.

Each skill ``k`` is a hidden binary state ``L_k`` (mastered or not), as in BKT
(Corbett & Anderson, 1995). Practising skill ``k`` is one exercise::

    P(correct) = 1 - slip_k   if L_k else   guess_k
    not mastered -> mastered  with prob  learn_k * (1 if every prerequisite of k is mastered else blocked_factor)

so a skill is hard to learn until its prerequisites are (the prerequisite
transfer of PSI-KT, Zhou et al., 2024, reduced to a gate). Every practice is
one time step; during it each *other* mastered skill ``j`` is forgotten with
probability::

    forget_j / (1 + consolidation * r_j)

where ``r_j`` counts the practices of ``j`` since it was last mastered, so
reviewing a mastered skill makes it last (BKT with forgetting, and PSI-KT's
practice-dependent retention, in simple form).

Population (per student and skill; Beta distributions with mean ``m`` and
concentration ``kappa``, i.e. ``Beta(m kappa, (1 - m) kappa)``): prior mastery
0.05, learn 0.2, guess 0.2, slip 0.1, forget 0.01, ``kappa = 20``; a
per-student learning speed ``exp(N(0, 0.5))`` multiplies every learn rate
(capped at 1). The means sit inside the ranges reported for fitted BKT models
(guess <= 0.3, slip <= 0.1-0.3, learn 0.05-0.3; Corbett & Anderson, 1995;
Baker et al., 2008); the spreads are this module's choice.

With ``population="train"`` / ``"held_out"`` each student first draws its
learning speed in [0.5, 2) and a multiplier of its forgetting rates in [0.5, 2)
(log-uniform, interleaved bands: :data:`BKT_POPULATION`; train and held-out
students never share a value), then its skills as above, with the speed in
place of ``exp(N(0, speed_std))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.populations import Interleaved, check_population
from teachgym.students.tutoring import lesson_id
from teachgym.validation import ConfigError, check_float, check_int

POPULATION_MEANS = {"init": 0.05, "learn": 0.2, "guess": 0.2, "slip": 0.1, "forget": 0.01}
#: per-student parameters of the train / held-out populations, drawn in this order
BKT_POPULATION = {"speed": Interleaved(0.5, 2.0, log=True), "forget_scale": Interleaved(0.5, 2.0, log=True)}


def layered_prerequisites(n_skills: int, n_layers: int, max_parents: int, rng: np.random.Generator) -> list[list[int]]:
    """A random layered prerequisite DAG; skills are numbered in topological order.

    The skills are split into ``n_layers`` consecutive layers of (near) equal
    size; each skill outside the first layer requires 1 to ``max_parents``
    skills of the previous layer.
    """
    n_skills = check_int("n_skills", n_skills, low=1, high=10_000)
    n_layers = check_int("n_layers", n_layers, low=1, high=n_skills)
    max_parents = check_int("max_parents", max_parents, low=1)
    layers = np.array_split(np.arange(n_skills), n_layers)
    prerequisites: list[list[int]] = [[] for _ in range(n_skills)]
    for previous, layer in zip(layers, layers[1:]):
        for skill in layer:
            n_parents = int(rng.integers(1, min(max_parents, previous.size) + 1))
            prerequisites[int(skill)] = sorted(int(p) for p in rng.choice(previous, n_parents, replace=False))
    return prerequisites


def check_prerequisites(prerequisites: Sequence[Sequence[int]]) -> list[list[int]]:
    """Validate a prerequisite list: skill ``k``'s prerequisites must be skills ``< k`` (a DAG in topological order)."""
    if not isinstance(prerequisites, (list, tuple)):
        raise ConfigError(f"prerequisites must be a list of lists of skill ids, got {type(prerequisites).__name__}")
    out = []
    for k, parents in enumerate(prerequisites):
        if not isinstance(parents, (list, tuple)):
            raise ConfigError(f"prerequisites[{k}] must be a list of skill ids, got {parents!r}")
        parents = [check_int(f"prerequisites[{k}]", p, low=0) for p in parents]
        if any(p >= k for p in parents):
            raise ConfigError(f"prerequisites[{k}] must only name skills numbered below {k} (topological order), "
                              f"got {parents}")
        out.append(sorted(set(parents)))
    if not out:
        raise ConfigError("prerequisites must describe at least one skill")
    return out


class PrerequisiteBKTStudent(Student):
    """BKT learner over a prerequisite graph (see the module docstring).

    Args:
        prerequisites: ``prerequisites[k]`` lists the skills ``k`` requires (all ``< k``).
        student_seed: None draws a new student at every reset; an int fixes the student.
        means: population means (keys of ``POPULATION_MEANS``), overriding the defaults.
        concentration: Beta concentration ``kappa`` of the per-skill draws.
        speed_std: std of the student's log learning speed.
        blocked_factor: learn-rate multiplier while a prerequisite is not mastered.
        consolidation: how much each practice of a mastered skill slows its forgetting.
        population: None (the distribution above), or ``"train"`` / ``"held_out"``
            (the student's speed and forgetting from that part, see the module docstring).
    """

    def __init__(self, prerequisites: Sequence[Sequence[int]], student_seed: int | None = None,
                 means: dict[str, float] | None = None, concentration: float = 20.0, speed_std: float = 0.5,
                 blocked_factor: float = 0.1, consolidation: float = 1.0, population: str | None = None):
        self.prerequisites = check_prerequisites(prerequisites)
        self.population = check_population(population)
        self.n_skills = len(self.prerequisites)
        self.student_seed = None if student_seed is None else check_int("student_seed", student_seed, low=0)
        self.means = dict(POPULATION_MEANS)
        for key, value in (means or {}).items():
            if key not in POPULATION_MEANS:
                raise ConfigError(f"means keys must be among {sorted(POPULATION_MEANS)}, got {key!r}")
            self.means[key] = check_float(f"means[{key!r}]", value, low=0.0, high=1.0, low_open=True, high_open=True)
        self.concentration = check_float("concentration", concentration, low=0.0, low_open=True)
        self.speed_std = check_float("speed_std", speed_std, low=0.0, high=5.0)
        self.blocked_factor = check_float("blocked_factor", blocked_factor, low=0.0, high=1.0)
        self.consolidation = check_float("consolidation", consolidation, low=0.0)
        self._parents = [np.asarray(p, dtype=np.int64) for p in self.prerequisites]
        self.reset(np.random.default_rng(0))

    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        param_rng = rng if self.student_seed is None else np.random.default_rng(self.student_seed)
        kappa = self.concentration
        own = None if self.population is None else {k: b.draw(param_rng, self.population)
                                                     for k, b in BKT_POPULATION.items()}
        self.params = {key: param_rng.beta(m * kappa, (1.0 - m) * kappa, self.n_skills)
                       for key, m in self.means.items()}
        speed = float(np.exp(param_rng.normal(0.0, self.speed_std))) if own is None else own["speed"]
        self.params["learn"] = np.minimum(1.0, self.params["learn"] * speed)
        if own is not None:
            self.params["forget"] = np.minimum(1.0, self.params["forget"] * own["forget_scale"])
            self.params["own"] = np.array([own["speed"], own["forget_scale"]])  # the student's population draw
        self.mastered = param_rng.random(self.n_skills) < self.params["init"]
        self.reviews_since_mastery = np.zeros(self.n_skills, dtype=np.int64)
        self.step = 0
        self.attempts = np.zeros(self.n_skills, dtype=np.int64)
        self.correct = np.zeros(self.n_skills, dtype=np.int64)
        self.last_practice = np.full(self.n_skills, np.nan)  # step of the last practice; NaN: not yet

    def skill_of(self, lesson: Any) -> int:
        """The skill id in ``lesson`` (an int or a size-1 array such as a task ``[k]``)."""
        return lesson_id(lesson, self.n_skills, "skill")

    def ready(self, skill: int) -> bool:
        """Whether every prerequisite of ``skill`` is mastered now."""
        return bool(self.mastered[self._parents[skill]].all())

    def correct_probabilities(self) -> np.ndarray:
        """P(correct answer) on each skill now."""
        return np.where(self.mastered, 1.0 - self.params["slip"], self.params["guess"])

    def forget_rates(self) -> np.ndarray:
        """Per-step forgetting probability of each skill if mastered."""
        return self.params["forget"] / (1.0 + self.consolidation * self.reviews_since_mastery)

    def learn(self, lesson: Any, budget: int = 1) -> LearnReport:
        """Practise skill ``lesson`` for ``budget`` exercises (time steps); outcome = fraction correct."""
        skill = self.skill_of(lesson)
        budget = check_int("budget", budget, low=1)
        n_correct = 0
        for _ in range(budget):
            correct = bool(self._rng.random() < self.correct_probabilities()[skill])
            n_correct += correct
            self.attempts[skill] += 1
            self.correct[skill] += correct
            self.last_practice[skill] = self.step
            if self.mastered[skill]:
                self.reviews_since_mastery[skill] += 1
            else:
                rate = self.params["learn"][skill] * (1.0 if self.ready(skill) else self.blocked_factor)
                if self._rng.random() < rate:
                    self.mastered[skill] = True
                    self.reviews_since_mastery[skill] = 0
            self._forget(exclude=skill)
            self.step += 1
        return LearnReport(outcome=n_correct / budget, work=budget)

    def _forget(self, exclude: int | None) -> None:
        draws = self._rng.random(self.n_skills)
        lost = self.mastered & (draws < self.forget_rates())
        if exclude is not None:
            lost[exclude] = False
        self.mastered &= ~lost
        self.reviews_since_mastery[lost] = 0

    def advance(self, steps: int) -> None:
        """Let ``steps`` time steps pass without practice (each may forget mastered skills)."""
        for _ in range(check_int("steps", steps, low=0)):
            self._forget(exclude=None)
            self.step += 1

    def expected_retention(self, steps: int) -> float:
        """Expected fraction of skills still mastered after ``steps`` idle steps (no sampling)."""
        steps = check_int("steps", steps, low=0)
        return float(np.mean(self.mastered * (1.0 - self.forget_rates()) ** steps))

    @property
    def mastered_fraction(self) -> float:
        return float(self.mastered.mean())

    def evaluate(self, probes: Any = None) -> np.ndarray:
        """P(correct) on the skills ``probes`` (all skills if None)."""
        p = self.correct_probabilities()
        return p if probes is None else p[np.asarray(probes, dtype=np.int64)]

    def state_dict(self) -> dict[str, Any]:
        return {
            "params": {k: v.copy() for k, v in self.params.items()},
            "mastered": self.mastered.copy(),
            "reviews_since_mastery": self.reviews_since_mastery.copy(),
            "step": self.step,
            "attempts": self.attempts.copy(),
            "correct": self.correct.copy(),
            "last_practice": self.last_practice.copy(),
            "rng": self._rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.params = {k: np.array(v, copy=True) for k, v in state["params"].items()}
        self.mastered = np.array(state["mastered"], dtype=bool)
        self.reviews_since_mastery = np.array(state["reviews_since_mastery"], dtype=np.int64)
        self.step = int(state["step"])
        self.attempts = np.array(state["attempts"], dtype=np.int64)
        self.correct = np.array(state["correct"], dtype=np.int64)
        self.last_practice = np.array(state["last_practice"], dtype=np.float64)
        self._rng.bit_generator.state = state["rng"]
