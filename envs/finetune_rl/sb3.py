"""FineTuneRL-SB3: set the offline/online mixing ratio of an SB3 off-policy learner's replay buffer."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import BoxLessons
from teachgym.validation import ConfigError, check_floats, check_int, check_path, check_str


class FineTuneRLSB3Env(TeacherEnv):
    """Decide how much of each replay minibatch an SB3 DQN/SAC learner draws from offline data.

    ## Description

    The deep variant of FineTuneRL (Wagenmaker & Pacchiano, 2023). The student
    (:class:`teachgym.students.finetune_rl.offline_sb3.OfflineSB3Student`) is SB3's DQN
    (Discrete tasks) or SAC (Box tasks) on a Gymnasium ``task``; its replay
    buffer holds offline transitions of a behaviour policy (a hand-written
    controller with ``behaviour_epsilon`` random actions, made locally; or a
    ``.npz`` file, see :mod:`teachgym.students.finetune_rl.sb3_data`) next to the online
    ones. Each teacher step sets the offline share of every minibatch (RLPD's
    symmetric sampling is 0.5; Ball et al., 2023) and lets the student play
    ``steps_per_step`` online env steps, training after each one. SB3, torch
    and the student are imported only when this env is made.

    ## Action Space

    ``Box(0, 1, (1,), float32)``: ``offline_share``, the fraction of each
    minibatch drawn from the offline data (0: online only, 1: offline only;
    while the online buffer is empty every batch is offline). Actions outside
    [0, 1] or NaN raise :class:`teachgym.InvalidLessonError`; never clipped.

    ## Observation Space

    ``Box(0, 1, (5,), float32)``; returns are scaled by the task's return range
    (``return_range``, e.g. (0, 500) for CartPole-v1) and clipped to [0, 1]:

    | index | observation                                                 |
    |-------|-------------------------------------------------------------|
    | 0     | fraction of the online budget used                          |
    | 1     | scaled greedy evaluation return now                         |
    | 2     | best scaled evaluation return so far                        |
    | 3     | pooled share ``N_off / (N_off + N_on)`` of stored transitions|
    | 4     | the offline share in use (last action's; 1 at reset)        |

    The reset ``info`` holds ``observation_layout`` (block name -> ``[start, stop)``).

    ## Rewards

    The gain in mean greedy evaluation return over the step divided by
    ``steps_per_step`` (gain per online env step).

    ## Starting State

    A freshly initialised network (seeded by the reset seed), an empty online
    buffer, and the offline data (fixed by ``dataset_seed`` or the file).

    ## Episode End

    Never terminates; truncated after ``n_steps`` teacher steps
    (``n_steps * steps_per_step`` online env steps). ``info["score"]`` (at
    reset, every ``score_every`` steps, last step) is the mean return of the
    greedy policy over ``eval_episodes`` fixed-seed evaluation episodes, scaled
    by ``return_range`` to percent and clipped to [0, 100]. The return in the
    task's own units is ``info["eval_return"]`` (at reset and every step). Every
    step's ``info`` also has ``task`` (``[offline_share]``) and ``outcome`` (the
    scaled evaluation return after the step, in [0, 1]).

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/FineTuneRL-SB3-v1", n_steps=20, steps_per_step=500, task="CartPole-v1",
                   algo="dqn", n_offline_transitions=20_000, behaviour="heuristic", behaviour_epsilon=0.3,
                   offline_dataset=None, dataset_seed=0, eval_episodes=5, eval_max_steps=None, score_every=5)
    env = gym.make("teachgym/FineTuneRL-SB3-v1", task="Pendulum-v1", algo="sac", steps_per_step=250)
    ```

    Further keyword arguments go to the student (``learning_rate``,
    ``batch_size``, ``buffer_size``, ``learning_starts``, ``gamma``,
    ``net_arch``, ``target_update_interval``, ``exploration_eps``,
    ``gradient_steps``). Defaults keep a run CPU-friendly (about 10k online
    steps).

    ## Version History

    * v1: ``info["score"]`` in percent of ``return_range`` (v0: the raw return, now
      ``info["eval_return"]``). Teaching dynamics and rewards are unchanged.
    * v0: initial version.
    """

    published_info = ("observation_layout", "eval_return")

    def __init__(self, n_steps: int = 20, steps_per_step: int = 500, task: str = "CartPole-v1", algo: str = "dqn",
                 n_offline_transitions: int = 20_000, behaviour: str = "heuristic", behaviour_epsilon: float = 0.3,
                 offline_dataset: str | None = None, dataset_seed: int = 0, eval_episodes: int = 5,
                 eval_max_steps: int | None = None, return_range: tuple[float, float] | None = None,
                 score_every: int | None = 5, **student_kwargs):
        from teachgym.students.finetune_rl.offline_sb3 import OfflineSB3Student
        from teachgym.students.finetune_rl.sb3_data import RETURN_RANGES, generate_dataset, load_dataset

        self.steps_per_step = check_int("steps_per_step", steps_per_step, low=1, high=10_000_000)
        task = check_str("task", task)
        if return_range is not None:
            return_range = check_floats("return_range", return_range, length=2)
        if check_path("offline_dataset", offline_dataset, optional=True) is None:
            self.offline = generate_dataset(task, n_offline_transitions, behaviour, behaviour_epsilon,
                                            check_int("dataset_seed", dataset_seed, low=0))
        else:
            self.offline = load_dataset(offline_dataset, task)
        return_range = return_range or RETURN_RANGES.get(task)
        if return_range is None or len(return_range) != 2 or not float(return_range[0]) < float(return_range[1]):
            raise ConfigError(f"return_range must be (worst, best) returns with worst < best for task {task!r}, "
                              f"got {return_range!r}")
        self.return_range = (float(return_range[0]), float(return_range[1]))
        self.student = OfflineSB3Student(task, self.offline, algo=algo, eval_episodes=eval_episodes,
                                         eval_max_steps=eval_max_steps, **student_kwargs)
        super().__init__(BoxLessons([0.0], [1.0], names=("offline_share",)), n_steps=n_steps, score_every=score_every)
        self.observation_space = spaces.Box(0.0, 1.0, (5,), dtype=np.float32)
        self._return = self._best = 0.0
        self._share = 1.0

    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)
        self._share = 1.0
        self._return = self._best = float(self.student.evaluate().mean())

    def _teach(self, task: np.ndarray) -> Taught:
        self._share = float(task[0])
        self.student.learn(self._share, self.steps_per_step)
        before, self._return = self._return, float(self.student.evaluate().mean())
        self._best = max(self._best, self._return)
        return Taught(self._scaled(self._return), (self._return - before) / self.steps_per_step,
                      info={keys.EVAL_RETURN.name: self._return})

    def _scaled(self, value: float) -> float:
        low, high = self.return_range
        return min(1.0, max(0.0, (value - low) / (high - low)))

    def _observation(self) -> np.ndarray:
        n_off = len(self.offline["rewards"])
        n_on = self.student.model.replay_buffer.size()
        return np.array([self._t / self.n_steps, self._scaled(self._return), self._scaled(self._best),
                         n_off / (n_off + n_on) if n_off + n_on else 0.0, self._share], dtype=np.float32)

    def score(self) -> float:
        return 100.0 * self._scaled(self._return)

    def _reset_info(self) -> dict:
        return {keys.OBSERVATION_LAYOUT.name: {"budget_used": [0, 1], "eval_return": [1, 2],
                                               "best_eval_return": [2, 3], "pooled_share": [3, 4],
                                               "offline_share": [4, 5]},
                keys.EVAL_RETURN.name: self._return}

    def state_dict(self) -> dict:
        state = super().state_dict()
        state.update(eval_return=self._return, best=self._best, share=self._share)
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._return, self._best, self._share = state["eval_return"], state["best"], state["share"]

    def close(self) -> None:
        for env in [self.student.env, *self.student.eval_envs]:
            env.close()
