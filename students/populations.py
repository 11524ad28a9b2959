"""Student populations: named distributions of student parameters, with disjoint train and held-out parts.

A teacher env that takes ``population="train"`` draws a new student's parameters
at every reset from the train part; ``population="held_out"`` from the held-out
part; ``population=None`` keeps the env's one fixed student (its defaults).

Disjointness is by construction, through *interleaved bands*: each continuous
parameter's range ``[low, high)`` is cut into ``2 * bands`` equal bands; train
students take their value in the even bands, held-out students in the odd
ones. No held-out student shares a parameter value with any train student, yet
both parts span the same range, so a teacher is tested on students it has
never met rather than on an extrapolation outside what it was trained on.
Disjoint seed streams alone would not do this: the same parameters could be
drawn in both parts, and "unseen" would only mean "another seed".

Discrete structure (which corner mastery starts from, which skills are
prerequisites) is drawn from the same distribution in both parts: the teacher
must infer it from what it observes, for every student.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teachgym.validation import ConfigError

PARTS = ("train", "held_out")


def check_population(value) -> str | None:
    """``value`` if it is None, ``"train"`` or ``"held_out"``; ConfigError naming the field otherwise."""
    if value is not None and value not in PARTS:
        raise ConfigError(f"population must be None (the env's fixed student), 'train' or 'held_out'; got {value!r}")
    return value


@dataclass(frozen=True)
class Interleaved:
    """A parameter drawn uniformly in ``[low, high)``, its bands split between train and held-out.

    Attributes:
        low, high: the range both parts span.
        bands: bands per part (``2 * bands`` bands in all, alternating train, held-out).
        log: draw uniformly in log space (for rates spanning orders of magnitude).
    """

    low: float
    high: float
    bands: int = 4
    log: bool = False

    def draw(self, rng: np.random.Generator, part: str) -> float:
        """One value of the ``part`` population (``"train"``: even bands, ``"held_out"``: odd bands)."""
        low, high = (np.log(self.low), np.log(self.high)) if self.log else (self.low, self.high)
        width = (high - low) / (2 * self.bands)
        band = 2 * int(rng.integers(self.bands)) + PARTS.index(part)
        value = low + width * (band + float(rng.random()))
        return float(np.exp(value)) if self.log else float(value)

    def part_of(self, value: float) -> str:
        """Which part a value belongs to (used by tests to check disjointness)."""
        low, high = (np.log(self.low), np.log(self.high)) if self.log else (self.low, self.high)
        x = np.log(value) if self.log else value
        band = int((x - low) // ((high - low) / (2 * self.bands)))
        if not 0 <= band < 2 * self.bands:
            raise ConfigError(f"value {value} lies outside [{self.low}, {self.high})")
        return PARTS[band % 2]
