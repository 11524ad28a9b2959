"""Episodic linear MDPs with a known model: exact values, fast sampling, instances.

A linear MDP here is a *latent-variable* MDP on a finite state space: every
state-action pair ``(s, a)`` has a feature vector ``phi(s, a)`` on the
probability simplex of ``d`` latent factors; factor ``k`` has a next-state
distribution ``mu_k`` and a mean reward ``theta_k`` in [0, 1], so

    P(s' | s, a) = sum_k phi_k(s, a) mu_k(s')        r(s, a) = phi(s, a) . theta

which is exactly linear in ``phi`` (Jin et al., 2020). The model is the same at
every step ``h`` of the horizon ``H``; rewards observed in data are Bernoulli
with mean ``r(s, a)`` (or exactly ``r(s, a)`` with ``reward_noise="none"``).
Because the state space is finite and the model is known, the value of any
policy and the optimal value are computed exactly by backward induction.

Tabular MDPs are the special case ``d = S * A`` with one-hot features
(:meth:`LinearMDP.tabular`).

Policies are arrays ``(H, S, A)`` of action probabilities (a deterministic
policy is one-hot).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from teachgym.validation import ConfigError, check_float, check_int

REWARD_NOISES = ("bernoulli", "none")


@dataclass(frozen=True, eq=False)
class LinearMDP:
    """A finite-state, time-homogeneous latent-variable linear MDP (see module docstring).

    Attributes:
        features: ``(S, A, d)`` feature vectors ``phi(s, a)``, each on the simplex.
        factor_next: ``(d, S)`` next-state distribution of each latent factor.
        factor_reward: ``(d,)`` mean reward of each latent factor, in [0, 1].
        start: ``(S,)`` start-state distribution.
        horizon: number of steps per episode.
        reward_noise: "bernoulli" (observed rewards are 0/1) or "none".
        hidden: ``(S, A)`` bool, the pairs a "partial" behaviour policy avoids
            (the instance's states that matter); all False if none.
    """

    features: np.ndarray
    factor_next: np.ndarray
    factor_reward: np.ndarray
    start: np.ndarray
    horizon: int
    reward_noise: str = "bernoulli"
    hidden: np.ndarray | None = None

    def __post_init__(self) -> None:
        phi = np.asarray(self.features, dtype=np.float64)
        if phi.ndim != 3:
            raise ConfigError(f"features must have shape (S, A, d), got {phi.shape}")
        n_states, n_actions, dim = phi.shape
        mu = np.asarray(self.factor_next, dtype=np.float64)
        theta = np.asarray(self.factor_reward, dtype=np.float64)
        start = np.asarray(self.start, dtype=np.float64)
        if mu.shape != (dim, n_states):
            raise ConfigError(f"factor_next must have shape (d, S) = {(dim, n_states)}, got {mu.shape}")
        if theta.shape != (dim,) or not np.all((theta >= 0) & (theta <= 1)):
            raise ConfigError(f"factor_reward must be {dim} numbers in [0, 1]")
        for name, rows in (("features", phi.reshape(-1, dim)), ("factor_next", mu), ("start", start[None])):
            if not np.all(rows >= 0) or not np.allclose(rows.sum(axis=1), 1.0, atol=1e-9):
                raise ConfigError(f"every row of {name} must be a probability vector (>= 0, sums to 1)")
        if start.shape != (n_states,):
            raise ConfigError(f"start must have shape ({n_states},), got {start.shape}")
        hidden = np.zeros((n_states, n_actions), bool) if self.hidden is None else np.asarray(self.hidden, bool)
        if hidden.shape != (n_states, n_actions):
            raise ConfigError(f"hidden must have shape (S, A) = {(n_states, n_actions)}, got {hidden.shape}")
        object.__setattr__(self, "features", phi)
        object.__setattr__(self, "factor_next", mu)
        object.__setattr__(self, "factor_reward", theta)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "horizon", check_int("horizon", self.horizon, low=1, high=10_000))
        if self.reward_noise not in REWARD_NOISES:
            raise ConfigError(f"reward_noise must be one of {REWARD_NOISES}, got {self.reward_noise!r}")
        # Derived tables for exact dynamic programming and sampling.
        transition = phi.reshape(-1, dim) @ mu  # (S*A, S)
        object.__setattr__(self, "transition", transition)
        object.__setattr__(self, "mean_reward", phi @ theta)  # (S, A)
        cumulative = np.cumsum(transition, axis=1)
        cumulative[:, -1] = 1.0  # rounding must never leave a draw without a next state
        object.__setattr__(self, "_cumulative", cumulative)
        start_cum = np.cumsum(start)
        start_cum[-1] = 1.0
        object.__setattr__(self, "_start_cumulative", start_cum)

    # -- sizes -----------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return self.features.shape[0]

    @property
    def n_actions(self) -> int:
        return self.features.shape[1]

    @property
    def dim(self) -> int:
        return self.features.shape[2]

    def fingerprint(self) -> str:
        """A short hash of the model: datasets record it so a mismatched file is refused."""
        digest = hashlib.sha256()
        for array in (self.features, self.factor_next, self.factor_reward, self.start):
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        digest.update(f"{self.horizon}|{self.reward_noise}".encode())
        return digest.hexdigest()[:16]

    # -- exact values ----------------------------------------------------------
    def optimal(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact value iteration: ``(Q*, V*)`` with shapes ``(H, S, A)`` and ``(H + 1, S)``."""
        n_states, n_actions, horizon = self.n_states, self.n_actions, self.horizon
        q = np.empty((horizon, n_states, n_actions))
        v = np.zeros((horizon + 1, n_states))
        for h in range(horizon - 1, -1, -1):
            q[h] = self.mean_reward + (self.transition @ v[h + 1]).reshape(n_states, n_actions)
            v[h] = q[h].max(axis=1)
        return q, v

    def optimal_value(self) -> float:
        """``V*`` from the start distribution."""
        return float(self.start @ self.optimal()[1][0])

    def policy_value(self, policy: np.ndarray) -> float:
        """Exact expected return from the start distribution of an ``(H, S, A)`` policy."""
        n_states, n_actions = self.n_states, self.n_actions
        v = np.zeros(n_states)
        for h in range(self.horizon - 1, -1, -1):
            q = self.mean_reward + (self.transition @ v).reshape(n_states, n_actions)
            v = np.einsum("sa,sa->s", policy[h], q)
        return float(self.start @ v)

    # -- sampling --------------------------------------------------------------
    def sample_episodes(self, policy: np.ndarray, n_episodes: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Roll out ``n_episodes`` episodes of an ``(H, S, A)`` policy, vectorised over episodes.

        Returns:
            ``state``, ``action``, ``reward``, ``next_state``: arrays of shape
            ``(n_episodes, H)``; row ``i`` is episode ``i``.
        """
        horizon, n_actions = self.horizon, self.n_actions
        states = np.empty((n_episodes, horizon), np.int64)
        actions = np.empty_like(states)
        next_states = np.empty_like(states)
        rewards = np.empty((n_episodes, horizon))
        s = np.searchsorted(self._start_cumulative, rng.random(n_episodes), side="right")
        action_cum = np.cumsum(policy, axis=2)
        for h in range(horizon):
            a = (action_cum[h, s] < rng.random(n_episodes)[:, None]).sum(axis=1).clip(max=n_actions - 1)
            pair = s * n_actions + a
            s_next = (self._cumulative[pair] < rng.random(n_episodes)[:, None]).sum(axis=1).clip(max=self.n_states - 1)
            mean = self.mean_reward[s, a]
            if self.reward_noise == "bernoulli":
                rewards[:, h] = (rng.random(n_episodes) < mean).astype(np.float64)
            else:
                rewards[:, h] = mean
            states[:, h], actions[:, h], next_states[:, h] = s, a, s_next
            s = s_next
        return {"state": states, "action": actions, "reward": rewards, "next_state": next_states}

    def behaviour_policy(self, coverage: float) -> np.ndarray:
        """The offline data's behaviour policy: uniform over the actions not in ``hidden``.

        With probability ``coverage`` it ignores ``hidden`` and draws a uniform
        action, so ``coverage = 0`` never visits the hidden pairs and
        ``coverage = 1`` is the uniform policy (full coverage).
        """
        coverage = check_float("offline_coverage", coverage, low=0.0, high=1.0)
        allowed = ~self.hidden
        allowed[allowed.sum(axis=1) == 0] = True  # a state whose actions are all hidden: no way to avoid them
        avoid = allowed / allowed.sum(axis=1, keepdims=True)
        per_step = coverage / self.n_actions + (1.0 - coverage) * avoid
        return np.broadcast_to(per_step, (self.horizon, *per_step.shape)).copy()

    # -- constructors ----------------------------------------------------------
    @classmethod
    def tabular(cls, transition: np.ndarray, reward: np.ndarray, start: np.ndarray, horizon: int,
                reward_noise: str = "none") -> "LinearMDP":
        """A tabular MDP as a linear MDP: one-hot features over the ``S * A`` pairs."""
        transition = np.asarray(transition, dtype=np.float64)
        n_states, n_actions, _ = transition.shape
        features = np.eye(n_states * n_actions).reshape(n_states, n_actions, n_states * n_actions)
        return cls(features, transition.reshape(n_states * n_actions, n_states), np.asarray(reward, float).reshape(-1),
                   start, horizon, reward_noise)



INSTANCES = ("hidden-treasure", "random")


def make_instance(name: str, rng: np.random.Generator, *, n_states: int = 30, n_actions: int = 4, dim: int = 12,
                  horizon: int = 5, reward_noise: str = "bernoulli", treasure_fraction: float = 0.3,
                  treasure_reward: float = 0.9, sharpness: float = 0.3) -> LinearMDP:
    """A random latent-variable linear MDP; ``"hidden-treasure"`` adds a factor the offline data can miss.

    Ordinary factors have sparse random next-state distributions
    (Dirichlet(0.3) over states) and mean rewards uniform in [0.1, 0.5]; each
    ordinary feature vector is a Dirichlet(``sharpness``) mixture of them, so
    features are genuinely shared across state-action pairs. The start
    distribution is uniform.

    ``"hidden-treasure"``: factor ``d - 1`` is the treasure, with mean reward
    ``treasure_reward``. In a ``treasure_fraction`` of the states one action loads
    0.8 on it (and 0.2 on its ordinary mixture); those pairs are ``hidden``, so
    offline data from :meth:`LinearMDP.behaviour_policy` with coverage 0 covers
    every direction of feature space except the treasure's, the one that matters
    most. ``"random"``: every factor ordinary, nothing hidden.
    """
    if name not in INSTANCES:
        raise ConfigError(f"instance must be one of {INSTANCES}, got {name!r}")
    n_states = check_int("n_states", n_states, low=1, high=5_000)
    n_actions = check_int("n_actions", n_actions, low=1, high=1_000)
    dim = check_int("feature_dim", dim, low=2, high=1_000)
    treasure_fraction = check_float("treasure_fraction", treasure_fraction, low=0.0, high=1.0)
    treasure_reward = check_float("treasure_reward", treasure_reward, low=0.0, high=1.0)
    sharpness = check_float("sharpness", sharpness, low=0.0, low_open=True)
    ordinary = dim - 1 if name == "hidden-treasure" else dim
    mu = rng.dirichlet(np.full(n_states, 0.3), size=dim)
    theta = rng.uniform(0.1, 0.5, dim)
    features = np.zeros((n_states, n_actions, dim))
    features[:, :, :ordinary] = rng.dirichlet(np.full(ordinary, sharpness), size=(n_states, n_actions))
    hidden = np.zeros((n_states, n_actions), bool)
    if name == "hidden-treasure":
        theta[-1] = treasure_reward
        n_treasure = max(1, int(round(treasure_fraction * n_states))) if treasure_fraction > 0 else 0
        for s in rng.choice(n_states, size=n_treasure, replace=False):
            a = rng.integers(n_actions)
            features[s, a] *= 0.2
            features[s, a, -1] = 0.8
            hidden[s, a] = True
    start = np.full(n_states, 1.0 / n_states)
    return LinearMDP(features, mu, theta, start, horizon, reward_noise, hidden)
