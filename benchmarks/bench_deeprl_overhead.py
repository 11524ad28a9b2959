"""Overhead of the deep-RL teacher envs over training the same SB3 student without them.

Both sides train the same PPO student (the env's defaults: 4 envs, lessons of
2048 steps) from the same seed on the same task sequence:

- ``bare``: plain SB3: set each task on a ``DummyVecEnv`` of the task family,
  reset it, ``model.learn(2048, reset_num_timesteps=False)``; no evaluation;
- ``env``: ``env.step(task)`` on the teacher env, which also plays the probe
  set after every lesson and the headline test set at reset and at the end.

Runs alternate (bare, env, bare, env, ...) so that load from other processes
hits both alike; the overhead is reported from the medians, in wall time and
in process CPU time (less sensitive to a shared machine). The last column
splits the env's own CPU time: everything outside the student's SB3 training
(probe and test evaluation, observation, info) over the training itself, a
measure free of run-to-run noise.

    python benchmarks/bench_deeprl_overhead.py --lessons 15 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import machine, pin_one_thread, record

ENV_IDS = ("teachgym/MountainCarCurriculum-v0", "teachgym/CartPoleCurriculum-v0", "teachgym/StumpTrackCurriculum-v0")


def task_sequence(env, n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    low, high = env.unwrapped.lessons.low, env.unwrapped.lessons.high
    return [rng.uniform(low, high).astype(np.float32) for _ in range(n)]


def run_bare(env_id: str, tasks, seed: int) -> tuple[float, float]:
    import gymnasium as gym
    import numpy as np
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    template = gym.make(env_id).unwrapped  # only for its family and settings
    family, n_envs, steps = template.family, template.student.n_envs, template.steps_per_lesson
    template.close()
    envs = [family() for _ in range(n_envs)]
    vec = DummyVecEnv([lambda e=e: e for e in envs])
    rng = np.random.default_rng(seed)
    wall, cpu = time.perf_counter(), time.process_time()
    model = PPO("MlpPolicy", vec, n_steps=steps // n_envs, seed=seed, device="cpu", verbose=0)
    for task in tasks:
        for env in envs:
            env.set_task(np.clip(task.astype(np.float64), family.task_low, family.task_high))
        vec.seed(int(rng.integers(2**31 - 1)))
        model._last_obs = None  # new episodes on the new task, as the student does
        model.learn(steps, reset_num_timesteps=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def run_env(env_id: str, tasks, seed: int) -> tuple[float, float, float]:
    """Wall and CPU seconds of the whole run, and the CPU seconds spent inside the student's SB3 ``learn``."""
    import gymnasium as gym

    env = gym.make(env_id, n_steps=len(tasks), device="cpu")
    student = env.unwrapped.student
    inside = [0.0]
    learn = student.learn

    def timed_learn(*args, **kwargs):  # accounting only: the same call, timed
        start = time.process_time()
        try:
            return learn(*args, **kwargs)
        finally:
            inside[0] += time.process_time() - start

    student.learn = timed_learn
    wall, cpu = time.perf_counter(), time.process_time()
    env.reset(seed=seed)
    for task in tasks:
        env.step(task)
    elapsed = time.perf_counter() - wall, time.process_time() - cpu, inside[0]
    env.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default=",".join(ENV_IDS))
    parser.add_argument("--lessons", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pin_one_thread()
    import gymnasium as gym
    import torch

    import teachgym  # noqa: F401  (registers the envs)

    torch.set_num_threads(1)
    print(f"machine: {machine()}\nload average at start: {os.getloadavg()}\n")
    print("| env | lessons x steps | bare SB3 wall s (median) | env wall s | wall overhead | "
          "bare CPU s | env CPU s | CPU overhead | env CPU outside training / inside |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for env_id in args.envs.split(","):
        probe = gym.make(env_id)
        tasks = task_sequence(probe, args.lessons, seed=0)
        steps = probe.unwrapped.steps_per_lesson
        probe.close()
        bare, env = [], []
        run_bare(env_id, tasks[:2], seed=0)  # warm-up: imports, first torch calls
        for _ in range(args.repeats):
            bare.append(run_bare(env_id, tasks, seed=0))
            env.append(run_env(env_id, tasks, seed=0))
        bw, ew = statistics.median(b[0] for b in bare), statistics.median(e[0] for e in env)
        bc, ec = statistics.median(b[1] for b in bare), statistics.median(e[1] for e in env)
        outside = statistics.median((e[1] - e[2]) / e[2] for e in env)
        print(f"| {env_id.removeprefix('teachgym/')} | {args.lessons} x {steps} | {bw:.1f} | {ew:.1f} | "
              f"{100 * (ew / bw - 1):+.1f} % | {bc:.1f} | {ec:.1f} | {100 * (ec / bc - 1):+.1f} % | "
              f"{100 * outside:.1f} % |", flush=True)
        summary[env_id.removeprefix("teachgym/")] = {
            "lessons x steps": f"{args.lessons} x {steps}", "bare wall s": bw, "env wall s": ew,
            "wall overhead %": 100 * (ew / bw - 1), "bare CPU s": bc, "env CPU s": ec,
            "CPU overhead %": 100 * (ec / bc - 1), "outside / inside training, CPU %": 100 * outside}
    print(f"\nload average at end: {os.getloadavg()}")
    variant = "" if args.envs == ",".join(ENV_IDS) else "_" + "_".join(
        e.removeprefix("teachgym/").split("Curriculum")[0].lower() for e in args.envs.split(","))
    record(f"deeprl_overhead{variant}", "deeprl", summary,
           notes=f"medians of {args.repeats} alternating repeats; bare: PPO on a DummyVecEnv of the task family; "
                 "env: env.step(task), which also plays the probe and test sets")


if __name__ == "__main__":
    main()
