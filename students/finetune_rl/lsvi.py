"""Least-squares value iteration (LSVI) on offline plus online data of a linear MDP.

The student holds an offline dataset of transitions and collects online
episodes in a :class:`~teachgym.students.finetune_rl.linear_mdp.LinearMDP`. It knows the
features ``phi(s, a)`` but not the model. For every step ``h`` it keeps the
sufficient statistics of each data source (``sum phi phi^T``, ``sum phi r`` and
``sum phi e_{s'}^T``) and plans by ridge regression, backwards from ``h = H - 1``:

    Lambda_h = ridge I + c_off C_off,h + c_on C_on,h
    w_h      = Lambda_h^-1 (c_off (b + M V_{h+1})_off,h + c_on (b + M V_{h+1})_on,h)
    Q_h(s,a) = clip(phi(s,a) . w_h, 0, H - h)

**Offline share.** Every lesson sets ``offline_share`` (rho in [0, 1]): the
offline data gets total regression weight ``rho (N_off + N_on)`` and the online
data ``(1 - rho) (N_off + N_on)`` (``N``: samples at that step), i.e. per-sample
weights ``c_off = rho N / N_off`` and ``c_on = (1 - rho) N / N_on``. This is
RLPD's symmetric sampling written as a weighted regression: ``rho = 0.5`` is
50/50, ``rho = N_off / N`` pools the two sources with equal per-sample weight,
``rho = 0`` ignores the offline data and ``rho = 1`` the online data.

**Exploration policies (the cover).** A lesson is a mixture over the policies
of :data:`COVER`, all computed from the student's data (never from the model):

==============  =================================================================
``greedy``      argmax of the LSVI estimate (pure exploitation)
``uniform``     uniformly random actions
``optimistic``  LSVI-UCB: argmax of ``Q_h + bonus_scale (H - h) ||phi||_{Lambda_h^-1}``
``coverage``    reward-free: maximises the summed bonus, i.e. heads for the
                least covered feature directions whatever their reward
==============  =================================================================

Each online episode follows one cover policy drawn from the mixture.
For each cover policy the student also reports its estimated value and its
uncertainty: the expected summed bonus along its own trajectories under the
estimated model (how much uncovered feature space it visits).

The greedy policy's *true* value (exact, from the known model) is what
:meth:`evaluate` returns; the student itself never reads the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.finetune_rl.linear_mdp import LinearMDP
from teachgym.validation import ConfigError, check_float, check_int

COVER = ("greedy", "uniform", "optimistic", "coverage")
DATA_KEYS = ("step", "state", "action", "reward", "next_state")


@dataclass(frozen=True)
class ExplorationLesson:
    """What the student does next: a mixture over :data:`COVER` and the offline share."""

    mixture: np.ndarray
    offline_share: float


@dataclass
class Plan:
    """LSVI's output for one offline share.

    Attributes:
        cover: ``(K, H, S, A)`` the cover policies (order of :data:`COVER`).
        value_estimate: the estimated value of the greedy policy from the start.
        cover_value: ``(K,)`` each cover policy's estimated value from the start.
        cover_uncertainty: ``(K,)`` each cover policy's expected summed bonus.
    """

    cover: np.ndarray
    value_estimate: float
    cover_value: np.ndarray
    cover_uncertainty: np.ndarray

    @property
    def greedy(self) -> np.ndarray:
        return self.cover[0]


class _Statistics:
    """Per-step sufficient statistics of one data source."""

    def __init__(self, horizon: int, dim: int, n_states: int):
        self.cov = np.zeros((horizon, dim, dim))
        self.rew = np.zeros((horizon, dim))
        self.nxt = np.zeros((horizon, dim, n_states))
        self.count = np.zeros(horizon)

    def add(self, features: np.ndarray, step: np.ndarray, data: dict[str, np.ndarray]) -> None:
        """Add flat transitions; ``features`` is ``(N, d)``, ``step`` ``(N,)``."""
        for h in np.unique(step):
            rows = step == h
            phi = features[rows]
            self.cov[h] += phi.T @ phi
            self.rew[h] += phi.T @ data["reward"][rows]
            np.add.at(self.nxt[h].T, data["next_state"][rows], phi)  # column s' gets sum of phi with next state s'
            self.count[h] += rows.sum()

    def state(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k).copy() for k in ("cov", "rew", "nxt", "count")}

    def load(self, state: dict[str, np.ndarray]) -> None:
        for key in ("cov", "rew", "nxt", "count"):
            setattr(self, key, np.array(state[key], dtype=np.float64))


class LSVIStudent(Student):
    """LSVI on offline + online data of a linear MDP (see module docstring).

    Args:
        mdp: the MDP the student acts in (it reads only ``features`` and the
            start distribution; the model is used to simulate and to score).
        ridge: the ridge regulariser ``lambda`` (> 0).
        bonus_scale: ``beta`` of the optimism/coverage bonus (>= 0).
    """

    def __init__(self, mdp: LinearMDP, ridge: float = 1.0, bonus_scale: float = 1.0):
        self.mdp = mdp
        self.ridge = check_float("ridge", ridge, low=0.0, low_open=True)
        self.bonus_scale = check_float("bonus_scale", bonus_scale, low=0.0)
        self._flat_features = mdp.features.reshape(-1, mdp.dim)
        self.offline = _Statistics(mdp.horizon, mdp.dim, mdp.n_states)
        self.online = _Statistics(mdp.horizon, mdp.dim, mdp.n_states)
        self.offline_share = 1.0
        self.rng = np.random.default_rng(0)
        self._plan: Plan | None = None

    # -- data ------------------------------------------------------------------
    def set_offline_data(self, data: dict[str, np.ndarray]) -> None:
        """Replace the offline dataset (flat arrays named as :data:`DATA_KEYS`)."""
        self.offline = _Statistics(self.mdp.horizon, self.mdp.dim, self.mdp.n_states)
        if len(data["step"]):
            self.offline.add(self.mdp.features[data["state"], data["action"]], data["step"], data)
        self._plan = None

    def _add_online(self, episodes: dict[str, np.ndarray]) -> None:
        n_episodes, horizon = episodes["state"].shape
        flat = {k: v.reshape(-1) for k, v in episodes.items()}
        step = np.tile(np.arange(horizon), n_episodes)
        self.online.add(self.mdp.features[flat["state"], flat["action"]], step, flat)
        self._plan = None

    # -- Student API -----------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        mdp = self.mdp
        self.online = _Statistics(mdp.horizon, mdp.dim, mdp.n_states)
        self.offline_share = 1.0
        self.rng = rng
        self._plan = None

    def learn(self, lesson: ExplorationLesson, budget: int = 1) -> LearnReport:
        """Run ``budget`` online episodes of the lesson's mixture, add them to the data, re-plan."""
        mixture = np.asarray(lesson.mixture, dtype=np.float64)
        if mixture.shape != (len(COVER),) or not np.all(mixture >= 0) or not np.isclose(mixture.sum(), 1.0):
            raise ConfigError(f"lesson.mixture must be {len(COVER)} probabilities over {COVER}, got {mixture}")
        share = check_float("offline_share", lesson.offline_share, low=0.0, high=1.0)
        budget = check_int("budget", budget, low=1)
        plan = self.plan(share)
        chosen = self.rng.choice(len(COVER), size=budget, p=mixture)
        counts = np.bincount(chosen, minlength=len(COVER))
        returns = []
        for k in np.flatnonzero(counts):
            episodes = self.mdp.sample_episodes(plan.cover[k], int(counts[k]), self.rng)
            self._add_online(episodes)
            returns.append(episodes["reward"].sum(axis=1))
        self.offline_share = share
        mean_return = float(np.concatenate(returns).mean())
        return LearnReport(outcome=mean_return / self.mdp.horizon, work=budget,
                           extras={"episodes_per_policy": counts, "mean_return": mean_return})

    def evaluate(self, probes: Any = None) -> np.ndarray:
        """True value of the greedy policy: from the start distribution (``probes=None``) or from
        each row of ``probes``, an ``(m, S)`` array of start distributions."""
        greedy = self.plan(self.offline_share).greedy
        if probes is None:
            return np.array([self.mdp.policy_value(greedy)])
        values = self._policy_state_values(greedy)
        return np.asarray(probes, dtype=np.float64) @ values

    def greedy_value(self) -> float:
        """True value of the greedy policy from the start distribution."""
        return float(self.evaluate()[0])

    def _policy_state_values(self, policy: np.ndarray) -> np.ndarray:
        mdp = self.mdp
        v = np.zeros(mdp.n_states)
        for h in range(mdp.horizon - 1, -1, -1):
            q = mdp.mean_reward + (mdp.transition @ v).reshape(mdp.n_states, mdp.n_actions)
            v = np.einsum("sa,sa->s", policy[h], q)
        return v

    def state_dict(self) -> dict[str, Any]:
        return {"online": self.online.state(), "offline": self.offline.state(),
                "offline_share": self.offline_share, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.online.load(state["online"])
        self.offline.load(state["offline"])
        self.offline_share = float(state["offline_share"])
        self.rng.bit_generator.state = state["rng"]
        self._plan = None

    # -- planning --------------------------------------------------------------
    def source_weights(self, share: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample regression weights ``(c_off, c_on)`` of each step for offline share ``share``."""
        n_off, n_on = self.offline.count, self.online.count
        total = n_off + n_on
        c_off = np.divide(share * total, n_off, out=np.zeros_like(total), where=n_off > 0)
        c_on = np.divide((1.0 - share) * total, n_on, out=np.zeros_like(total), where=n_on > 0)
        return c_off, c_on

    def plan(self, share: float) -> Plan:
        """LSVI for offline share ``share``: the cover policies and their estimates (cached)."""
        if self._plan is not None and self._plan_share == share:
            return self._plan
        c_off, c_on = self.source_weights(share)
        cover, value_estimate, cover_value, cover_uncertainty = plan_batch(
            self.mdp, self._flat_features, self.ridge, self.bonus_scale, *(np.asarray(a)[None] for a in (
                self.offline.cov, self.offline.rew, self.offline.nxt, self.online.cov, self.online.rew,
                self.online.nxt, c_off, c_on)))
        self._plan = Plan(cover[0], float(value_estimate[0]), cover_value[0], cover_uncertainty[0])
        self._plan_share = share
        return self._plan


def plan_batch(mdp: LinearMDP, phi: np.ndarray, ridge: float, bonus_scale: float, off_cov: np.ndarray,
               off_rew: np.ndarray, off_nxt: np.ndarray, on_cov: np.ndarray, on_rew: np.ndarray, on_nxt: np.ndarray,
               c_off: np.ndarray, c_on: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """LSVI of ``B`` students at once (:meth:`LSVIStudent.plan` is the case ``B = 1``).

    Args:
        mdp: the MDP (its features, start distribution and sizes; never its model).
        phi: ``(S * A, d)`` the flat features.
        ridge, bonus_scale: the students' ``lambda`` and ``beta``.
        off_cov, off_rew, off_nxt, on_cov, on_rew, on_nxt: ``(B, H, ...)`` each student's offline and
            online statistics (``sum phi phi^T``, ``sum phi r``, ``sum phi e_{s'}^T``).
        c_off, c_on: ``(B, H)`` per-sample regression weights (:meth:`LSVIStudent.source_weights`).

    Returns:
        ``(cover, value_estimate, cover_value, cover_uncertainty)`` with shapes ``(B, K, H, S, A)``,
        ``(B,)``, ``(B, K)``, ``(B, K)``, as the fields of :class:`Plan`.
    """
    horizon, n_states, n_actions, dim = mdp.horizon, mdp.n_states, mdp.n_actions, mdp.dim
    batch = off_cov.shape[0]
    w_off, w_on = c_off[:, :, None, None], c_on[:, :, None, None]
    gram = ridge * np.eye(dim) + w_off * off_cov + w_on * on_cov
    inverse = np.linalg.inv(gram)
    reward_sums = c_off[:, :, None] * off_rew + c_on[:, :, None] * on_rew
    reward_weights = np.einsum("bhde,bhe->bhd", inverse, reward_sums)
    next_weights = inverse @ (w_off * off_nxt + w_on * on_nxt)  # (B, H, d, S)
    # The bonus scales with the remaining horizon: Q_h's range, hence its regression error, is H - h.
    remaining = (horizon - np.arange(horizon))[:, None]
    bonus = bonus_scale * remaining * np.sqrt(np.maximum(np.einsum("nd,bhde,ne->bhn", phi, inverse, phi), 0.0))
    rewards = phi @ reward_weights.transpose(0, 2, 1)  # (B, S*A, H): the regressed reward part of Q

    # Columns: greedy (reward), optimistic (reward + bonus), coverage (bonus only).
    reward_on = np.array([1.0, 1.0, 0.0])
    bonus_on = np.array([0.0, 1.0, 1.0])
    values = np.zeros((batch, n_states, 3))
    cover = np.zeros((batch, len(COVER), horizon, n_states, n_actions))
    cover[:, 1] = 1.0 / n_actions
    rows, cells = np.arange(batch)[:, None], np.arange(n_states)[None, :]
    for h in range(horizon - 1, -1, -1):
        q = rewards[:, :, h, None] * reward_on + bonus[:, h, :, None] * bonus_on + phi @ (next_weights[:, h] @ values)
        q = np.clip(q, 0.0, horizon - h).reshape(batch, n_states, n_actions, 3)
        best = q.argmax(axis=2)  # (B, S, 3); ties go to the lowest action index
        for column, k in enumerate((0, 2, 3)):
            cover[rows, k, h, cells, best[:, :, column]] = 1.0
        values = q.max(axis=2)
    value_estimate = np.array([mdp.start @ values[b, :, 0] for b in range(batch)])

    # Evaluate every cover policy: its value (reward) and its uncertainty (bonus), under its own actions.
    n_cover = len(COVER)
    values = np.zeros((batch, n_states, 2 * n_cover))
    reward_on = np.repeat([1.0, 0.0], n_cover)
    bonus_on = 1.0 - reward_on
    for h in range(horizon - 1, -1, -1):
        q = rewards[:, :, h, None] * reward_on + bonus[:, h, :, None] * bonus_on + phi @ (next_weights[:, h] @ values)
        q = np.clip(q, 0.0, horizon - h).reshape(batch, n_states, n_actions, 2, n_cover)
        values = np.einsum("bksa,bsajk->bsjk", cover[:, :, h], q).reshape(batch, n_states, 2 * n_cover)
    estimates = np.stack([mdp.start @ values[b] for b in range(batch)])
    return cover, value_estimate, estimates[:, :n_cover], estimates[:, n_cover:]
