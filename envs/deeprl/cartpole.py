"""CartPoleCurriculum: teach an SB3 agent to balance poles of many lengths and masses under many gravities."""

from __future__ import annotations

import itertools

import numpy as np

from teachgym.envs.deeprl.base import DeepRLCurriculumEnv
from teachgym.envs.deeprl.cartpole_task import CartPoleTask

# (pole_length m, pole_mass kg, gravity m/s^2); the default pole is (1.0, 0.1, 9.8).
PROBE_SET = np.array([[1.0, 0.1, 9.8], [0.3, 0.1, 9.8], [3.0, 0.1, 9.8], [1.0, 1.0, 9.8], [1.0, 0.1, 20.0],
                      [0.3, 1.0, 20.0]])
TEST_SET = np.array(list(itertools.product((0.2, 0.5, 1.0, 2.0, 4.0), (0.05, 0.2, 1.0, 2.0), (4.9, 9.8, 19.6))))
MASTERED_RETURN = 475.0


class CartPoleCurriculumEnv(DeepRLCurriculumEnv):
    """Teach a PPO (or DQN) agent CartPole over a family of poles and gravities.

    ## Description

    The student (:class:`teachgym.students.deeprl.sb3_agent.SB3Student`) learns one
    policy for Gymnasium's ``CartPole-v1`` with a task
    ``(pole_length, pole_mass, gravity)``
    (:class:`~teachgym.envs.deeprl.cartpole_task.CartPoleTask`; Gymnasium's
    cached ``total_mass`` and ``polemass_length`` are recomputed for every
    task). The policy sees only the usual four state variables, so it must
    find one controller that holds every pole of the test grid: short poles
    under strong gravity fall fast, long ones slowly, heavy ones push the light
    cart around. Each teacher step is one lesson: ``steps_per_lesson`` student
    env steps on the chosen task (one PPO rollout over ``n_envs`` envs), then
    one deterministic episode on each probe task.

    ## Action Space

    ``Box([0.1, 0.02, 2], [4, 2, 25], (3,), float32)``: the lesson's
    ``(pole_length, pole_mass, gravity)``; ``task_low``/``task_high`` narrow
    it. With ``lesson_mode="regions"``: ``Discrete(arms_per_dim ** 3)``, boxes
    of the task space in row-major order, the task drawn uniformly in the
    chosen box. Actions outside the space raise
    :class:`teachgym.InvalidLessonError`; they are never clipped.

    ## Observation Space

    ``Box(0, 1, (8,), float32)``:

    | index | observation                                                     |
    |-------|-----------------------------------------------------------------|
    | 0 - 5 | return / 500 of one deterministic episode on each probe task    |
    |       | (length, mass, gravity): (1, 0.1, 9.8) the default pole,         |
    |       | (0.3, 0.1, 9.8), (3, 0.1, 9.8), (1, 1, 9.8), (1, 0.1, 20),       |
    |       | (0.3, 1, 20); the same start state every time                    |
    | 6     | the last lesson's outcome: mean return / 500 of its episodes    |
    | 7     | fraction of the episode budget used                             |

    ## Rewards

    ``reward_mode="probe_gain"`` (default): the change of the mean probe
    score. ``reward_mode="outcome"``: the lesson's outcome.

    ## Starting State

    A freshly initialised agent (seeded from the env's seed); the budget is unused.

    ## Episode End

    Never terminates; truncated after ``n_steps`` lessons. The headline
    ``info["score"]`` is the percentage of the 60 tasks of ``TEST_SET``
    (pole length 0.2-4 m x pole mass 0.05-2 kg x gravity 4.9, 9.8, 19.6)
    on which one deterministic episode returns at least 475; reported at
    reset, every ``score_every`` lessons and on the last step. Every step's
    ``info`` holds ``task``, ``outcome`` (the lesson's mean return / 500; an
    episode still running at the lesson's end counts with its partial return),
    ``success_rate`` (share of the lesson's episodes that lasted 500 steps) and
    ``env_steps``.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/CartPoleCurriculum-v0", n_steps=50, steps_per_lesson=2048, n_envs=4,
                   algo="ppo", algo_kwargs=None, device="auto", reward_mode="probe_gain",
                   score_every=10, forget_at=None, lesson_mode="box")
    ```

    ## Version History

    * v0: initial version.
    """

    family = CartPoleTask
    probe_set = PROBE_SET

    def __init__(self, n_steps: int = 50, steps_per_lesson: int = 2048, score_every: int | None = 10, **kwargs):
        super().__init__(n_steps=n_steps, steps_per_lesson=steps_per_lesson, score_every=score_every, **kwargs)
        self.test_set = TEST_SET.copy()

    def score(self) -> float:
        returns = self.student.play(self.test_set).returns
        return 100.0 * float(np.mean(returns >= MASTERED_RETURN))

    def easy_to_hard(self) -> dict:
        if self.lesson_mode == "box":
            # Easy: the longest, lightest pole under the weakest gravity; hard: the opposite corner.
            low, high = self.lessons.low, self.lessons.high
            return {"easy": [float(high[0]), float(low[1]), float(low[2])],
                    "hard": [float(low[0]), float(high[1]), float(high[2])]}
        centres = (self.lessons.region_low + self.lessons.region_high) / 2
        # Each parameter scaled by its range: short, heavy poles under strong gravity are hardest.
        span = self.lessons.region_high.max(axis=0) - self.lessons.region_low.min(axis=0)
        scaled = centres / span
        hardness = -scaled[:, 0] + scaled[:, 1] + scaled[:, 2]
        return {"order": np.argsort(hardness, kind="stable").tolist()}
