"""Conformance checks for teacher envs and teachers, for your own code as for ours.

In the spirit of Gymnasium's ``check_env`` and PettingZoo's ``parallel_api_test``:

>>> from teachgym.testing import check_teacher_env, check_teacher
>>> check_teacher_env("teachgym/ToyCurriculum-v0")                     # doctest: +SKIP
>>> check_teacher("alp-gmm", "teachgym/ToyCurriculum-v0")              # doctest: +SKIP

An env or teacher that breaks the contract raises :class:`ConformanceError`
listing every problem found by the failing check. Envs given by registered id are
built with their registry *smoke* configuration (a few seconds); pass a factory
(``lambda: MyEnv(...)``) to check your own.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.lessons import InvalidLessonError

EnvLike = gym.Env | str | Callable[[], gym.Env]


class ConformanceError(AssertionError):
    """An env or teacher does not follow the teachgym contract."""


def _factory(env: EnvLike) -> Callable[[], gym.Env]:
    if isinstance(env, str):
        from teachgym.registry import env_meta

        smoke = env_meta(env).smoke
        return lambda: gym.make(env, **smoke)
    if isinstance(env, gym.Env):
        return lambda: copy.deepcopy(env)
    if callable(env):
        return env
    raise TypeError(f"env must be an env id, a gymnasium.Env or a factory returning one; got {type(env).__name__}")


def _fail(what: str, problems: list[str]) -> None:
    if problems:
        raise ConformanceError(f"{what}:\n- " + "\n- ".join(problems))


def _sample(space: spaces.Space, rng: np.random.Generator) -> Any:
    if isinstance(space, spaces.Discrete):
        return int(space.start + rng.integers(space.n))
    if isinstance(space, spaces.Box):
        low = np.where(np.isfinite(space.low), space.low, -1.0)
        high = np.where(np.isfinite(space.high), space.high, 1.0)
        return rng.uniform(low, high).astype(space.dtype)
    if isinstance(space, spaces.MultiDiscrete):
        return (rng.random(space.shape) * space.nvec).astype(space.dtype)
    space.seed(int(rng.integers(2**31)))
    return space.sample()


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (str, bytes)) or a is None or isinstance(a, bool):
        return a == b
    try:
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    except (TypeError, ValueError):  # arrays of strings or objects: NaN is not defined for them
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _rollout(env: gym.Env, seed: int, n: int | None = None) -> list[Any]:
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    trace: list[Any] = [obs, info.get("score")]
    done, steps = False, 0
    while not done and (n is None or steps < n):
        obs, reward, terminated, truncated, info = env.step(_sample(env.action_space, rng))
        trace += [obs, float(reward), info.get("task"), info.get("outcome"), info.get("score")]
        done, steps = terminated or truncated, steps + 1
    return trace


def _invalid_actions(space: spaces.Space) -> list[Any]:
    """Actions every env must refuse (the rules are in :mod:`teachgym.lessons`)."""
    huge = 10**400  # no float or int64 holds it
    if isinstance(space, spaces.Discrete):
        arm = int(space.start) + min(1, int(space.n) - 1)  # a valid arm, written in types that are not allowed
        return [int(space.start + space.n), int(space.start) - 1, 0.5, float("nan"), huge, complex(arm, 1),
                str(arm).encode(), True, str(arm), float(arm), [arm], np.array([arm, arm]), np.array(arm, float)]
    if isinstance(space, spaces.MultiDiscrete):
        valid = np.zeros(space.shape, dtype=np.int64)
        return [space.nvec.copy(), np.full(space.shape, -1), np.full(space.shape, 0.5), np.zeros(space.shape[0] + 1),
                [huge] * space.shape[0], valid + 1j, valid.astype(float), [str(v) for v in valid],
                valid.astype(bool), valid.astype(object), valid[None]]
    if isinstance(space, spaces.Box):
        high = np.where(np.isfinite(space.high), space.high, 0.0)
        low = np.where(np.isfinite(space.low), space.low, 0.0)
        middle = (low + high) / 2  # a valid lesson, written in types that are not allowed
        return [high + 1.0, np.full(space.shape, np.nan), np.zeros(space.shape[0] + 1), [huge] * space.shape[0],
                middle + 1j, [str(v) for v in middle], [str(v).encode() for v in middle], middle.astype(object),
                np.zeros(space.shape, dtype=bool), middle[None], np.full(space.shape, np.inf)]
    if isinstance(space, spaces.Text):
        return [b"plan", 3, None]
    return []


def check_episode(env: gym.Env, seed: int = 0) -> None:
    """One whole episode: ``info`` follows :mod:`teachgym.info`, obs in space, truncation by budget."""
    problems = []
    obs, info = env.reset(seed=seed)
    problems += [f"reset: {p}" for p in keys.validate(info, keys.RESET)]
    if not env.observation_space.contains(obs):
        problems.append("reset: observation outside observation_space")
    budget = info.get(keys.TEACHING_BUDGET.name)
    rng = np.random.default_rng(seed)
    steps, action = 0, None
    while True:
        action = _sample(env.action_space, rng)
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        problems += [f"step {steps}: {p}" for p in keys.validate(info, keys.STEP)]
        if not env.observation_space.contains(obs):
            problems.append(f"step {steps}: observation outside observation_space")
        if not math.isfinite(float(reward)):
            problems.append(f"step {steps}: reward {reward!r} is not finite")
        if terminated:
            problems.append(f"step {steps}: terminated=True; a teaching episode ends by truncation (budget spent)")
        if truncated or terminated or steps > 10**6:
            break
        if problems:
            break
    if not problems:
        if budget is not None and steps != int(budget):
            problems.append(f"episode lasted {steps} steps; reset info said teaching_budget={budget}")
        if keys.SCORE_KEY.name not in info:
            problems.append("the last step's info has no headline 'score'")
        if info.get(keys.BUDGET_USED.name) != 1.0:
            problems.append(f"budget_used on the last step is {info.get('budget_used')!r}, not 1.0")
        try:
            env.unwrapped.step(action)
            problems.append("step() after truncation did not raise gymnasium.error.ResetNeeded")
        except gym.error.ResetNeeded:
            pass
    _fail(f"episode contract of {_name(env)}", problems)


def check_determinism(make: Callable[[], gym.Env], seed: int = 3, n_steps: int | None = None) -> None:
    """Two fresh envs under one seed give the same rollout (observations, rewards, tasks, outcomes, scores)."""
    first, second = make(), make()
    try:
        a, b = _rollout(first, seed, n_steps), _rollout(second, seed, n_steps)
    finally:
        first.close()
        second.close()
    diff = next((i for i, (x, y) in enumerate(zip(a, b)) if not _equal(x, y)), None)
    if len(a) != len(b) or diff is not None:
        _fail(f"determinism of {_name(first)}", [f"same seed, different rollouts (first difference at item {diff})"])


def check_checkpoint(env: gym.Env, seed: int = 1) -> None:
    """``state_dict()`` mid-episode, then ``load_state_dict()`` gives the same continuation."""
    base = env.unwrapped
    if not hasattr(base, "state_dict"):
        _fail(f"checkpointing of {_name(env)}", ["the env has no state_dict()/load_state_dict()"])
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    budget = int(getattr(base, "n_steps", 4))
    actions = [_sample(env.action_space, rng) for _ in range(budget)]
    half = budget // 2
    for action in actions[:half]:
        base.step(action)
    state = copy.deepcopy(base.state_dict())
    tail = [base.step(a)[:2] for a in actions[half:]]
    base.load_state_dict(state)
    again = [base.step(a)[:2] for a in actions[half:]]
    problems = [f"step {half + i}: resumed run differs" for i, (x, y) in enumerate(zip(tail, again)) if not _equal(x, y)]
    _fail(f"checkpointing of {_name(env)}", problems[:3])


def check_invalid_lessons(make: Callable[[], gym.Env], seed: int = 0) -> None:
    """Invalid actions raise InvalidLessonError naming the action, and leave the env as it was."""
    refused, clean = make(), make()
    problems = []
    try:
        refused.reset(seed=seed)
        clean.reset(seed=seed)
        with np.errstate(all="ignore"):
            for action in _invalid_actions(refused.action_space):
                try:
                    refused.unwrapped.step(action)
                    problems.append(f"action {action!r} was accepted")
                except InvalidLessonError as error:
                    if "action" not in str(error):
                        problems.append(f"the error for {action!r} does not name the action: {error}")
                except Exception as error:  # noqa: BLE001  (any other exception is the finding)
                    problems.append(f"action {action!r} raised {type(error).__name__} instead of InvalidLessonError")
        action = _sample(refused.action_space, np.random.default_rng(seed))
        after_refusals, untouched = refused.step(action), clean.step(action)
        if not _equal(after_refusals[:2], untouched[:2]):
            problems.append("refused actions changed the env: the next valid step differs")
    finally:
        refused.close()
        clean.close()
    _fail(f"invalid lessons on {_name(refused)}", problems)


def check_teacher_env(env: EnvLike, *, seed: int = 0, sb3: bool = True) -> None:
    """Every check of a teacher env: Gymnasium's (and SB3's) ``check_env``, the episode and
    ``info`` contract, ``ResetNeeded`` before reset, determinism, checkpoint round-trip, and
    refusal of invalid lessons.

    Args:
        env: a registered env id (made with its smoke configuration), an env, or a factory.
        seed: the seed of the checks' rollouts.
        sb3: also run Stable-Baselines3's ``check_env`` where SB3 is installed.
    """
    from gymnasium.utils.env_checker import check_env as gym_check_env

    make = _factory(env)
    instance = make()
    try:
        try:
            instance.unwrapped.step(_sample(instance.action_space, np.random.default_rng(seed)))
            _fail(f"{_name(instance)}", ["step() before reset() did not raise gymnasium.error.ResetNeeded"])
        except gym.error.ResetNeeded:
            pass
        gym_check_env(instance.unwrapped, skip_render_check=True)
        if sb3:
            try:
                from stable_baselines3.common.env_checker import check_env as sb3_check_env
            except ImportError:
                sb3_check_env = None
            if sb3_check_env is not None:
                sb3_check_env(instance, warn=False)
        check_episode(instance, seed)
        check_checkpoint(instance, seed + 1)
    finally:
        instance.close()
    check_determinism(make, seed + 3)
    check_invalid_lessons(make, seed)


# -- teachers ---------------------------------------------------------------------------------
def _teacher_factory(teacher: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
    from teachgym.registry import make_teacher

    if isinstance(teacher, str):
        return lambda: make_teacher(teacher, **kwargs)
    if isinstance(teacher, type):
        return lambda: teacher(**kwargs)
    return lambda: copy.deepcopy(teacher)


def _global_rng_state() -> tuple[Any, ...]:
    import sys

    torch = sys.modules.get("torch")
    return (copy.deepcopy(np.random.get_state()), random.getstate(),
            torch.random.get_rng_state().clone() if torch is not None else None)


def _drive_degenerate(teacher: Any, env: gym.Env, seed: int, n: int) -> list[str]:
    """Feed the teacher the env's real reset info, then steps whose outcome and reward are degenerate."""
    from teachgym.loop import teacher_seed

    obs, info = env.reset(seed=seed)
    teacher.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
    bad = [float("nan"), float("inf"), float("-inf"), 1e300, -1e300, 0.0, 1.0]
    problems = []
    for i in range(n):
        action = teacher.act(obs, info)
        if not env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype)
                                         if isinstance(env.action_space, spaces.Box) else action):
            problems.append(f"act() gave {action!r}, outside the action space, after degenerate input")
            break
        value = bad[i % len(bad)]
        info = {keys.LESSON.name: action, keys.TASK.name: action, keys.OUTCOME.name: value,
                keys.BUDGET_USED.name: (i + 1) / n}
        teacher.update(action, value, obs, info)
    return problems


