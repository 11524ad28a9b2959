"""Curriculum family: the teacher picks task parameters (or one of K tasks) for the student."""
