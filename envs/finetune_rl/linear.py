"""FineTuneRL-Linear: teach an LSVI learner to combine offline data with an online budget."""

from __future__ import annotations

import math

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.lessons import BoxLessons
from teachgym.students.finetune_rl.linear_mdp import INSTANCES, make_instance
from teachgym.students.finetune_rl.lsvi import COVER, ExplorationLesson, LSVIStudent
from teachgym.students.finetune_rl.offline_data import linear_dataset, load_linear_dataset
from teachgym.validation import check_choice, check_float, check_int, check_path

LESSON_NAMES = tuple(f"explore:{name}" for name in COVER) + ("offline_share",)


class FineTuneRLLinearEnv(TeacherEnv):
    """Decide how an LSVI learner spends its online episodes, given offline data.

    ## Description

    FineTuneRL (Wagenmaker & Pacchiano, 2023): a learner holds an offline
    dataset and may also play online episodes; the goal is an epsilon-optimal
    policy with as few online episodes as possible. The world is an episodic
    linear MDP with a known model (:mod:`teachgym.students.finetune_rl.linear_mdp`;
    horizon ``horizon``, ``n_states`` states, ``n_actions`` actions, features of
    dimension ``feature_dim``), so the true value of any policy is exact. The
    default ``"hidden-treasure"`` instance has one feature direction, worth the
    most reward, that the offline behaviour policy never visits
    (``offline_coverage=0``); every other direction is well covered. The
    student (:class:`teachgym.students.finetune_rl.lsvi.LSVIStudent`) runs least-squares value
    iteration on offline + online data. Each teacher step chooses which
    exploration policies the next ``episodes_per_step`` online episodes follow
    and how much regression weight the offline data gets.

    ## Action Space

    ``Box(0, 1, (5,), float32)``, names in ``info["lesson_space"]["names"]``:

    | index | name                  | meaning                                        |
    |-------|-----------------------|------------------------------------------------|
    | 0     | explore:greedy        | mixture weight: the student's greedy policy    |
    | 1     | explore:uniform       | mixture weight: uniformly random actions       |
    | 2     | explore:optimistic    | mixture weight: LSVI-UCB optimistic policy     |
    | 3     | explore:coverage      | mixture weight: reward-free, least-covered     |
    |       |                       | feature directions                             |
    | 4     | offline_share         | rho: the offline data's share of the total     |
    |       |                       | regression weight (0 ignores it, 1 ignores the |
    |       |                       | online data, ``obs[1]`` pools them equally)    |

    Weights 0-3 are normalised to a mixture (all zero: uniform mixture); each
    episode follows one policy drawn from it. The cover policies are computed
    by the student from its data, never from the model. Actions outside the box
    (or NaN) raise :class:`teachgym.InvalidLessonError`; never clipped.

    ## Observation Space

    ``Box(0, 1, (4 + 2 K + 2 H d,), float32)`` with ``K = 4`` cover policies
    (132 with the defaults):

    | index              | observation                                            |
    |--------------------|--------------------------------------------------------|
    | 0                  | fraction of the online budget used                     |
    | 1                  | pooled share ``N_off / (N_off + N_on)`` (step 0 counts)|
    | 2                  | the offline share in use (last action's; 1 at reset)   |
    | 3                  | the student's estimate of its greedy value / H         |
    | 4 .. 4+K-1         | each cover policy's estimated value / H                |
    | 4+K .. 4+2K-1      | each cover policy's uncertainty (expected summed bonus |
    |                    | along its trajectories) / H                            |
    | next H d           | eigenvalues (ascending) of the offline covariance      |
    |                    | ``sum phi phi^T`` of each step h, as                   |
    |                    | ``log1p(eig) / log1p(max samples)``                    |
    | last H d           | the same for the online data                           |

    Estimates and uncertainties use the offline share in use. Values below 0
    that only floating-point noise produces are set to 0. The reset ``info``
    holds ``observation_layout`` (block name -> ``[start, stop)``, names
    ``budget_used``, ``pooled_share``, ``offline_share``, ``value_estimate``,
    ``cover_value``, ``cover_uncertainty``, ``offline_eigenvalues``,
    ``online_eigenvalues``) and ``cover`` (the policy names).

    ## Rewards

    ``reward_mode="gain"`` (default): the change in the *true* value of the
    student's greedy policy over the step, divided by ``episodes_per_step``
    (improvement per online episode). ``reward_mode="regret"``:
    ``-(V* - V) / V*`` after the step, so the return is minus the area above
    the normalised value curve and faster learning earns more.

    ## Starting State

    No online data; the offline dataset is drawn at reset from the behaviour
    policy with the reset seed (or read from ``offline_dataset``); offline
    share 1, so the greedy policy is the offline-only one.

    ## Episode End

    Never terminates; truncated after ``n_steps`` teacher steps
    (``n_steps * episodes_per_step`` online episodes). ``info["score"]``
    (at reset, every ``score_every`` steps, last step):

    - ``score_mode="budget_saved"`` (default): if the greedy policy is
      epsilon-optimal now (``V >= V* - epsilon``, exact values from the start
      distribution), ``100 * (1 - n / B)`` where ``n`` is the number of online
      episodes used when its current run of epsilon-optimal steps began and
      ``B`` the online budget; otherwise 0. So 100 = offline data alone was
      enough, and higher = fewer online episodes until epsilon-optimal for good.
    - ``score_mode="value"``: ``100 * V / V*``, the greedy policy's value at the
      end of the budget in percent of optimal.

    Every step's ``info`` also holds ``value`` (``100 V / V*``),
    ``online_episodes``, ``eps_optimal``, ``episodes_to_eps`` (``n`` above; -1
    while not epsilon-optimal, not NaN, so same-seed infos compare equal) and
    ``episodes_per_policy`` (counts over the cover). ``task`` is the lesson as
    used: the normalised mixture and the share; ``outcome`` the mean return of
    the step's online episodes / H. ``env.unwrapped.optimal_value`` is ``V*``.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/FineTuneRL-Linear-v0", n_steps=250, episodes_per_step=4, horizon=5,
                   n_states=30, n_actions=4, feature_dim=12, instance="hidden-treasure", instance_seed=0,
                   n_offline_episodes=10_000, offline_coverage=0.0, offline_dataset=None, epsilon=0.05,
                   ridge=1.0, bonus_scale=1.0, reward_mode="gain", score_mode="budget_saved",
                   reward_noise="bernoulli", score_every=25)
    ```

    ``instance_seed`` fixes the MDP (so scores are comparable across seeds);
    the reset seed draws the offline data and all online randomness.
    ``offline_dataset``: a ``.npz`` path (see :mod:`teachgym.students.finetune_rl.offline_data`)
    used instead of drawing data; a file made for another instance is refused.

    ## Version History

    * v0: initial version.
    """

    published_info = ("observation_layout", "cover", "value", "online_episodes", "eps_optimal",
                      "episodes_to_eps", "episodes_per_policy")

    REWARD_MODES = ("gain", "regret")
    SCORE_MODES = ("budget_saved", "value")

    def __init__(self, n_steps: int = 250, episodes_per_step: int = 4, horizon: int = 5, n_states: int = 30,
                 n_actions: int = 4, feature_dim: int = 12, instance: str = "hidden-treasure", instance_seed: int = 0,
                 n_offline_episodes: int = 10_000, offline_coverage: float = 0.0, offline_dataset: str | None = None,
                 epsilon: float = 0.05, ridge: float = 1.0, bonus_scale: float = 1.0, reward_mode: str = "gain",
                 score_mode: str = "budget_saved", reward_noise: str = "bernoulli", score_every: int | None = 25):
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.score_mode = check_choice("score_mode", score_mode, self.SCORE_MODES)
        self.episodes_per_step = check_int("episodes_per_step", episodes_per_step, low=1, high=100_000)
        self.n_offline_episodes = check_int("n_offline_episodes", n_offline_episodes, low=0, high=10_000_000)
        self.offline_coverage = check_float("offline_coverage", offline_coverage, low=0.0, high=1.0)
        self.epsilon = check_float("epsilon", epsilon, low=0.0)
        check_choice("instance", instance, INSTANCES)
        self.mdp = make_instance(instance, np.random.default_rng(check_int("instance_seed", instance_seed, low=0)),
                                 n_states=n_states, n_actions=n_actions, dim=feature_dim,
                                 horizon=check_int("horizon", horizon, low=1, high=1_000), reward_noise=reward_noise)
        self.optimal_value = self.mdp.optimal_value()
        self.offline_dataset = check_path("offline_dataset", offline_dataset, optional=True)
        self._fixed_offline = None if offline_dataset is None else load_linear_dataset(offline_dataset, self.mdp)
        self.student = LSVIStudent(self.mdp, ridge=ridge, bonus_scale=bonus_scale)
        super().__init__(BoxLessons([0.0] * len(LESSON_NAMES), [1.0] * len(LESSON_NAMES), names=LESSON_NAMES),
                         n_steps=n_steps, score_every=score_every)
        self.budget = self.n_steps * self.episodes_per_step
        horizon, dim, n_cover = self.mdp.horizon, self.mdp.dim, len(COVER)
        self.observation_space = spaces.Box(0.0, 1.0, (4 + 2 * n_cover + 2 * horizon * dim,), dtype=np.float32)
        self._value = 0.0
        self._streak_start: int | None = None

    # -- TeacherEnv hooks ------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)
        data = self._fixed_offline
        if data is None:
            data = linear_dataset(self.mdp, self.n_offline_episodes, self.offline_coverage, rng)
        self.student.set_offline_data(data)
        self._eigen_scale = math.log1p(float(self.student.offline.count.max()) + self.budget)
        self._value = self.student.greedy_value()
        self._streak_start = 0 if self._is_eps_optimal() else None

    def _teach(self, task: np.ndarray) -> Taught:
        weights = task[:len(COVER)]
        total = weights.sum()
        mixture = weights / total if total > 0 else np.full(len(COVER), 1.0 / len(COVER))
        lesson = ExplorationLesson(mixture, float(task[-1]))
        report = self.student.learn(lesson, self.episodes_per_step)
        before, self._value = self._value, self.student.greedy_value()
        if self._is_eps_optimal():
            if self._streak_start is None:  # self._t counts the steps before this one
                self._streak_start = (self._t + 1) * self.episodes_per_step
        else:
            self._streak_start = None
        if self.reward_mode == "gain":
            reward = (self._value - before) / self.episodes_per_step
        else:
            reward = -(self.optimal_value - self._value) / self.optimal_value
        return Taught(report.outcome, float(reward), task=np.append(mixture, lesson.offline_share),
                      info={**self._progress_info(),
                            keys.EPISODES_PER_POLICY.name: np.array(report.extras["episodes_per_policy"])})

    def _reset_info(self) -> dict:
        return {**self._progress_info(), keys.OBSERVATION_LAYOUT.name: self.observation_layout(),
                keys.COVER.name: list(COVER)}

    def observation_layout(self) -> dict[str, list[int]]:
        """Name -> ``[start, stop)`` of each block of the observation (also in the reset ``info``)."""
        n_cover, block = len(COVER), self.mdp.horizon * self.mdp.dim
        sizes = [("budget_used", 1), ("pooled_share", 1), ("offline_share", 1), ("value_estimate", 1),
                 ("cover_value", n_cover), ("cover_uncertainty", n_cover), ("offline_eigenvalues", block),
                 ("online_eigenvalues", block)]
        layout, start = {}, 0
        for name, size in sizes:
            layout[name] = [start, start + size]
            start += size
        return layout

    def _observation(self) -> np.ndarray:
        student, horizon = self.student, self.mdp.horizon
        share = student.offline_share
        plan = student.plan(share)
        n_off, n_on = student.offline.count[0], student.online.count[0]
        head = [self.online_episodes / self.budget, n_off / (n_off + n_on) if n_off + n_on > 0 else 0.0,
                share, plan.value_estimate / horizon]
        eigen = [np.linalg.eigvalsh(source.cov).reshape(-1) for source in (student.offline, student.online)]
        obs = np.concatenate([head, plan.cover_value / horizon, plan.cover_uncertainty / horizon,
                              np.log1p(np.maximum(np.concatenate(eigen), 0.0)) / self._eigen_scale])
        return np.clip(obs, 0.0, 1.0).astype(np.float32)

    def score(self) -> float:
        if self.score_mode == "value":
            return 100.0 * self._value / self.optimal_value
        if self._streak_start is None:
            return 0.0
        return 100.0 * (1.0 - self._streak_start / self.budget)

    # -- helpers ---------------------------------------------------------------
    @property
    def online_episodes(self) -> int:
        return max(self._t, 0) * self.episodes_per_step

    def _is_eps_optimal(self) -> bool:
        return self._value >= self.optimal_value - self.epsilon

    def _progress_info(self) -> dict:
        return {keys.VALUE.name: 100.0 * self._value / self.optimal_value,
                keys.ONLINE_EPISODES.name: self.online_episodes, keys.EPS_OPTIMAL.name: self._is_eps_optimal(),
                keys.EPISODES_TO_EPS.name: -1 if self._streak_start is None else self._streak_start}

    # -- checkpointing ---------------------------------------------------------
    def state_dict(self) -> dict:
        state = super().state_dict()
        state.update(value=self._value, streak_start=self._streak_start, eigen_scale=self._eigen_scale)
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._value = float(state["value"])
        self._streak_start = state["streak_start"]
        self._eigen_scale = float(state["eigen_scale"])
