"""``B`` LSVI students of one linear MDP, taught as one batch.

The batched twin of :class:`teachgym.students.finetune_rl.lsvi.LSVIStudent`: planning is
:func:`~teachgym.students.finetune_rl.lsvi.plan_batch` (the single student's own planner,
over a leading batch axis), and learning draws, simulates and accumulates exactly what
``B`` single students would. Student ``i`` draws every random number from its own
generator in the single student's order: ``budget`` uniforms for the mixture
(``Generator.choice``), then, per cover policy in :data:`COVER` order, the uniforms of
:meth:`LinearMDP.sample_episodes` (start states, then per step actions, next states
and Bernoulli rewards) for that policy's episodes. Its statistics receive the same
additions in the same order, so its numbers equal the single student's bit for bit.
"""

from __future__ import annotations

import numpy as np

from teachgym.students.finetune_rl.linear_mdp import LinearMDP
from teachgym.students.finetune_rl.lsvi import COVER, LSVIStudent, plan_batch


class LSVIBatch:
    """The offline and online statistics, offline shares and generators of ``batch`` LSVI students.

    Args:
        model: a single student with the batch's settings (MDP, ridge, bonus scale); it
            computes each student's offline statistics at reset.
        batch: number of students.
    """

    def __init__(self, model: LSVIStudent, batch: int):
        self.model, self.mdp, self.batch = model, model.mdp, batch
        mdp = self.mdp
        self.stats = {f"{source}_{key}": np.zeros((batch, mdp.horizon, *shape)) for source in ("off", "on")
                      for key, shape in (("cov", (mdp.dim, mdp.dim)), ("rew", (mdp.dim,)),
                                         ("nxt", (mdp.dim, mdp.n_states)), ("count", ()))}
        self.offline_share = np.ones(batch)
        self.rngs: list[np.random.Generator] = []
        self._plan: tuple | None = None
        self._plan_share: np.ndarray | None = None

    # -- reset -------------------------------------------------------------------------
    def reset(self, rngs: list[np.random.Generator], datasets: list[dict[str, np.ndarray]]) -> None:
        """Fresh students: student ``i`` draws from ``rngs[i]`` and holds offline dataset ``datasets[i]``."""
        self.rngs = rngs
        for key, array in self.stats.items():
            if key.startswith("on_"):
                array[:] = 0.0
        for i, data in enumerate(datasets):
            if i == 0 or data is not datasets[i - 1]:  # the same fixed dataset: the same statistics
                self.model.set_offline_data(data)
            offline = self.model.offline
            for key in ("cov", "rew", "nxt", "count"):
                self.stats[f"off_{key}"][i] = getattr(offline, key)
        self.offline_share[:] = 1.0
        self._plan = None

    # -- planning ------------------------------------------------------------------------
    def source_weights(self, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(c_off, c_on)``, ``(B, H)`` each, as :meth:`LSVIStudent.source_weights` for every student."""
        n_off, n_on = self.stats["off_count"], self.stats["on_count"]
        total = n_off + n_on
        c_off = np.divide(share[:, None] * total, n_off, out=np.zeros_like(total), where=n_off > 0)
        c_on = np.divide((1.0 - share[:, None]) * total, n_on, out=np.zeros_like(total), where=n_on > 0)
        return c_off, c_on

    def plan(self, share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:func:`plan_batch` at each student's offline share (cached until the data or the shares change)."""
        if self._plan is not None and np.array_equal(self._plan_share, share):
            return self._plan
        st = self.stats
        c_off, c_on = self.source_weights(share)
        self._plan = plan_batch(self.mdp, self.model._flat_features, self.model.ridge, self.model.bonus_scale,
                                st["off_cov"], st["off_rew"], st["off_nxt"], st["on_cov"], st["on_rew"],
                                st["on_nxt"], c_off, c_on)
        self._plan_share = share.copy()
        return self._plan

    def greedy_values(self) -> np.ndarray:
        """True value of each student's greedy policy from the start distribution (``(B,)``)."""
        greedy = self.plan(self.offline_share)[0][:, 0]  # (B, H, S, A)
        mdp = self.mdp
        v = np.zeros((self.batch, mdp.n_states))
        for h in range(mdp.horizon - 1, -1, -1):
            q = mdp.mean_reward + np.stack([mdp.transition @ v[b] for b in range(self.batch)]).reshape(
                self.batch, mdp.n_states, mdp.n_actions)
            v = np.stack([np.einsum("sa,sa->s", greedy[b, h], q[b]) for b in range(self.batch)])
        return np.array([float(mdp.start @ v[b]) for b in range(self.batch)])

    # -- learning ------------------------------------------------------------------------
    def learn(self, mixture: np.ndarray, share: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
        """Every student runs ``budget`` online episodes of its mixture (rows of ``mixture``) and keeps
        offline share ``share[i]``; returns ``(outcome, episodes_per_policy)`` as :meth:`LSVIStudent.learn`."""
        mdp, n, horizon = self.mdp, self.batch, self.mdp.horizon
        cover = self.plan(share)[0]
        chosen = np.stack([rng.choice(len(COVER), size=budget, p=mixture[i]) for i, rng in enumerate(self.rngs)])
        counts = np.stack([np.bincount(c, minlength=len(COVER)) for c in chosen])  # (B, K)
        per_episode = 1 + horizon * (3 if mdp.reward_noise == "bernoulli" else 2)
        uniforms = np.stack([rng.random(budget * per_episode) for rng in self.rngs])  # (B, budget * per_episode)
        # Episodes grouped per student by cover policy (COVER order), as the single student samples them.
        student = np.repeat(np.arange(n), budget)
        policy = np.concatenate([np.repeat(np.arange(len(COVER)), row) for row in counts])
        group_size = counts[student, policy]
        first_of_group = np.cumsum(counts, axis=1) - counts  # (B, K): each group's first episode in its student
        rank = np.arange(n * budget) - student * budget - first_of_group[student, policy]
        offset = first_of_group[student, policy] * per_episode  # where the group's uniforms start
        draws = uniforms[student]

        def draw(k: int) -> np.ndarray:  # the k-th block of n_group uniforms of each episode's group
            return draws[np.arange(student.size), offset + k * group_size + rank]

        state = np.searchsorted(mdp._start_cumulative, draw(0), side="right")
        action_cum = np.cumsum(cover[student, policy], axis=3)  # (E, H, S, A)
        episodes = np.arange(student.size)
        data = {key: np.empty((student.size, horizon), dtype) for key, dtype in
                (("state", np.int64), ("action", np.int64), ("next_state", np.int64), ("reward", np.float64))}
        step_draws = (per_episode - 1) // horizon  # uniforms per episode and step
        for h in range(horizon):
            base = 1 + h * step_draws
            action = (action_cum[episodes, h, state] < draw(base)[:, None]).sum(axis=1).clip(max=mdp.n_actions - 1)
            pair = state * mdp.n_actions + action
            next_state = (mdp._cumulative[pair] < draw(base + 1)[:, None]).sum(axis=1).clip(max=mdp.n_states - 1)
            mean = mdp.mean_reward[state, action]
            if mdp.reward_noise == "bernoulli":
                data["reward"][:, h] = (draw(base + 2) < mean).astype(np.float64)
            else:
                data["reward"][:, h] = mean
            data["state"][:, h], data["action"][:, h], data["next_state"][:, h] = state, action, next_state
            state = next_state
        self._add_online(data, student, policy, group_size)
        returns = data["reward"].sum(axis=1)
        outcome = np.array([float(returns[student == i].mean()) for i in range(n)]) / horizon
        self.offline_share = np.asarray(share, dtype=np.float64).copy()
        self._plan = None
        return outcome, counts

    def _add_online(self, data: dict[str, np.ndarray], student: np.ndarray, policy: np.ndarray,
                    group_size: np.ndarray) -> None:
        """Add each group's episodes to its student's online statistics, groups in COVER order.

        Students whose groups have the same size are added with one stacked product each, which
        computes every student's product exactly as the single student does.
        """
        mdp, st = self.mdp, self.stats
        horizon = mdp.horizon
        phi = mdp.features[data["state"], data["action"]]  # (E, H, d)
        for k in range(len(COVER)):
            in_group = policy == k
            for size in np.unique(group_size[in_group]):
                rows = np.flatnonzero(in_group & (group_size == size))
                owners = student[rows[::size]]
                grouped = phi[rows].reshape(len(owners), size, horizon, -1)
                for h in range(horizon):
                    block = np.ascontiguousarray(grouped[:, :, h])  # (G, size, d)
                    st["on_cov"][owners, h] += block.transpose(0, 2, 1) @ block
                    rewards = data["reward"][rows, h].reshape(len(owners), size, 1)
                    st["on_rew"][owners, h] += (block.transpose(0, 2, 1) @ rewards)[:, :, 0]
                    nxt = st["on_nxt"][:, h].transpose(0, 2, 1)  # (B, S, d) view
                    targets = data["next_state"][rows, h].reshape(len(owners), size)
                    np.add.at(nxt, (np.repeat(owners, size), targets.reshape(-1)), block.reshape(-1, block.shape[2]))
                    st["on_count"][owners, h] += size
