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
"""

from __future__ import annotations

import numpy as np

from teachgym.teachers.tutoring.recall_model import RecallModel
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
    """

    def __init__(self, threshold: float = 0.3, model: str = "fitted", item_std: float = 1.0, w_std: float = 2.0,
                 lookahead: float = 0.0):
        super().__init__()
        self.threshold = check_float("threshold", threshold, low=0.0, high=1.0)
        self.lookahead = check_float("lookahead", lookahead, low=0.0, high=1e9)
        self.model = check_choice("model", model, ("fitted", "oracle"))
        self.item_std = check_float("item_std", item_std, low=0.0, low_open=True)
        self.w_std = check_float("w_std", w_std, low=0.0, low_open=True)

    def _start_episode(self) -> None:
        self._fallback_order = self.rng.permutation(self.n_items)
        self._fallback_position = 0
        self._recall_model = RecallModel(self.n_items, w_std=self.w_std, item_std=self.item_std)
        self._previous = None  # (attempts, correct, since_review) when the last item was chosen

    def _choose(self, obs, info) -> int:
        recall = self._predicted_recall(obs)
        if recall is None:
            item = int(self._fallback_order[self._fallback_position % self.n_items])
            self._fallback_position += 1
            return item
        return int(np.argmin(np.abs(recall - self.threshold)))

    def _predicted_recall(self, obs) -> np.ndarray | None:
        if self.log is None:
            return None
        if self.model == "oracle":
            if "recall" not in self.log.fields:
                raise ConfigError("model='oracle' needs an env in oracle mode (oracle=True), whose log has 'recall'")
            return self.log.read(obs, "recall")
        if obs is None:
            return None
        parts = [self.log.fields.get(name) for name in ("attempts", "correct", "since_review")]
        vector = np.array(obs, dtype=np.float64).reshape(-1)  # a copy: the counts are read again in _observe
        if any(part is None or part.stop > vector.size for part in parts):
            return None
        self._previous = counts = [vector[part] for part in parts]
        attempts, correct, since = counts
        return self._recall_model.predict(attempts, correct, since + self.log.answer_lag + self.lookahead)

    def _observe(self, item, correct, obs, info) -> None:
        if self.model != "fitted" or self._previous is None or correct is None:
            return
        attempts, correct_counts, since = self._previous
        self._recall_model.add(item, attempts[item], correct_counts[item], since[item] + self.log.answer_lag, correct)
        self._previous = None
