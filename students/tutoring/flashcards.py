"""What every flashcard memory model shares: clock, review log, outcome draws, checkpoints.

A flashcard student holds ``n_items`` items in memory. Time is a clock in
seconds that only the caller moves (:meth:`FlashcardStudent.advance`, or the
``study_time`` of a review); a review (:meth:`FlashcardStudent.learn`) starts at
the current time: the student answers correctly with its current recall
probability of the item, then studies the answer for ``study_time`` seconds (0
by default), and the item's memory is refreshed at the end of that study, where
the review is logged. Recall probabilities are a pure
function of the memory state and the clock, and every model keeps them in
``[0, 1]`` by construction: the clock never runs backwards, and each item's
last exposure is never later than the clock.

Before the session each item was *introduced* (seen once, not logged as a
review) ``exp(N(intro_log_mean, intro_log_std))`` seconds before time 0. Reddy
et al.'s code drew these times as ``+exp(N(0, 1))``, i.e. *after* the session's
start, so ``now - t_last`` was negative and recall probabilities exceeded 1 in
the first steps; here the draw is negated, as in later re-implementations of
that setup (which use ``exp(N(4.5, 0.5))`` seconds, the default here).

The *review log* (``attempts``, ``correct``, ``last_review``) is what a tutor
could record; everything else (item parameters, introduction times, memory
strengths) is hidden.

``population="train"`` / ``"held_out"`` draws each student's own parameters
(an ability offset, how spread its items' difficulties are, how much a review
strengthens memory; each model names its own) from disjoint interleaved bands
(:mod:`teachgym.students.populations`) before the items' parameters, so a tutor
trained on one part can be tested on students it has never met.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.populations import check_population
from teachgym.students.tutoring import lesson_id
from teachgym.validation import check_float, check_int


class FlashcardStudent(Student, abc.ABC):
    """Base class of the flashcard memory models (see the module docstring).

    Args:
        n_items: items in the deck.
        student_seed: None draws a new student from the population at every
            ``reset`` (from the reset's RNG); an int makes every reset the same
            student (parameters drawn from ``default_rng(student_seed)``), with
            outcomes still drawn from the reset's RNG.
        intro_log_mean, intro_log_std: log-normal distribution of how long
            before the session (seconds) each item was introduced.
        population: None (every student from the model's own distribution), or
            ``"train"`` / ``"held_out"``: the student's parameters from that part of
            the model's population (see the module docstring).
    """

    #: names of the per-item memory arrays a subclass updates (saved by :meth:`state_dict`)
    MEMORY: ClassVar[tuple[str, ...]] = ()

    def __init__(self, n_items: int = 30, student_seed: int | None = None, intro_log_mean: float = 4.5,
                 intro_log_std: float = 0.5, population: str | None = None):
        self.n_items = check_int("n_items", n_items, low=1, high=100_000)
        self.population = check_population(population)
        self.student_seed = None if student_seed is None else check_int("student_seed", student_seed, low=0)
        self.intro_log_mean = check_float("intro_log_mean", intro_log_mean, low=-20.0, high=20.0)
        self.intro_log_std = check_float("intro_log_std", intro_log_std, low=0.0, high=5.0)
        self.reset(np.random.default_rng(0))

    # -- model hooks -------------------------------------------------------------
    @abc.abstractmethod
    def _draw_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One student's hidden parameters, drawn from the population."""

    @abc.abstractmethod
    def _start_memory(self, intro_times: np.ndarray) -> None:
        """Initial memory: item ``i`` was seen once at time ``intro_times[i] <= 0``."""

    @abc.abstractmethod
    def _recall(self) -> np.ndarray:
        """Recall probability of every item at ``self.now`` (float64, in [0, 1])."""

    @abc.abstractmethod
    def _remember(self, item: int, correct: bool) -> None:
        """Update ``item``'s memory after a review at ``self.now`` (the log is already updated)."""

    # -- Student API -------------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        param_rng = rng if self.student_seed is None else np.random.default_rng(self.student_seed)
        self.params = self._draw_params(param_rng)
        intro_times = -np.exp(param_rng.normal(self.intro_log_mean, self.intro_log_std, self.n_items))
        self.now = 0.0
        self.attempts = np.zeros(self.n_items, dtype=np.int64)
        self.correct = np.zeros(self.n_items, dtype=np.int64)
        self.last_review = np.full(self.n_items, np.nan)  # session time of the last review; NaN: not yet
        self._start_memory(intro_times)

    def item_of(self, lesson: Any) -> int:
        """The item id in ``lesson`` (an int or a size-1 array such as a task ``[k]``)."""
        return lesson_id(lesson, self.n_items, "item")

    def learn(self, lesson: Any, budget: int = 1, study_time: float = 0.0) -> LearnReport:
        """Review item ``lesson`` ``budget`` times in a row from now; outcome = fraction recalled.

        Each review: answer with the recall probability now, then ``study_time``
        seconds pass (the clock moves) and the memory refresh is dated at their end.
        """
        item = self.item_of(lesson)
        budget = check_int("budget", budget, low=1)
        study_time = check_float("study_time", study_time, low=0.0)
        recalled = 0
        recall_before = float(self._recall()[item])
        for _ in range(budget):
            correct = bool(self._rng.random() < self._recall()[item])
            recalled += correct
            self.now += study_time
            self.attempts[item] += 1
            self.correct[item] += correct
            self.last_review[item] = self.now
            self._remember(item, correct)
        return LearnReport(outcome=recalled / budget, work=budget, extras={"recall_before": recall_before})

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` (>= 0) pass without reviews."""
        self.now += check_float("seconds", seconds, low=0.0)

    def evaluate(self, probes: Any = None) -> np.ndarray:
        """Recall probabilities now of the items ``probes`` (all items if None)."""
        recall = self._recall()
        return recall.copy() if probes is None else recall[np.asarray(probes, dtype=np.int64)]

    def recall_probabilities(self, after: float = 0.0) -> np.ndarray:
        """Recall probability of every item now, or ``after`` seconds from now if nothing is reviewed meanwhile."""
        if after == 0.0:
            return self._recall()
        now, self.now = self.now, self.now + check_float("after", after, low=0.0)
        try:
            return self._recall()
        finally:
            self.now = now

    # -- checkpointing -----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "params": {k: v.copy() for k, v in self.params.items()},
            "memory": {name: np.array(getattr(self, name), copy=True) for name in self.MEMORY},
            "now": self.now,
            "attempts": self.attempts.copy(),
            "correct": self.correct.copy(),
            "last_review": self.last_review.copy(),
            "rng": self._rng.bit_generator.state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.params = {k: np.array(v, copy=True) for k, v in state["params"].items()}
        for name in self.MEMORY:
            setattr(self, name, np.array(state["memory"][name], copy=True))
        self.now = float(state["now"])
        self.attempts = np.array(state["attempts"], dtype=np.int64)
        self.correct = np.array(state["correct"], dtype=np.int64)
        self.last_review = np.array(state["last_review"], dtype=np.float64)
        self._rng.bit_generator.state = state["rng"]
