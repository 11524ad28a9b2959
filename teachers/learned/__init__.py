"""Teachers trained on student populations (``scripts/train_learned_teacher.py``), shipped as teacher files."""
