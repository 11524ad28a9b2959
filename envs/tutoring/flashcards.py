"""Flashcards: choose which item a simulated learner reviews next (Reddy et al., 2017)."""

from __future__ import annotations

import numpy as np

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.envs.tutoring.tutor_log import time_since, tutor_log_space, write_log
from teachgym.lessons import DiscreteLessons
from teachgym.validation import check_bool, check_choice, check_float, check_int, check_mapping

LOG_EPS = 1e-9  # Reddy et al.'s epsilon in log(eps + p)


def _student_class(model: str):
    # Imported here so that making one env imports only its own student.
    if model == "efc":
        from teachgym.students.tutoring.forgetting import EFCStudent

        return EFCStudent
    if model == "hlr":
        from teachgym.students.tutoring.forgetting import HLRStudent

        return HLRStudent
    from teachgym.students.tutoring.actr import ACTRStudent

    return ACTRStudent


class FlashcardsEnv(TeacherEnv):
    """Schedule flashcard reviews for a simulated learner who forgets.

    ## Description

    A student must remember ``n_items`` items. Each teacher step lasts
    ``delay`` seconds and reviews the item the teacher chose: the student
    answers with its recall probability of that item, sees the answer, and its
    memory of the item is refreshed at the end of the step (where the review
    is logged and the reward is read). ``answer_timing`` says when the answer
    is drawn:

    - ``"before_delay"`` (default): at the start of the step, then the
      ``delay`` passes while the student studies the card. This is the order
      of Reddy et al.'s ``StudentEnv.step`` (outcome drawn from the recall at
      ``now``, then ``now += delay``, then the model update dated ``now``);
    - ``"after_delay"``: the ``delay`` passes first and the student answers at
      the end of the step (the first v0 release's order). The recall
      probabilities and rewards follow the same clock; only the answers (and,
      for HLR and ACT-R, whose memory depends on them) differ.

    The memory model is one of (see :mod:`teachgym.students.tutoring`):

    - ``model="efc"`` (``Flashcards-EFC-v1``): exponential forgetting curve,
      ``p = exp(-theta dt / s)``, ``theta ~ LogNormal(log 0.077, 1)``, ``s`` = 1 + reviews;
    - ``model="hlr"`` (``Flashcards-HLR-v1``): half-life regression,
      ``p = exp(-dt / h)``, ``log h = attempts + correct + d_item`` (Reddy et al.'s e-base);
    - ``model="actr"`` (``Flashcards-ACTR-v1``): ACT-R activation with the
      Pavlik-Anderson spacing effect (power-law forgetting).

    Every reset draws a new student (new item parameters) from the model's
    population, unless ``student_seed`` fixes one student, so a good tutor must
    personalise from what it observes. ``population="train"`` or ``"held_out"``
    draws each student's own parameters too (ability, spread of its items'
    difficulties, memory gain per review; the bands are listed in
    :mod:`teachgym.students.tutoring.forgetting` and :mod:`~teachgym.students.tutoring.actr`)
    from two disjoint parts of a wider population, so that a tutor trained on
    ``"train"`` students can be tested on ``"held_out"`` ones it has never met;
    the observation stays the tutor's log. ``population=None`` (default) is the
    model's one distribution above. Defaults follow Reddy, Levine & Dragan
    (2017, "Accelerating Human Learning with Deep Reinforcement Learning"): 30
    items, 200 steps, a constant 5 s delay.

    These envs are one study session of seconds-apart reviews, one item per
    step, with memory models from the learning-science literature. For
    scheduling as spaced-repetition apps do it (a deck learned over months, one
    step per day, a daily time budget, learners whose memory follows FSRS-6,
    the model Anki schedules with, and memorised cards per minute of study as
    the efficiency), see ``teachgym/SpacedRepetition-FSRS-v0``
    (:mod:`teachgym.envs.tutoring.spaced_repetition`). The ``sm2`` and
    ``leitner`` tutors here are within-session adaptations; that env's
    ``anki-sm2`` and ``leitner-boxes`` are the day-based originals.

    ## Action Space

    ``Discrete(n_items)``: the item to review. Anything else raises
    :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, high, (3 n_items + 1,), float32)`` (``4 n_items + 1`` with ``oracle=True``),
    the tutor's log of the session (no hidden parameters):

    | index                  | observation                                              |
    |------------------------|----------------------------------------------------------|
    | 0 .. n-1               | reviews of each item this session                        |
    | n .. 2n-1              | correct answers on each item this session                |
    | 2n .. 3n-1             | seconds since each item's last review (since the session |
    |                        | start if not yet reviewed)                               |
    | 3n .. 4n-1 (oracle)    | the student's true recall probability of each item now   |
    |                        | (``oracle_lookahead`` seconds from now, if set)          |
    | last                   | fraction of the budget used                              |

    The reset ``info["tutor_log"]`` describes this layout (field slices, ``delay``,
    ``time_unit``, and ``answer_lag``: seconds from an observation to the next
    answer, 0 or ``delay`` by ``answer_timing``) so tutors can read it.

    ## Rewards

    ``reward_mode="likelihood"`` (default): the mean recall probability over
    all items after the review. ``reward_mode="log_likelihood"``: the mean of
    ``log(1e-9 + p)``. The episode's mean reward under ``"likelihood"`` is the
    mean per-step recall that Reddy et al. report.

    ## Starting State

    Clock at 0; no reviews logged (Reddy et al.'s reset also made one random
    review that counted as the first of the ``n_steps``; not here). Each item was introduced
    ``exp(N(4.5, 0.5))`` seconds (about 90 s) before the session, so every item
    starts with recall probability in ``[0, 1]`` (Reddy et al.'s code drew these
    times after the start, which gave p > 1; fixed here).

    ## Episode End

    Never terminates; truncated after ``n_steps`` reviews. ``info["score"]``
    (reset, every ``score_every`` steps, last step) is the mean recall
    probability over items at that moment, in percent; ``info["mean_recall"]``
    gives it in [0, 1] beside every score. ``info["outcome"]`` is 1.0 when the
    student recalled the reviewed item and 0.0 otherwise.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/Flashcards-HLR-v1", n_items=30, n_steps=200, delay=5.0,
                   reward_mode="likelihood", answer_timing="before_delay", oracle=False,
                   oracle_lookahead=0.0, student_seed=None, population=None)
    ```

    ``gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` steps N
    EFC or HLR students as one numpy batch (:mod:`teachgym.envs.tutoring.flashcards_vector`;
    sub-env ``i`` equals this env seeded ``seed + i``).
    ``oracle_lookahead`` (seconds, oracle mode) reports the recall that far ahead
    (no reviews meanwhile): Reddy et al.'s Threshold tutor acted on its copy of
    the student two delays (10 s) ahead of the answer.
    ``student_kwargs`` pass model parameters to the student (e.g. ``{"base": 2.0}``
    for HLR with true half-lives).

    ## Version History

    * v1: ``info["score"]`` in percent (100 x the v0 score); the [0, 1] mean recall
      is ``info["mean_recall"]``. Teaching dynamics and rewards are unchanged.
    * v0: initial version (``answer_timing`` default ``"before_delay"``; pass
      ``"after_delay"`` for the first release's step order).
    """

    published_info = ("tutor_log", "mean_recall")

    MODELS = ("efc", "hlr", "actr")
    REWARD_MODES = ("likelihood", "log_likelihood")
    ANSWER_TIMINGS = ("before_delay", "after_delay")

    def __init__(self, model: str = "efc", n_items: int = 30, n_steps: int = 200, delay: float = 5.0,
                 reward_mode: str = "likelihood", oracle: bool = False, student_seed: int | None = None,
                 student_kwargs: dict | None = None, score_every: int | None = None,
                 answer_timing: str = "before_delay", oracle_lookahead: float = 0.0, population: str | None = None):
        self.model = check_choice("model", model, self.MODELS)
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.answer_timing = check_choice("answer_timing", answer_timing, self.ANSWER_TIMINGS)
        self.delay = check_float("delay", delay, low=0.0, low_open=True, high=1e7)
        self.oracle = check_bool("oracle", oracle)
        self.oracle_lookahead = check_float("oracle_lookahead", oracle_lookahead, low=0.0, high=1e9)
        self.student = _student_class(self.model)(n_items=n_items, student_seed=student_seed, population=population,
                                                  **check_mapping("student_kwargs", student_kwargs))
        self.population = self.student.population
        self.n_items = self.student.n_items
        super().__init__(DiscreteLessons(self.n_items, names=("item",)), n_steps=n_steps, score_every=score_every)
        horizon = float(self.n_steps)
        self.observation_space = tutor_log_space(self.n_items, self.oracle, horizon, horizon * self.delay)

    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)

    def _reset_info(self) -> dict:
        answer_lag = 0.0 if self.answer_timing == "before_delay" else self.delay
        return {keys.TUTOR_LOG.name: keys.TutorLog.describe(self.n_items, self.oracle, self.delay, "s",
                                                            answer_lag=answer_lag)}

    def _teach(self, task: np.ndarray) -> Taught:
        if self.answer_timing == "before_delay":
            outcome = self.student.learn(task, study_time=self.delay).outcome
        else:
            self.student.advance(self.delay)
            outcome = self.student.learn(task).outcome
        recall = self.student.recall_probabilities()
        if self.reward_mode == "likelihood":
            return Taught(outcome, float(recall.mean()))
        return Taught(outcome, float(np.log(LOG_EPS + recall).mean()))

    def _observation(self) -> np.ndarray:
        s = self.student
        return write_log(self.observation_space, s.attempts, s.correct, time_since(s.now, s.last_review),
                         s.recall_probabilities(self.oracle_lookahead) if self.oracle else None, self._t / self.n_steps)

    def score(self) -> float:
        return 100.0 * float(self.student.recall_probabilities().mean())

    def _score_info(self) -> dict:
        return {keys.MEAN_RECALL.name: float(self.student.recall_probabilities().mean())}

    def easy_to_hard(self) -> dict:
        # No item is known to be easier: the deck order, new cards first, is the hand-made schedule.
        return {"order": list(range(self.n_items))}
