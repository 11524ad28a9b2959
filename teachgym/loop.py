"""The one teaching loop every script, test and the leaderboard share."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import gymnasium as gym
import numpy as np

from teachgym.registry import make_teacher
from teachgym.teacher import Teacher

_TEACHER_SEED_SALT = 0x7EAC4E5  # keeps the teacher's stream apart from the env's under one seed


@dataclass(eq=False)
class RunResult:
    """One teaching run (teacher x env x seed).

    Two results are equal when everything but ``wall_time`` is (arrays element-wise,
    NaN equal to NaN): the same arguments to :func:`run` give equal results.

    Attributes:
        score: the env's headline score at the end of the run.
        curve: ``(step, score)`` pairs: every score the env reported (reset, every
            ``score_every`` steps, the last step).
        lessons: the teacher's actions, one row per step.
        tasks: the task parameters the student actually practised, one row per step (float; an object
            array, one entry per step, when the tasks are not numbers, such as problem strings).
        rewards, outcomes: per step.
    """

    env_id: str
    teacher: str
    seed: int
    score: float
    steps: int
    wall_time: float
    curve: list[tuple[int, float]]
    lessons: np.ndarray
    tasks: np.ndarray
    rewards: np.ndarray
    outcomes: np.ndarray
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    teacher_kwargs: dict[str, Any] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunResult):
            return NotImplemented
        for f in fields(self):
            if f.name == "wall_time":
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, np.ndarray) or isinstance(theirs, np.ndarray):
                if not _arrays_equal(mine, theirs):
                    return False
            elif f.name == "score":
                if not (mine == theirs or (np.isnan(mine) and np.isnan(theirs))):
                    return False
            elif mine != theirs:
                return False
        return True

    @property
    def episode_return(self) -> float:
        return float(self.rewards.sum())

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("lessons", "tasks", "rewards", "outcomes"):
            out[key] = np.asarray(getattr(self, key)).tolist()
        out["curve"] = [list(p) for p in self.curve]
        out["episode_return"] = self.episode_return
        return out

    def save_json(self, path) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f)


def _arrays_equal(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:  # object or string arrays: NaN cannot be tested there
        return bool(np.array_equal(a, b))


def _task_rows(tasks: list[Any]) -> np.ndarray:
    """The practised tasks as a float array when they are numbers (task parameters), else an object array with
    one entry per step (e.g. the problem strings an LM teacher wrote)."""
    try:
        return np.asarray(tasks, dtype=np.float64)
    except (TypeError, ValueError):
        rows = np.empty(len(tasks), dtype=object)
        for i, task in enumerate(tasks):
            rows[i] = task
        return rows


def teacher_seed(seed: int) -> int:
    """The teacher's seed for a run seeded ``seed`` (distinct from the env's stream)."""
    return int(np.random.SeedSequence([seed, _TEACHER_SEED_SALT]).generate_state(1)[0])


def run(
    env_id: str | gym.Env,
    teacher: str | Teacher,
    seed: int = 0,
    *,
    teacher_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    **env_kwargs: Any,
) -> RunResult:
    """Run ``teacher`` for one whole teaching episode of ``env_id`` under ``seed``.

    Args:
        env_id: a registered env id (``"teachgym/ToyCurriculum-v0"``) or an env instance.
        teacher: a registered teacher name, an import path ``"pkg.mod:Class"``, or a Teacher.
        seed: seeds the env (and student) and, through :func:`teacher_seed`, the teacher.
        teacher_kwargs: keyword arguments for a teacher given by name.
        progress: show a progress bar (appears only if the run lasts more than 2 s).
        **env_kwargs: passed to ``gym.make``.

    Returns:
        A :class:`RunResult`. Same arguments => identical result.
    """
    teacher_kwargs = dict(teacher_kwargs or {})
    if isinstance(teacher, str):
        teacher_obj = make_teacher(teacher, **teacher_kwargs)
        teacher_name = teacher
    else:
        teacher_obj = teacher
        teacher_name = getattr(teacher, "name", type(teacher).__name__)
    owns_env = not isinstance(env_id, gym.Env)
    env = gym.make(env_id, **env_kwargs) if owns_env else env_id
    env_name = env_id if owns_env else (env.spec.id if env.spec else type(env.unwrapped).__name__)
    bar = None
    start = time.perf_counter()
    try:
        obs, info = env.reset(seed=seed)
        teacher_obj.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
        total = getattr(env.unwrapped, "n_steps", None)
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc=f"{teacher_name} on {env_name}", delay=2.0, unit="step", mininterval=0.5)
        curve = [(0, float(info["score"]))] if "score" in info else []
        lessons, tasks, rewards, outcomes = [], [], [], []
        steps = 0
        while True:
            action = teacher_obj.act(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            teacher_obj.update(action, reward, obs, info)
            steps += 1
            lessons.append(action)
            tasks.append(info.get("task", action))
            rewards.append(reward)
            outcomes.append(info.get("outcome", np.nan))
            if "score" in info:
                curve.append((steps, float(info["score"])))
            if bar is not None and steps % 256 == 0:
                bar.update(256)
            if terminated or truncated:
                break
        if "score" not in info and callable(getattr(env.unwrapped, "score", None)):
            # a wrapper (Gymnasium's TimeLimit from max_episode_steps) ended the episode before the env's budget
            info = {**info, "score": float(env.unwrapped.score())}
            curve.append((steps, info["score"]))
        if bar is not None:
            bar.update(steps - bar.n)
    finally:
        if bar is not None:
            bar.close()
        if owns_env:
            env.close()
    return RunResult(
        env_id=env_name,
        teacher=teacher_name,
        seed=seed,
        score=float(info["score"]) if "score" in info else float("nan"),
        steps=steps,
        wall_time=time.perf_counter() - start,
        curve=curve,
        lessons=np.asarray(lessons),
        tasks=_task_rows(tasks),
        rewards=np.asarray(rewards, dtype=np.float64),
        outcomes=np.asarray(outcomes, dtype=np.float64),
        env_kwargs=dict(env_kwargs),
        teacher_kwargs=teacher_kwargs,
    )
