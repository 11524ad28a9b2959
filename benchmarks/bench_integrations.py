"""Teachers outside the gym: wrapper throughput, SB3 callback overhead, the MountainCar curriculum through the callback.

Three parts (``--part``), each recorded with ``_common.record``:

- ``throughput`` (``results/integrations_throughput.json``): CartPole sub-envs
  in an ``AsyncVectorEnv`` stepped with random actions, native vs wrapped in
  ``TaskSetter`` + ``TeacherVectorEnv`` with one shared teacher (the task is the
  initial-state bound, sent through ``reset(options={"low", "high"})``).
  Each repetition keeps a native and a wrapped vector env alive side by side
  and steps them in alternating blocks, so the machine's load swings hit
  both; it reports the ratio of steps per second and of CPU per env step.
  ``setter/prefilled`` times the sub-envs' side alone (TaskSetter sub-envs
  with queues filled before timing, no teacher in the main process).
- ``accounting`` (``results/integrations_accounting.json``): the same
  conditions in one process (``SyncVectorEnv``), CPU per env step: what the
  wrapper and each teacher cost, without the pipes' noise.
- ``sb3`` (``results/integrations_sb3_overhead.json``): the same SB3 PPO
  training on CartPole without and with ``TeacherCallback``, side by side in
  alternating blocks of ``learn(..., reset_num_timesteps=False)``.
- ``mountaincar`` (``results/integrations_mountaincar.json``): the
  MountainCar power task written as a plain user env, trained by SB3 PPO with
  the curriculum entering through ``TeacherCallback`` only; the teacher-env
  settings of ``bench_deeprl_curriculum.py`` (4 envs x 512 steps, 153,600
  steps) and the same conditions (``target``, ``linear``: easy to the default
  car at 50 % of the budget) plus any registered teacher (``alp-gmm``).
  Score: % of 10 fixed starts from which the deterministic policy drives the
  default car to the flag. One JSON per run in ``--out-dir`` (a killed sweep resumes).

    cd benchmarks && python bench_integrations.py --part throughput --envs 8,64
    cd benchmarks && python bench_integrations.py --part accounting --blocks 30
    cd benchmarks && python bench_integrations.py --part sb3 --reps 4 --blocks 8
    cd benchmarks && python bench_integrations.py --part mountaincar --seeds 3 --conditions target,linear,alp-gmm
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from _common import machine, pin_one_thread, record

# -- the user envs ---------------------------------------------------------------------------------------------
BOUND_LOW, BOUND_HIGH = 0.01, 0.2  # CartPole's initial-state bound
DEFAULT_BOUND = 0.05  # Gymnasium's default bound


def cartpole_options(task) -> dict:
    """A CartPole task (Box: the bound; Discrete: one of 5 bounds) as ``reset`` options."""
    bound = float(task[0]) if isinstance(task, np.ndarray) else BOUND_LOW + (BOUND_HIGH - BOUND_LOW) * task / 4.0
    return {"low": -bound, "high": bound}


def make_native_cartpole():
    return gym.make("CartPole-v1")


def fixed_options(task) -> dict:
    """Any task as Gymnasium's default bound: the teacher's work is all there, the episodes are native's."""
    return {"low": -DEFAULT_BOUND, "high": DEFAULT_BOUND}


def make_taught_cartpole(task_key=cartpole_options, worker_reports=True):
    from teachgym.integrations import TaskSetter

    env = TaskSetter(gym.make("CartPole-v1"), task_key=task_key)
    env.worker_reports = worker_reports
    return env


