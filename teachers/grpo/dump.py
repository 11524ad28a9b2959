"""DUMP-style distribution-level curriculum: UCB on recent mean |advantage|.

The window of recent values per arm is relative to the teaching budget the env
publishes at reset (``info["teaching_budget"]``), resolved at the first lesson of
a run unless given: 20 at 5,000 teacher steps, the same share of longer runs,
never below 20. The 20 is this project's default, not a value from the paper,
which states no budget in teacher steps; the reference is the bandits' one
(:data:`~teachgym.utils.budget.BANDIT_REFERENCE_BUDGET`). Without a
published budget the window is 20.
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np

from teachgym.utils.budget import BANDIT_REFERENCE_BUDGET, budget_relative
from teachgym.teachers.grpo.arm_signals import ArmTeacher, stable_softmax
from teachgym.validation import check_float, check_int

DEFAULT_WINDOW = 20  # at BANDIT_REFERENCE_BUDGET teacher steps
MAX_WINDOW = 1_000_000


def budget_window(teaching_budget: int | None) -> int:
    """The default window for a run of ``teaching_budget`` teacher steps (at least 20)."""
    return min(MAX_WINDOW, budget_relative(teaching_budget, DEFAULT_WINDOW, BANDIT_REFERENCE_BUDGET, DEFAULT_WINDOW))


class DUMPTeacher(ArmTeacher):
    """DUMP (Wang et al., 2025, "DUMP: Automated Distribution-Level Curriculum Learning for RL-based LLM Post-training").

    Each arm (a data distribution) is scored by an upper confidence bound on its
    expected absolute advantage: the mean of its last ``window`` observed mean
    |advantage| values, plus ``c * sqrt(2 ln N / n_i)`` where ``n_i`` counts the
    arm's (share-weighted) practice and ``N`` all practice. The lesson is drawn
    from ``softmax(UCB / temperature)``, and on a Box (mixture) action space that
    distribution is the lesson, as in DUMP. Arms never practised come first.
    Off the GRPO envs the signal is the absolute learning progress of
    ``info["outcome"]`` (see :mod:`teachgym.teachers.common.bandit`).

    :meth:`act` has a fast path for the common case (a Discrete lesson; every
    arm measured) that does the same arithmetic as the general one, in place and
    without its layers of calls, so it makes the same choices.

    Args:
        window: recent values kept per arm, >= 1 (None: relative to the teaching budget, see
            :func:`budget_window`).
        c: exploration constant, >= 0.
        temperature: softmax temperature, > 0.
        explore: probability of a uniformly random lesson.
    """

    budget_setting = "window"
    budget_reference = DEFAULT_WINDOW

    def __init__(self, window: int | None = None, c: float = 0.5, temperature: float = 0.1, explore: float = 0.05):
        super().__init__(explore=explore)
        self.window_given = None if window is None else check_int("window", window, low=1, high=MAX_WINDOW)
        self.window = self.window_given or DEFAULT_WINDOW
        self.c = check_float("c", c, low=0.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)

    def _budget_default(self, teaching_budget: int | None) -> int:
        return budget_window(teaching_budget)

    def _reset_arms(self) -> None:
        # Each arm's last ``window`` values, oldest first, at [start, start + size) of its slot of 2 * window values
        # (slot a starts at 2 * window * a): a new value goes after them, and only when the slot is full do the last
        # window - 1 move to its front.
        self._recent = np.zeros(self.n_arms * 2 * self.window)
        self._slots = [self._recent[2 * self.window * arm:2 * self.window * (arm + 1)] for arm in range(self.n_arms)]
        self._starts = [0] * self.n_arms
        self._sizes = [0] * self.n_arms
        self.counts = np.zeros(self.n_arms)
        self._means = np.full(self.n_arms, np.nan)  # mean of each arm's recent values, refreshed on update
        self._n_measured = 0  # arms with a finite or infinite mean and a positive count
        self._total = 0.0  # counts.sum() while every weight was 1 (sums of integers are exact in any order)
        self._integer_counts = True
        self._huge = False  # a value so large that a mean may overflow
        self._nonnegative = True  # no value below 0 (nor NaN) learned yet
        self._measured = [False] * self.n_arms
        self._fast = self._discrete  # act()'s fast path applies: Discrete lessons, no huge value, integer counts
        super()._reset_arms()
        self._c = np.array(self.c)
        self._finite_bonus = self.c <= 1e300  # then c * sqrt(2 ln N / n) is finite for any N < 2 ** 1024
        self._lowest = np.array(-700.0)
        mantissa, exponent = math.frexp(self.c)
        self._c_squared = self.c * self.c if mantissa == 0.5 and abs(exponent) < 100 else None

    def recent(self, arm: int) -> np.ndarray:
        """Arm ``arm``'s recent values, oldest first."""
        start = 2 * self.window * arm + self._starts[arm]
        return self._recent[start:start + self._sizes[arm]].copy()

    def upper_bounds(self) -> np.ndarray:
        """Each arm's UCB; +inf for arms without a measured signal."""
        total = self._total if self._integer_counts else float(self.counts.sum())
        if self._n_measured == self.n_arms:  # the general case below without its masks
            return self._means + self.c * np.sqrt(2.0 * math.log(max(total, 1.0)) / self.counts)
        out = np.full(self.n_arms, np.inf)
        measured = ~np.isnan(self._means) & (self.counts > 0.0)
        if measured.any():
            bonus = self.c * np.sqrt(2.0 * math.log(max(total, 1.0)) / self.counts[measured])
            out[measured] = self._means[measured] + bonus
        return out

    def distribution(self, info) -> np.ndarray:
        return stable_softmax(self.upper_bounds(), self.temperature)

    def act(self, obs, info):
        if self._budget_pending:
            self._resolve_budget_setting(info)
        if not self._fast:
            return super().act(obs, info)
        rng = self.rng
        if self.explore > 0.0 and rng.random() < self.explore:
            return self._start + int(rng.integers(self.n_arms))
        if self._n_measured != self.n_arms:
            return self._start + self._draw_unmeasured(rng)
        # upper_bounds(), stable_softmax() and sample_index() of the general path, operation for operation, in one
        # buffer (scalars in 0-d arrays: the same values, a cheaper call); softmax_sample(), inline.
        scores, scalar, c_squared, temperature = self._scores, self._scalar, self._c_squared, self.temperature
        if c_squared is None:
            scalar[()] = 2.0 * math.log(max(self._total, 1.0))
            np.divide(scalar, self.counts, out=scores)
            np.sqrt(scores, out=scores)
            np.multiply(scores, self._c, out=scores)
        else:  # c * sqrt(x / n) == sqrt(c^2 x / n) exactly for a power of two c: it only scales the exponent
            scalar[()] = c_squared * (2.0 * math.log(max(self._total, 1.0)))
            np.divide(scalar, self.counts, out=scores)
            np.sqrt(scores, out=scores)
        np.add(self._means, scores, out=scores)
        if not self._finite_bonus:
            return self._start + self.softmax_sample(scores, temperature)
        # Every score is finite here (means up to 1e300, bonuses up to ~40 c), so stable_softmax() takes its first
        # branch, or, where (score - largest) / temperature overflows, its general one, which clips the -inf to -700
        # as np.maximum does; so the clip may apply to every decision: it changes nothing above -700. With no
        # negative value ever learned, every score is >= 0, so no scaled score is below -largest / temperature.
        scalar[()] = largest = max(scores.tolist())
        np.subtract(scores, scalar, out=scores)
        scalar[()] = temperature
        np.divide(scores, scalar, out=scores)
        if not self._nonnegative or -largest / temperature < -700.0:
            np.maximum(scores, self._lowest, out=scores)
        np.exp(scores, out=scores)
        np.divide(scores, np.add.reduce(scores, 0, None, scalar), out=scores)
        cumulative = list(itertools.accumulate(scores.tolist()))
        total = cumulative[-1]
        if not (math.isfinite(total) and total > 0.0):
            return self._start + int(rng.integers(self.n_arms))
        return self._start + min(bisect.bisect_right(cumulative, rng.random() * total), self.n_arms - 1)

    def _draw_unmeasured(self, rng: np.random.Generator) -> int:
        """The general path's draw while some arms are unmeasured (and no signal is huge): their scores are +inf,
        every other arm's is finite, so each has probability ``1 / m`` and the others 0, and the running sum of the
        probabilities grows only at the unmeasured arms."""
        unmeasured = [arm for arm, measured in enumerate(self._measured) if not measured]
        share = 1.0 / len(unmeasured)
        cumulative = list(itertools.accumulate(itertools.repeat(share, len(unmeasured))))
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        return unmeasured[index] if index < len(unmeasured) else self.n_arms - 1

    def _learn(self, arm: int, value: float, weight: float) -> None:
        slot, window, start, size = self._slots[arm], self.window, self._starts[arm], self._sizes[arm]
        if size == window:
            start += 1
            size -= 1
        if start + size == 2 * window:
            slot[:size] = slot[start:start + size]
            start = 0
        slot[start + size] = value
        size += 1
        self._starts[arm], self._sizes[arm] = start, size
        if not value >= 0.0:
            self._nonnegative = False
        if not self._huge and abs(value) > 1e300:
            self._huge = True
            self._fast = False
        if self._huge:
            with np.errstate(over="ignore"):  # signals near the float max: the mean may be inf, which is fine
                mean = float(np.add.reduce(slot[start:start + size])) / size
        else:
            mean = float(np.add.reduce(slot[start:start + size])) / size
        self._means[arm] = mean
        self.counts[arm] += weight
        if weight != 1.0:
            self._integer_counts = self._fast = False
        self._total += weight
        if mean == mean:  # measured: a finite or infinite mean and a positive count
            if not self._measured[arm]:
                self._measured[arm] = True
                self._n_measured += 1
        elif self._measured[arm]:
            self._measured[arm] = False
            self._n_measured -= 1
