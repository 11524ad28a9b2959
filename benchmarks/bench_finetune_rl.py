"""FineTuneRL-Linear: offline + online against online-only and offline-only, and the teacher-step time.

The claim (Wagenmaker & Pacchiano, 2023, qualitatively): where offline data
cover part of the feature space, a learner that pools them with a few online
episodes aimed at the uncovered directions is epsilon-optimal after far fewer
online episodes than one that ignores them; one that never explores is never
epsilon-optimal. Measured on the "hidden-treasure" instance (the offline
behaviour policy never touches the most rewarding feature direction), one
online episode per teacher step, each seed a different instance
(``instance_seed = seed``) and dataset.

Per run it records the online episodes until the student's greedy policy was
first epsilon-optimal (``V >= V* - epsilon``, exact values), the episodes
after which it stayed epsilon-optimal to the end of the budget (the env's
``info["episodes_to_eps"]`` on the last step), and the final value in % of
``V*``. Teachers:

- ``coverage-design``: pooled offline + online data, FTPedel-style exploration;
- ``pooled-optimistic`` (defined here): pooled data, LSVI-UCB exploration, i.e.
  exactly ``online-only`` plus the offline data;
- ``online-only`` (LSVI-UCB on online data), ``offline-only``, ``rlpd``.

With ``--sb3-seeds N`` it also runs the FineTuneRL teachers on
``FineTuneRL-SB3-v1`` at its defaults (DQN on CartPole-v1, 20,000 offline
transitions of a noisy hand-written controller, 20 x 500 online steps) and
reports the final score (greedy evaluation return as % of the return range) per seed.

    python benchmarks/bench_finetune_rl.py --seeds 5 --budget 5000
    python benchmarks/bench_finetune_rl.py --seeds 0 --sb3-seeds 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from _common import machine, pin_one_thread, record

ENV_ID = "teachgym/FineTuneRL-Linear-v0"


def pooled_optimistic():
    from teachgym.teachers.finetune_rl.offline_online import OfflineOnlineTeacher

    class PooledOptimistic(OfflineOnlineTeacher):
        """``online-only``'s exploration with the offline data pooled in (equal weight per sample)."""

        def choose(self, obs, info):
            return {"optimistic": 1.0}, float(self.observed(obs, "pooled_share", 1.0)[0])

    return PooledOptimistic()


def run_one(teacher_name: str, seed: int, budget: int) -> dict:
    import gymnasium as gym

    import teachgym
    from teachgym.loop import teacher_seed

    env = gym.make(ENV_ID, n_steps=budget, episodes_per_step=1, instance_seed=seed)
    teacher = pooled_optimistic() if teacher_name == "pooled-optimistic" else teachgym.make_teacher(teacher_name)
    obs, info = env.reset(seed=seed)
    teacher.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
    first = 0 if info["eps_optimal"] else None
    step_seconds = []
    truncated = False
    while not truncated:
        action = teacher.act(obs, info)
        start = time.perf_counter()
        obs, reward, _, truncated, info = env.step(action)
        step_seconds.append(time.perf_counter() - start)
        teacher.update(action, reward, obs, info)
        if first is None and info["eps_optimal"]:
            first = info["online_episodes"]
    stays = info["episodes_to_eps"] if info["episodes_to_eps"] >= 0 else None
    return {"first": first, "stays": stays, "value": info["value"], "step_ms": 1e3 * statistics.median(step_seconds)}


def step_timing(repeats: int = 300) -> tuple[float, float, float]:
    """(median ms per env.step, median ms per teacher act, ms per reset) at the env's defaults."""
    import gymnasium as gym

    import teachgym

    env = gym.make(ENV_ID)
    teacher = teachgym.make_teacher("coverage-design")
    start = time.perf_counter()
    obs, info = env.reset(seed=0)
    reset_ms = 1e3 * (time.perf_counter() - start)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    steps, acts = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        action = teacher.act(obs, info)
        acts.append(time.perf_counter() - start)
        start = time.perf_counter()
        obs, reward, _, truncated, info = env.step(action)
        steps.append(time.perf_counter() - start)
        if truncated:
            obs, info = env.reset(seed=1)
    return 1e3 * statistics.median(steps), 1e3 * statistics.median(acts), reset_ms


