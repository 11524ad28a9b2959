"""What a teaching decision costs: per-teacher µs per decision and time per run on the fast envs, and profiles.

    python benchmarks/bench_teacher_speed.py                 # every fast env, 3 seeds, profiles
    python benchmarks/bench_teacher_speed.py --seeds 1 --envs ToyCurriculumDiscrete --no-profile
    python benchmarks/bench_teacher_speed.py --against HEAD --envs ToyCurriculumDiscrete,Flashcards-HLR

Part 1 runs each teacher through whole episodes of :func:`teachgym.run`'s loop
(``run_s``: the whole run, env included, wall time: the unit in which a
leaderboard sweep pays), records what the teacher was shown, and replays that to
a fresh teacher without the env: ``us_per_decision`` is the teacher's CPU time
(``act`` + ``update``) per step, amortised over the run, the least over repeats. Part 2 profiles one run per family's fast env (cProfile, the
entries with the most own time), so a regression shows where it comes from.

``--against REF`` compares this tree's bandit teachers with those at git commit
``REF`` instead (the teacher modules of both are loaded side by side in this
process): each full run recorded with this tree's teacher is replayed to both,
step by step, counting the choices that differ (the speed-up must change none),
and the two replays are timed interleaved, so that both see the same load.

Targets: every bandit teacher <= 10 µs per decision on ToyCurriculumDiscrete
and Flashcards-HLR; the threshold tutor <= 50 µs; the random teacher without
Gymnasium's ``Space.sample``. Times depend on the machine's load, which the
record carries: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pstats
import subprocess
import sys
import time

import numpy as np
from _common import REPO_ROOT, machine, pin_one_thread, record, source_at

BANDITS = ["tscl-window", "tscl-sampling", "exp3", "ucb", "thompson", "sec", "dump", "learnability"]
TUTORS = ["round-robin", "leitner", "sm2", "threshold", "mastery"]
GMM = ["alp-gmm", "covar-gmm", "riac"]
# env name (newest version is used) -> teachers timed on it
TIMED = {
    "ToyCurriculumDiscrete": ["random", "easy-to-hard", *BANDITS],
    "Flashcards-HLR": ["random", *BANDITS, *TUTORS[:4]],
    "ToyCurriculum": ["random", "easy-to-hard", *GMM],
    "GridworldCurriculumDiscrete": ["random", *BANDITS],
    "GridworldCurriculum": ["random", *GMM],
    "PrerequisiteTutor-BKT": ["random", *TUTORS],
    "FineTuneRL-Linear": ["online-only", "offline-only", "rlpd", "coverage-design"],
}
# one run per family's fast env: (env name, teacher)
PROFILED = [("ToyCurriculum", "alp-gmm"), ("ToyCurriculumDiscrete", "tscl-window"),
            ("GridworldCurriculumDiscrete", "ucb"), ("Flashcards-HLR", "threshold"),
            ("PrerequisiteTutor-BKT", "mastery"), ("FineTuneRL-Linear", "coverage-design")]
TOP = 12


def newest(name: str) -> str:
    """The id of the newest registered version of ``teachgym/<name>``."""
    import teachgym  # noqa: F401  (registers the envs)
    from gymnasium.envs.registration import find_highest_version

    return f"teachgym/{name}-v{find_highest_version('teachgym', name)}"


class RecordingTeacher:
    """Wraps a teacher and keeps what it was shown, so that its decisions can be replayed without the env."""

    def __init__(self, teacher):
        self.teacher, self.shown, self.actions, self.rewards = teacher, [], [], []
        self.name = teacher.name

    def reset(self, action_space, observation_space=None, seed=None):
        self.spaces, self.seed = (action_space, observation_space), seed
        self.teacher.reset(action_space, observation_space, seed=seed)

    def act(self, obs, info):
        self.shown.append((obs, info))
        action = self.teacher.act(obs, info)
        self.actions.append(action)
        return action

    def update(self, action, reward, obs, info):
        self.rewards.append(reward)
        self.teacher.update(action, reward, obs, info)


def replay_seconds(make, recording: RecordingTeacher, min_seconds: float = 0.3) -> float:
    """Least CPU time (``time.process_time``) of the teacher's calls over the recorded run, over repeats.

    CPU time, not wall time: on a loaded machine it leaves out the time the process waited for a core.
    """
    shown, actions = recording.shown, recording.actions
    updates = [(actions[i], shown[i + 1][0], shown[i + 1][1]) for i in range(len(actions) - 1)]
    best, spent = float("inf"), 0.0
    while spent < min_seconds or best == float("inf"):
        teacher = make()
        teacher.reset(*recording.spaces, seed=recording.seed)
        start = time.process_time()
        for (obs, info), (action, next_obs, next_info) in zip(shown, updates):
            teacher.act(obs, info)
            teacher.update(action, 0.0, next_obs, next_info)
        elapsed = time.process_time() - start
        best, spent = min(best, elapsed), spent + elapsed + 1e-3
    return best


def time_teacher(env_id: str, name: str, seeds: int) -> dict:
    import teachgym

    per_decision, per_run = [], []
    for seed in range(seeds):
        recording = RecordingTeacher(teachgym.make_teacher(name))
        start = time.perf_counter()
        teachgym.run(env_id, recording, seed)
        per_run.append(time.perf_counter() - start)
        steps = len(recording.actions) - 1
        per_decision.append(1e6 * replay_seconds(lambda: teachgym.make_teacher(name), recording) / max(steps, 1))
    return {"us_per_decision": float(np.median(per_decision)), "run_s": float(np.median(per_run)),
            "steps": len(recording.actions), "per_seed_us": [round(v, 2) for v in per_decision]}


def profile_run(env_id: str, name: str) -> dict:
    import teachgym

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    teachgym.run(env_id, name, 0)
    profiler.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # own time of every function
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:TOP]
    top = [{"function": f"{path.split('site-packages/')[-1].split('/work/main/')[-1]}:{line}({func})",
            "calls": calls, "own_s": round(own, 4), "own_share": round(own / total, 3), "cum_s": round(cum, 4)}
           for (path, line, func), (_, calls, own, cum, _) in rows]
    return {"wall_s": round(wall, 3), "profiled_s": round(total, 3), "top_own_time": top}


# The modules of the bandit teachers and of what they share; ``--against`` loads them as they are at another commit.
BANDIT_MODULES = ["teachgym.teachers.common.bandit", "teachgym.utils.budget", "teachgym.utils.progress",
                  "teachgym.teachers.curriculum.learning_progress", "teachgym.teachers.curriculum.tscl",
                  "teachgym.teachers.curriculum.exp3", "teachgym.teachers.curriculum.ucb",
                  "teachgym.teachers.curriculum.thompson", "teachgym.teachers.grpo.arm_signals",
                  "teachgym.teachers.grpo.dump", "teachgym.teachers.grpo.sec", "teachgym.teachers.grpo.learnability"]


class SourceAtCommit(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules ``names`` from git commit ``ref`` of this repository (``teachgym.teachers.a.b``
    is ``teachers/a/b.py``, ``teachgym.utils.c`` is ``teachgym/utils/c.py``), and any other
    ``teachgym.teachers`` module that this tree does not have but ``ref`` does (one since moved)."""

    def __init__(self, ref: str, names: list[str]):
        self.ref, self.names = ref, set(names)

    @staticmethod
    def path(name: str) -> str:
        parts = name.split(".")
        if parts[1] == "teachers":
            return "/".join(["teachers", *parts[2:]]) + ".py"
        return "/".join(parts) + ".py"

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            if not name.startswith("teachgym.teachers.") or importlib.machinery.PathFinder.find_spec(
                    name, path) is not None:
                return None
            try:
                source_at(self.ref, self.path(name))
            except subprocess.CalledProcessError:
                return None
        return importlib.util.spec_from_loader(name, self, origin=f"{self.ref}:{self.path(name)}")

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        source = source_at(self.ref, self.path(module.__name__))
        exec(compile(source, module.__spec__.origin, "exec"), module.__dict__)


