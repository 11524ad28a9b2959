"""Threshold tutor: review the item whose predicted recall is closest to a threshold.

The rule of Lindsey et al. (2014) and of Reddy et al. (2017)'s Threshold
tutor; MEMORIZE (Tabibian et al., 2019) schedules from the same predicted
recall. Items well above the threshold are safe for now, items far below are
(nearly) lost and would cost many reviews; the item near the threshold is the
one about to be forgotten.

Where the predicted recall comes from (``model``):

- ``"fitted"`` (default): a :class:`~teachgym.teachers.tutoring.recall_model.RecallModel`
  (exponential forgetting with a log-linear half-life and per-item offsets) fitted
  online, by MAP, to this student's reviews in the tutor's log. No knowledge of
  the true student. Predictions are for the next answer, the log's ``answer_lag`` after now.
- ``"oracle"``: the true recall probabilities an env in oracle mode puts in the
  observation (Reddy et al.'s Threshold tutor used the true model this way). An
  upper reference, not a deployable tutor.

``lookahead`` (seconds, in the log's time unit) makes the fitted rule act on the
recall predicted that long after the next answer (``since + answer_lag +
lookahead``) instead of at it. For the oracle, the env does the same with its
``oracle_lookahead`` (the Flashcards envs). Reddy et al.'s Threshold tutor looked
ahead implicitly: it replayed the log on a copy of the student whose clock ran
two delays (10 s) ahead of the answer; on Flashcards-HLR that is worth about
+0.05 mean recall (benchmarks/RESULTS.md, tutoring family).

On envs that publish no tutor log the tutor falls back to round-robin.

On a deck env whose action is a daily 0/1 review mask (``MultiBinary``, e.g.
``teachgym/SpacedRepetition-FSRS-v0``) the tutor picks each day's review set:
the introduced cards whose predicted recall is below ``threshold``, lowest
first, as many as the day's budget allows. The same recall model reads the
day-based log with days as the time unit (``since_review`` in days, the log's
``answer_lag`` 0) and a prior half-life of ``mask_prior_days``; it learns from
the step's ``info["review_log"]`` (a rating above 1, Again, is a recall) and
refits once a day, after the day's last review. The budget in reviews is the
reset log's ``minutes_per_day`` over the mean seconds per study seen so far
(``daily_minutes`` over the studies of ``review_log``); before any study,
every card below the threshold is marked.
"""

from __future__ import annotations

import numpy as np

from gymnasium import spaces

from teachgym import info as keys
from teachgym.teachers.tutoring.recall_model import RecallModel, resolve_backend
from teachgym.teachers.tutoring.tutoring_base import TutorTeacher
from teachgym.validation import ConfigError, check_choice, check_float


