"""Spaced repetition over months: schedule a deck's daily reviews for an FSRS-6 learner under a time budget."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import DiscreteLessons, InvalidLessonError
from teachgym.students.tutoring import fsrs_learner as fsrs
from teachgym.validation import ConfigError, check_choice, check_float, check_floats, check_int

#: seconds a first view takes, by its rating Again/Hard/Good/Easy (the FSRS simulator's defaults)
LEARN_COSTS = (33.79, 24.3, 13.68, 6.5)
#: seconds a review takes, by its rating: Again (a lapse), then Hard/Good/Easy (a recall)
REVIEW_COSTS = (23.0, 11.68, 7.33, 5.6)
RETENTION_LEVELS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
FIELDS = ("attempts", "correct", "since_review", "last_rating")


class CardMaskLessons:
    """The lesson of one day in ``"cards"`` mode: a 0/1 mask over the deck (1: review the card today)."""

    def __init__(self, n_cards: int):
        self.n_cards = n_cards
        self.action_space = spaces.MultiBinary(n_cards)

    def to_task(self, action: Any, rng: np.random.Generator | None = None) -> np.ndarray:
        try:
            mask = np.asarray(action, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise InvalidLessonError(f"action must be a 0/1 vector of length {self.n_cards}, got {action!r}") from None
        if mask.size != self.n_cards or not np.all((mask == 0) | (mask == 1)):
            raise InvalidLessonError(f"action must be a 0/1 vector of length {self.n_cards} (1: review the card "
                                     f"today), got shape {np.shape(action)}, values {np.unique(mask)[:5]}")
        return mask.astype(bool)

    def describe(self) -> dict:
        return {"kind": "card_mask", "n_cards": self.n_cards}


class RetentionLessons(DiscreteLessons):
    """The lesson of one day in ``"retention"`` mode: arm ``k`` is the desired retention ``levels[k]``."""

    def __init__(self, levels: tuple[float, ...]):
        super().__init__(len(levels), names=("retention_level",))
        self.levels = levels

    def describe(self) -> dict:
        return {**super().describe(), "kind": "retention_levels", "retention_levels": list(self.levels)}


class SpacedRepetitionEnv(TeacherEnv):
    """Schedule a learner's daily flashcard reviews for months, under a daily time budget.

    ## Description

    A learner studies a deck of ``deck_size`` cards, one teacher step per day,
    for ``n_steps`` days. Its memory follows FSRS-6 with its own parameters
    (:mod:`teachgym.students.tutoring.fsrs_learner`): every card has a stability,
    a difficulty and a retrievability ``R`` (its recall probability) that decays
    along FSRS-6's power curve. Each day, in this order:

    1. the cards the teacher chose (see Action Space) are reviewed, the longest
       unreviewed first: each is recalled with probability ``R`` and graded
       (Again if forgotten; Hard / Good / Easy by the learner's own rating
       probabilities), which updates its memory;
    2. up to ``new_per_day`` new cards are shown for the first time, in deck order;
    3. a review or first view starts only while the day's time used is below
       ``minutes_per_day`` (the last one may overrun it); the rest wait.

    The default budget, 10 minutes a day, is srs-simulator's 30 minutes scaled
    to a deck 3.65 times smaller than the 3,650 cards its learner meets in a
    year: the schedulers people use fit in it (4-6 minutes a day on average),
    a schedule that reviews too much does not. Time costs are the FSRS
    simulator's defaults (seconds): a first view
    ``learn_costs`` by its rating (33.79, 24.3, 13.68, 6.5 for Again..Easy); a
    review ``review_costs`` by its rating, a lapse (Again) 23.0, a recall
    11.68 / 7.33 / 5.6 (Hard / Good / Easy). Every reset draws a new learner
    from ``population`` (``"train"`` or ``"held_out"``, disjoint seed streams);
    ``student_seed`` fixes one.

    The tutoring family's other envs (``Flashcards-*``) follow Reddy et al.
    (2017): 30 items, one review per step, seconds apart, within one session.
    This env is the long-horizon, day-based counterpart on the footing of the
    spaced-repetition community's own simulators (srs-simulator, the FSRS
    optimizer's simulator): a memory model fitted to real review logs, a deck
    learned over months, and workload (minutes) as the cost of memory.

    ## Action Space

    - ``lesson_mode="cards"`` (default): ``MultiBinary(deck_size)``, 1 = review
      this card today. Cards not yet introduced are ignored. This is what the
      schedulers people use (FSRS, Anki's SM-2, Leitner boxes, fixed intervals)
      emit: "review the cards due today". SB3 (PPO, A2C) supports it.
    - ``lesson_mode="retention"``: ``Discrete(len(retention_levels))``: today's
      desired retention. The env reviews every introduced card whose
      retrievability, as predicted by FSRS-6 with the default parameters from
      its reviews so far (the scheduler's estimate, not the learner's true
      memory), is at or below that level, lowest first. A level held constant
      is the FSRS scheduler at that desired retention (without whole-day
      rounding of intervals). Bandits and SB3 both teach here.

    Anything else raises :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, high, (4 deck_size + 1,), float32)``, the tutor's log (no hidden
    parameters); the reset ``info["tutor_log"]`` publishes the layout
    (``time_unit="day"``, ``delay=1``):

    | index                 | observation                                                   |
    |-----------------------|---------------------------------------------------------------|
    | 0 .. n-1              | reviews of each card, its first view included                 |
    | n .. 2n-1             | reviews not graded Again                                      |
    | 2n .. 3n-1            | days since the card's last review (since day 0 if unseen)     |
    | 3n .. 4n-1            | the card's last rating (0 unseen, 1 Again .. 4 Easy)          |
    | last                  | fraction of the days elapsed                                  |

    ## Rewards

    The day's change in memorised cards (the sum of ``R`` over the deck, read
    at the start of each day) in percent of the deck, minus
    ``workload_penalty`` times the day's minutes of study. With the default
    penalty 0 the return is the final headline score.

    ## Starting State

    Day 0, no card seen, memorised cards 0.

    ## Episode End

    Truncated after ``n_steps`` days. The headline ``info["score"]`` (reset,
    every ``score_every`` days, last day) is memorised cards in percent of the
    deck, read the morning after the last study day. Beside it:
    ``memorised_cards`` (the sum of R), ``review_minutes`` (minutes studied so
    far) and ``memorised_per_minute`` (their ratio, the workload-aware
    efficiency of srs-simulator). Every step's ``info`` holds ``daily_minutes``
    and ``review_log`` (the day, the cards studied and their ratings 1..4, first
    views included, which a scheduler needs); ``outcome`` is the share of the
    day's reviews of introduced cards recalled (1.0 on a day without reviews).

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/SpacedRepetition-FSRS-v0", deck_size=1000, new_per_day=10, n_steps=365,
                   minutes_per_day=10.0, lesson_mode="cards", retention_levels=(0.7, 0.75, 0.8, 0.85, 0.9, 0.95),
                   population="train", student_seed=None, spread=0.25, workload_penalty=0.0)
    ```

    ``teachgym/SpacedRepetitionRetention-FSRS-v0`` is the same env with
    ``lesson_mode="retention"``. ``learn_costs`` / ``review_costs`` take four
    seconds each (Again..Easy); ``spread`` is the learners' log-normal
    parameter spread around the FSRS-6 defaults.

    ## Version History

    * v0: initial version.
    """

    published_info = ("tutor_log", "memorised_cards", "memorised_per_minute", "review_minutes", "daily_minutes",
                      "review_log")
    LESSON_MODES = ("cards", "retention")

    def __init__(self, deck_size: int = 1000, new_per_day: int = 10, n_steps: int = 365, minutes_per_day: float = 10.0,
                 lesson_mode: str = "cards", retention_levels: tuple[float, ...] = RETENTION_LEVELS,
                 population: str = "train", student_seed: int | None = None, spread: float = 0.25,
                 learn_costs: tuple[float, ...] = LEARN_COSTS, review_costs: tuple[float, ...] = REVIEW_COSTS,
                 workload_penalty: float = 0.0, score_every: int | None = None):
        self.deck_size = check_int("deck_size", deck_size, low=1, high=100_000)
        self.new_per_day = check_int("new_per_day", new_per_day, low=0, high=self.deck_size)
        self.minutes_per_day = check_float("minutes_per_day", minutes_per_day, low=0.0, low_open=True, high=1440.0)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, self.LESSON_MODES)
        self.workload_penalty = check_float("workload_penalty", workload_penalty, low=0.0, high=1e6)
        self.learn_costs = self._costs("learn_costs", learn_costs)
        self.review_costs = self._costs("review_costs", review_costs)
        levels = tuple(check_float(f"retention_levels[{i}]", r, low=0.0, low_open=True, high=1.0, high_open=True)
                       for i, r in enumerate(check_floats("retention_levels", retention_levels)))
        if not levels:
            raise ConfigError("retention_levels must hold at least one desired retention in (0, 1)")
        self.retention_levels = levels
        self.student = fsrs.FSRSLearner(self.deck_size, population=population, student_seed=student_seed,
                                        spread=spread)
        lessons = CardMaskLessons(self.deck_size) if self.lesson_mode == "cards" else RetentionLessons(levels)
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)
        n = self.deck_size
        high = np.concatenate([np.full(3 * n, float(self.n_steps)), np.full(n, 4.0), [1.0]]).astype(np.float32)
        self.observation_space = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
        self._default_w = np.array(fsrs.DEFAULT_PARAMETERS)

    @staticmethod
    def _costs(name: str, costs) -> np.ndarray:
        return np.array(check_floats(name, costs, length=4, low=0.0, high=3600.0))

    # -- hooks ---------------------------------------------------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)
        n = self.deck_size
        self._attempts = np.zeros(n, dtype=np.int64)
        self._correct = np.zeros(n, dtype=np.int64)
        self._last_rating = np.zeros(n, dtype=np.int64)
        self._estimate = np.full((2, n), np.nan)  # retention mode: the scheduler's (stability, difficulty)
        self._minutes = 0.0
        self._memorised = 0.0

    def _read_lesson(self, action: Any) -> Any:
        if self.lesson_mode == "cards":
            return self.lessons.to_task(action)
        return self.retention_levels[self.lessons.arm(action)]

    def _teach(self, lesson: Any) -> Taught:
        learner, day = self.student, self.student.day
        seen, previous = learner.introduced, learner.last_review.copy()
        if self.lesson_mode == "cards":
            chosen = np.flatnonzero(lesson & seen)
            order = chosen[np.argsort(learner.last_review[chosen], kind="stable")]
        else:
            predicted = self._predicted_retrievability(day)
            chosen = np.flatnonzero(seen & (predicted <= lesson))
            order = chosen[np.argsort(predicted[chosen], kind="stable")]
        budget, spent = 60.0 * self.minutes_per_day, 0.0
        reviewed, ratings, spent = self._study(order, self.review_costs, budget, spent)
        new = np.flatnonzero(~seen)[:self.new_per_day]
        first, first_ratings, spent = self._study(new, self.learn_costs, budget, spent)
        if self.lesson_mode == "retention":
            self._update_estimate(reviewed, ratings, first, first_ratings, day - previous[reviewed])
        cards, grades = np.concatenate([reviewed, first]), np.concatenate([ratings, first_ratings])
        self._attempts[cards] += 1
        self._correct[cards] += grades > fsrs.AGAIN
        self._last_rating[cards] = grades
        self._minutes += spent / 60.0
        learner.advance(1)
        before, self._memorised = self._memorised, float(learner.retrievability().sum())
        reward = 100.0 * (self._memorised - before) / self.deck_size - self.workload_penalty * spent / 60.0
        outcome = float(np.mean(ratings > fsrs.AGAIN)) if ratings.size else 1.0
        log = {"day": int(day), "cards": cards.tolist(), "ratings": grades.tolist()}
        if self.lesson_mode == "retention":
            task = np.array([lesson])
        else:
            task = np.zeros(self.deck_size)
            task[reviewed] = 1.0
        return Taught(outcome, reward, task=task,
                      info={keys.DAILY_MINUTES.name: spent / 60.0, keys.REVIEW_LOG.name: log})

    def _study(self, cards: np.ndarray, costs: np.ndarray, budget: float, spent: float):
        """Study ``cards`` in order while the day's time used is below ``budget``; returns (cards, ratings, spent)."""
        if cards.size == 0 or spent >= budget:
            return cards[:0], cards[:0], spent
        ratings = self.student.answer(cards)
        cost = costs[ratings - 1]
        ends = spent + np.cumsum(cost)
        done = ends - cost < budget
        cards, ratings = cards[done], ratings[done]
        self.student.remember(cards, ratings)
        return cards, ratings, float(ends[done][-1]) if done.any() else spent

    def _predicted_retrievability(self, day: int) -> np.ndarray:
        seen = self.student.introduced
        predicted = np.ones(self.deck_size)
        predicted[seen] = fsrs.retrievability(self._default_w, day - self.student.last_review[seen],
                                              self._estimate[0, seen])
        return predicted

    def _update_estimate(self, reviewed, ratings, first, first_ratings, elapsed) -> None:
        w, (s, d) = self._default_w, self._estimate
        r = fsrs.retrievability(w, elapsed, s[reviewed])
        s[reviewed], d[reviewed] = (fsrs.next_stability(w, d[reviewed], s[reviewed], r, ratings),
                                    fsrs.next_difficulty(w, d[reviewed], ratings))
        s[first], d[first] = fsrs.initial_stability(w, first_ratings), fsrs.initial_difficulty(w, first_ratings)

    def _observation(self) -> np.ndarray:
        learner = self.student
        since = np.where(learner.introduced, learner.day - learner.last_review, learner.day)
        obs = np.concatenate([self._attempts, self._correct, since, self._last_rating, [self._t / self.n_steps]])
        return np.minimum(obs.astype(np.float32), self.observation_space.high)

    def score(self) -> float:
        return min(100.0, 100.0 * self._memorised / self.deck_size)

    def _score_info(self) -> dict:
        efficiency = self._memorised / self._minutes if self._minutes > 0 else 0.0
        return {keys.MEMORISED_CARDS.name: self._memorised, keys.REVIEW_MINUTES.name: self._minutes,
                keys.MEMORISED_PER_MINUTE.name: efficiency}

    def _reset_info(self) -> dict:
        n = self.deck_size
        fields = {name: [i * n, (i + 1) * n] for i, name in enumerate(FIELDS)}
        fields["budget_used"] = [4 * n, 4 * n + 1]
        return {keys.TUTOR_LOG.name: {"n_items": n, "delay": 1.0, "time_unit": "day", "answer_lag": 0.0,
                                      "fields": fields, "new_per_day": self.new_per_day,
                                      "minutes_per_day": self.minutes_per_day}}

    # -- checkpointing -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "attempts": self._attempts.copy(), "correct": self._correct.copy(),
                "last_rating": self._last_rating.copy(), "estimate": self._estimate.copy(),
                "minutes": self._minutes, "memorised": self._memorised}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._attempts, self._correct = state["attempts"].copy(), state["correct"].copy()
        self._last_rating, self._estimate = state["last_rating"].copy(), state["estimate"].copy()
        self._minutes, self._memorised = float(state["minutes"]), float(state["memorised"])
