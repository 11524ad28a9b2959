"""Stump tracks for a point-mass runner: the student's task family (after TeachMyAgent's Stump Tracks).

A runner moves along a 20 m track, accelerating on the ground and jumping.
Stumps (0.5 m wide) of height ``stump_height`` stand every ``stump_spacing``
metres from 3 m on; their tops are ground the runner can land and run on. A
jump rises at most ``MAX_JUMP`` (1.5 m), so taller stumps cannot be passed:
the unlearnable part of the task space. Stumps up to ``STEP_HEIGHT`` (0.3 m),
or of height <= 0, are walked over: the trivial part. Everything is one pure
function of arrays (:func:`stump_track_step`), used by the single env and by
the batched evaluation alike.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym.students.deeprl.param_task import Episodes, ParamTaskEnv

DT = 0.05  # s per step
TRACK_LENGTH, FIRST_STUMP, STUMP_WIDTH = 20.0, 3.0, 0.5
GRAVITY, JUMP_SPEED = 10.0, np.sqrt(2 * 10.0 * 1.5)
MAX_JUMP = JUMP_SPEED**2 / (2 * GRAVITY)  # 1.5 m
STEP_HEIGHT = 0.3
ACCELERATION, DRAG = 10.0, 2.0  # top speed ACCELERATION / DRAG = 5 m/s
JUMP_COST = 0.2  # per unit of jump strength: needless jumps cost return
SENSOR_RANGE = 5.0
MAX_STEPS = 200


def ground(x: np.ndarray, height: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Ground height under ``x`` (0 between stumps, ``max(height, 0)`` on them)."""
    period = spacing + STUMP_WIDTH
    offset = x - FIRST_STUMP
    on_stump = (offset >= 0.0) & (np.mod(offset, period) < STUMP_WIDTH) & (x < TRACK_LENGTH)
    return np.where(on_stump, np.maximum(height, 0.0), 0.0)


def stump_track_step(state: np.ndarray, action: np.ndarray, task: np.ndarray):
    """One step of ``n`` runners. Returns ``(state, reward, reached_end)``.

    Args:
        state: ``(n, 4)``: x, y, vx, vy.
        action: ``(n, 2)`` in [-1, 1]: acceleration; jump strength (> 0 jumps, on the ground only).
        task: ``(n, 2)``: stump height, stump spacing.
    """
    x, y, vx, vy = state.T
    height, spacing = task[:, 0], task[:, 1]
    accel, jump = np.clip(action[:, 0], -1.0, 1.0), np.clip(action[:, 1], -1.0, 1.0)
    on_ground = y <= ground(x, height, spacing) + 1e-9
    jumping = on_ground & (jump > 0.0)
    vx = np.where(on_ground, vx + DT * (ACCELERATION * accel - DRAG * vx), vx)
    vy = np.where(jumping, JUMP_SPEED * jump, np.where(on_ground, 0.0, vy - GRAVITY * DT))
    new_x = x + DT * vx
    # A stump face higher than a step stops the runner (it slides down the face).
    blocked = ground(new_x, height, spacing) > y + STEP_HEIGHT
    new_x = np.where(blocked, x, new_x)
    vx = np.where(blocked, 0.0, vx)
    new_y = y + DT * vy
    floor = ground(new_x, height, spacing)
    landed = new_y <= floor
    new_y = np.where(landed, floor, new_y)
    vy = np.where(landed, 0.0, vy)
    reward = (new_x - x) - JUMP_COST * np.where(jumping, jump, 0.0)
    return np.stack([new_x, new_y, vx, vy], axis=1), reward, new_x >= TRACK_LENGTH


def observe(state: np.ndarray, task: np.ndarray) -> np.ndarray:
    """What the runner senses: its motion, and distance and height of the next two stump faces."""
    x, y, vx, vy = state.T
    height, spacing = task[:, 0], task[:, 1]
    period = spacing + STUMP_WIDTH
    k = np.maximum(np.ceil((x - FIRST_STUMP) / period), 0.0)
    columns = [vx / 5.0, y / 3.0, vy / JUMP_SPEED, (y - ground(x, height, spacing)) / 3.0]
    for ahead in (0, 1):
        face = FIRST_STUMP + (k + ahead) * period
        present = (face < TRACK_LENGTH) & (height > 0.0)
        columns.append(np.where(present, np.minimum(face - x, SENSOR_RANGE), SENSOR_RANGE) / SENSOR_RANGE)
        columns.append(np.where(present, np.maximum(height, 0.0), 0.0) / 3.0)
    return np.clip(np.stack(columns, axis=1), -3.0, 3.0).astype(np.float32)


def start_state(rng: np.random.Generator) -> np.ndarray:
    return np.array([rng.uniform(0.0, 1.0), 0.0, 0.0, 0.0])


class StumpTrackTask(ParamTaskEnv):
    """A point-mass runner on a stump track; task ``(stump_height, stump_spacing)``.

    Heights in [-3, 9] m (<= 0: no stumps; above 1.5 m: impassable), spacing in
    [0, 6] m (0: a solid plateau). Action ``Box(-1, 1, (2,))``: acceleration
    and jump strength; observation ``Box(-3, 3, (8,))`` (see :func:`observe`).
    Reward: metres gained minus 0.2 per unit of jump strength. Success:
    reaching the end of the 20 m track within 200 steps (10 s); episode score:
    the fraction of the track covered.
    """

    task_names = ("stump_height", "stump_spacing")
    task_low = (-3.0, 0.0)
    task_high = (9.0, 6.0)
    default_task = (0.0, 6.0)
    max_episode_steps = MAX_STEPS

    def __init__(self):
        self._init_task()
        self.observation_space = spaces.Box(-3.0, 3.0, (8,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        self._state = np.zeros((1, 4))
        self._steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._apply_pending_task()
        self._state = start_state(self.np_random)[None]
        self._steps = 0
        return observe(self._state, self.task[None])[0], {}

    def step(self, action):
        action = np.asarray(action, dtype=np.float64).reshape(1, 2)
        self._state, reward, reached = stump_track_step(self._state, action, self.task[None])
        self._steps += 1
        terminated = bool(reached[0])
        truncated = not terminated and self._steps >= self.max_episode_steps
        info = {"is_success": terminated, "distance": float(self._state[0, 0])} if terminated or truncated else {}
        return observe(self._state, self.task[None])[0], float(reward[0]), terminated, truncated, info

    @classmethod
    def episode_score(cls, episode_return: float, success: bool) -> float:
        return 1.0 if success else min(1.0, max(0.0, episode_return / TRACK_LENGTH))

    @classmethod
    def batch_rollout(cls, act, tasks, seeds, max_steps: int) -> Episodes:
        tasks = np.asarray(tasks, dtype=np.float64)
        n = len(tasks)
        state = np.stack([start_state(np.random.default_rng(int(s))) for s in seeds])
        returns, lengths = np.zeros(n), np.zeros(n, dtype=np.int64)
        successes = np.zeros(n, dtype=bool)
        active = np.arange(n)
        for _ in range(max_steps):
            actions = np.asarray(act(observe(state[active], tasks[active])), dtype=np.float64).reshape(-1, 2)
            state[active], reward, reached = stump_track_step(state[active], actions, tasks[active])
            returns[active] += reward
            lengths[active] += 1
            successes[active] = reached
            active = active[~reached]
            if not active.size:
                break
        return Episodes.of(cls, returns, successes, lengths)