def teachers_at(ref: str, names: list[str]) -> dict:
    """Factories of the registered teachers ``names`` as they are at git commit ``ref``, beside this tree's."""
    from teachgym.registry import teacher_registry

    for module in BANDIT_MODULES:
        importlib.import_module(module)
    saved = {module: sys.modules.pop(module) for module in BANDIT_MODULES}
    finder = SourceAtCommit(ref, BANDIT_MODULES)
    sys.meta_path.insert(0, finder)
    try:
        factories = {}
        for name in names:
            entry = teacher_registry.entry(name)
            module, _, attr = entry.entry_point.partition(":")
            if module not in finder.names:
                raise ValueError(f"--against: teacher {name!r} lives in {module}, which is not in BANDIT_MODULES")
            factories[name] = functools.partial(getattr(importlib.import_module(module), attr), **entry.kwargs)
    finally:
        sys.meta_path.remove(finder)
        for module, loaded in saved.items():  # this tree's modules back in place
            sys.modules[module] = loaded
            parent, _, child = module.rpartition(".")
            setattr(sys.modules[parent], child, loaded)
    return factories


def replay(make, recording: RecordingTeacher) -> tuple[list, float]:
    """The choices of a fresh teacher fed the recorded run step by step, and its CPU time for them."""
    shown, actions, rewards = recording.shown, recording.actions, recording.rewards
    teacher = make()
    teacher.reset(*recording.spaces, seed=recording.seed)
    choices, act, update = [], teacher.act, teacher.update
    start = time.process_time()
    for step in range(len(actions) - 1):
        obs, info = shown[step]
        choices.append(act(obs, info))
        next_obs, next_info = shown[step + 1]
        update(actions[step], rewards[step], next_obs, next_info)
    return choices, time.process_time() - start