class PowerMountainCar(gym.Env):
    """MountainCarContinuous whose engine has ``power`` times the default power, set by ``reset(options={"power": p})``.

    Dynamics as Gymnasium's ``MountainCarContinuous-v0``; observation (position, velocity) scaled to [-1, 1];
    reward +100 at the flag, -0.1 action^2 per step; ``info["is_success"]`` on the last step; 999 steps at most.
    """

    observation_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    action_space = spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)

    def __init__(self, power: float = 1.0):
        self.power = power
        self.position = self.velocity = 0.0
        self.steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if options and "power" in options:
            self.power = float(np.asarray(options["power"], dtype=np.float64).reshape(-1)[0])
        self.position, self.velocity, self.steps = float(self.np_random.uniform(-0.6, -0.4)), 0.0, 0
        return self._obs(), {}

    def step(self, action):
        throttle = float(np.asarray(action, dtype=np.float64).reshape(-1)[0])
        force = min(max(throttle, -1.0), 1.0)
        velocity = self.velocity + force * 0.0015 * self.power - 0.0025 * np.cos(3.0 * self.position)
        self.velocity = min(max(velocity, -0.07), 0.07)
        self.position = min(max(self.position + self.velocity, -1.2), 0.6)
        if self.position <= -1.2 and self.velocity < 0.0:
            self.velocity = 0.0
        self.steps += 1
        reached = self.position >= 0.45 and self.velocity >= 0.0
        truncated = not reached and self.steps >= 999
        info = {"is_success": reached} if reached or truncated else {}
        return self._obs(), (100.0 if reached else 0.0) - 0.1 * throttle ** 2, reached, truncated, info

    def _obs(self) -> np.ndarray:
        return np.array([(self.position + 0.3) / 0.9, self.velocity / 0.07], dtype=np.float32)


# -- throughput ------------------------------------------------------------------------------------------------
THROUGHPUT = {  # name -> (teacher, task space, TeacherVectorEnv kwargs); None: native
    "native": None,
    "native/control": None,  # a second native env: the A/A control of the harness's noise
    "random/episode": ("random", "box", {}),
    # Gymnasium's own bound every episode: native's episode lengths, so only the wrapper's machinery differs.
    "fixed/episode": ("random", "fixed", {}),
    "random/episode/buffer1": ("random", "box", {"buffer": 1}),
    "alp-gmm/episode": ("alp-gmm", "box", {}),
    "ucb/episode": ("ucb", "discrete", {}),
    "random/step": ("random", "box", {"update": "step"}),
    "ucb/step": ("ucb", "discrete", {"update": "step"}),
    # Per-step updates on native's episode lengths: random over the default bound, and UCB whose 5 arms all
    # reset to the default bound (its choices and per-step updates as above, the env's cost as native's).
    "fixed/step": ("random", "fixed", {"update": "step"}),
    "ucb/step/fixed": ("ucb", "discrete-fixed", {"update": "step"}),
    # The same with the teacher's plain per-step path (one update and one info dict per sub-env step,
    # teachgym.teacher.update_each) instead of its batched update_steps: the batching's gain within one run.
    "random/step/plain": ("random", "box", {"update": "step"}),
    "ucb/step/plain": ("ucb", "discrete", {"update": "step"}),
    # 32 tasks held ahead per sub-env: a quarter of the top-up round trips of the default buffer of 8.
    "random/step/buffer32": ("random", "box", {"update": "step", "buffer": 32}),
    "ucb/step/buffer32": ("ucb", "discrete", {"update": "step", "buffer": 32}),
    "fixed/episode/buffer64": ("random", "fixed", {"buffer": 64}),
    # The sub-envs' side alone: TaskSetter sub-envs (main-process outcomes, so no reports) whose queues are
    # filled once, before timing, with enough tasks for the whole run; no TeacherVectorEnv in the main process.
    "setter/prefilled": "prefilled",
}
PREFILLED_TASKS = 20_000  # per sub-env: more episodes than any repetition plays


def _vector_env(condition: str, n_envs: int, vector=gym.vector.AsyncVectorEnv):
    from teachgym.integrations import TeacherVectorEnv

    spec = THROUGHPUT[condition]
    if spec is None:
        return vector([make_native_cartpole] * n_envs)
    if spec == "prefilled":
        envs = vector([functools.partial(make_taught_cartpole, fixed_options, worker_reports=False)] * n_envs)
        envs.set_attr("incoming_tasks", [[(None, 0)] * PREFILLED_TASKS] * n_envs)
        return envs
    teacher, kind, kwargs = spec
    make = make_taught_cartpole
    if kind == "discrete-fixed":
        make = functools.partial(make_taught_cartpole, fixed_options)
    if kind.startswith("discrete"):
        space = spaces.Discrete(5)
    else:
        low, high = (BOUND_LOW, BOUND_HIGH) if kind == "box" else (DEFAULT_BOUND, DEFAULT_BOUND)
        space = spaces.Box(low, high, (1,), dtype=np.float32)
    envs = TeacherVectorEnv(vector([make] * n_envs), teacher, space, seed=0, **kwargs)
    if condition.endswith("/plain"):
        from teachgym.teacher import update_each

        envs.teacher.update_steps = functools.partial(update_each, envs.teacher)
    return envs


