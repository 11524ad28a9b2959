"""The threshold tutor's cost per decision, and whether its faster fit changes any decision: A/B in one process.

    python benchmarks/bench_threshold_speed.py [--seeds 10] [--repeats 15] [--backends numpy,numba]

The reference is the recall model before its fit was reorganised for speed
(``teachers/tutoring/recall_model.py`` at ``REFERENCE``, read from git); the
candidates are ``teachgym.teachers.tutoring.recall_model.RecallModel`` with each
of ``--backends`` ("numpy": NumPy/BLAS calls; "numba": compiled loops, the
``fast`` extra; default both when numba imports). All are the same estimator
(MAP by three Fisher-scoring steps per review over all reviews, Laplace
posterior predictive); they may differ by rounding only.

Part 0 (numba only): the compiled kernels' first use in a fresh process with an
empty cache (compile) and with the cache just written (load), CPU seconds.

Part 1 (same choices): on every fitted-tutor configuration below, for each
seed, the reference tutor teaches a whole Flashcards episode while each
candidate, fed exactly the same observations and lessons, is asked for its
choice at every step. A step counts as differing when the candidate's item is
not the reference's, except when both are never-reviewed items in the same
state (their predicted recall is identical, so either is the rule's choice:
the one tie ``tests/test_teacher_speed_choices.py`` tolerates); those ties are
counted apart.

Part 2 (speed): the first seeds' recorded streams are replayed to fresh tutors
of every kind, alternating reference and candidates, ``--repeats`` times each;
CPU time (``time.process_time``) of ``act`` + ``update`` per decision, the least
over repeats, and the ratios per stream. One BLAS thread.

Part 3 (where a candidate's time goes): the first stream replayed with the
candidate's methods wrapped in wall-clock timers (which add their own small
cost): for NumPy, the scoring steps (their backtracking tests apart), the rest
of ``add``, ``predict``, and the tutor's own bookkeeping; for numba (one
compiled call per review), ``add``, ``predict`` and the bookkeeping; µs per
decision.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import gymnasium as gym
import numpy as np
from _common import machine, module_at, pin_one_thread, record

import teachgym
from teachgym.info import TUTOR_LOG, TutorLog
from teachgym.loop import teacher_seed
from teachgym.teachers.tutoring.recall_model import BACKENDS, RecallModel, resolve_backend
from teachgym.teachers.tutoring.threshold import ThresholdTutor

REFERENCE = "436fa4e^"  # the last commit with the recall model's original fit


@functools.cache
def reference_recall_model() -> type:
    """The ``RecallModel`` class of ``teachers/tutoring/recall_model.py`` at ``REFERENCE``."""
    return module_at(REFERENCE, "teachers/tutoring/recall_model.py", "reference_recall_model").RecallModel

# (env, teacher kwargs): the default tutor and the thresholds tuned per student (see ThresholdTutor's docstring)
CONFIGS = [
    ("teachgym/Flashcards-HLR-v1", {}),
    ("teachgym/Flashcards-HLR-v1", {"threshold": 0.375}),
    ("teachgym/Flashcards-HLR-v1", {"threshold": 0.375, "lookahead": 5.0}),
    ("teachgym/Flashcards-EFC-v1", {}),
    ("teachgym/Flashcards-EFC-v1", {"threshold": 0.05}),
    ("teachgym/Flashcards-ACTR-v1", {}),
    ("teachgym/Flashcards-ACTR-v1", {"threshold": 0.095}),
]


class ReferenceThresholdTutor(ThresholdTutor):
    """The threshold tutor with the reference recall model (Discrete decks)."""

    def _start_episode(self) -> None:
        super()._start_episode()
        self._recall_model = reference_recall_model()(self.n_items, w_std=self.w_std, item_std=self.item_std)


def never_reviewed_tie(log: TutorLog, obs, first: int, second: int) -> bool:
    """Whether items ``first`` and ``second`` are both never reviewed and in the same state."""
    counts = [log.read(obs, name) for name in ("attempts", "correct", "since_review")]
    return counts[0][first] == 0 and all(c[first] == c[second] for c in counts)


def side_by_side(env_id: str, kwargs: dict, seed: int, backends: list[str]) -> dict:
    """One episode taught by the reference tutor, each candidate asked at every step; the stream is kept."""
    env = gym.make(env_id)
    try:
        obs, info = env.reset(seed=seed)
        tutors = [ReferenceThresholdTutor(**kwargs)] + [ThresholdTutor(**kwargs, backend=b) for b in backends]
        for tutor in tutors:
            tutor.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
        log = TutorLog.from_info(TUTOR_LOG.get(info), int(env.action_space.n))
        start = int(env.action_space.start)
        stream = []
        differing, ties = {b: [] for b in backends}, {b: [] for b in backends}
        while True:
            action = tutors[0].act(obs, info)
            for backend, tutor in zip(backends, tutors[1:]):
                candidate = tutor.act(obs, info)
                if candidate != action:
                    tie = never_reviewed_tie(log, obs, action - start, candidate - start)
                    (ties if tie else differing)[backend].append(len(stream))
            next_obs, reward, terminated, truncated, next_info = env.step(action)
            for tutor in tutors:
                tutor.update(action, reward, next_obs, next_info)
            stream.append((obs, info, action, reward, next_obs, next_info))
            obs, info = next_obs, next_info
            if terminated or truncated:
                break
    finally:
        env.close()
    return {"stream": stream, "differing": differing, "ties": ties,
            "space": (env.action_space, env.observation_space)}


def replay_seconds(tutor_class, kwargs: dict, seed: int, run: dict) -> float:
    """CPU seconds of a fresh tutor's ``act`` + ``update`` over a recorded stream."""
    tutor = tutor_class(**kwargs)
    tutor.reset(*run["space"], seed=teacher_seed(seed))
    start = time.process_time()
    for obs, info, action, reward, next_obs, next_info in run["stream"]:
        tutor.act(obs, info)
        tutor.update(action, reward, next_obs, next_info)
    return time.process_time() - start