def compare_teacher(env_id: str, name: str, seeds: int, old, repeats: int) -> dict:
    """This tree's teacher ``name`` against ``old`` on ``seeds`` full runs: differing choices, CPU per decision."""
    import teachgym

    new = functools.partial(teachgym.make_teacher, name)
    old_us, new_us, differing, steps = [], [], 0, 0
    for seed in range(seeds):
        recording = RecordingTeacher(new())
        teachgym.run(env_id, recording, seed)
        recorded = recording.actions[:-1]
        best = {"old": float("inf"), "new": float("inf")}
        for repeat in range(repeats):
            for label in ("old", "new") if repeat % 2 == 0 else ("new", "old"):
                choices, seconds = replay(old if label == "old" else new, recording)
                best[label] = min(best[label], seconds)
                if repeat == 0:
                    differing += sum(chosen != expected for chosen, expected in zip(choices, recorded))
        steps += len(recorded)
        old_us.append(1e6 * best["old"] / len(recorded))
        new_us.append(1e6 * best["new"] / len(recorded))
    ratios = [n / o for n, o in zip(new_us, old_us)]
    return {"old_us": float(np.median(old_us)), "new_us": float(np.median(new_us)),
            "ratio": float(np.median(ratios)), "ratios": [round(r, 3) for r in ratios],
            "differing_choices": int(differing), "steps": steps}


def compare(args) -> None:
    """``--against``: the A/B of this tree's bandit teachers and those at ``args.against``."""
    ref = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=REPO_ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    old = teachers_at(ref, BANDITS)
    print(f"this tree against {ref}: differing choices (each run replayed to both, both implementations counted) "
          f"and CPU µs per decision, least of {args.repeats} interleaved replays, median over {args.seeds} seeds\n")
    print(f"| env | teacher | {ref} µs | new µs | new / {ref} | per seed | differing choices | steps |\n"
          "|---|---|---|---|---|---|---|---|")
    results = {}
    for env_name in args.envs.split(","):
        env_id = newest(env_name)
        for name in [teacher for teacher in TIMED[env_name] if teacher in BANDITS]:
            result = results[f"{env_id} | {name}"] = compare_teacher(env_id, name, args.seeds, old[name], args.repeats)
            print(f"| {env_id} | {name} | {result['old_us']:.1f} | {result['new_us']:.1f} | {result['ratio']:.2f} | "
                  f"{result['ratios']} | {result['differing_choices']} | {result['steps']} |", flush=True)
    summary = {"against": ref, "differing_choices": sum(r["differing_choices"] for r in results.values()),
               "ratio": {key: round(value["ratio"], 3) for key, value in results.items()},
               "new_us_per_decision": {key: round(value["new_us"], 2) for key, value in results.items()}}
    path = record(args.name or "teacher_speed_ab", "core", summary, results,
                  notes=f"this tree's bandit teachers against {ref}'s, loaded side by side in one process: each full "
                        "run recorded with this tree's teacher is replayed to both (differing_choices: steps where "
                        f"{ref}'s chose otherwise); CPU time per decision, least of interleaved replays.")
    print(f"\nrecorded: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per (teacher, env); medians are reported")
    parser.add_argument("--envs", default=",".join(TIMED), help="comma-separated env names (without version)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile part")
    parser.add_argument("--name", default=None,
                        help="result name under benchmarks/results/ (teacher_speed; with --against, teacher_speed_ab)")
    parser.add_argument("--against", metavar="REF", help="compare the bandit teachers with those at git commit REF")
    parser.add_argument("--repeats", type=int, default=6, help="with --against: interleaved replays per run")
    args = parser.parse_args()
    pin_one_thread()
    if args.against:
        compare(args)
        return
    print(f"machine: {machine()}\n")
    timings = {}
    print("| env | teacher | µs / decision | run (s) | steps |\n|---|---|---|---|---|")
    for env_name in args.envs.split(","):
        env_id = newest(env_name)
        for name in TIMED[env_name]:
            result = time_teacher(env_id, name, args.seeds)
            timings[f"{env_id} | {name}"] = result
            print(f"| {env_id} | {name} | {result['us_per_decision']:.1f} | {result['run_s']:.3f} | {result['steps']} |",
                  flush=True)
    profiles = {}
    if not args.no_profile:
        for env_name, name in PROFILED:
            env_id = newest(env_name)
            profiles[f"{env_id} | {name}"] = result = profile_run(env_id, name)
            print(f"\n### {name} on {env_id}: {result['wall_s']} s under the profiler\n")
            print("| own s | share | calls | function |\n|---|---|---|---|")
            for row in result["top_own_time"]:
                print(f"| {row['own_s']:.3f} | {100 * row['own_share']:.0f} % | {row['calls']} | {row['function']} |")
    summary = {key: round(value["us_per_decision"], 2) for key, value in timings.items()}
    path = record(args.name or "teacher_speed", "core", {"us_per_decision": summary}, {"timings": timings, "profiles": profiles},
                  notes="us_per_decision: teacher act+update CPU time per step on a replay of the run, least over repeats, "
                        "median over seeds; run_s: whole run, wall time. "
                        "Ratios within one record are comparable; absolute times follow the load.")
    print(f"\nrecorded: {path}")


if __name__ == "__main__":
    main()