def _fmt(values: list, budget: int) -> str:
    return ", ".join(f">{budget}" if v is None else str(v) for v in values)


def _median(values: list, budget: int) -> str:
    if any(v is None for v in values):
        known = sorted(budget + 1 if v is None else v for v in values)
        middle = known[len(known) // 2]
        return f">{budget}" if middle > budget else f"{middle} (some >{budget})"
    return f"{statistics.median(values):g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=5000, help="online episodes per run (one per teacher step)")
    parser.add_argument("--teachers", default="coverage-design,pooled-optimistic,online-only,offline-only,rlpd")
    parser.add_argument("--sb3-seeds", type=int, default=0, help="seeds of the SB3 variant (0: skip it)")
    args = parser.parse_args()
    pin_one_thread()

    print(f"machine: {machine()}")
    print(f"load before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}\n")
    if args.seeds > 0:
        linear(args)
    if args.sb3_seeds > 0:
        sb3(args.sb3_seeds)
    print(f"\nload after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def sb3(n_seeds: int) -> None:
    import teachgym

    print("\n| FineTuneRL-SB3-v1 teacher | final score (% of the return range) per seed | mean | s/run |")
    print("|---|---|---:|---:|")
    summary, per_seed = {}, {}
    for name in ("rlpd", "online-only", "offline-only", "coverage-design"):
        runs = [teachgym.run("teachgym/FineTuneRL-SB3-v1", name, seed) for seed in range(n_seeds)]
        scores = [r.score for r in runs]
        print(f"| {name} | {', '.join(f'{s:.1f}' for s in scores)} | {statistics.mean(scores):.1f} | "
              f"{statistics.mean(r.wall_time for r in runs):.1f} |", flush=True)
        summary[name] = {"final score, % of the return range (mean)": statistics.mean(scores),
                         "s/run": statistics.mean(r.wall_time for r in runs)}
        per_seed[name] = scores
    record("finetune_rl_sb3", "finetune_rl", summary, {"final score": per_seed},
           notes="FineTuneRL-SB3-v1 defaults; score: greedy evaluation return as % of the task's return range")


def linear(args) -> None:
    step_ms, act_ms, reset_ms = step_timing()
    print(f"env defaults: one teacher step (4 online episodes + LSVI + observation) {step_ms:.2f} ms median; "
          f"coverage-design act() {act_ms:.3f} ms; reset (10,000 offline episodes) {reset_ms:.1f} ms\n")

    print("| teacher | episodes until first eps-optimal (per seed) | median | until eps-optimal for good "
          "(per seed) | median | final value % of V* (mean) | ms/step |")
    print("|---|---|---:|---|---:|---:|---:|")
    summary = {"teacher-step time at the defaults": {"env.step, median (ms)": step_ms,
                                                   "coverage-design act (ms)": act_ms,
                                                   "reset with 10,000 offline episodes (ms)": reset_ms}}
    per_seed = {"first eps-optimal": {}, "eps-optimal for good": {}}
    for name in args.teachers.split(","):
        runs = [run_one(name, seed, args.budget) for seed in range(args.seeds)]
        first, stays = [r["first"] for r in runs], [r["stays"] for r in runs]
        print(f"| {name} | {_fmt(first, args.budget)} | {_median(first, args.budget)} | {_fmt(stays, args.budget)} | "
              f"{_median(stays, args.budget)} | {statistics.mean(r['value'] for r in runs):.1f} | "
              f"{statistics.median(r['step_ms'] for r in runs):.2f} |", flush=True)
        summary[name] = {"episodes to first eps-optimal (median)": _median(first, args.budget),
                         "episodes to eps-optimal for good (median)": _median(stays, args.budget),
                         "final value, % of V* (mean)": statistics.mean(r["value"] for r in runs)}
        per_seed["first eps-optimal"][name], per_seed["eps-optimal for good"][name] = first, stays
    record("finetune_rl_linear", "finetune_rl", summary, per_seed,
           notes=f"{ENV_ID} defaults, one online episode per teacher step, budget {args.budget:,} episodes; seed s uses "
                 "instance_seed = s; None: never epsilon-optimal within the budget")


if __name__ == "__main__":
    main()
