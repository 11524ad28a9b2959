"""Tutoring envs: the teacher schedules practice for a simulated human learner.

- :mod:`.flashcards`: which flashcard to review (EFC, HLR, ACT-R memory models).
- :mod:`.prerequisites`: which skill to practise over a prerequisite graph (BKT).
"""
