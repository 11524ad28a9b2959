"""MountainCarContinuous with a settable engine power: the student's task family.

The dynamics are Gymnasium's ``MountainCarContinuous-v0`` (Moore, 1990) with
the engine power as a task parameter, written as one pure function
(:func:`mountain_car_step`) that works on scalars and on arrays alike.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym.students.deeprl.param_task import Episodes, ParamTaskEnv

DEFAULT_POWER = 0.0015  # Gymnasium's MountainCarContinuous-v0
MIN_POSITION, MAX_POSITION, MAX_SPEED = -1.2, 0.6, 0.07
GOAL_POSITION = 0.45
GRAVITY = 0.0025


def observe(position, velocity) -> np.ndarray:
    """The car's observation: position and velocity scaled to [-1, 1] (shape ``(..., 2)``, float32).

    Gymnasium's raw velocity spans +-0.07, a tenth of the position's range:
    an MLP policy then barely conditions on the sign of the velocity, which is
    what rocking the car needs. Scaling is the only change to the task.
    """
    return np.stack([(np.asarray(position) + 0.3) / 0.9, np.asarray(velocity) / MAX_SPEED], axis=-1).astype(np.float32)


def mountain_car_step(position, velocity, force, power):
    """One step of the car: returns ``(position, velocity, reached_goal)``.

    ``force`` must already be clipped to [-1, 1]. Scalars or numpy arrays.
    """
    # minimum/maximum rather than clip/where: evaluation calls this on tiny arrays, where call overhead is the cost.
    velocity = np.minimum(np.maximum(velocity + force * power - GRAVITY * np.cos(3.0 * position), -MAX_SPEED),
                          MAX_SPEED)
    position = np.minimum(np.maximum(position + velocity, MIN_POSITION), MAX_POSITION)
    # The left wall is inelastic: the car stops there.
    velocity = velocity * ((position > MIN_POSITION) | (velocity >= 0.0))
    return position, velocity, (position >= GOAL_POSITION) & (velocity >= 0.0)


class MountainCarTask(ParamTaskEnv):
    """``MountainCarContinuous-v0`` whose car has ``power_scale`` times the default engine power.

    Task: ``(power_scale,)`` in ``[1, 4]``; 1 is the default car, which must
    rock back and forth to climb the hill; from about 1.7 up the engine beats
    gravity everywhere and full throttle to the right climbs straight away.
    Observation ``(position, velocity)`` scaled to [-1, 1] (see :func:`observe`;
    the car does not see its power); reward ``+100`` on reaching the flag, ``-0.1 * action**2`` each
    step; success = reaching the flag within 999 steps.
    """

    task_names = ("power_scale",)
    task_low = (1.0,)
    task_high = (4.0,)
    default_task = (1.0,)
    max_episode_steps = 999

    def __init__(self):
        self._init_task()
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
        self._power = DEFAULT_POWER
        self._position = self._velocity = 0.0
        self._steps = 0

    def _on_task_change(self) -> None:
        self._power = DEFAULT_POWER * float(self.task[0])

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._apply_pending_task()
        self._position = float(self.np_random.uniform(-0.6, -0.4))
        self._velocity = 0.0
        self._steps = 0
        return self._obs(), {}

    def step(self, action):
        throttle = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
        force = min(max(throttle, -1.0), 1.0)
        position, velocity, reached = mountain_car_step(self._position, self._velocity, force, self._power)
        self._position, self._velocity = float(position), float(velocity)
        self._steps += 1
        terminated = bool(reached)
        reward = (100.0 if terminated else 0.0) - 0.1 * throttle * throttle
        truncated = not terminated and self._steps >= self.max_episode_steps
        info = {"is_success": terminated} if terminated or truncated else {}
        return self._obs(), reward, terminated, truncated, info

    def _obs(self) -> np.ndarray:
        return observe(self._position, self._velocity)

    @classmethod
    def batch_rollout(cls, act, tasks, seeds, max_steps: int) -> Episodes:
        """All episodes at once through :func:`mountain_car_step` (same results as one env per episode)."""
        n = len(tasks)
        power = DEFAULT_POWER * np.asarray(tasks, dtype=np.float64)[:, 0]
        # reset(seed=s) draws the start from a generator seeded exactly like this one.
        position = np.array([np.random.default_rng(int(s)).uniform(-0.6, -0.4) for s in seeds])
        velocity = np.zeros(n)
        returns, lengths = np.zeros(n), np.zeros(n, dtype=np.int64)
        successes = np.zeros(n, dtype=bool)
        active = np.arange(n)  # the running episodes; the state arrays hold only them
        running_return = np.zeros(n)
        for step in range(1, max_steps + 1):
            throttle = np.asarray(act(observe(position, velocity)), dtype=np.float64).reshape(len(active), -1)[:, 0]
            force = np.minimum(np.maximum(throttle, -1.0), 1.0)
            position, velocity, reached = mountain_car_step(position, velocity, force, power)
            running_return += 100.0 * reached - 0.1 * throttle * throttle
            if reached.any() or step == max_steps:
                done = reached | (step == max_steps)
                finished = active[done]
                returns[finished], lengths[finished], successes[finished] = running_return[done], step, reached[done]
                keep = ~done
                active, position, velocity = active[keep], position[keep], velocity[keep]
                power, running_return = power[keep], running_return[keep]
                if not active.size:
                    break
        return Episodes.of(cls, returns, successes, lengths)