def check_teacher(teacher: Any, env: EnvLike, *, seed: int = 5, teacher_kwargs: dict[str, Any] | None = None) -> None:
    """Every check of a teacher on one env: compatibility, valid actions, same seed => same run,
    ``reset`` forgets earlier runs,
    the global RNGs (numpy, ``random``, torch) are untouched, and degenerate outcomes and rewards
    (NaN, infinities, huge values) do not break it.

    Args:
        teacher: a registered name, import path, Teacher class (built with ``teacher_kwargs``) or instance.
        env: a registered env id (smoke configuration), an env, or a factory.
        seed: the seed of the checks' runs.
    """
    from teachgym.loop import run
    from teachgym.registry import compatibility, teacher_meta

    make_env, make = _factory(env), _teacher_factory(teacher, dict(teacher_kwargs or {}))
    sample = make()
    instance = make_env()
    try:
        _fail(f"teacher {teacher_meta(sample).name!r} on {_name(instance)}", compatibility(sample, instance))
        name = teacher_meta(sample).name

        def one_run(t: Any, s: int):
            env_now = make_env()
            try:
                return run(env_now, t, seed=s)
            finally:
                env_now.close()

        problems = []
        before = _global_rng_state()
        reused = make()
        try:
            first = one_run(reused, seed)
        except InvalidLessonError as error:
            _fail(f"teacher {name!r} on {_name(instance)}", [f"gave an invalid lesson: {error}"])
        if not all(_equal(a, b) for a, b in zip(before, _global_rng_state())):
            problems.append("a run changed a global RNG (numpy.random, random or torch); own a Generator instead")
        again = one_run(reused, seed)  # the same object after reset(): must behave as a fresh one
        if not _equal(again.lessons, first.lessons) or again.score != first.score:
            fresh = one_run(make(), seed)
            if _equal(fresh.lessons, first.lessons) and fresh.score == first.score:
                problems.append("a teacher reused after reset() does not behave as a fresh one")
            else:
                problems.append("same seed, different runs")
        problems += _drive_degenerate(make(), instance, seed, 60)
        _fail(f"teacher {name!r} on {_name(instance)}", problems)
    finally:
        instance.close()


def _name(env: gym.Env) -> str:
    spec = getattr(env, "spec", None)
    return spec.id if spec is not None else type(env.unwrapped).__name__
