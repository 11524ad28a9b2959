"""What the deep-RL curriculum envs share: an SB3 student, a probe set, probe-gain reward."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.students.deeprl.param_task import ParamTaskEnv
from teachgym.validation import ConfigError, check_choice, check_float, check_floats, check_int, check_mapping


class DeepRLCurriculumEnv(TeacherEnv):
    """Base of the envs whose student is an SB3 agent on a :class:`ParamTaskEnv` family.

    Each teacher step trains the student ``steps_per_lesson`` env steps on the
    chosen task, then plays its deterministic policy once on every task of
    ``probe_set`` (fixed start states). Observation: the probe scores, the
    lesson's outcome and the budget used. Subclasses set ``family`` and
    ``probe_set``, and implement :meth:`score` (and usually :meth:`easy_to_hard`).

    Args:
        n_steps: lessons per teaching run.
        steps_per_lesson: student env steps per lesson (PPO: one rollout of
            ``steps_per_lesson / n_envs`` steps per env unless ``algo_kwargs``
            sets ``n_steps``).
        n_envs: the student's parallel training envs.
        algo: "ppo", "sac" or "dqn" (what the task family's action space allows).
        algo_kwargs: extra keyword arguments of the SB3 algorithm.
        device: "auto", "cpu" or "cuda".
        reward_mode: "probe_gain" (change of the mean probe score; the return
            is the final mean probe score minus the initial one) or "outcome"
            (the lesson's outcome).
        score_every: report ``info["score"]`` every this many lessons (None:
            at reset and on the last step only).
        forget_at: fraction of the budget after which the student's networks
            are re-initialised (TeachMyAgent's "forgetting student"); None: never.
        lesson_mode: "box" (the action is the task) or "regions" (Discrete
            arms, each a box of the task space, ``arms_per_dim`` per dimension).
        arms_per_dim: regions per task dimension in "regions" mode.
        task_low, task_high: the teachable task box (default: the family's
            whole range).
    """

    published_info = ("env_steps", "success_rate")

    family: ClassVar[type[ParamTaskEnv]]
    probe_set: ClassVar[np.ndarray]
    probe_max_steps: ClassVar[int | None] = None  # cut probe episodes here (None: the family's episode length)
    REWARD_MODES = ("probe_gain", "outcome")

    def __init__(self, n_steps: int, steps_per_lesson: int, n_envs: int = 4, algo: str = "ppo",
                 algo_kwargs: dict[str, Any] | None = None, device: str = "auto", reward_mode: str = "probe_gain",
                 score_every: int | None = None, forget_at: float | None = None, lesson_mode: str = "box",
                 arms_per_dim: int = 4, task_low=None, task_high=None):
        from teachgym.students.deeprl.sb3_agent import SB3Student  # torch and SB3 load with the first deep-RL env

        self.steps_per_lesson = check_int("steps_per_lesson", steps_per_lesson, low=1)
        n_envs = check_int("n_envs", n_envs, low=1, high=1024)
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, ("box", "regions"))
        self.forget_at = None if forget_at is None else check_float("forget_at", forget_at, low=0.0, high=1.0,
                                                                      low_open=True)
        n_dims = len(self.family.task_names)
        low = np.asarray(self.family.task_low if task_low is None
                         else check_floats("task_low", task_low, length=n_dims))
        high = np.asarray(self.family.task_high if task_high is None
                          else check_floats("task_high", task_high, length=n_dims))
        for name, lo, hi, family_lo, family_hi in zip(self.family.task_names, low, high, self.family.task_low,
                                                      self.family.task_high):
            if not family_lo <= lo < hi <= family_hi:
                raise ConfigError(f"task_low/task_high of {name} must satisfy {family_lo} <= low < high <= "
                                  f"{family_hi}, got [{lo}, {hi}]")
        arms = check_int("arms_per_dim", arms_per_dim, low=1, high=64)
        if self.lesson_mode == "box":
            lessons = BoxLessons(low, high, names=self.family.task_names)
        else:
            lessons = RegionLessons.grid(low, high, arms, names=self.family.task_names)
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)
        kwargs = check_mapping("algo_kwargs", algo_kwargs)
        if algo == "ppo":
            kwargs.setdefault("n_steps", max(1, self.steps_per_lesson // n_envs))
        self.student = SB3Student(self.family, algo=algo, n_envs=n_envs, algo_kwargs=kwargs, device=device)
        self.observation_space = spaces.Box(0.0, 1.0, (len(self.probe_set) + 2,), dtype=np.float32)
        self._probe_scores = np.zeros(len(self.probe_set))
        self._outcome = 0.0

    # -- TeacherEnv hooks ----------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)
        self._probe_scores = self.student.evaluate(self.probe_set, self.probe_max_steps)
        self._outcome = 0.0

    def _teach(self, task: np.ndarray) -> Taught:
        if self.forget_at is not None and self._t == math.ceil(self.forget_at * self.n_steps) and self._t > 0:
            self.student.forget()
        report = self.student.learn(task, self.steps_per_lesson)
        self._outcome = report.outcome
        before = self._probe_scores
        self._probe_scores = self.student.evaluate(self.probe_set, self.probe_max_steps)
        return Taught(self._outcome, self._probe_reward(self._outcome, before, self._probe_scores),
                      info={keys.ENV_STEPS.name: report.work, keys.SUCCESS_RATE.name: report.extras["success_rate"]})

    def _observation(self) -> np.ndarray:
        obs = np.empty(len(self.probe_set) + 2, dtype=np.float32)
        obs[:-2] = np.clip(self._probe_scores, 0.0, 1.0)
        obs[-2] = min(1.0, max(0.0, self._outcome))
        obs[-1] = self._t / self.n_steps
        return obs

    def probe_names(self) -> list[str]:
        """One label per probe task (the observation's first entries)."""
        return [", ".join(f"{n}={v:g}" for n, v in zip(self.family.task_names, task)) for task in self.probe_set]

    # -- checkpointing -----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "probe_scores": self._probe_scores.copy(), "outcome": self._outcome}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._probe_scores = np.asarray(state["probe_scores"], dtype=np.float64).copy()
        self._outcome = float(state["outcome"])

    def close(self) -> None:
        self.student.close()
        super().close()
