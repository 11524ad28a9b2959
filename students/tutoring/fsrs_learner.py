"""A day-based learner whose memory follows FSRS-6, with a population of learners around its defaults.

FSRS (the Free Spaced Repetition Scheduler, Ye et al.) models each card's memory
by a stability ``S`` (days until recall drops to 90 %), a difficulty ``D`` in
[1, 10] and the retrievability ``R``. FSRS-6 forgets along a power curve whose
decay ``w20`` is a parameter::

    R(t, S) = (1 + F t / S) ** (-w20),   F = 0.9 ** (-1 / w20) - 1   (so R(S, S) = 0.9)

with ``t`` the whole days since the last review. A first view graded ``g``
(1 Again, 2 Hard, 3 Good, 4 Easy) sets ``S = w[g-1]`` and
``D = clamp(w4 - exp(w5 (g - 1)) + 1, 1, 10)``; a later review at retrievability
``R`` sets, with the old ``D``::

    recalled (g >= 2): S' = S (1 + e^w8 (11 - D) S^-w9 (e^(w10 (1 - R)) - 1) h b)
                       (h = w15 if Hard else 1, b = w16 if Easy else 1)
    forgot   (g = 1):  S' = min(w11 D^-w12 ((S + 1)^w13 - 1) e^(w14 (1 - R)),  S / e^(w17 w18))

then ``D' = clamp(w7 D0(Easy) + (1 - w7) (D + (10 - D) (-w6 (g - 3)) / 9), 1, 10)``
and ``S' >= 0.001``. These are the formulas of the ``fsrs`` package (6.x) for
reviews at least a day apart; ``tests/test_spaced_repetition.py`` checks them
against the package on random histories.

How a learner behaves (the part FSRS does not model): a card is recalled with
probability ``R``; a recalled card is graded Hard / Good / Easy with the
learner's ``review_rating_prob``, a forgotten one Again; a first view is graded
with ``first_rating_prob``. The defaults of both are those of the FSRS
simulator (srs-simulator / fsrs-optimizer): first view Again/Hard/Good/Easy
0.24/0.094/0.495/0.171, recalled Hard/Good/Easy 0.224/0.631/0.145.

Population: each learner's 21 parameters are the package's defaults (medians
over ~10k users' collections, as its authors describe them) times
``exp(N(0, spread))``, clipped to the package's parameter bounds; its rating
probabilities are Dirichlet draws around the defaults (concentration
``rating_concentration``). Named populations draw from disjoint seed streams:
learner ``k`` of ``"train"`` and learner ``k`` of ``"held_out"`` come from
``SeedSequence(k, spawn_key=(0,))`` and ``SeedSequence(k, spawn_key=(1,))``, so
no held-out learner is a training learner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.validation import ConfigError, check_choice, check_float, check_int

#: FSRS-6 default parameters w0..w20 (those of the ``fsrs`` package 6.x; a test compares them)
DEFAULT_PARAMETERS = (0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835,
                      0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542)
#: the package's bounds on each parameter
LOWER_BOUNDS = (0.001, 0.001, 0.001, 0.001, 1.0, 0.001, 0.001, 0.001, 0.0, 0.0, 0.001, 0.001, 0.001, 0.001, 0.0, 0.0,
                1.0, 0.0, 0.0, 0.0, 0.1)
UPPER_BOUNDS = (100.0, 100.0, 100.0, 100.0, 10.0, 4.0, 4.0, 0.75, 4.5, 0.8, 3.5, 5.0, 0.25, 0.9, 4.0, 1.0, 6.0, 2.0,
                2.0, 0.8, 0.8)
FIRST_RATING_PROB = (0.24, 0.094, 0.495, 0.171)  # Again, Hard, Good, Easy at a first view
REVIEW_RATING_PROB = (0.224, 0.631, 0.145)  # Hard, Good, Easy when recalled
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
STABILITY_MIN = 0.001
POPULATIONS = ("train", "held_out")


# -- the memory model: pure functions of the parameters w (any float sequence of 21) -------------------
def retrievability(w, elapsed_days, stability):
    """R after ``elapsed_days`` whole days at ``stability`` (the FSRS-6 power forgetting curve)."""
    decay = -w[20]
    factor = 0.9 ** (1.0 / decay) - 1.0
    return (1.0 + factor * np.asarray(elapsed_days, dtype=np.float64) / stability) ** decay


def initial_stability(w, rating):
    """Stability after a first view graded ``rating`` (1..4)."""
    return np.maximum(np.asarray(w, dtype=np.float64)[np.asarray(rating) - 1], STABILITY_MIN)


def initial_difficulty(w, rating, clamp: bool = True):
    """Difficulty after a first view graded ``rating``."""
    d = w[4] - np.exp(w[5] * (np.asarray(rating, dtype=np.float64) - 1.0)) + 1.0
    return np.clip(d, 1.0, 10.0) if clamp else d


def next_difficulty(w, difficulty, rating):
    """Difficulty after a review graded ``rating`` (linear damping, mean reversion to D0(Easy))."""
    delta = -w[6] * (np.asarray(rating, dtype=np.float64) - 3.0)
    damped = difficulty + (10.0 - difficulty) * delta / 9.0
    return np.clip(w[7] * initial_difficulty(w, EASY, clamp=False) + (1.0 - w[7]) * damped, 1.0, 10.0)


def next_stability(w, difficulty, stability, r, rating):
    """Stability after a review graded ``rating`` at retrievability ``r`` (``difficulty`` before the review)."""
    rating = np.asarray(rating)
    hard = np.where(rating == HARD, w[15], 1.0)
    easy = np.where(rating == EASY, w[16], 1.0)
    recall = stability * (1.0 + np.exp(w[8]) * (11.0 - difficulty) * stability ** -w[9]
                          * (np.exp((1.0 - r) * w[10]) - 1.0) * hard * easy)
    long_term = w[11] * difficulty ** -w[12] * ((stability + 1.0) ** w[13] - 1.0) * np.exp((1.0 - r) * w[14])
    forget = np.minimum(long_term, stability / np.exp(w[17] * w[18]))
    return np.maximum(np.where(rating == AGAIN, forget, recall), STABILITY_MIN)


def next_interval(w, stability, desired_retention):
    """Whole days (>= 1) until R falls to ``desired_retention``, as the package schedules them."""
    decay = -w[20]
    factor = 0.9 ** (1.0 / decay) - 1.0
    days = stability / factor * (np.asarray(desired_retention, dtype=np.float64) ** (1.0 / decay) - 1.0)
    return np.maximum(np.round(days), 1.0)


# -- learners and populations ------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnerParams:
    """One learner: FSRS parameters ``w`` and how it grades (``first_rating_prob``, ``review_rating_prob``)."""

    w: np.ndarray
    first_rating_prob: np.ndarray
    review_rating_prob: np.ndarray

    @classmethod
    def default(cls) -> LearnerParams:
        return cls(np.array(DEFAULT_PARAMETERS), np.array(FIRST_RATING_PROB), np.array(REVIEW_RATING_PROB))


def draw_learner(population: str, learner_seed: int, spread: float = 0.25,
                 rating_concentration: float = 50.0) -> LearnerParams:
    """Learner ``learner_seed`` of ``population`` (see the module docstring)."""
    check_choice("population", population, POPULATIONS)
    rng = np.random.default_rng(np.random.SeedSequence(check_int("learner_seed", learner_seed, low=0),
                                                       spawn_key=(POPULATIONS.index(population),)))
    w = np.clip(np.array(DEFAULT_PARAMETERS) * np.exp(rng.normal(0.0, spread, len(DEFAULT_PARAMETERS))),
                LOWER_BOUNDS, UPPER_BOUNDS)
    first = rng.dirichlet(rating_concentration * np.array(FIRST_RATING_PROB))
    review = rng.dirichlet(rating_concentration * np.array(REVIEW_RATING_PROB))
    return LearnerParams(w, first, review)


class FSRSLearner(Student):
    """A deck of cards in one learner's memory, studied once a day at most (see the module docstring).

    The clock is a whole day number that only the caller moves. Cards are
    introduced (first view) and reviewed on a day; :meth:`retrievability` gives
    every card's recall probability on any later day (0 for unseen cards).

    Args:
        n_cards: cards in the deck.
        population: ``"train"`` or ``"held_out"``.
        student_seed: None draws a new learner at every ``reset`` (its seed from the reset's RNG); an int fixes
            learner ``student_seed`` of the population (answers are still drawn from the reset's RNG).
        spread: log-normal spread of the parameters around the defaults (0: every learner has the defaults).
        rating_concentration: Dirichlet concentration of the rating probabilities (larger: closer to the defaults).
    """

    def __init__(self, n_cards: int = 200, population: str = "train", student_seed: int | None = None,
                 spread: float = 0.25, rating_concentration: float = 50.0):
        self.n_cards = check_int("n_cards", n_cards, low=1, high=1_000_000)
        self.population = check_choice("population", population, POPULATIONS)
        self.student_seed = None if student_seed is None else check_int("student_seed", student_seed, low=0)
        self.spread = check_float("spread", spread, low=0.0, high=3.0)
        self.rating_concentration = check_float("rating_concentration", rating_concentration, low=0.0,
                                                low_open=True, high=1e9)
        self.reset(np.random.default_rng(0))

    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        seed = int(rng.integers(2**62)) if self.student_seed is None else self.student_seed
        self.learner_seed = seed
        self.params = draw_learner(self.population, seed, self.spread, self.rating_concentration)
        self.day = 0
        self.stability = np.full(self.n_cards, np.nan)  # NaN: not introduced
        self.difficulty = np.full(self.n_cards, np.nan)
        self.last_review = np.full(self.n_cards, -1, dtype=np.int64)

    @property
    def introduced(self) -> np.ndarray:
        return self.last_review >= 0

    def retrievability(self, day: int | None = None) -> np.ndarray:
        """Every card's recall probability on ``day`` (default: today); 0 for cards not introduced."""
        day = self.day if day is None else day
        seen = self.introduced
        r = np.zeros(self.n_cards)
        r[seen] = retrievability(self.params.w, day - self.last_review[seen], self.stability[seen])
        return r

    def answer(self, cards: np.ndarray) -> np.ndarray:
        """Ratings (1..4) the learner gives the ``cards`` today, without changing its memory.

        Introduced cards: recalled with probability R, then Hard/Good/Easy by ``review_rating_prob``;
        new cards: ``first_rating_prob``.
        """
        cards = np.asarray(cards, dtype=np.int64)
        p = self.params
        u, grade = self._rng.random(cards.size), self._rng.random(cards.size)
        seen = self.introduced[cards]
        r = np.zeros(cards.size)
        r[seen] = retrievability(p.w, self.day - self.last_review[cards[seen]], self.stability[cards[seen]])
        review = np.where(u < r, 2 + np.searchsorted(np.cumsum(p.review_rating_prob)[:-1], grade, side="right"),
                          AGAIN)
        first = 1 + np.searchsorted(np.cumsum(p.first_rating_prob)[:-1], grade, side="right")
        return np.where(seen, review, first).astype(np.int64)

    def remember(self, cards: np.ndarray, ratings: np.ndarray) -> None:
        """Update the memory of ``cards`` (distinct ids) after today's reviews graded ``ratings``."""
        cards, ratings = np.asarray(cards, dtype=np.int64), np.asarray(ratings, dtype=np.int64)
        w = self.params.w
        seen = self.introduced[cards]
        old, new = cards[seen], cards[~seen]
        if old.size:
            s, d = self.stability[old], self.difficulty[old]
            r = retrievability(w, self.day - self.last_review[old], s)
            self.stability[old] = next_stability(w, d, s, r, ratings[seen])
            self.difficulty[old] = next_difficulty(w, d, ratings[seen])
        if new.size:
            self.stability[new] = initial_stability(w, ratings[~seen])
            self.difficulty[new] = initial_difficulty(w, ratings[~seen])
        self.last_review[cards] = self.day

    def advance(self, days: int = 1) -> None:
        """Let ``days`` (>= 0) whole days pass."""
        self.day += check_int("days", days, low=0)

    # -- Student API -------------------------------------------------------------------------------
    def learn(self, lesson: Any, budget: int = 1) -> LearnReport:
        """Study the card ids in ``lesson`` today (each once, first views included); outcome = share recalled."""
        cards = np.unique(np.asarray(lesson, dtype=np.int64).reshape(-1))
        if cards.size and (cards[0] < 0 or cards[-1] >= self.n_cards):
            raise ConfigError(f"lesson must hold card ids in [0, {self.n_cards - 1}], got {lesson!r}")
        ratings = self.answer(cards)
        self.remember(cards, ratings)
        return LearnReport(outcome=float(np.mean(ratings > AGAIN)) if cards.size else 0.0, work=int(cards.size),
                           extras={"ratings": ratings})

    def evaluate(self, probes: Any = None) -> np.ndarray:
        """Recall probabilities today of the cards ``probes`` (all if None)."""
        r = self.retrievability()
        return r if probes is None else r[np.asarray(probes, dtype=np.int64)]

    def state_dict(self) -> dict[str, Any]:
        return {"learner_seed": self.learner_seed, "day": self.day, "stability": self.stability.copy(),
                "difficulty": self.difficulty.copy(), "last_review": self.last_review.copy(),
                "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.learner_seed = int(state["learner_seed"])
        self.params = draw_learner(self.population, self.learner_seed, self.spread, self.rating_concentration)
        self.day = int(state["day"])
        self.stability = np.array(state["stability"], dtype=np.float64)
        self.difficulty = np.array(state["difficulty"], dtype=np.float64)
        self.last_review = np.array(state["last_review"], dtype=np.int64)
        self._rng.bit_generator.state = state["rng"]
