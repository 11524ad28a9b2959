"""GridworldCurriculum: teach a tabular Q-learner to reach a goal from far away."""

from __future__ import annotations

import itertools

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.students.curriculum.tabular_q import TASK_NAMES, TabularQStudent, draw_q_student
from teachgym.students.populations import check_population
from teachgym.validation import check_choice, check_int

# Fixed task sets in the student's task coordinates (start_distance, slip, time_pressure).
# They share no coordinate value, so no probe is a test task. The test set spans
# trivial (start_distance 0), learnable (farther, little slip) and unlearnable
# (far with high slip or a tight step limit) tasks.
PROBE_SET = np.array(list(itertools.product((0.05, 0.4, 0.8), (0.05, 0.4, 0.8), (0.25,))))
TEST_SET = np.array(list(itertools.product((0.0, 0.25, 0.5, 0.75, 1.0), (0.0, 0.3, 0.6, 0.9), (0.1, 0.6))))


class GridworldCurriculumEnv(TeacherEnv):
    """Teach a batched tabular Q-learner on a family of gridworld tasks.

    ## Description

    The student (:class:`teachgym.students.curriculum.tabular_q.TabularQStudent`) learns one
    Q-table for a fixed 9 x 19 maze whose goal room is left only through a
    lava-lined corridor. A task is ``(start_distance, slip, time_pressure)`` in
    ``[0, 1]^3``: how far from the goal the episodes start (1 = 56 cells), how
    often the student's move is replaced by a random one, and how tight the step
    limit is. Each teacher step runs ``episodes_per_step`` epsilon-greedy
    Q-learning episodes of the chosen task in parallel. From a far start the
    zero-initialised learner is a random walk that rarely crosses the lava
    corridor, so far starts are learned only after nearer ones (reverse
    curriculum); far starts under high slip or a tight step limit cannot be
    learned at all. A teacher must push the start outwards along the frontier of
    what the student can already do.

    ## Action Space

    ``lesson_mode="box"`` (``GridworldCurriculum-v0``): ``Box(0, 1, (3,), float32)``,
    the task ``(start_distance, slip, time_pressure)``.
    ``lesson_mode="regions"`` (``GridworldCurriculumDiscrete-v0``):
    ``Discrete(arms_per_dim ** 2)``; arm ``k`` is a square region of
    ``(start_distance, slip)`` (row-major, start distance first) and the task is
    drawn uniformly in it, ``time_pressure`` uniformly in ``[0, 1]``. Actions
    outside the space raise :class:`teachgym.InvalidLessonError`; they are never
    clipped.

    ## Observation Space

    ``Box(0, 1, (10,), float32)``:

    | index | observation                                                       |
    |-------|-------------------------------------------------------------------|
    | 0 - 8 | greedy success probability on each task of ``PROBE_SET``:         |
    |       | start distance (0.05, 0.4, 0.8) x slip (0.05, 0.4, 0.8),          |
    |       | row-major, time pressure 0.25                                     |
    | 9     | fraction of the episode budget used                               |

    ## Rewards

    ``reward_mode="probe_gain"`` (default): the change in the mean probe success,
    so the episode return is the final mean probe success.
    ``reward_mode="outcome"``: the fraction of the step's training episodes that
    reached the goal.

    ## Starting State

    The Q-table is all zeros (the greedy policy moves at random); the budget is
    unused. With ``population="train"`` or ``"held_out"`` every reset draws a new
    learner from that part of the Q-learner population
    (:func:`~teachgym.students.curriculum.tabular_q.draw_q_student`: step size
    0.1-0.9 on a log scale and exploration rate 0.02-0.3, each in disjoint
    interleaved bands, :mod:`teachgym.students.populations`); the maze, the tasks
    and the observation are unchanged, so the teacher must infer which learner it
    faces. ``population=None`` (default) is the one learner set by ``epsilon`` and
    ``learning_rate``.

    ## Episode End

    Never terminates; truncated after ``n_steps`` lessons. The headline
    ``info["score"]`` is the greedy policy's mean success rate on the 40 tasks of
    ``TEST_SET`` in percent (0-100), computed exactly (no rollout noise); it is
    reported at reset, every ``score_every`` steps and on the last step. Every
    step's ``info`` holds ``task`` (the task practised), ``outcome`` (the
    training success rate on it) and ``env_steps`` (student env steps it took).
    No policy reaches 100: ``env.unwrapped.ceiling()`` (about 64.6 with the
    defaults) is the best achievable score.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/GridworldCurriculum-v0", n_steps=500, episodes_per_step=2,
                   reward_mode="probe_gain", score_every=50, max_slip=0.6, epsilon=0.1, population=None)
    env = gym.make("teachgym/GridworldCurriculumDiscrete-v0", arms_per_dim=4)
    ```

    Further keyword arguments go to :class:`TabularQStudent` (``maze``,
    ``horizon``, ``learning_rate``, ``discount``).

    ## Version History

    * v0: initial version.
    """

    published_info = ("env_steps",)

    REWARD_MODES = ("probe_gain", "outcome")

    def __init__(self, n_steps: int = 500, episodes_per_step: int = 2, lesson_mode: str = "box",
                 arms_per_dim: int = 4, reward_mode: str = "probe_gain", score_every: int | None = 50,
                 population: str | None = None, **student_kwargs):
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.population = check_population(population)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, ("box", "regions"))
        self.episodes_per_step = check_int("episodes_per_step", episodes_per_step, low=1, high=1_000_000)
        self.student = TabularQStudent(**student_kwargs)
        dim = len(TASK_NAMES)
        arms_per_dim = check_int("arms_per_dim", arms_per_dim, low=1, high=64)
        if self.lesson_mode == "box":
            lessons = BoxLessons([0.0] * dim, [1.0] * dim, names=TASK_NAMES)
        else:
            lessons = RegionLessons.grid([0.0] * dim, [1.0] * dim, [arms_per_dim, arms_per_dim, 1], names=TASK_NAMES)
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)
        self.probe_set = PROBE_SET.copy()
        self.test_set = TEST_SET.copy()
        self.observation_space = spaces.Box(0.0, 1.0, (len(self.probe_set) + 1,), dtype=np.float32)
        self._probe_success = np.zeros(len(self.probe_set))

    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng, None if self.population is None else draw_q_student(rng, self.population))
        self._probe_success = self.student.evaluate(self.probe_set)

    def _teach(self, task: np.ndarray) -> Taught:
        report = self.student.learn(task, self.episodes_per_step)
        before = self._probe_success
        self._probe_success = self.student.evaluate(self.probe_set)
        return Taught(report.outcome, self._probe_reward(report.outcome, before, self._probe_success),
                      info={keys.ENV_STEPS.name: report.work})

    def _observation(self) -> np.ndarray:
        obs = np.empty(len(self.probe_set) + 1, dtype=np.float32)
        # The DP can land a hair outside [0, 1] in floating point; the space must hold.
        obs[:-1] = np.clip(self._probe_success, 0.0, 1.0)
        obs[-1] = self._t / self.n_steps
        return obs

    def score(self) -> float:
        return 100.0 * float(self.student.evaluate(self.test_set).mean())

    def ceiling(self) -> float:
        """The best score any policy reaches (optimal finite-horizon success on the test set)."""
        return 100.0 * float(self.student.optimal_success(self.test_set).mean())

    def easy_to_hard(self) -> dict:
        if isinstance(self.lessons, BoxLessons):
            # Easy: next to the goal, no slip, a generous step limit; hard: farthest, most slip, tightest.
            return {"easy": self.lessons.low.tolist(), "hard": self.lessons.high.tolist()}
        # Arms by start distance plus slip of their centres; ties keep row-major order.
        centres = (self.lessons.region_low + self.lessons.region_high) / 2
        return {"order": np.argsort(centres[:, :2].sum(axis=1), kind="stable").tolist()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._probe_success = self.student.evaluate(self.probe_set)  # derived from the Q-table
