"""Exponential forgetting: the EFC and HLR flashcard students of Reddy et al. (2017).

Both forget exponentially since the item's last exposure ``t_last``; they
differ in how memory strength grows with reviews.

**EFC** (exponential forgetting curve; Reddy et al., 2016, "Unbounded human
learning", and 2017's ``EFCEnv``)::

    p_i(t) = exp(-theta_i * (t - t_last_i) / s_i)
    theta_i ~ LogNormal(log 0.077, 1)        item difficulty (per student and item)
    s_i = 1 + strength_gain * reviews_i      memory strength, +strength_gain per review

``theta ~ LogNormal(log 0.077, 1)`` and ``s += 1`` per review (whatever the
outcome) are the values of Reddy et al.'s code.

**HLR** (half-life regression; Settles & Meeder, 2016, as simulated by Reddy et
al., 2017)::

    p_i(t) = base ** (-(t - t_last_i) / h_i)
    h_i = exp(w_attempts * n_i + w_correct * c_i + w_incorrect * (n_i - c_i) + d_i + a)
    d_i ~ N(0, 1)                            item difficulty (per student and item)
    a ~ N(0, ability_std)                    student ability (0 by default)

with ``n_i``, ``c_i`` the item's reviews and correct answers this session and
``(w_attempts, w_correct, w_incorrect) = (1, 1, 0)`` (Reddy et al.'s code).
Reddy et al. use ``base = e`` (so ``h`` is the 1/e-life, not the half-life);
that is the default here. Settles & Meeder's HLR uses ``base = 2``, where ``h``
is the true half-life; pass ``base=2.0`` for it.

**Populations** (``population="train"`` / ``"held_out"``): each student first
draws its own parameters from interleaved bands (train and held-out students
never share a value, :class:`~teachgym.students.populations.Interleaved`), then
its items as above:

- EFC: a shift of ``log theta``'s mean in [-1, 1), ``log theta``'s std in
  [0.5, 1.5) and ``strength_gain`` in [0.5, 1.5) (bands of :data:`EFC_POPULATION`);
- HLR: the ability ``a`` in [-1, 1), ``difficulty_std`` in [0.5, 1.5) and
  ``w_correct`` in [0.5, 1.5) (:data:`HLR_POPULATION`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from teachgym.students.populations import Interleaved
from teachgym.students.tutoring.flashcards import FlashcardStudent
from teachgym.validation import ConfigError, check_float

#: per-student parameters of the EFC population, drawn in this order
EFC_POPULATION = {"theta_shift": Interleaved(-1.0, 1.0), "theta_std": Interleaved(0.5, 1.5),
                  "strength_gain": Interleaved(0.5, 1.5)}
#: per-student parameters of the HLR population, drawn in this order
HLR_POPULATION = {"ability": Interleaved(-1.0, 1.0), "difficulty_std": Interleaved(0.5, 1.5),
                  "w_correct": Interleaved(0.5, 1.5)}


def draw_student(rng: np.random.Generator, part: str, population: dict[str, Interleaved]) -> dict[str, float]:
    """One student's own parameters from the ``part`` population (in the dict's order)."""
    return {name: band.draw(rng, part) for name, band in population.items()}


class EFCStudent(FlashcardStudent):
    """Exponential forgetting curve with review-count strength (see the module docstring).

    Args:
        log_theta_mean, log_theta_std: log-normal population of item difficulties.
        strength_gain: memory strength added by each review.
        **kwargs: see :class:`FlashcardStudent` (``n_items``, ``student_seed``, ...).
    """

    MEMORY: ClassVar[tuple[str, ...]] = ("strength", "last_seen")

    def __init__(self, log_theta_mean: float = math.log(0.077), log_theta_std: float = 1.0,
                 strength_gain: float = 1.0, **kwargs):
        self.log_theta_mean = check_float("log_theta_mean", log_theta_mean, low=-20.0, high=20.0)
        self.log_theta_std = check_float("log_theta_std", log_theta_std, low=0.0, high=5.0)
        self.strength_gain = check_float("strength_gain", strength_gain, low=0.0)
        super().__init__(**kwargs)

    def _draw_params(self, rng):
        if self.population is None:
            return {"theta": np.exp(rng.normal(self.log_theta_mean, self.log_theta_std, self.n_items))}
        own = draw_student(rng, self.population, EFC_POPULATION)
        theta = np.exp(rng.normal(self.log_theta_mean + own["theta_shift"], own["theta_std"], self.n_items))
        return {"theta": theta, "strength_gain": np.array([own["strength_gain"]])}

    def gain(self) -> float:
        """Memory strength a review adds for this student."""
        return float(self.params["strength_gain"][0]) if "strength_gain" in self.params else self.strength_gain

    def _start_memory(self, intro_times):
        self.strength = np.ones(self.n_items)
        self.last_seen = intro_times.astype(np.float64)

    def _recall(self):
        return np.exp(-self.params["theta"] * (self.now - self.last_seen) / self.strength)

    def _remember(self, item, correct):
        self.strength[item] += self.gain()
        self.last_seen[item] = self.now


class HLRStudent(FlashcardStudent):
    """Half-life regression memory (see the module docstring).

    Args:
        weights: ``(w_attempts, w_correct, w_incorrect)``.
        difficulty_std: std of the items' difficulties ``d_i``.
        ability_std: std of the student's ability offset ``a``.
        base: 2.0 (half-life, Settles & Meeder) or e (Reddy et al.'s code, default).
        **kwargs: see :class:`FlashcardStudent`.
    """

    MEMORY: ClassVar[tuple[str, ...]] = ("last_seen",)

    def __init__(self, weights: tuple[float, float, float] = (1.0, 1.0, 0.0), difficulty_std: float = 1.0,
                 ability_std: float = 0.0, base: float = math.e, **kwargs):
        if len(weights) != 3:
            raise ConfigError(f"weights must be (w_attempts, w_correct, w_incorrect), got {weights!r}")
        self.weights = tuple(check_float(f"weights[{i}]", w, low=-10.0, high=10.0) for i, w in enumerate(weights))
        self.difficulty_std = check_float("difficulty_std", difficulty_std, low=0.0, high=5.0)
        self.ability_std = check_float("ability_std", ability_std, low=0.0, high=5.0)
        self.base = check_float("base", base, low=1.0, low_open=True, high=1e6)
        self._log_base = math.log(self.base)
        super().__init__(**kwargs)

    def _draw_params(self, rng):
        if self.population is None:
            difficulty = rng.normal(0.0, self.difficulty_std, self.n_items)
            return {"difficulty": difficulty, "ability": np.array([rng.normal(0.0, self.ability_std)])}
        own = draw_student(rng, self.population, HLR_POPULATION)
        w_attempts, _, w_incorrect = self.weights
        return {"difficulty": rng.normal(0.0, own["difficulty_std"], self.n_items),
                "ability": np.array([own["ability"]]),
                "weights": np.array([w_attempts, own["w_correct"], w_incorrect])}

    def student_weights(self) -> tuple[float, float, float]:
        """``(w_attempts, w_correct, w_incorrect)`` of this student."""
        return tuple(float(w) for w in self.params["weights"]) if "weights" in self.params else self.weights

    def _start_memory(self, intro_times):
        self.last_seen = intro_times.astype(np.float64)

    def half_lives(self) -> np.ndarray:
        """``h_i`` of every item now (seconds)."""
        w_attempts, w_correct, w_incorrect = self.student_weights()
        log_h = (w_attempts * self.attempts + w_correct * self.correct + w_incorrect * (self.attempts - self.correct)
                 + self.params["difficulty"] + self.params["ability"][0])
        # Clamped so that h is a positive finite float: recall stays defined (0 ** 0 style NaNs cannot occur).
        return np.exp(np.clip(log_h, -700.0, 700.0))

    def _recall(self):
        return np.exp(-self._log_base * (self.now - self.last_seen) / self.half_lives())

    def _remember(self, item, correct):
        self.last_seen[item] = self.now
