"""Teachers outside the gym: any teachgym teacher in your own training loop.

- :class:`TaskSetter` + :class:`TaskCurriculum`: a teacher picks each episode's
  task of a Gymnasium env (set through ``reset(options=...)`` or a setter);
- :class:`TeacherVectorEnv`: one teacher shared by every sub-env of a
  ``SyncVectorEnv`` / ``AsyncVectorEnv``, without sub-envs ever waiting for it;
- :class:`TeacherCallback` (``teachgym.integrations.sb3``): the same for an SB3
  algorithm's VecEnv, as one callback of ``model.learn``;
- :class:`ArmCurriculum` (``teachgym.integrations.trl``): a teacher chooses the
  arms (a dataset column) of each batch of a TRL ``GRPOTrainer`` run.

Importing this package loads neither SB3, TRL nor torch; ``TeacherCallback``
and ``ArmCurriculum`` load them when first accessed. See ``docs/integrations.md``.
"""

from teachgym.integrations.curriculum import TaskCurriculum
from teachgym.integrations.tasks import REPORT_KEY, EpisodeReport, TaskSetter
from teachgym.integrations.vector import TeacherVectorEnv

_LAZY = {"TeacherCallback": "teachgym.integrations.sb3", "ArmCurriculum": "teachgym.integrations.trl"}

__all__ = ["ArmCurriculum", "EpisodeReport", "REPORT_KEY", "TaskCurriculum", "TaskSetter", "TeacherCallback",
           "TeacherVectorEnv"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