class ThresholdTutor(TutorTeacher):
    """Review the item whose recall probability is closest to ``threshold`` (see the module docstring).

    Args:
        threshold: target recall probability in [0, 1]. Tune it per env: tuned per student on a 0.01 grid
            (benchmarks/bench_tutoring.py, the envs' default answer_timing="before_delay"), the fitted tutor's
            medians were 0.05 (EFC), 0.375 (HLR) and 0.095 (ACT-R); above ~0.5 the rule drills a few items and never
            learns the rest.
        model: "fitted" (the tutor's own model, default) or "oracle" (the env's true recall, oracle mode only).
        item_std: prior std of the fitted model's item offsets.
        w_std: prior std of the fitted model's shared coefficients.
        lookahead: the fitted model predicts recall this long (log time unit, >= 0) after the next answer.
        mask_prior_days: on a review-mask env, the fitted model's prior half-life in days.
        backend: the fitted model's backend: "auto" (compiled with numba when it is installed, the ``fast`` extra),
            "numpy" or "numba" (see :class:`~teachgym.teachers.tutoring.recall_model.RecallModel`).
    """

    supported_spaces = (spaces.Discrete, spaces.MultiBinary)

    def __init__(self, threshold: float = 0.3, model: str = "fitted", item_std: float = 1.0, w_std: float = 2.0,
                 lookahead: float = 0.0, mask_prior_days: float = 5.0, backend: str = "auto"):
        super().__init__()
        self.threshold = check_float("threshold", threshold, low=0.0, high=1.0)
        self.lookahead = check_float("lookahead", lookahead, low=0.0, high=1e9)
        self.model = check_choice("model", model, ("fitted", "oracle"))
        self.item_std = check_float("item_std", item_std, low=0.0, low_open=True)
        self.w_std = check_float("w_std", w_std, low=0.0, low_open=True)
        self.mask_prior_days = check_float("mask_prior_days", mask_prior_days, low=0.0, low_open=True, high=1e6)
        self.backend = resolve_backend(backend)

    def _setup(self) -> None:
        self._mask = isinstance(self.action_space, spaces.MultiBinary)
        if self._mask:
            if self.model == "oracle":
                raise ConfigError("model='oracle' needs a Discrete tutoring env; on a review-mask env use 'fitted'")
            if len(self.action_space.shape) != 1:
                raise ConfigError(f"action_space: a review mask must be 1-D MultiBinary, got shape "
                                  f"{self.action_space.shape}")
        super()._setup()

    def act(self, obs, info):
        if not self._mask:
            return super().act(obs, info)
        if keys.is_episode_start(info):
            if self._steps > 0:
                self._steps = 0
                self._start_episode()
            self.log = keys.TutorLog.from_info(keys.TUTOR_LOG.get(info), self.n_items)
            self._budget_s = 60.0 * float((keys.TUTOR_LOG.get(info) or {}).get("minutes_per_day", np.inf))
        return self._review_mask(obs)

    def update(self, action, reward, obs, info):
        if not self._mask:
            return super().update(action, reward, obs, info)
        self._steps += 1
        review_log = info.get(keys.REVIEW_LOG.name)
        if self._previous is None or not keys.REVIEW_LOG.check(review_log):
            return
        cards, ratings = np.asarray(review_log["cards"], dtype=int), np.asarray(review_log["ratings"], dtype=int)
        minutes = info.get(keys.DAILY_MINUTES.name)
        if cards.size and minutes is not None and np.isfinite(minutes):
            self._study_s += 60.0 * float(minutes)
            self._studies += cards.size
        attempts, correct_counts, since = self._previous
        reviews = [(c, r) for c, r in zip(cards.tolist(), ratings.tolist())
                   if 0 <= c < self.n_items and attempts[c] > 0 and 1 <= r <= 4]
        model, iterations = self._recall_model, self._recall_model.iterations
        for k, (card, rating) in enumerate(reviews):
            # refit after the day's last review (and the first ever, which sets up the posterior)
            model.iterations = iterations if k == len(reviews) - 1 or model.n_events == 0 else 0
            model.add(card, attempts[card], correct_counts[card], since[card], rating > 1)
        model.iterations = iterations
        self._previous = None

    def _review_mask(self, obs) -> np.ndarray:
        mask = np.zeros(self.n_items, dtype=self.action_space.dtype)
        recall = self._predicted_recall(obs)
        if recall is None:
            return mask
        attempts = self._previous[0]
        due = np.flatnonzero((attempts > 0) & (recall < self.threshold))
        due = due[np.argsort(recall[due], kind="stable")]
        if self._studies > 0:
            due = due[:int(np.ceil(self._budget_s / (self._study_s / self._studies)))]
        mask[due] = 1
        return mask

    def _start_episode(self) -> None:
        self._study_s, self._studies, self._budget_s = 0.0, 0, np.inf
        self._parts_of, self._parts = None, None  # (log, observation size) the cached slices are for
        if self._mask:
            self._previous = None
            self._recall_model = RecallModel(self.n_items, log_h_prior=np.log(self.mask_prior_days),
                                             w_std=self.w_std, item_std=self.item_std, backend=self.backend)
            return
        self._fallback_order = self.rng.permutation(self.n_items)
        self._fallback_position = 0
        self._recall_model = RecallModel(self.n_items, w_std=self.w_std, item_std=self.item_std,
                                         backend=self.backend)
        self._previous = None  # (attempts, correct, since_review) when the last item was chosen

    def _choose(self, obs, info) -> int:
        recall = self._predicted_recall(obs)
        if recall is None:
            item = int(self._fallback_order[self._fallback_position % self.n_items])
            self._fallback_position += 1
            return item
        distance = np.subtract(recall, self.threshold, out=recall)
        return int(np.abs(distance, out=distance).argmin())

    def _predicted_recall(self, obs) -> np.ndarray | None:
        if self.log is None:
            return None
        if self.model == "oracle":
            if "recall" not in self.log.fields:
                raise ConfigError("model='oracle' needs an env in oracle mode (oracle=True), whose log has 'recall'")
            return self.log.read(obs, "recall")
        if obs is None:
            return None
        vector = np.array(obs, dtype=np.float64).reshape(-1)  # a copy: the counts are read again in _observe
        parts = self._count_parts(vector.size)
        if parts is None:
            return None
        self._previous = counts = [vector[part] for part in parts]
        attempts, correct, since = counts
        return self._recall_model.predict(attempts, correct, np.add(since, self.log.answer_lag + self.lookahead))

    def _count_parts(self, size: int) -> list[slice] | None:
        """The slices of attempts, correct and since_review in an observation of ``size`` (None: not all there)."""
        log, parts_of = self.log, self._parts_of
        if parts_of is None or parts_of[0] is not log or parts_of[1] != size:
            parts = [log.fields.get(name) for name in ("attempts", "correct", "since_review")]
            self._parts = None if any(part is None or part.stop > size for part in parts) else parts
            self._parts_of = (log, size)
        return self._parts

    def _observe(self, item, correct, obs, info) -> None:
        if self.model != "fitted" or self._previous is None or correct is None:
            return
        attempts, correct_counts, since = self._previous
        self._recall_model.add(item, attempts[item], correct_counts[item], since[item] + self.log.answer_lag, correct)
        self._previous = None
