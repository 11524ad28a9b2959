"""Simulated human learners for the tutoring envs (fast numpy, one module per model).

- :mod:`.flashcards`: what every flashcard memory model shares (the clock, the
  tutor-visible review log, outcome draws, checkpointing).
- :mod:`.forgetting`: exponential forgetting curve (EFC) and half-life regression (HLR).
- :mod:`.actr`: ACT-R / Pavlik-Anderson activation with a spacing effect.
- :mod:`.bkt`: multi-skill Bayesian knowledge tracing over a prerequisite graph.

Each student is drawn from a population (parameter distributions) at every
``reset``, or is one fixed member of it when built with ``student_seed``.
"""

from typing import Any

import numpy as np

from teachgym.validation import ConfigError


def lesson_id(lesson: Any, n: int, noun: str = "item") -> int:
    """The id in ``lesson`` (an int or a size-1 array such as a task ``[k]``), checked to lie in ``[0, n)``."""
    try:
        value = float(np.asarray(lesson, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise ConfigError(f"lesson must be one {noun} id in [0, {n - 1}], got {lesson!r}") from None
    if not (value.is_integer() and 0 <= value < n):
        raise ConfigError(f"lesson must be one {noun} id in [0, {n - 1}], got {lesson!r}")
    return int(value)
