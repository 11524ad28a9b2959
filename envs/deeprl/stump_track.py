"""StumpTrackCurriculum: teach an SB3 runner to cross stump tracks, most of whose task space is impassable."""

from __future__ import annotations

import itertools

import numpy as np

from teachgym.envs.deeprl.base import DeepRLCurriculumEnv
from teachgym.envs.deeprl.stump_track_task import StumpTrackTask

# (stump_height m, stump_spacing m)
PROBE_SET = np.array([[0.2, 3.0], [0.8, 3.0], [1.2, 3.0], [1.2, 1.0], [1.6, 3.0], [2.5, 3.0]])
TEST_SET = np.array(list(itertools.product(np.linspace(0.0, 3.0, 7), (0.5, 2.0, 4.0, 6.0))))


class StumpTrackCurriculumEnv(DeepRLCurriculumEnv):
    """Teach a PPO (or SAC) runner to cross stump tracks (after TeachMyAgent's Stump Tracks).

    ## Description

    The student (:class:`teachgym.students.deeprl.sb3_agent.SB3Student`) controls a
    point-mass runner on a 20 m track
    (:class:`~teachgym.envs.deeprl.stump_track_task.StumpTrackTask`): it
    accelerates on the ground and jumps; stumps 0.5 m wide of height
    ``stump_height`` stand every ``stump_spacing`` metres from 3 m on, and
    their tops are ground it can land and run on. It senses the distance and
    height of the next two stumps. The task space has the three properties
    TeachMyAgent (Romac et al., 2021) tests teachers on:

    - large unlearnable region: stumps higher than about 1.9 m (a 1.64 m jump
      apex plus a 0.3 m step) cannot be passed; with the default height range
      [0, 3] that is over a third of the space, and ``task_high=(9, 6)`` makes
      it "mostly unfeasible" (about 80 %);
    - trivial region: stumps up to 0.3 m are stepped over without jumping, and
      heights <= 0 mean no stumps (``task_low=(-3, 0)`` makes the space
      "mostly trivial");
    - forgetting: jumps cost return, so a student drilled on trivial tracks
      unlearns jumping, and ``forget_at`` re-initialises the student's networks
      part-way (TeachMyAgent's "forgetting student").

    Each teacher step is one lesson: ``steps_per_lesson`` student env steps on
    the chosen track (one PPO rollout over ``n_envs`` envs), then one
    deterministic episode on each probe track.

    ## Action Space

    ``Box([0, 0], [3, 6], (2,), float32)``: the lesson's ``(stump_height,
    stump_spacing)``; ``task_low``/``task_high`` change it within the family's
    [-3, 9] x [0, 6]. With ``lesson_mode="regions"``: ``Discrete(arms_per_dim
    ** 2)``, boxes of the task space in row-major order (height first), the
    task drawn uniformly in the chosen box. Actions outside the space raise
    :class:`teachgym.InvalidLessonError`; they are never clipped.

    ## Observation Space

    ``Box(0, 1, (8,), float32)``:

    | index | observation                                                      |
    |-------|------------------------------------------------------------------|
    | 0 - 5 | fraction of the track covered in one deterministic episode on    |
    |       | each probe (height, spacing): (0.2, 3), (0.8, 3), (1.2, 3),      |
    |       | (1.2, 1), (1.6, 3), (2.5, 3) (the last one impassable)           |
    | 6     | the last lesson's outcome: mean fraction of the track covered    |
    | 7     | fraction of the episode budget used                              |

    ## Rewards

    ``reward_mode="probe_gain"`` (default): the change of the mean probe
    score. ``reward_mode="outcome"``: the lesson's outcome.

    ## Starting State

    A freshly initialised agent (seeded from the env's seed); the budget is unused.

    ## Episode End

    Never terminates; truncated after ``n_steps`` lessons. The headline
    ``info["score"]`` is the percentage of the 28 tracks of ``TEST_SET``
    (height 0, 0.5, ..., 3 m x spacing 0.5, 2, 4, 6 m) that one deterministic
    episode crosses within 10 s; 3 heights of 7 are impassable, so the best
    score is about 57 %. Reported at reset, every ``score_every`` lessons and
    on the last step. Every step's ``info`` holds ``task``, ``outcome``,
    ``success_rate`` (share of the lesson's episodes that crossed) and
    ``env_steps``.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/StumpTrackCurriculum-v0", n_steps=100, steps_per_lesson=2048, n_envs=4,
                   algo="ppo", algo_kwargs=None, device="auto", reward_mode="probe_gain",
                   score_every=10, forget_at=None, task_low=(0, 0), task_high=(3, 6))
    ```

    ## Version History

    * v0: initial version.
    """

    family = StumpTrackTask
    probe_set = PROBE_SET

    def __init__(self, n_steps: int = 100, steps_per_lesson: int = 2048, score_every: int | None = 10,
                 task_low=(0.0, 0.0), task_high=(3.0, 6.0), **kwargs):
        super().__init__(n_steps=n_steps, steps_per_lesson=steps_per_lesson, score_every=score_every,
                         task_low=task_low, task_high=task_high, **kwargs)
        self.test_set = TEST_SET.copy()

    def score(self) -> float:
        return 100.0 * float(self.student.play(self.test_set).successes.mean())

    def easy_to_hard(self) -> dict:
        if self.lesson_mode == "box":  # low, widely spaced stumps first; tall, close ones last
            low, high = self.lessons.low, self.lessons.high
            return {"easy": [max(float(low[0]), 0.0), float(high[1])], "hard": [float(high[0]), float(low[1])]}
        centres = (self.lessons.region_low + self.lessons.region_high) / 2
        return {"order": np.lexsort((-centres[:, 1], centres[:, 0])).tolist()}
