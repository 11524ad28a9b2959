"""The threshold tutor's cost per decision, and whether its faster fit changes any decision: A/B in one process.

    python benchmarks/bench_threshold_speed.py [--seeds 10] [--repeats 15]

The reference is the recall model before its fit was reorganised for speed
(``teachers/tutoring/recall_model.py`` at ``REFERENCE``, read from git); the candidate is
``teachgym.teachers.tutoring.recall_model.RecallModel``. Both are the same
estimator (MAP by three Fisher-scoring steps per review over all reviews,
Laplace posterior predictive); they may differ by rounding only.

Part 1 (same choices): on every fitted-tutor configuration below, for each
seed, the reference tutor teaches a whole Flashcards episode while the
candidate, fed exactly the same observations and lessons, is asked for its
choice at every step. A step counts as differing when the candidate's item is
not the reference's, except when both are never-reviewed items in the same
state (their predicted recall is identical, so either is the rule's choice:
the one tie ``tests/test_teacher_speed_choices.py`` tolerates); those ties are
counted apart.

Part 2 (speed): the first seeds' recorded streams are replayed to fresh tutors
of both kinds, alternating reference and candidate, ``--repeats`` times each;
CPU time (``time.process_time``) of ``act`` + ``update`` per decision, the least
over repeats, and the candidate / reference ratio per stream. One BLAS thread.

Part 3 (where the candidate's time goes): the first stream replayed with the
candidate's methods wrapped in wall-clock timers (which add their own small
cost): the scoring steps (their backtracking tests apart), the rest of
``add``, ``predict``, and the tutor's own bookkeeping, in µs per decision.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import time
from contextlib import contextmanager

import gymnasium as gym
import numpy as np
from _common import machine, module_at, pin_one_thread, record

import teachgym
from teachgym.info import TUTOR_LOG, TutorLog
from teachgym.loop import teacher_seed
from teachgym.teachers.tutoring.recall_model import RecallModel
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


def side_by_side(env_id: str, kwargs: dict, seed: int) -> dict:
    """One episode taught by the reference tutor, the candidate asked at every step; the stream is kept."""
    env = gym.make(env_id)
    try:
        obs, info = env.reset(seed=seed)
        tutors = [ReferenceThresholdTutor(**kwargs), ThresholdTutor(**kwargs)]
        for tutor in tutors:
            tutor.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
        log = TutorLog.from_info(TUTOR_LOG.get(info), int(env.action_space.n))
        start = int(env.action_space.start)
        stream, differing, ties = [], [], []
        while True:
            action, candidate = tutors[0].act(obs, info), tutors[1].act(obs, info)
            if candidate != action:
                tie = never_reviewed_tie(log, obs, action - start, candidate - start)
                (ties if tie else differing).append(len(stream))
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
def timed_methods(spent: dict[str, float]):
    """Wrap RecallModel's add, _scoring_step, _try and predict so that ``spent`` accumulates their wall seconds."""
    originals = {name: getattr(RecallModel, name) for name in ("add", "_scoring_step", "_try", "predict")}

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


