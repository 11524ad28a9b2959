"""Students: learners the teacher envs wrap. Registered by name, imported lazily."""

from teachgym.registry import register_student

register_student("competence-grid", "teachgym.students.competence_grid:CompetenceGridStudent",
                 "ALP-GMM paper toy student: per-cell competence with prerequisite unlocking")
register_student("tabular-q", "teachgym.students.tabular_q:TabularQStudent",
                 "batched tabular Q-learning on parameterised gridworlds")
