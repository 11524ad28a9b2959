"""Teacher-env stepping speed through ``gym.make`` on one core.

    python benchmarks/bench_env_speed.py --steps 200000

Reports, per env: env.step alone (actions pre-drawn) and the full loop with the
random teacher (act + step + update), in steps per second. Target:
ToyCurriculum-v0 with a random teacher >= 50,000 steps/s.
"""

from __future__ import annotations

import argparse
import time

from _common import machine, pin_one_thread, record


def bench(env_id: str, steps: int) -> tuple[float, float]:
    import gymnasium as gym

    import teachgym

    env = gym.make(env_id, n_steps=steps)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=0)
    start = time.perf_counter()
    for action in actions:
        env.step(action)
    env_only = steps / (time.perf_counter() - start)

    teacher = teachgym.make_teacher("random")
    obs, info = env.reset(seed=0)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        action = teacher.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        teacher.update(action, reward, obs, info)
    with_teacher = steps / (time.perf_counter() - start)
    return env_only, with_teacher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--env", action="append", help="env ids (default: the toy envs)")
    args = parser.parse_args()
    pin_one_thread()
    print(f"machine: {machine()}\n")
    print("| env | env.step only (steps/s) | random teacher + env (steps/s) |\n|---|---|---|")
    summary = {}
    for env_id in args.env or ["teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0"]:
        env_only, with_teacher = bench(env_id, args.steps)
        print(f"| {env_id} | {env_only:,.0f} | {with_teacher:,.0f} |", flush=True)
        summary[env_id] = {"env.step only (steps/s)": round(env_only),
                           "random teacher + env (steps/s)": round(with_teacher)}
    record("env_speed", "curriculum", summary, notes=f"{args.steps:,} steps through gym.make on one core")


if __name__ == "__main__":
    main()