@contextmanager
def timed_methods(spent: dict[str, float], names=("add", "_scoring_step", "_try", "predict")):
    """Wrap RecallModel's methods ``names`` so that ``spent`` accumulates their wall seconds."""
    originals = {name: getattr(RecallModel, name) for name in names}

    def wrap(name, method):
        def timed(self, *args):
            start = time.perf_counter()
            try:
                return method(self, *args)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return timed

    for name, method in originals.items():
        setattr(RecallModel, name, wrap(name, method))
    try:
        yield spent
    finally:
        for name, method in originals.items():
            setattr(RecallModel, name, method)


def profile(kwargs: dict, seed: int, run: dict, repeats: int, backend: str) -> dict[str, float]:
    """µs per decision of a candidate's parts (see the module docstring), least over ``repeats`` replays."""
    best: dict[str, float] = {}
    names = ("add", "_scoring_step", "_try", "predict") if backend == "numpy" else ("add", "predict")
    for _ in range(repeats):
        spent: dict[str, float] = {}
        tutor = ThresholdTutor(**kwargs, backend=backend)
        tutor.reset(*run["space"], seed=teacher_seed(seed))
        with timed_methods(spent, names):
            start = time.perf_counter()
            for obs, info, action, reward, next_obs, next_info in run["stream"]:
                tutor.act(obs, info)
                tutor.update(action, reward, next_obs, next_info)
            total = time.perf_counter() - start
        if backend == "numpy":
            parts = {"backtracking tests (_try)": spent["_try"],
                     "scoring steps without their tests": spent["_scoring_step"] - spent["_try"],
                     "add without its scoring steps": spent["add"] - spent["_scoring_step"]}
        else:
            parts = {"add (compiled fit)": spent["add"]}
        parts.update({"predict": spent["predict"], "tutor bookkeeping": total - spent["add"] - spent["predict"],
                      "total": total})
        for name, seconds in parts.items():
            best[name] = min(best.get(name, math.inf), 1e6 * seconds / len(run["stream"]))
    return best


