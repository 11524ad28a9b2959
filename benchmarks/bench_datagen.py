"""Data-generation envs: teacher-step time, and targeting vs uniform allocation.

    python benchmarks/bench_datagen.py speed --domains math,code,vqa
    python benchmarks/bench_datagen.py compare --domains math,code,vqa --seeds 5 --workers 2
    python benchmarks/bench_datagen.py compare --domains math,code --seeds 5 --workers 2 --training continue
    python benchmarks/bench_datagen.py curve --levels 0 --examples 20000 --steps 600,1200
    python benchmarks/bench_datagen.py response --skills 1,3,5,7

``speed``: wall and CPU seconds of one teacher step (generate + train + evaluate)
at the default settings, Skill-List structure, torch on one thread; target <= 5 s.
``compare``: final test accuracy (%) of ``datagen-targeting`` vs
``datagen-uniform`` on the Skill-List envs, per seed, with the mean paired
difference and its 95 % bootstrap CI (same seed = same held-out sets, same
initial student).
``curve``: how fast the old default math student (no pretrained base, lr 3e-3) learns
outside any env: trained from scratch on ``--examples`` generated pairs (all skills, uniform subskills, the
given difficulty levels) for each ``--steps``; accuracy on the fixed validation
items of those levels, per skill, and CPU seconds.
``response``: whether the math student's per-skill accuracy follows the
allocation: one Skill-List episode (default settings, seed 0) per plan, uniform and
all the budget on each of ``--skills``; per-skill validation and test accuracy of
the pretrained base and after the last iteration.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from _common import machine, pin_one_thread, record

ENV = "teachgym/DataGen-{}-SkillList-v0"
NAMES = {"math": "Math", "code": "Code", "vqa": "VQA"}


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def speed(domain: str, steps: int) -> tuple[list[float], list[float]]:
    import gymnasium as gym
    import torch

    import teachgym  # noqa: F401  (registers the env ids)

    torch.set_num_threads(1)
    env = gym.make(ENV.format(NAMES[domain])).unwrapped
    env.reset(seed=0)
    walls, cpus = [], []
    for _ in range(steps):
        wall, cpu = time.perf_counter(), time.process_time()
        env.step(np.ones(env.action_space.shape, np.float32))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def episode(job: tuple[str, str, int, dict]) -> tuple[str, str, int, float, float]:
    domain, teacher, seed, kwargs = job
    pin_one_thread()
    import torch

    torch.set_num_threads(1)
    import teachgym

    result = teachgym.run(ENV.format(NAMES[domain]), teacher, seed=seed, **kwargs)
    return domain, teacher, seed, result.score, result.wall_time


def curve(levels: list[int], n_examples: int, steps: list[int]) -> None:
    import torch

    from teachgym.envs.datagen.heldout import heldout_sets
    from teachgym.envs.datagen.math_domain import MathDomain

    torch.set_num_threads(1)
    domain = MathDomain(levels=(0, 1, 2))  # the held-out range of the from-scratch student studied here
    held = heldout_sets(domain, 16, 32)
    rng = np.random.default_rng(1)
    pairs = []
    while len(pairs) < n_examples:
        skill = int(rng.integers(domain.n_skills))
        example = domain.generate(skill, int(rng.integers(len(domain.skills[skill].subskills))),
                                  int(rng.choice(levels)), rng)
        if domain.content_key(example) not in held.keys:
            pairs.append((example.question, example.answer))
    val = [d for d in held.val if d.difficulty in levels]
    print(f"| steps | val accuracy % | per skill % ({', '.join(s.name for s in domain.skills)}) | CPU s | wall s |")
    print("|---|---|---|---|---|")
    summary = {}
    for n in steps:
        student = domain.make_student(base_steps=0, lr=3e-3, replay_fraction=0.0)  # the old default: from scratch
        student.reset(np.random.default_rng(0))
        wall, cpu = time.perf_counter(), time.process_time()
        student.learn(pairs, n)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        correct = np.array([p == d.answer for p, d in zip(domain.predict(student, val), val)], dtype=float)
        skills = np.array([d.skill for d in val])
        per_skill = ", ".join(f"{100 * correct[skills == k].mean():.0f}" for k in range(domain.n_skills))
        print(f"| {n} | {100 * correct.mean():.1f} | {per_skill} | {cpu:.1f} | {wall:.1f} |", flush=True)
        summary[f"{n} steps"] = {"val accuracy %": 100 * correct.mean(), "val % per skill": per_skill,
                                  "CPU s": cpu, "wall s": wall}
    record("datagen_math_curve", "datagen", summary,
           notes=f"the from-scratch character student (levels {levels}, {n_examples} pairs), outside any env")


def response(skills: list[int], n_steps: int | None) -> None:
    import gymnasium as gym
    import torch

    import teachgym  # noqa: F401  (registers the env ids)

    torch.set_num_threads(1)
    env = gym.make(ENV.format("Math"), **({} if n_steps is None else {"n_steps": n_steps})).unwrapped
    test_skill = np.array([d.skill for d in env.heldout.test])

    def per_skill_test() -> str:
        predictions = env.domain.predict(env.student, env.heldout.test)
        correct = np.array([p == d.answer for p, d in zip(predictions, env.heldout.test)], dtype=float)
        return ", ".join(f"{100 * correct[test_skill == k].mean():.0f}" for k in range(env.n_skills))

    cpu = time.process_time()
    _, info = env.reset(seed=0)
    print(f"base ready in {time.process_time() - cpu:.1f} CPU s ({env.student.base_path})\n")
    print(f"| plan | val % per skill ({', '.join(s.name for s in env.domain.skills)}) | val mean % "
          "| test % per skill | test % |")
    print("|---|---|---|---|---|")
    print(f"| base (no data) | {', '.join(f'{100 * a:.0f}' for a in env.skill_accuracy)} | "
          f"{100 * env.skill_accuracy.mean():.1f} | {per_skill_test()} | {info['score']:.1f} |", flush=True)
    summary = {"base (no data)": {"val % per skill": [100 * a for a in env.skill_accuracy],
                                  "val mean %": 100 * env.skill_accuracy.mean(), "test % per skill": per_skill_test(),
                                  "test %": info["score"]}}
    for plan in ["uniform", *skills]:
        env.reset(seed=0)
        action = np.ones(env.n_skills, np.float32) if plan == "uniform" else np.eye(env.n_skills, dtype=np.float32)[plan]
        for _ in range(env.n_steps):
            env.step(action)
        name = plan if plan == "uniform" else f"all on {env.domain.skills[plan].name}"
        print(f"| {name} | {', '.join(f'{100 * a:.0f}' for a in env.skill_accuracy)} | "
              f"{100 * env.skill_accuracy.mean():.1f} | {per_skill_test()} | {env.score():.1f} |", flush=True)
        summary[name] = {"val % per skill": [100 * a for a in env.skill_accuracy],
                         "val mean %": 100 * env.skill_accuracy.mean(), "test % per skill": per_skill_test(),
                         "test %": env.score()}
    record("datagen_math_response", "datagen", summary,
           notes=f"one Skill-List episode per plan, seed 0, {env.n_steps} iterations; skills in the order "
                 f"{', '.join(s.name for s in env.domain.skills)}")


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator, n: int = 10_000) -> tuple[float, float]:
    means = rng.choice(values, size=(n, values.size), replace=True).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("speed", "compare", "curve", "response"))
    parser.add_argument("--domains", default="math,code,vqa")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", default="5", help="speed: teacher steps timed per domain; curve: gradient steps, "
                        "comma-separated")
    parser.add_argument("--teachers", default="datagen-targeting,datagen-uniform")
    parser.add_argument("--n-steps", type=int, default=None, help="compare, response: iterations per episode (env default 10)")
    parser.add_argument("--training", choices=("retrain", "continue"), default=None,
                        help="compare: the env's training mode (default: the env's, retrain)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--levels", default="0,1,2", help="curve: math difficulty levels of the data")
    parser.add_argument("--examples", type=int, default=640, help="curve: training pairs")
    parser.add_argument("--skills", default="1,3,5,7", help="response: skills that get a whole episode's budget")
    args = parser.parse_args()
    pin_one_thread()
    domains = args.domains.split(",")
    print(f"machine: {machine()}\n{load()} (start)\n", flush=True)
    if args.mode == "curve":
        curve([int(x) for x in args.levels.split(",")], args.examples, [int(x) for x in str(args.steps).split(",")])
        print(f"\n{load()} (end)")
        return
    if args.mode == "response":
        response([int(x) for x in args.skills.split(",")], args.n_steps)
        print(f"\n{load()} (end)")
        return
    if args.mode == "speed":
        print("| domain | wall s/step (mean, max) | CPU s/step (mean, max) | <= 5 s |")
        print("|---|---|---|---|")
        summary = {}
        for domain in domains:
            walls, cpus = speed(domain, int(args.steps))
            print(f"| {domain} | {statistics.mean(walls):.2f}, {max(walls):.2f} | {statistics.mean(cpus):.2f}, "
                  f"{max(cpus):.2f} | {'yes' if max(walls) <= 5 else 'no (wall)'} |", flush=True)
            summary[domain] = {"wall s/step (mean, max)": [statistics.mean(walls), max(walls)],
                               "CPU s/step (mean, max)": [statistics.mean(cpus), max(cpus)]}
        print(f"\n{load()} (end)")
        record("datagen_speed", "datagen", summary, notes=f"Skill-List defaults, {args.steps} teacher steps per domain")
        return
    teachers = args.teachers.split(",")
    kwargs = {} if args.n_steps is None else {"n_steps": args.n_steps}
    if args.training is not None:
        kwargs["training"] = args.training
    jobs = [(d, t, s, kwargs) for d in domains for s in range(args.seeds) for t in teachers]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(episode, jobs))
    scores = {(d, t, s): score for d, t, s, score, _ in results}
    wall = {(d, t): [] for d in domains for t in teachers}
    for d, t, _, _, seconds in results:
        wall[(d, t)].append(seconds)
    rng = np.random.default_rng(0)
    print(f"| domain | teacher | test accuracy % per seed | mean ± std | s/episode |")
    print("|---|---|---|---|---|")
    summary, per_seed = {}, {}
    for d in domains:
        for t in teachers:
            row = [scores[(d, t, s)] for s in range(args.seeds)]
            print(f"| {d} | {t} | {', '.join(f'{x:.1f}' for x in row)} | {statistics.mean(row):.2f} ± "
                  f"{statistics.stdev(row) if len(row) > 1 else 0:.2f} | {statistics.mean(wall[(d, t)]):.0f} |")
            summary[f"{d} / {t}"] = {"test accuracy %": {"mean": statistics.mean(row),
                                                         "std": statistics.stdev(row) if len(row) > 1 else 0.0},
                                     "s/episode": statistics.mean(wall[(d, t)])}
            per_seed[f"{d} / {t}"] = row
    if len(teachers) == 2:
        print(f"\n| domain | {teachers[0]} - {teachers[1]} (mean paired difference, points) | 95 % bootstrap CI |")
        print("|---|---|---|")
        for d in domains:
            diff = np.array([scores[(d, teachers[0], s)] - scores[(d, teachers[1], s)] for s in range(args.seeds)])
            low, high = bootstrap_ci(diff, rng)
            print(f"| {d} | {diff.mean():+.2f} | [{low:+.2f}, {high:+.2f}] |")
            summary.setdefault(f"{teachers[0]} - {teachers[1]}, paired (points)", {})[d] = {
                "mean": diff.mean(), "ci95": [low, high]}
    print(f"\n{load()} (end)")
    variant = "".join(f"_{v}" for v in (args.training, args.n_steps and f"{args.n_steps}steps") if v)
    record(f"datagen_compare_{'_'.join(domains)}{variant}", "datagen", summary, {"test accuracy %": per_seed},
           notes=f"Skill-List, env kwargs {kwargs or 'none (the defaults)'}; seeds 0-{args.seeds - 1}; 95 % bootstrap CI "
                 "of the mean paired difference")


if __name__ == "__main__":
    main()