def profile(kwargs: dict, seed: int, run: dict, repeats: int) -> dict[str, float]:
    """µs per decision of the candidate's parts (see the module docstring), least over ``repeats`` replays."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        spent: dict[str, float] = {}
        tutor = ThresholdTutor(**kwargs)
        tutor.reset(*run["space"], seed=teacher_seed(seed))
        with timed_methods(spent):
            start = time.perf_counter()
            for obs, info, action, reward, next_obs, next_info in run["stream"]:
                tutor.act(obs, info)
                tutor.update(action, reward, next_obs, next_info)
            total = time.perf_counter() - start
        parts = {"backtracking tests (_try)": spent["_try"],
                 "scoring steps without their tests": spent["_scoring_step"] - spent["_try"],
                 "add without its scoring steps": spent["add"] - spent["_scoring_step"],
                 "predict": spent["predict"],
                 "tutor bookkeeping": total - spent["add"] - spent["predict"], "total": total}
        for name, seconds in parts.items():
            best[name] = min(best.get(name, math.inf), 1e6 * seconds / len(run["stream"]))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="episodes per configuration in part 1")
    parser.add_argument("--timed-seeds", type=int, default=2, help="of those, the streams timed in part 2")
    parser.add_argument("--repeats", type=int, default=15, help="replays of each stream per implementation")
    args = parser.parse_args()
    pin_one_thread()
    teachgym.make_teacher("threshold")  # registers everything before any timing
    print(f"machine: {machine()} | load {os.getloadavg()[0]:.2f}\n")
    print("| env | tutor | steps | differing choices | never-reviewed ties |\n|---|---|---|---|---|")
    runs, per_seed = {}, {"choices": {}, "speed": {}}
    total_steps = total_differing = total_ties = 0
    for env_id, kwargs in CONFIGS:
        key = f"{env_id} {kwargs}"
        results = [side_by_side(env_id, kwargs, seed) for seed in range(args.seeds)]
        runs[key] = results
        steps = sum(len(r["stream"]) for r in results)
        differing = [r["differing"] for r in results]
        ties = [r["ties"] for r in results]
        per_seed["choices"][key] = {"steps": [len(r["stream"]) for r in results], "differing_steps": differing,
                                    "tie_steps": ties}
        total_steps += steps
        total_differing += sum(map(len, differing))
        total_ties += sum(map(len, ties))
        print(f"| {env_id} | {kwargs or 'default'} | {steps} | {sum(map(len, differing))} | {sum(map(len, ties))} |",
              flush=True)
    print(f"\nall: {total_steps} steps, {total_differing} differing choices, {total_ties} never-reviewed ties\n")

    print(f"load {os.getloadavg()[0]:.2f}")
    print("| stream | reference µs | candidate µs | candidate / reference |\n|---|---|---|---|")
    ratios, reference_us, candidate_us = [], [], []
    for key, results in runs.items():
        env_id, kwargs = next((e, k) for e, k in CONFIGS if f"{e} {k}" == key)
        for seed, run in enumerate(results[:args.timed_seeds]):
            best = {"reference": math.inf, "candidate": math.inf}
            for _ in range(args.repeats):  # interleaved, so that a load change hits both alike
                best["reference"] = min(best["reference"], replay_seconds(ReferenceThresholdTutor, kwargs, seed, run))
                best["candidate"] = min(best["candidate"], replay_seconds(ThresholdTutor, kwargs, seed, run))
            us = {name: 1e6 * value / len(run["stream"]) for name, value in best.items()}
            ratio = us["candidate"] / us["reference"]
            ratios.append(ratio)
            reference_us.append(us["reference"])
            candidate_us.append(us["candidate"])
            per_seed["speed"][f"{key} | seed {seed}"] = {name: round(value, 1) for name, value in us.items()}
            print(f"| {key} seed {seed} | {us['reference']:.1f} | {us['candidate']:.1f} | {ratio:.3f} |", flush=True)
    key, results = next(iter(runs.items()))
    split = profile(CONFIGS[0][1], 0, results[0], args.repeats)
    print(f"\nwhere the candidate's time goes ({key} seed 0, µs per decision, timers included):")
    for name, us in split.items():
        print(f"  {name}: {us:.1f}")
    load = os.getloadavg()[0]
    summary = {"steps_compared": total_steps, "differing_choices": total_differing,
               "never_reviewed_ties": total_ties,
               "us_per_decision_median": {"reference": round(float(np.median(reference_us)), 1),
                                          "candidate": round(float(np.median(candidate_us)), 1)},
               "ratio_median": round(float(np.median(ratios)), 3),
               "ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
               "candidate_split_us": {name: round(us, 1) for name, us in split.items()}}
    print(f"\nload {load:.2f}; candidate / reference: median {summary['ratio_median']}, "
          f"range {summary['ratio_range']}; µs per decision (median) {summary['us_per_decision_median']}")
    path = record("threshold_speed", "tutoring", summary, per_seed,
                  notes=f"Part 1: the reference tutor (teachers/tutoring/recall_model.py at {REFERENCE}) teaches, the "
                        "candidate (the package's RecallModel) is asked at every step on the same history; "
                        "never-reviewed ties are items in the same untouched state (identical predictions). Part 2: "
                        "act+update CPU time per decision, least over interleaved repeats, one BLAS thread; compare "
                        "ratios.")
    print(f"recorded: {path}")


if __name__ == "__main__":
    main()