COMPILE_PROBE = """
import time
import numpy as np
start = time.process_time()
from teachgym.teachers.tutoring.recall_model import RecallModel
model = RecallModel(30, backend="numba")
imported = time.process_time()
model.add(3, 0.0, 0.0, 12.0, True)
model.predict(np.zeros(30), np.zeros(30), np.full(30, 5.0))
model.log_posterior(model.theta)
print(imported - start, time.process_time() - imported)
"""


def numba_first_use() -> dict[str, float]:
    """CPU seconds of the kernels' first use in fresh processes: empty cache (compile), then that cache (load)."""
    result = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for name in ("compile", "cache_load"):
            out = subprocess.run([sys.executable, "-c", COMPILE_PROBE], env=env, check=True, capture_output=True,
                                 text=True).stdout.split()
            result["import_s"] = round(float(out[0]), 2)  # importing numba and the package
            result[f"{name}_s"] = round(float(out[1]), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="episodes per configuration in part 1")
    parser.add_argument("--timed-seeds", type=int, default=2, help="of those, the streams timed in part 2")
    parser.add_argument("--repeats", type=int, default=15, help="replays of each stream per implementation")
    parser.add_argument("--backends", default=None,
                        help="comma-separated candidate backends among numpy,numba (default: both if numba imports)")
    parser.add_argument("--name", default=None, help="result name (default threshold_speed_numba with numba, "
                                                     "else threshold_speed)")
    args = parser.parse_args()
    if args.backends is None:
        backends = ["numpy"] + (["numba"] if resolve_backend("auto") == "numba" else [])
    else:
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        for backend in backends:
            if backend not in BACKENDS[1:] or resolve_backend(backend) != backend:
                raise SystemExit(f"--backends: {backend!r} is not an available backend (numpy, numba)")
    name = args.name or ("threshold_speed_numba" if "numba" in backends else "threshold_speed")
    pin_one_thread()
    teachgym.make_teacher("threshold")  # registers everything before any timing
    load_start = os.getloadavg()[0]
    print(f"machine: {machine()} | load {load_start:.2f} | candidates: {', '.join(backends)}\n")
    first_use = numba_first_use() if "numba" in backends else None
    if first_use:
        print(f"numba first use (CPU s): {first_use}\n")
    print("| env | tutor | steps | " + " | ".join(f"differing ({b}) | ties ({b})" for b in backends)
          + " |\n|---|---|---|" + "---|---|" * len(backends))
    runs, per_seed = {}, {"choices": {}, "speed": {}}
    total_steps = 0
    total_differing, total_ties = dict.fromkeys(backends, 0), dict.fromkeys(backends, 0)
    for env_id, kwargs in CONFIGS:
        key = f"{env_id} {kwargs}"
        results = [side_by_side(env_id, kwargs, seed, backends) for seed in range(args.seeds)]
        runs[key] = results
        steps = sum(len(r["stream"]) for r in results)
        total_steps += steps
        per_seed["choices"][key] = {"steps": [len(r["stream"]) for r in results]}
        cells = []
        for backend in backends:
            differing = [r["differing"][backend] for r in results]
            ties = [r["ties"][backend] for r in results]
            per_seed["choices"][key][backend] = {"differing_steps": differing, "tie_steps": ties}
            total_differing[backend] += sum(map(len, differing))
            total_ties[backend] += sum(map(len, ties))
            cells += [str(sum(map(len, differing))), str(sum(map(len, ties)))]
        print(f"| {env_id} | {kwargs or 'default'} | {steps} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nall: {total_steps} steps; differing choices {total_differing}; never-reviewed ties {total_ties}\n")

    load_timing = os.getloadavg()[0]
    kinds = {"reference": ReferenceThresholdTutor,
             **{backend: functools.partial(ThresholdTutor, backend=backend) for backend in backends}}
    pairs = [(b, "reference") for b in backends] + ([("numba", "numpy")] if len(backends) == 2 else [])
    print(f"load {load_timing:.2f}")
    print("| stream | " + " | ".join(f"{kind} µs" for kind in kinds) + " | "
          + " | ".join(f"{a} / {b}" for a, b in pairs) + " |\n|---|" + "---|" * (len(kinds) + len(pairs)))
    us_all = {kind: [] for kind in kinds}
    ratios = {f"{a}/{b}": [] for a, b in pairs}
    for key, results in runs.items():
        env_id, kwargs = next((e, k) for e, k in CONFIGS if f"{e} {k}" == key)
        for seed, run in enumerate(results[:args.timed_seeds]):
            best = dict.fromkeys(kinds, math.inf)
            for _ in range(args.repeats):  # interleaved, so that a load change hits all alike
                for kind, tutor_class in kinds.items():
                    best[kind] = min(best[kind], replay_seconds(tutor_class, kwargs, seed, run))
            us = {kind: 1e6 * value / len(run["stream"]) for kind, value in best.items()}
            for kind, value in us.items():
                us_all[kind].append(value)
            row = [us[a] / us[b] for a, b in pairs]
            for (a, b), ratio in zip(pairs, row):
                ratios[f"{a}/{b}"].append(ratio)
            per_seed["speed"][f"{key} | seed {seed}"] = {kind: round(value, 1) for kind, value in us.items()}
            print(f"| {key} seed {seed} | " + " | ".join(f"{us[kind]:.1f}" for kind in kinds) + " | "
                  + " | ".join(f"{ratio:.3f}" for ratio in row) + " |", flush=True)
    key, results = next(iter(runs.items()))
    splits = {}
    for backend in backends:
        splits[backend] = split = profile(CONFIGS[0][1], 0, results[0], args.repeats, backend)
        print(f"\nwhere the {backend} candidate's time goes ({key} seed 0, µs per decision, timers included):")
        for part, us in split.items():
            print(f"  {part}: {us:.1f}")
    load_end = os.getloadavg()[0]
    summary = {"candidates": backends, "steps_compared": total_steps, "differing_choices": total_differing,
               "never_reviewed_ties": total_ties,
               "us_per_decision_median": {kind: round(float(np.median(v)), 1) for kind, v in us_all.items()},
               "ratio_median": {pair: round(float(np.median(v)), 3) for pair, v in ratios.items()},
               "ratio_range": {pair: [round(min(v), 3), round(max(v), 3)] for pair, v in ratios.items()},
               "split_us": {b: {part: round(us, 1) for part, us in split.items()} for b, split in splits.items()},
               "load_1min": {"start": round(load_start, 2), "timing_start": round(load_timing, 2),
                             "end": round(load_end, 2)}}
    if first_use:
        summary["numba_first_use_cpu_s"] = first_use
    print(f"\nload {load_end:.2f}; ratios (median) {summary['ratio_median']}, range {summary['ratio_range']}; "
          f"µs per decision (median) {summary['us_per_decision_median']}")
    path = record(name, "tutoring", summary, per_seed,
                  notes=f"Part 1: the reference tutor (teachers/tutoring/recall_model.py at {REFERENCE}) teaches, the "
                        f"candidates (the package's RecallModel with backend {', '.join(backends)}) are asked at "
                        "every step on the same history; never-reviewed ties are items in the same untouched state "
                        "(identical predictions). Part 2: act+update CPU time per decision, least over interleaved "
                        "repeats, one BLAS thread; compare ratios. numba_first_use_cpu_s: the kernels' first use in "
                        "a fresh process with an empty cache (compile_s) and with that cache (cache_load_s).")
    print(f"recorded: {path}")


if __name__ == "__main__":
    main()
