"""Record the choices of the bandit teachers and the threshold tutor, for ``tests/test_teacher_speed_choices.py``.

Each case is one teaching run: the teacher's lessons and everything it was
shown (observations where the teacher reads them, rewards, ``info`` dicts).
The test replays the recorded stream to the current implementation and checks
that every lesson is the same, so it tests the teacher alone: a change of an
env cannot make it fail, a change of a teacher's choices always does.

Runs on the fast envs are recorded live; the GRPO signal paths (per-arm
|advantage| and success rates, mixture lessons, degenerate values) are
recorded against a small seeded signal source defined here, because the GRPO
envs need a language model.

Regenerate only when a teacher's choices are *meant* to change::

    python tests/data/make_bandit_reference.py   # writes tests/data/teacher_choices.json.gz
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import find_highest_version

import teachgym
from teachgym.lessons import MixtureBox
from teachgym.loop import teacher_seed

OUT = Path(__file__).with_name("teacher_choices.json.gz")
SEEDS = (0, 1)
BANDITS = ["tscl-window", "tscl-sampling", "exp3", "ucb", "thompson", "sec", "dump", "learnability"]
# Env names without a version: the newest registered version is recorded.
BANDIT_ENVS = {"ToyCurriculumDiscrete": {"n_steps": 400}, "Flashcards-HLR": {"n_steps": 300},
               "GridworldCurriculumDiscrete": {"n_steps": 200}}
# Info keys none of the recorded teachers reads (large: the task drawn, the lesson layout), left out of the file.
UNREAD_INFO = ("task", "lesson_space", "easy_to_hard")
# Non-default settings that take other code paths.
VARIANTS = [("tscl-window", {"policy": "boltzmann"}), ("tscl-sampling", {"epsilon": 0.1}), ("exp3", {"share": 0.01}),
            ("ucb", {"discount": 1.0}), ("dump", {"window": 3}), ("sec", {"explore": 0.0})]
TUTOR_CASES = [("Flashcards-HLR", {"n_steps": 300}, {}),
               ("Flashcards-HLR", {"n_steps": 300}, {"lookahead": 5.0, "threshold": 0.375}),
               ("Flashcards-EFC", {"n_steps": 300}, {"threshold": 0.05}),
               ("Flashcards-ACTR", {}, {}),
               ("PrerequisiteTutor-BKT", {"n_steps": 300}, {})]


def encode(value: Any) -> Any:
    """A JSON form of an info value that :func:`decode` turns back into the same types (int dict keys, arrays)."""
    if isinstance(value, np.ndarray):
        return {"__array__": encode(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {"__dict__": {key: encode(item) for key, item in value.items()}}
        return {"__items__": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    return value


def _space_spec(space: spaces.Space) -> dict:
    if isinstance(space, spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, MixtureBox):
        return {"kind": "mixture", "n": int(space.shape[0])}
    raise TypeError(space)


def _record(teacher_name, teacher_kwargs, seed, action_space, reset, step, keep_obs):
    teacher = teachgym.make_teacher(teacher_name, **teacher_kwargs)
    obs, info = reset()
    teacher.reset(action_space, None, seed=teacher_seed(seed))
    observations, rewards, lessons = [obs], [], []
    infos = [{key: item for key, item in info.items() if key not in UNREAD_INFO}]
    done = False
    while not done:
        action = teacher.act(obs, info)
        obs, reward, done, info = step(action)
        teacher.update(action, reward, obs, info)
        lessons.append(action)
        observations.append(obs)
        infos.append({key: item for key, item in info.items() if key not in UNREAD_INFO})
        rewards.append(reward)
    return {"teacher": teacher_name, "teacher_kwargs": teacher_kwargs, "seed": seed, "space": _space_spec(action_space),
            "observations": encode(np.asarray(observations)) if keep_obs else None, "infos": encode(infos),
            "rewards": encode(rewards), "lessons": encode(lessons)}


def newest(name: str) -> str:
    """The id of the newest registered version of ``teachgym/<name>``."""
    return f"teachgym/{name}-v{find_highest_version('teachgym', name)}"


def record_env(name, env_kwargs, teacher_name, teacher_kwargs, seed, keep_obs=False):
    """One live run on the newest version of env ``name``, seeded as :func:`teachgym.run` seeds it."""
    env_id = newest(name)
    env = gym.make(env_id, **env_kwargs)

    def step(action):
        obs, reward, terminated, truncated, info = env.step(action)
        return obs, float(reward), terminated or truncated, info

    case = _record(teacher_name, teacher_kwargs, seed, env.action_space, lambda: env.reset(seed=seed), step, keep_obs)
    env.close()
    return {"env": env_id, "env_kwargs": env_kwargs, **case}


def record_signals(teacher_name, seed, mixture, n_arms=5, n_steps=200):
    """A run against a seeded source of GRPO per-arm signals, with every fall-back and degenerate value."""
    rng = np.random.default_rng(1000 + seed)
    learnable = rng.uniform(0.0, 1.0, n_arms)  # each arm's success rate drifts towards 1 at its own speed
    success = np.zeros(n_arms)
    space = MixtureBox(np.zeros(n_arms, np.float32), np.ones(n_arms, np.float32), dtype=np.float32) if mixture \
        else spaces.Discrete(n_arms, start=2)
    t = [0]

    def reset():
        return None, {"budget_used": 0.0, "arm_accuracy": success.copy()}

    def step(action):
        t[0] += 1
        if mixture:
            weights = np.maximum(np.asarray(action, dtype=np.float64), 0.0)
            arms = np.flatnonzero(weights > 0).tolist() or list(range(n_arms))
        else:
            arms = [int(action) - 2]
        for arm in arms:
            success[arm] += 0.05 * learnable[arm] * (1.0 - success[arm])
        # Two decimals, as a sampled accuracy of 100 answers has; it keeps the file small.
        accuracy = np.round(np.clip(success + rng.normal(0.0, 0.05, n_arms), 0.0, 1.0), 2)
        advantage = {arm: round(float(2.0 * np.sqrt(accuracy[arm] * (1.0 - accuracy[arm]))), 2) for arm in arms}
        reward_mean = {arm: float(accuracy[arm]) for arm in arms}
        info = {"budget_used": t[0] / n_steps, "outcome": round(float(accuracy.mean()), 2),
                "arm_accuracy": accuracy}
        phase = t[0] % 10
        if phase < 6:
            info.update(arm_advantage_abs=advantage, arm_reward_mean=reward_mean)
        elif phase == 6:
            info["advantage_abs_mean"] = float(np.mean(list(advantage.values())))
        elif phase == 7:
            info.update(arm_advantage_abs={arms[0]: math.nan, n_arms + 3: 1.0}, arm_reward_mean={arms[0]: math.inf},
                        outcome=math.nan)
        elif phase == 8:
            info["outcome"] = float(rng.choice([1e300, -1e300, 0.0]))
        return None, 0.0, t[0] >= n_steps, info

    case = _record(teacher_name, {}, seed, space, reset, step, keep_obs=False)
    return {"env": "signals-mixture" if mixture else "signals-discrete", "env_kwargs": {}, **case}


def cases() -> dict[str, dict]:
    out = {}
    for env_id, env_kwargs in BANDIT_ENVS.items():
        for name in BANDITS:
            for seed in SEEDS:
                out[f"{name}|{env_id}|{seed}"] = record_env(env_id, env_kwargs, name, {}, seed)
    toy = "ToyCurriculumDiscrete"
    for name, kwargs in VARIANTS:
        for seed in SEEDS:
            out[f"{name}{kwargs}|{toy}|{seed}"] = record_env(toy, BANDIT_ENVS[toy], name, kwargs, seed)
    for name in ("sec", "dump", "learnability"):
        for mixture in (False, True):
            for seed in SEEDS:
                case = record_signals(name, seed, mixture)
                out[f"{name}|{case['env']}|{seed}"] = case
    for env_id, env_kwargs, kwargs in TUTOR_CASES:
        for seed in SEEDS:
            out[f"threshold{kwargs}|{env_id}|{seed}"] = record_env(env_id, env_kwargs, "threshold", kwargs, seed,
                                                                    keep_obs=True)
    return out


def main() -> None:
    recorded = cases()
    with gzip.open(OUT, "wt", encoding="utf-8") as f:
        json.dump(recorded, f, separators=(",", ":"))
    print(f"{len(recorded)} runs -> {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
