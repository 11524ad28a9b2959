"""MountainCarCurriculum: teach an SB3 agent to drive the default (underpowered) mountain car."""

from __future__ import annotations

import numpy as np

from teachgym.envs.deeprl.base import DeepRLCurriculumEnv
from teachgym.envs.deeprl.mountain_car_task import MountainCarTask
from teachgym.validation import check_int


class MountainCarCurriculumEnv(DeepRLCurriculumEnv):
    """Teach a PPO (or SAC) agent ``MountainCarContinuous`` by choosing the car's engine power.

    ## Description

    The student (:class:`teachgym.students.deeprl.sb3_agent.SB3Student`) learns
    Gymnasium's ``MountainCarContinuous-v0`` task family
    (:class:`~teachgym.envs.deeprl.mountain_car_task.MountainCarTask`) in which
    the engine has ``power_scale`` times the default power (observations
    scaled to [-1, 1]). The default car (``power_scale=1``) must rock back and
    forth to reach the flag; trained on it alone, PPO never finds the flag and
    the action cost teaches it to stand still. From about 1.7 the engine beats
    gravity and driving right works, so the student finds the flag on
    powerful cars and can carry what it learned down to the default one: a
    curriculum effect within the default budget (see ``benchmarks/RESULTS.md``). Each teacher step is
    one lesson: ``steps_per_lesson`` student env steps (``n_envs`` envs, one
    PPO rollout) on the chosen car, after which the student's deterministic
    policy drives each car of the probe set once.

    ## Action Space

    ``Box(1, 2, (1,), float32)``: the ``power_scale`` of the lesson's car
    (``task_low``/``task_high`` change the range within the family's [1, 4]). With ``lesson_mode="regions"``:
    ``Discrete(arms_per_dim)``, arm ``k`` the ``k``-th slice of the range, the
    power drawn uniformly in it. Actions outside the space raise
    :class:`teachgym.InvalidLessonError`; they are never clipped.

    ## Observation Space

    ``Box(0, 1, (7,), float32)``:

    | index | observation                                                  |
    |-------|--------------------------------------------------------------|
    | 0 - 4 | success (0/1) of one deterministic episode, stopped after    |
    |       | 400 steps, on each probe car: power_scale 1.0, 1.25, 1.5,    |
    |       | 1.75, 2.0 (the same start every time)                        |
    | 5     | the last lesson's outcome: its training success rate         |
    | 6     | fraction of the episode budget used                          |

    ## Rewards

    ``reward_mode="probe_gain"`` (default): the change of the mean probe
    success. ``reward_mode="outcome"``: the lesson's training success rate.

    ## Starting State

    A freshly initialised agent (seeded from the env's seed); the budget is unused.

    ## Episode End

    Never terminates; truncated after ``n_steps`` lessons. The headline
    ``info["score"]`` is the success rate (in %) of the deterministic policy on
    the default car over ``test_episodes`` fixed start positions; it is reported
    at reset, every ``score_every`` lessons and on the last step. Every step's
    ``info`` holds ``task``, ``outcome`` (fraction of the lesson's episodes that
    reached the flag; an episode still running when the lesson ends counts as a
    failure), ``success_rate`` (the same) and ``env_steps``.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/MountainCarCurriculum-v0", n_steps=75, steps_per_lesson=2048, n_envs=4,
                   algo="ppo", algo_kwargs=None, device="auto", reward_mode="probe_gain",
                   score_every=None, test_episodes=10, forget_at=None, lesson_mode="box",
                   task_low=(1.0,), task_high=(2.0,))
    ```

    The default budget is 75 x 2048 = 153,600 student steps (about a minute
    of one CPU core for PPO).

    ## Version History

    * v0: initial version.
    """

    family = MountainCarTask
    probe_set = np.array([[1.0], [1.25], [1.5], [1.75], [2.0]])
    # A car that can climb does so in 100-200 steps; stopping probes at 400 keeps the probes of a failing
    # student (every episode runs to the limit) at about 2 % of a lesson's cost.
    probe_max_steps = 400

    def __init__(self, n_steps: int = 75, steps_per_lesson: int = 2048, test_episodes: int = 10,
                 task_low=(1.0,), task_high=(2.0,), **kwargs):
        self.test_episodes = check_int("test_episodes", test_episodes, low=1, high=10_000)
        super().__init__(n_steps=n_steps, steps_per_lesson=steps_per_lesson, task_low=task_low, task_high=task_high,
                         **kwargs)

    def score(self) -> float:
        return 100.0 * float(self.student.play(np.array([[1.0]]), self.test_episodes).successes.mean())

    def easy_to_hard(self) -> dict:
        if self.lesson_mode == "box":  # powerful (easy) to the default car (hard)
            return {"easy": self.lessons.high.tolist(), "hard": self.lessons.low.tolist()}
        return {"order": list(range(self.lessons.n_arms))[::-1]}  # arms go up in power
