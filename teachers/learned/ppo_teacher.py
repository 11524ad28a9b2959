"""Teachers trained with PPO on a population of students, shipped with the package as teacher files.

Trained by ``scripts/train_learned_teacher.py`` on the batched env over the
*train* population (:mod:`teachgym.training.learned_teacher`); they act like any
other teacher. One trained teacher per env ships in ``weights/`` (a
``.safetensors`` policy and a JSON card per env; :data:`SHIPPED_ENVS`), which the
registered ``ppo-teacher`` (:class:`teachgym.teachers.generic.ppo_teacher.PPOTeacher`)
acts with; :class:`LearnedTeacher` acts with any teacher file. Its policy may look
at a window of its last ``k`` observations (``k`` is read from the file: the
policy's input size over the env's observation size), stacked exactly as during
training (:class:`teachgym.training.vector_sb3.History`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from teachgym import info as keys
from teachgym.teachers.generic.sb3_policy import SB3PolicyTeacher
from teachgym.validation import ConfigError

SHIPPED = Path(__file__).resolve().parent
#: the shipped trained teachers: ``<env name>.safetensors`` and its card ``<env name>.json`` per env
WEIGHTS = SHIPPED / "weights"
#: the envs a trained teacher ships for (each has a file pair in :data:`WEIGHTS`)
SHIPPED_ENVS = ("teachgym/Flashcards-HLR-v1", "teachgym/GridworldCurriculumDiscrete-v0")


class LearnedTeacher(SB3PolicyTeacher):
    """Act with a policy trained on a student population; ``path`` may name a file shipped in this folder.

    Args:
        path: a teacher file (``.safetensors``): absolute, relative to the working
            directory, or the name of a file shipped in ``teachgym/teachers/learned/``.
        **kwargs: as :class:`~teachgym.teachers.generic.sb3_policy.SB3PolicyTeacher`.
    """

    def __init__(self, path: str | None = None, **kwargs):
        if path is not None and not Path(path).is_file() and (SHIPPED / str(path)).is_file():
            path = str(SHIPPED / str(path))
        super().__init__(path=path, **kwargs)
        self._history = None

    def _setup(self) -> None:
        from teachgym.training.vector_sb3 import History

        model_size = int(np.prod(self.model.observation_space.shape))
        env_size = int(np.prod(getattr(self.observation_space, "shape", ()) or (0,)))
        if env_size == 0 or model_size % env_size:
            raise ConfigError(f"the model at {self.path} observes {model_size} numbers, not a whole number of this "
                              f"env's observations ({self.observation_space})")
        self._history = History(model_size // env_size, 1, env_size)
        stacked, self.observation_space = self.observation_space, self.model.observation_space
        try:
            super()._setup()
        finally:
            self.observation_space = stacked

    def act(self, obs, info):
        if obs is None:
            raise ConfigError("a learned teacher acts on the env's observation; got obs=None")
        obs = np.asarray(obs, dtype=np.float32).reshape(1, -1)
        window = self._history.start(obs) if keys.is_episode_start(info) else self._history.push(obs)
        return super().act(window[0], info)


def shipped_card(env_id: str) -> dict[str, Any]:
    """The JSON card of the teacher shipped for ``env_id`` (what it was trained on and how it reads the env)."""
    if env_id not in SHIPPED_ENVS:
        raise ConfigError(f"ppo-teacher ships trained weights for {list(SHIPPED_ENVS)}; got env {env_id!r}")
    return json.loads((WEIGHTS / f"{env_id.split('/')[-1]}.json").read_text())

