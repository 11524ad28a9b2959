"""Speed and teaching quality of GridworldCurriculum-v0 and its Discrete variant.

Measures, with BLAS pinned to one thread:

- the tabular-Q student's training throughput (env steps/s) for a few batch
  sizes, and the time of one exact evaluation of the probe and test sets;
- teacher steps/s of whole teaching runs (``teachgym.run``, env defaults) and
  the final score (% success on the test set) of each teacher per seed.

    python benchmarks/bench_gridworld.py --seeds 3 --teachers random,easy-to-hard
"""

from __future__ import annotations

import argparse
import time

from _common import machine, pin_one_thread, record

ENV_IDS = ("teachgym/GridworldCurriculum-v0", "teachgym/GridworldCurriculumDiscrete-v0")


def student_throughput(batch: int, seconds: float = 1.0) -> tuple[float, float]:
    """(env steps/s, ms per learn() call) on uniformly random tasks."""
    import numpy as np

    from teachgym.students.curriculum.tabular_q import TabularQStudent

    student = TabularQStudent()
    student.reset(np.random.default_rng(0))
    tasks = np.random.default_rng(1).random((100_000, 3))
    steps = calls = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += student.learn(tasks[calls], batch).work
        calls += 1
    elapsed = time.perf_counter() - start
    return steps / elapsed, 1e3 * elapsed / calls


def evaluation_ms(tasks, repeats: int = 200) -> float:
    import numpy as np

    from teachgym.students.curriculum.tabular_q import TabularQStudent

    student = TabularQStudent()
    student.reset(np.random.default_rng(0))
    for i in range(50):  # a partly trained table, so the greedy policy has structure and ties
        student.learn([i / 50, 0.1, 0.2], 8)
    start = time.perf_counter()
    for _ in range(repeats):
        student.evaluate(tasks)
    return 1e3 * (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--teachers", default="random,easy-to-hard",
                        help="comma-separated; teachers that do not support an env's action space are skipped")
    args = parser.parse_args()
    pin_one_thread()
    import gymnasium as gym
    import numpy as np

    import teachgym
    from teachgym.envs.curriculum.gridworld import PROBE_SET, TEST_SET, GridworldCurriculumEnv

    print(f"machine: {machine()}\n")
    print("| student | batch (episodes) | env steps/s | ms per learn() |")
    print("|---|---:|---:|---:|")
    speed = {}
    for batch in (2, 32, 256):
        rate, ms = student_throughput(batch)
        print(f"| tabular-q | {batch} | {rate:,.0f} | {ms:.2f} |")
        speed[f"batch of {batch} episodes"] = {"env steps/s": round(rate), "ms per learn()": ms}
    print(f"\nexact evaluate(): probe set ({len(PROBE_SET)} tasks) {evaluation_ms(PROBE_SET):.2f} ms, "
          f"test set ({len(TEST_SET)} tasks) {evaluation_ms(TEST_SET):.2f} ms")
    env = GridworldCurriculumEnv()
    print(f"env defaults: n_steps={env.n_steps}, episodes_per_step={env.episodes_per_step}; "
          f"best achievable score {env.ceiling():.1f}\n")

    print("| env | teacher | teacher steps/s | score per seed | mean ± std |")
    print("|---|---|---:|---|---|")
    teachers, per_seed = {}, {}
    for env_id in ENV_IDS:
        action_space = gym.make(env_id).action_space
        for name in args.teachers.split(","):
            if not isinstance(action_space, teachgym.make_teacher(name).supported_spaces):
                continue
            runs = [teachgym.run(env_id, name, seed) for seed in range(args.seeds)]
            rate = sum(r.steps for r in runs) / sum(r.wall_time for r in runs)
            scores = np.array([r.score for r in runs])
            print(f"| {env_id.removeprefix('teachgym/')} | {name} | {rate:,.0f} | "
                  f"{', '.join(f'{s:.1f}' for s in scores)} | {scores.mean():.1f} ± {scores.std():.1f} |")
            row = f"{env_id.removeprefix('teachgym/')} / {name}"
            teachers[row] = {"teacher steps/s": round(rate), "score": {"mean": scores.mean(), "std": scores.std()}}
            per_seed[row] = scores.tolist()
    record("gridworld", "curriculum",
           {"exact evaluate() (ms)": {f"probe set ({len(PROBE_SET)} tasks)": evaluation_ms(PROBE_SET),
                                     f"test set ({len(TEST_SET)} tasks)": evaluation_ms(TEST_SET)},
            "tabular-q student": speed, "teachers": teachers}, {"score": per_seed},
           notes=f"Score: % of the {len(TEST_SET)} test tasks solved by the greedy policy (best achievable "
                 f"{env.ceiling():.1f}); env defaults n_steps={env.n_steps}, episodes_per_step={env.episodes_per_step}")


if __name__ == "__main__":
    main()
