"""CartPole with a settable pole length, pole mass and gravity: the student's task family.

The single env is Gymnasium's ``CartPoleEnv``, which caches ``total_mass``
and ``polemass_length``: they are recomputed whenever a mass or the length
changes. Evaluation runs many tasks at once through :func:`cartpole_step`, the
same Euler step (Florian, 2005) on arrays of states and parameters, stepping
only the episodes still running; ``tests/test_deeprl.py`` checks that it plays
exactly the episodes Gymnasium's env plays.
"""

from __future__ import annotations

import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

from teachgym.students.deeprl.param_task import Episodes, ParamTaskEnv

MAX_STEPS = 500
MASS_CART, FORCE, TAU = 1.0, 10.0, 0.02  # Gymnasium's CartPole constants
X_LIMIT, THETA_LIMIT = 2.4, 12 * 2 * np.pi / 360


def _set_physics(env, pole_length, pole_mass, gravity) -> None:
    """Set a (vector) CartPole's parameters and the quantities it derives from them."""
    env.length = 0.5 * pole_length  # Gymnasium's `length` is half the pole
    env.masspole = pole_mass
    env.gravity = gravity
    env.total_mass = env.masspole + env.masscart
    env.polemass_length = env.masspole * env.length


def cartpole_step(state: np.ndarray, push_right: np.ndarray, task: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gymnasium's CartPole Euler step for ``n`` carts: ``(state, fallen)``.

    Args:
        state: ``(n, 4)``: x, x_dot, theta, theta_dot.
        push_right: ``(n,)`` actions (1: push right, 0: push left).
        task: ``(n, 3)``: pole length, pole mass, gravity.
    """
    x, x_dot, theta, theta_dot = state.T
    half_length, pole_mass, gravity = 0.5 * task[:, 0], task[:, 1], task[:, 2]
    total_mass = pole_mass + MASS_CART
    polemass_length = pole_mass * half_length
    force = np.where(push_right == 1, FORCE, -FORCE)
    cos, sin = np.cos(theta), np.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sin) / total_mass
    theta_acc = (gravity * sin - cos * temp) / (half_length * (4.0 / 3.0 - pole_mass * cos**2 / total_mass))
    x_acc = temp - polemass_length * theta_acc * cos / total_mass
    state = np.stack([x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc],
                     axis=1)
    fallen = (np.abs(state[:, 0]) > X_LIMIT) | (np.abs(state[:, 2]) > THETA_LIMIT)
    return state, fallen


class CartPoleTask(ParamTaskEnv, CartPoleEnv):
    """``CartPole-v1`` with task ``(pole_length, pole_mass, gravity)``.

    Defaults ``(1.0, 0.1, 9.8)`` are CartPole's (a 1 m pole of 0.1 kg on a 1 kg
    cart). Ranges: pole length [0.1, 4] m, pole mass [0.02, 2] kg, gravity
    [2, 25] m/s^2. Short poles under strong gravity fall faster than the
    bang-bang 10 N push at 50 Hz can catch; heavy poles on the light cart react
    less to the push. Reward +1 per step; an episode succeeds when the pole is
    still up after 500 steps; episode score = return / 500.
    """

    task_names = ("pole_length", "pole_mass", "gravity")
    task_low = (0.1, 0.02, 2.0)
    task_high = (4.0, 2.0, 25.0)
    default_task = (1.0, 0.1, 9.8)
    max_episode_steps = MAX_STEPS

    def __init__(self):
        CartPoleEnv.__init__(self)
        self._init_task()
        self._steps = 0

    def _on_task_change(self) -> None:
        _set_physics(self, *self.task)

    def reset(self, *, seed=None, options=None):
        self._apply_pending_task()
        self._steps = 0
        return CartPoleEnv.reset(self, seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = CartPoleEnv.step(self, action)
        self._steps += 1
        truncated = not terminated and self._steps >= self.max_episode_steps
        if terminated or truncated:
            info = {**info, "is_success": truncated}
        return obs, reward, terminated, truncated, info

    @classmethod
    def episode_score(cls, episode_return: float, success: bool) -> float:
        return min(1.0, max(0.0, episode_return / MAX_STEPS))

    @classmethod
    def batch_rollout(cls, act, tasks, seeds, max_steps: int) -> Episodes:
        """All episodes at once through :func:`cartpole_step` (same episodes as one env per task)."""
        tasks = np.asarray(tasks, dtype=np.float64)
        n = len(tasks)
        # The start state of each episode is the one CartPoleTask.reset(seed=s) draws.
        state = np.stack([np.random.default_rng(int(s)).uniform(-0.05, 0.05, size=4) for s in seeds])
        lengths = np.zeros(n, dtype=np.int64)
        fallen = np.zeros(n, dtype=bool)
        active = np.arange(n)
        for _ in range(max_steps):
            actions = np.asarray(act(state[active].astype(np.float32)), dtype=np.int64).reshape(len(active))
            state[active], down = cartpole_step(state[active], actions, tasks[active])
            lengths[active] += 1  # +1 per step, the falling step included (as Gymnasium)
            fallen[active] = down
            active = active[~down]
            if not active.size:
                break
        return Episodes.of(cls, lengths.astype(np.float64), ~fallen & (lengths >= MAX_STEPS), lengths)
