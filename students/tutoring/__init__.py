"""Simulated human learners for the tutoring envs (fast numpy, one module per model).

- :mod:`.flashcards`: what every flashcard memory model shares (the clock, the
  tutor-visible review log, outcome draws, checkpointing).
- :mod:`.forgetting`: exponential forgetting curve (EFC) and half-life regression (HLR).
- :mod:`.actr`: ACT-R / Pavlik-Anderson activation with a spacing effect.
- :mod:`.bkt`: multi-skill Bayesian knowledge tracing over a prerequisite graph.

Each student is drawn from a population (parameter distributions) at every
``reset``, or is one fixed member of it when built with ``student_seed``.
"""
