"""DUMP-style distribution-level curriculum: UCB on recent mean |advantage|."""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np

from teachgym import info as keys
from teachgym.teachers.grpo.arm_signals import ArmTeacher, stable_softmax
from teachgym.utils.numeric import finite_float
from teachgym.validation import check_float, check_int

_OUTCOME, _ARM_ADVANTAGE_ABS, _ADVANTAGE_ABS_MEAN = keys.OUTCOME.name, keys.ARM_ADVANTAGE_ABS.name, keys.ADVANTAGE_ABS_MEAN.name


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

    :meth:`act` and :meth:`update` have fast paths for the common case (a
    Discrete lesson; every arm measured; no per-arm GRPO signal in ``info``)
    that do the same arithmetic as the general ones, in place and without their
    layers of calls, so they make the same choices.

    Args:
        window: recent values kept per arm, >= 1.
        c: exploration constant, >= 0.
        temperature: softmax temperature, > 0.
        explore: probability of a uniformly random lesson.
    """

    def __init__(self, window: int = 20, c: float = 0.5, temperature: float = 0.1, explore: float = 0.05):
        super().__init__(explore=explore)
        self.window = check_int("window", window, low=1, high=1_000_000)
        self.c = check_float("c", c, low=0.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True)

    def _reset_arms(self) -> None:
        # Each arm's last ``window`` values, oldest first, at [start, start + size) of its slot of 2 * window values
        # (slot a starts at 2 * window * a): a new value goes after them, and only when the slot is full do the last
        # window - 1 move to its front.
        self._recent = np.zeros(self.n_arms * 2 * self.window)
        self._starts = [0] * self.n_arms
        self._sizes = [0] * self.n_arms
        self.counts = np.zeros(self.n_arms)
        self._means = np.full(self.n_arms, np.nan)  # mean of each arm's recent values, refreshed on update
        self._n_measured = 0  # arms with a finite or infinite mean and a positive count
        self._total = 0.0  # counts.sum() while every weight was 1 (sums of integers are exact in any order)
        self._integer_counts = True
        self._huge = False  # a value so large that a mean may overflow
        self._measured = [False] * self.n_arms
        self._scores = np.zeros(self.n_arms)  # work buffers of the fast act
        self._scalar = np.zeros(())
        self._c, self._temperature = np.array(self.c), np.array(self.temperature)
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
        if not self._discrete or self._huge or not self._integer_counts:
            return super().act(obs, info)
        rng = self.rng
        if self.explore > 0.0 and rng.random() < self.explore:
            return self._start + int(rng.integers(self.n_arms))
        if self._n_measured != self.n_arms:
            return self._start + self._draw_unmeasured(rng)
        # upper_bounds(), stable_softmax() and sample_index() of the general path, operation for operation, in one
        # buffer (scalars in 0-d arrays: the same values, a cheaper call).
        scores, scalar = self._scores, self._scalar
        two_log = 2.0 * math.log(max(self._total, 1.0))
        if self._c_squared is None:
            scalar[()] = two_log
            np.divide(scalar, self.counts, out=scores)
            np.sqrt(scores, out=scores)
            np.multiply(scores, self._c, out=scores)
        else:  # c * sqrt(x / n) == sqrt(c^2 x / n) exactly for a power of two c: it only scales the exponent
            scalar[()] = self._c_squared * two_log
            np.divide(scalar, self.counts, out=scores)
            np.sqrt(scores, out=scores)
        np.add(self._means, scores, out=scores)
        listed = scores.tolist()
        scalar[()] = largest = max(listed)
        lowest = (min(listed) - largest) / self.temperature
        if not math.isfinite(lowest):  # an overflow: the general path (for finite scores it computes the same)
            probabilities = stable_softmax(scores, self.temperature)
        else:
            probabilities = scores
            np.subtract(scores, scalar, out=scores)
            np.divide(scores, self._temperature, out=scores)
            if lowest < -700.0:
                np.maximum(scores, -700.0, out=scores)
            np.exp(scores, out=scores)
            np.divide(scores, np.add.reduce(scores, 0, None, scalar), out=scores)
        cumulative = list(itertools.accumulate(probabilities.tolist()))
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

    def update(self, action, reward, obs, info) -> None:
        if not self._discrete or type(action) is not int or _ARM_ADVANTAGE_ABS in info or _ADVANTAGE_ABS_MEAN in info:
            return super().update(action, reward, obs, info)
        # The general path's steps for an int lesson and the learning-progress signal.
        self.steps += 1
        arm = action - self._start
        if not 0 <= arm < self.n_arms:
            return
        outcome = info.get(_OUTCOME)
        if type(outcome) is not float:
            outcome = finite_float(outcome)
        elif not math.isfinite(outcome):
            outcome = None
        self._observe(arm, outcome)
        if outcome is None:
            return
        change = self.outcome_change(arm, outcome)
        if change is not None:
            self._progress_scale.update(change)
            self._learn(arm, self._progress_scale(change), 1.0)

    def _learn(self, arm: int, value: float, weight: float) -> None:
        recent, window, start, size = self._recent, self.window, self._starts[arm], self._sizes[arm]
        if size == window:
            start += 1
            size -= 1
        slot = 2 * window * arm
        if start + size == 2 * window:
            recent[slot:slot + size] = recent[slot + start:slot + start + size]
            start = 0
        recent[slot + start + size] = value
        size += 1
        self._starts[arm], self._sizes[arm] = start, size
        self._huge = self._huge or abs(value) > 1e300
        if self._huge:
            with np.errstate(over="ignore"):  # signals near the float max: the mean may be inf, which is fine
                mean = float(np.add.reduce(recent[slot + start:slot + start + size])) / size
        else:
            mean = float(np.add.reduce(recent[slot + start:slot + start + size])) / size
        was_measured = self._measured[arm]  # a finite or infinite mean and a positive count
        self._means[arm] = mean
        self.counts[arm] += weight
        if weight != 1.0:
            self._integer_counts = False
        self._total += weight
        if not was_measured and mean == mean:
            self._n_measured += 1
        elif was_measured and mean != mean:
            self._n_measured -= 1
        self._measured[arm] = mean == mean
