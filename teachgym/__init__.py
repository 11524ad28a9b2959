"""teachgym: a gym of teacher environments.

>>> import gymnasium as gym, teachgym
>>> env = gym.make("teachgym/ToyCurriculum-v0")
>>> result = teachgym.run("teachgym/ToyCurriculum-v0", "random", seed=0, n_steps=500)
>>> 0.0 <= result.score <= 100.0
True
"""

from teachgym import envs as _envs  # noqa: F401  (registers the env ids; imports no family module)
from teachgym.env import TeacherEnv
from teachgym.lessons import BoxLessons, InvalidLessonError, RegionLessons
from teachgym.loop import RunResult, run
from teachgym.registry import make_student, make_teacher, register_student, register_teacher, student_registry, teacher_registry
from teachgym.student import LearnReport, Student
from teachgym.teacher import Teacher
from teachgym.validation import ConfigError

__version__ = "0.1.0"

__all__ = [
    "BoxLessons",
    "ConfigError",
    "InvalidLessonError",
    "LearnReport",
    "RegionLessons",
    "RunResult",
    "Student",
    "Teacher",
    "TeacherEnv",
    "make_student",
    "make_teacher",
    "register_student",
    "register_teacher",
    "run",
    "student_registry",
    "teacher_registry",
    "__version__",
]