def _cpu_seconds(pids) -> float:
    """CPU time the processes ``pids`` have used so far (``/proc/<pid>/schedstat``, nanoseconds)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


def _workers(envs) -> list[int]:
    return [p.pid for p in getattr(envs, "unwrapped", envs).processes]


def compare_pair(condition: str, n_envs: int, block_steps: int, blocks: int, seed: int) -> dict:
    """Native and ``condition`` alive side by side, stepped in alternating blocks (so load swings hit both).

    Returns the rates and CPU costs of both; a side's CPU is its main-process time in its blocks plus its
    sub-env processes' time (they are idle while the other side steps).
    """
    # Which side is created first alternates with the seed: identical vector envs differ by up to ~10 % in
    # speed on this machine depending on creation order (the native/control rows measure that).
    names = ["native", condition] if seed % 2 == 0 else [condition, "native"]
    sides = {name: _vector_env(name, n_envs) for name in names}
    sides = {"native": sides["native"], condition: sides[condition]}
    rng = np.random.default_rng(seed)
    try:
        for envs in sides.values():
            envs.reset(seed=seed)
            for a in rng.integers(2, size=(50, n_envs)):  # warm-up: pipes, first top-ups
                envs.step(a)
            if hasattr(envs, "curriculum"):
                _ = envs.curriculum  # the teacher learns the warm-up's steps (a compiled loop loads once per process)
        wall = dict.fromkeys(sides, 0.0)
        main_cpu = dict.fromkeys(sides, 0.0)
        worker_cpu = {name: -_cpu_seconds(_workers(envs)) for name, envs in sides.items()}
        for block in range(blocks):
            actions = rng.integers(2, size=(block_steps, n_envs))
            for name in (list(sides) if block % 2 == 0 else list(sides)[::-1]):
                envs = sides[name]
                cpu, start = time.process_time(), time.perf_counter()
                for a in actions:
                    envs.step(a)
                wall[name] += time.perf_counter() - start
                main_cpu[name] += time.process_time() - cpu
        for name, envs in sides.items():
            worker_cpu[name] += _cpu_seconds(_workers(envs))
        steps = blocks * block_steps * n_envs
        out = {}
        for name in sides:
            key = "native" if name == "native" else "wrapped"
            out[f"{key}_steps_per_s"] = steps / wall[name]
            out[f"{key}_cpu_us_per_step"] = 1e6 * (main_cpu[name] + worker_cpu[name]) / steps
            out[f"{key}_main_cpu_us_per_step"] = 1e6 * main_cpu[name] / steps
        wrapped = sides[condition]
        if hasattr(wrapped, "curriculum"):
            out.update(episodes=wrapped.curriculum.episodes, round_trips=wrapped.round_trips)
        return out
    finally:
        for envs in sides.values():
            envs.close()


def part_throughput(args) -> None:
    conditions = [c for c in (args.conditions.split(",") if args.conditions else THROUGHPUT) if c != "native"]
    summary, per_rep = {}, {}
    for n_envs in [int(n) for n in args.envs.split(",")]:
        block_steps = max(10, 800 // n_envs)
        rows, runs = {}, {condition: [] for condition in conditions}
        # Repetition-major, each repetition in a rotated order: a drift of the machine's speed over the run
        # reaches every condition (and the A/A control) alike.
        for rep in range(args.reps):
            shift = rep % len(conditions)
            for condition in conditions[shift:] + conditions[:shift]:
                load = os.getloadavg()[0]
                result = compare_pair(condition, n_envs, block_steps, args.blocks, seed=rep)
                result["load_1min"] = round(load, 2)
                runs[condition].append(result)
        for condition in conditions:
            rate = np.array([r["wrapped_steps_per_s"] / r["native_steps_per_s"] for r in runs[condition]])
            cpu = np.array([r["native_cpu_us_per_step"] / r["wrapped_cpu_us_per_step"] for r in runs[condition]])
            pooled = sum(1.0 / r["native_steps_per_s"] for r in runs[condition]) / \
                sum(1.0 / r["wrapped_steps_per_s"] for r in runs[condition])  # total time native / total time wrapped
            rows[condition] = {
                "throughput_ratio_pooled": float(pooled), "throughput_ratio_median": float(np.median(rate)), "throughput_ratio_range": [float(rate.min()),
                                                                                            float(rate.max())],
                "cpu_ratio_median": float(np.median(cpu)), "cpu_ratio_range": [float(cpu.min()), float(cpu.max())],
                "native_steps_per_s_median": float(np.median([r["native_steps_per_s"] for r in runs[condition]])),
                "load_1min": [r["load_1min"] for r in runs[condition]]}
            print(f"{n_envs:>3} envs | {condition:<24} | steps/s ratio median {np.median(rate):.3f} "
                  f"[{rate.min():.3f}, {rate.max():.3f}] | native/wrapped CPU per step {np.median(cpu):.3f} "
                  f"[{cpu.min():.3f}, {cpu.max():.3f}] | load {[r['load_1min'] for r in runs[condition]]}",
                  flush=True)
        summary[f"{n_envs}_envs"] = rows
        per_rep[f"{n_envs}_envs"] = runs
    _save(args, args.name, "integrations", summary, per_rep,
           notes=f"CartPole-v1 x N in AsyncVectorEnv (NEXT_STEP autoreset), random actions. Each repetition keeps a "
                 f"native and a wrapped vector env alive and steps them in {args.blocks} alternating blocks of "
                 f"800/N steps (repetitions outermost, the conditions in a rotated order within each); ratio = wrapped / native steps per second (and native / wrapped CPU per env step: "
                 "main process + sub-env processes, from /proc/<pid>/schedstat). Wrapped: TaskSetter sub-envs + "
                 "TeacherVectorEnv (buffer 8 unless named), the teacher in the main process; ALP-GMM at its defaults "
                 "(a GMM fit every 250 episodes).")


def part_accounting(args) -> None:
    """CPU per env step in one process (``SyncVectorEnv``): what the wrapper and each teacher add, without pipes."""
    conditions = [c for c in THROUGHPUT if c != "native/control"]
    n_envs, block_steps = 8, 200
    sides = {c: _vector_env(c, n_envs, gym.vector.SyncVectorEnv) for c in conditions}
    rng = np.random.default_rng(0)
    for envs in sides.values():  # warm-up: first top-ups, the teacher's first updates (and a compiled loop's load)
        envs.reset(seed=0)
        for a in rng.integers(2, size=(block_steps, n_envs)):
            envs.step(a)
        if hasattr(envs, "curriculum"):
            _ = envs.curriculum
    cpu = dict.fromkeys(sides, 0.0)
    for block in range(args.blocks):
        actions = rng.integers(2, size=(block_steps, n_envs))
        names = conditions[block % len(conditions):] + conditions[:block % len(conditions)]
        for name in names:
            start = time.process_time()
            for a in actions:
                sides[name].step(a)
            cpu[name] += time.process_time() - start
    steps = args.blocks * block_steps * n_envs
    summary = {name: {"cpu_us_per_env_step": 1e6 * cpu[name] / steps,
                      "added_us_per_env_step": 1e6 * (cpu[name] - cpu["native"]) / steps} for name in conditions}
    for name, row in summary.items():
        print(f"{name:<24} {row['cpu_us_per_env_step']:6.2f} us/env step ({row['added_us_per_env_step']:+.2f})")
    for envs in sides.values():
        envs.close()
    name = args.name if args.name != "integrations_throughput" else "integrations_accounting"
    _save(args, name, "integrations", summary, None,
          notes=f"CartPole-v1 x {n_envs} in SyncVectorEnv (one process, no pipes), random actions, {args.blocks} "
                f"blocks of {block_steps} steps per condition in rotating order; process CPU time per env step. "
                "'/plain': the teacher's per-step updates through teachgym.teacher.update_each (one update and one "
                "info dict per sub-env step) instead of its batched update_steps.")


# -- SB3 callback overhead ---------------------------------------------------------------------------------------
def _sb3_model(condition: str, seed: int):
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    from teachgym.integrations import TaskSetter, TeacherCallback

    if condition == "none":
        vec, callback = make_vec_env("CartPole-v1", n_envs=4, seed=seed), None
    else:
        vec = make_vec_env("CartPole-v1", n_envs=4, seed=seed, wrapper_class=TaskSetter,
                           wrapper_kwargs={"task_key": cartpole_options})
        callback = TeacherCallback(condition, spaces.Box(BOUND_LOW, BOUND_HIGH, (1,), dtype=np.float32), seed=seed)
    return PPO("MlpPolicy", vec, n_steps=256, seed=seed, device="cpu"), callback


def compare_sb3(condition: str, block_steps: int, blocks: int, seed: int) -> dict:
    """The same PPO training without and with ``TeacherCallback``, alive side by side, in alternating blocks."""
    import torch

    torch.set_num_threads(1)
    sides = {"none": _sb3_model("none", seed), condition: _sb3_model(condition, seed)}
    wall, cpu = dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0.0)
    for block in range(blocks):
        for name in (list(sides) if block % 2 == 0 else list(sides)[::-1]):
            model, callback = sides[name]
            start_cpu, start = time.process_time(), time.perf_counter()
            model.learn(block_steps, callback=callback, reset_num_timesteps=block == 0)
            wall[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu
    episodes = sides[condition][1].curriculum.episodes
    for model, _ in sides.values():
        model.get_env().close()
    return {"wall_ratio": wall[condition] / wall["none"], "cpu_ratio": cpu[condition] / cpu["none"],
            "wall_s": wall, "cpu_s": cpu, "episodes": episodes}


def part_sb3(args) -> None:
    summary, runs = {}, {}
    for condition in ("random", "alp-gmm"):
        runs[condition] = []
        for rep in range(args.reps):
            load = os.getloadavg()[0]
            result = compare_sb3(condition, args.sb3_block, args.blocks, seed=rep)
            result["load_1min"] = round(load, 2)
            runs[condition].append(result)
        row = {"load_1min": [r["load_1min"] for r in runs[condition]]}
        for unit in ("wall", "cpu"):
            overhead = 100.0 * (np.array([r[f"{unit}_ratio"] for r in runs[condition]]) - 1.0)
            pooled = 100.0 * (sum(r[f"{unit}_s"][condition] for r in runs[condition])
                              / sum(r[f"{unit}_s"]["none"] for r in runs[condition]) - 1.0)
            row[f"{unit}_overhead_pct_pooled"] = float(pooled)
            row[f"{unit}_overhead_pct_median"] = float(np.median(overhead))
            row[f"{unit}_overhead_pct_range"] = [float(overhead.min()), float(overhead.max())]
            print(f"callback {condition:<8} {unit}: overhead pooled {pooled:+.1f} %, median {np.median(overhead):+.1f} % "
                  f"[{overhead.min():+.1f}, {overhead.max():+.1f}] | load {row['load_1min']}", flush=True)
        summary[condition] = row
    _save(args, "integrations_sb3_overhead", "integrations", summary, runs,
           notes=f"SB3 PPO (n_steps 256 x 4 DummyVecEnv envs, 1 torch thread) on CartPole-v1; per repetition the run "
                 f"without a curriculum and the run with TeacherCallback (TaskSetter sub-envs, buffer 1; task = the "
                 f"initial-state bound) live side by side and learn in {args.blocks} alternating blocks of "
                 f"{args.sb3_block} timesteps (learn(..., reset_num_timesteps=False)); overhead = with / without - 1.")


# -- MountainCar curriculum through the callback --------------------------------------------------------------------
EVAL_SEED = 1_000_000
SCHEDULE = {"easy_to_hard": {"easy": [2.0], "hard": [1.0]}}


def evaluate_default_car(model, episodes: int = 10) -> float:
    """% of ``episodes`` fixed starts from which the deterministic policy drives the default car to the flag."""
    env = PowerMountainCar(power=1.0)
    successes = 0
    for j in range(episodes):
        obs, _ = env.reset(seed=EVAL_SEED + j)
        done = truncated = False
        while not (done or truncated):
            action, _ = model.predict(obs, deterministic=True)
            obs, _, done, truncated, _ = env.step(action)
        successes += int(done)
    return 100.0 * successes / episodes


def mountaincar_run(condition: str, seed: int, timesteps: int) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    from bench_deeprl_curriculum import make_condition
    from teachgym.integrations import TaskSetter, TeacherCallback

    torch.set_num_threads(1)
    vec = make_vec_env(PowerMountainCar, n_envs=4, seed=seed, wrapper_class=TaskSetter,
                       wrapper_kwargs={"task_key": "power", "outcome": "success"})
    callback = TeacherCallback(make_condition(condition), spaces.Box(1.0, 2.0, (1,), dtype=np.float32), seed=seed,
                               teacher_info=SCHEDULE)
    played = []  # (power, success) of every training episode, as the teacher heard it
    report = callback.curriculum.report
    callback.curriculum.report = lambda task, outcome, **info: (
        played.append((round(float(np.asarray(task).reshape(-1)[0]), 3), outcome)), report(task, outcome, **info))
    model = PPO("MlpPolicy", vec, n_steps=512, seed=seed, device="cpu")
    start = time.perf_counter()
    model.learn(timesteps, callback=callback)
    wall = time.perf_counter() - start
    vec.close()
    return {"score": evaluate_default_car(model), "wall_time": wall, "episodes": len(played),
            "load": os.getloadavg(), "played": played}


def part_mountaincar(args) -> None:
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary, per_seed = {}, {}
    print("| condition | score per seed | mean | s/run |\n|---|---|---:|---:|")
    for condition in args.conditions.split(","):
        scores, times = [], []
        for seed in range(args.seeds):
            path = out_dir / f"mountaincar__{condition}__{seed}.json"
            if path.exists():
                result = json.loads(path.read_text())
            else:
                result = mountaincar_run(condition, seed, args.mc_timesteps)
                path.write_text(json.dumps(result))
            scores.append(result["score"])
            times.append(result["wall_time"])
        summary[condition] = {"mean": float(np.mean(scores)), "successful_seeds": int(sum(s == 100.0 for s in scores)),
                              "seeds": len(scores)}
        per_seed[condition] = scores
        print(f"| {condition} | {', '.join(f'{s:.0f}' for s in scores)} | {np.mean(scores):.1f} | "
              f"{np.mean(times):.0f} |", flush=True)
    _save(args, "integrations_mountaincar", "integrations", summary, per_seed,
           notes=f"PowerMountainCar (a plain user env; power via reset options) + SB3 PPO (4 envs x n_steps 512, "
                 f"{args.mc_timesteps} timesteps), curriculum through TeacherCallback (outcome: success; "
                 "teacher_info easy_to_hard 2 -> 1); score: % of 10 fixed starts of the default car reached.")


def _save(args, name: str, *rest, **kwargs) -> None:
    """``record`` the result, unless ``--no-record`` (a dry run: the numbers are printed only)."""
    if args.no_record:
        print(f"--no-record: {name} not written")
        return
    record(name, *rest, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["throughput", "accounting", "sb3", "mountaincar"], required=True)
    parser.add_argument("--envs", default="8,64", help="throughput: sub-env counts")
    parser.add_argument("--conditions", default="", help="throughput: THROUGHPUT names; mountaincar: conditions")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--blocks", type=int, default=20, help="throughput: alternating blocks per repetition")
    parser.add_argument("--sb3-block", type=int, default=2048, help="sb3: timesteps per alternating block")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--mc-timesteps", type=int, default=153_600)
    parser.add_argument("--out-dir", default="runs/bench_integrations")
    parser.add_argument("--name", default="integrations_throughput",
                        help="throughput: result name under benchmarks/results/")
    parser.add_argument("--no-record", action="store_true", help="print the numbers, write no result file")
    args = parser.parse_args()
    if args.part == "mountaincar" and not args.conditions:
        args.conditions = "target,linear,alp-gmm"
    pin_one_thread()
    print(f"machine: {machine()}\nload average at start: {os.getloadavg()}\n")
    {"throughput": part_throughput, "accounting": part_accounting, "sb3": part_sb3,
     "mountaincar": part_mountaincar}[args.part](args)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
