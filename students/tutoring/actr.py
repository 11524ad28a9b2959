"""ACT-R declarative memory with the Pavlik-Anderson spacing effect.

Pavlik & Anderson (2005), "Practice and forgetting effects on vocabulary
memory: an activation-based model of the spacing effect" (Cognitive Science
29). Each exposure ``k`` of an item (at time ``t_k``) leaves a trace that decays
as a power law with its own decay rate ``d_k``; the item's activation is::

    m(t) = beta_student + beta_item + ln( sum_k (t - t_k) ** (-d_k) )

and the decay of a new exposure depends on the activation at the moment it
happens, which is the spacing effect (massed practice, at high activation,
decays fast)::

    d_k = c * exp(m(t_k)) + alpha          (m = -inf before the first exposure, so d_1 = alpha)

Recall follows the logistic retrieval rule::

    p(t) = 1 / (1 + exp((tau - m(t)) / s))

Defaults are the paper's fitted values (times in seconds): ``c = 0.217``,
``alpha = 0.177``, ``tau = -0.704``, ``s = 0.255``. The student and item offsets
``beta`` follow Pavlik & Anderson (2008, "Using a model to compute the optimal
schedule of practice"); their spreads here (``N(0, 0.5)`` for items, ``N(0,
0.3)`` for students) are this module's choice, not fitted values. Lags shorter
than ``min_lag`` (a review at the probe instant) count as ``min_lag`` so that
the activation stays finite (recall is then ~1).

With ``population="train"`` / ``"held_out"`` each student draws ``beta_student``
in [-0.6, 0.6) and its items' spread in [0.25, 0.75) from interleaved bands
(:data:`ACTR_POPULATION`), then its items' offsets.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from teachgym.students.populations import Interleaved
from teachgym.students.tutoring.flashcards import FlashcardStudent
from teachgym.validation import check_float

#: per-student parameters of the ACT-R population, drawn in this order
ACTR_POPULATION = {"student_offset": Interleaved(-0.6, 0.6), "item_std": Interleaved(0.25, 0.75)}


class ACTRStudent(FlashcardStudent):
    """Power-law forgetting with activation-dependent decay (see the module docstring).

    Args:
        decay_scale: ``c``.
        decay_intercept: ``alpha``.
        threshold: ``tau``.
        noise: ``s`` (logistic temperature of retrieval).
        item_std, student_std: spreads of ``beta_item`` and ``beta_student``.
        min_lag: shortest lag (seconds) in the activation sum.
        **kwargs: see :class:`FlashcardStudent`.
    """

    MEMORY: ClassVar[tuple[str, ...]] = ("times", "decays", "n_traces")

    def __init__(self, decay_scale: float = 0.217, decay_intercept: float = 0.177, threshold: float = -0.704,
                 noise: float = 0.255, item_std: float = 0.5, student_std: float = 0.3, min_lag: float = 1e-3,
                 **kwargs):
        self.decay_scale = check_float("decay_scale", decay_scale, low=0.0, high=10.0)
        self.decay_intercept = check_float("decay_intercept", decay_intercept, low=0.0, high=10.0, low_open=True)
        self.threshold = check_float("threshold", threshold, low=-100.0, high=100.0)
        self.noise = check_float("noise", noise, low=0.0, high=100.0, low_open=True)
        self.item_std = check_float("item_std", item_std, low=0.0, high=5.0)
        self.student_std = check_float("student_std", student_std, low=0.0, high=5.0)
        self.min_lag = check_float("min_lag", min_lag, low=0.0, low_open=True)
        super().__init__(**kwargs)

    def _draw_params(self, rng):
        if self.population is None:
            return {"item_offset": rng.normal(0.0, self.item_std, self.n_items),
                    "student_offset": np.array([rng.normal(0.0, self.student_std)])}
        own = {name: band.draw(rng, self.population) for name, band in ACTR_POPULATION.items()}
        return {"item_offset": rng.normal(0.0, own["item_std"], self.n_items),
                "student_offset": np.array([own["student_offset"]])}

    def _start_memory(self, intro_times):
        capacity = 8
        self.times = np.zeros((self.n_items, capacity))
        self.decays = np.ones((self.n_items, capacity))
        self.times[:, 0] = intro_times
        self.decays[:, 0] = self.decay_intercept
        self.n_traces = np.ones(self.n_items, dtype=np.int64)

    def activations(self) -> np.ndarray:
        """``m_i(now)`` of every item."""
        k_max = int(self.n_traces.max())
        lags = np.maximum(self.now - self.times[:, :k_max], self.min_lag)
        live = np.arange(k_max) < self.n_traces[:, None]
        with np.errstate(over="ignore", divide="ignore"):  # inf / -inf activations give recall 1 / 0 below
            strength = np.where(live, lags ** -self.decays[:, :k_max], 0.0).sum(axis=1)
            return self.params["student_offset"][0] + self.params["item_offset"] + np.log(strength)

    def _recall_from(self, activation: np.ndarray) -> np.ndarray:
        # Written as exp(-log1p(exp(x))) so that huge activations give exactly 1 and tiny ones 0, never NaN.
        return np.exp(-np.logaddexp(0.0, (self.threshold - activation) / self.noise))

    def _recall(self):
        return self._recall_from(self.activations())

    def _remember(self, item, correct):
        activation = self.activations()[item]  # before this exposure's trace is added
        decay = self.decay_scale * np.exp(min(activation, 50.0)) + self.decay_intercept
        k = int(self.n_traces[item])
        if k == self.times.shape[1]:  # grow the trace arrays (amortised doubling)
            self.times = np.concatenate([self.times, np.zeros_like(self.times)], axis=1)
            self.decays = np.concatenate([self.decays, np.ones_like(self.decays)], axis=1)
        self.times[item, k] = self.now
        self.decays[item, k] = decay
        self.n_traces[item] = k + 1
