"""The threshold tutor's recall-model fit: the batch MAP it uses against an online (one review at a time) fit.

    python benchmarks/bench_threshold_fit.py [--seeds 20]

The tutor's :class:`~teachgym.teachers.tutoring.recall_model.RecallModel`
refits the MAP estimate over *every* review after each new one (three Fisher
scoring steps), so a decision costs O(reviews). The variant measured here,
:class:`OnlineLaplace`, is assumed-density filtering: the posterior after the
previous reviews is kept as a Gaussian (mean, arrow-shaped precision), and a
new review moves it once, along ``F^-1 x`` (the only direction a one-review
likelihood can move the mode of a Gaussian prior), by a few scalar scoring
steps; the review's Fisher weight is then added to the precision as a running
sum. O(items) per review, independent of the number of reviews, but a
different estimator: old reviews are never re-weighted at the new estimate.

Part 1 replays the recorded threshold-tutor runs of
``tests/data/teacher_choices.json.gz`` to both fits (the recorded lessons are
fed back, so each step is compared on the same history): CPU time per
decision (act + update) and the steps whose choice differs from the
recording. Part 2 teaches with both on the Flashcards envs (the tutor's tuned
thresholds): the env's score (mean recall at the end, in [0, 1]) per seed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from _common import REPO_ROOT, bootstrap_ci, machine, pin_one_thread, record

import teachgym
from teachgym.loop import teacher_seed
from teachgym.teachers.tutoring import threshold as threshold_module
from teachgym.teachers.tutoring.recall_model import MAX_LOG_H, MAX_STEP, N_FEATURES, TINY, RecallModel, _solve

REFERENCE = Path(REPO_ROOT) / "tests" / "data" / "teacher_choices.json.gz"
# env -> threshold tuned for the fitted tutor (see the ThresholdTutor docstring)
QUALITY = {"teachgym/Flashcards-HLR-v1": 0.375, "teachgym/Flashcards-EFC-v1": 0.05, "teachgym/Flashcards-ACTR-v1": 0.095}


def _terms(neg_lag: float, recalled: bool, z: float) -> tuple[float, float, float]:
    """(log-likelihood, score, Fisher weight) of one review at ``z = log h``."""
    u = -neg_lag * math.exp(-min(max(z, -MAX_LOG_H), MAX_LOG_H))
    p, q = math.exp(-u), max(-math.expm1(-u), TINY)
    log_likelihood = -u if recalled else math.log(q)
    return log_likelihood, u * ((1.0 if recalled else 0.0) - p) / q, p * u * u / q


class OnlineLaplace(RecallModel):
    """Assumed-density filtering of the same model (see the module docstring); predictions as RecallModel's."""

    def __init__(self, n_items: int, **kwargs):
        super().__init__(n_items, **kwargs)
        self._c = np.zeros((N_FEATURES, n_items))
        self._d = self.prior_precision[N_FEATURES:].copy()
        self._s = np.diag(self.prior_precision[:N_FEATURES])  # A - C D^-1 C^T, A the w block of the precision

    def add(self, item: int, attempts: float, correct: float, lag: float, recalled: bool) -> None:
        x = np.array([1.0, float(attempts), float(correct), math.log1p(float(attempts))])
        neg_lag, recalled = -max(float(lag), 0.0), bool(recalled)
        # y = F^-1 [x; e_item] in block form, and sigma^2 = [x; e_item] . y, the prior variance of z.
        y = np.empty(self.n_params)
        y_w = np.matmul(self._s_inverse, x - self._v[item], out=y[:N_FEATURES])
        y_b = np.matmul(self._v, y_w, out=y[N_FEATURES:])
        np.negative(y_b, out=y_b)
        y_b[item] += self._inverse_d[item]
        sigma2 = float(x @ y_w) + float(y_b[item])
        theta = self.theta
        z0 = float(x @ theta[:N_FEATURES]) + float(theta[N_FEATURES + item])
        # Maximise g(t) = loglik(z0 + sigma2 t) - sigma2 t^2 / 2 by scoring steps with backtracking.
        t, largest = 0.0, max(float(np.maximum.reduce(np.abs(y))), 1e-300)
        for _ in range(self.iterations):
            value, score, weight = _terms(neg_lag, recalled, z0 + sigma2 * t)
            current = value - 0.5 * sigma2 * t * t
            step = (score - t) / (weight * sigma2 + 1.0)
            if abs(step) * largest < 1e-12:  # converged: a smaller step changes the estimate by rounding only
                break
            step *= min(1.0, MAX_STEP / (abs(step) * largest))
            for _ in range(12):
                candidate = t + step
                if _terms(neg_lag, recalled, z0 + sigma2 * candidate)[0] - 0.5 * sigma2 * candidate ** 2 >= current:
                    t = candidate
                    break
                step *= 0.5
        np.multiply(y, t, out=y)
        self._neg_theta = np.negative(np.add(theta, y, out=y))
        # The review's Fisher weight at the new mode joins the precision (a running sum); S = A - C D^-1 C^T changes
        # by w x x^T and by the item's term c_i c_i^T / D_i (c_i += w x, D_i += w).
        weight = _terms(neg_lag, recalled, z0 + sigma2 * t)[2]
        c_old, d_old = self._c[:, item].copy(), float(self._d[item])
        c_new = self._c[:, item] = c_old + weight * x
        self._d[item] = d_new = d_old + weight
        self._inverse_d[item] = 1.0 / d_new
        self._v[item] = v_new = c_new / d_new
        self._s += weight * np.outer(x, x) + np.outer(c_old, c_old / d_old) - np.outer(c_new, v_new)
        self._s_inverse = _solve(self._s, np.eye(N_FEATURES))
        self.n_events += 1


def replay(run: dict, model_class) -> tuple[float, list[int]]:
    """(CPU µs per decision, steps whose choice differs from the recording) of a recorded threshold run."""
    sys.path.insert(0, str(Path(REPO_ROOT) / "tests"))
    from test_teacher_speed_choices import _space, decode, tied_never_reviewed
    from teachgym.info import TUTOR_LOG, TutorLog

    infos, lessons, rewards = decode(run["infos"]), decode(run["lessons"]), decode(run["rewards"])
    observations = decode(run["observations"])
    log = TutorLog.from_info(TUTOR_LOG.get(infos[0]), run["space"]["n"])
    threshold_module.RecallModel = model_class
    try:
        best, differ = math.inf, []
        for repeat in range(3):
            teacher = teachgym.make_teacher("threshold", **run["teacher_kwargs"])
            teacher.reset(_space(run["space"]), None, seed=teacher_seed(run["seed"]))
            chosen = []
            start = time.process_time()
            for step, recorded in enumerate(lessons):
                chosen.append(teacher.act(observations[step], infos[step]))
                teacher.update(recorded, rewards[step], observations[step + 1], infos[step + 1])
            best = min(best, time.process_time() - start)
        start_item = run["space"]["start"]
        differ = [step for step, (a, b) in enumerate(zip(chosen, lessons))
                  if a != b and not tied_never_reviewed(log, observations[step], a - start_item, b - start_item)]
    finally:
        threshold_module.RecallModel = RecallModel
    return 1e6 * best / len(lessons), differ


def quality(env_id: str, threshold: float, model_class, seeds: int) -> list[float]:
    """The env's final score (mean recall, in [0, 1]) of the fitted threshold tutor, one per seed."""
    threshold_module.RecallModel = model_class
    try:
        return [teachgym.run(env_id, "threshold", seed, teacher_kwargs={"threshold": threshold}).score / 100.0
                for seed in range(seeds)]
    finally:
        threshold_module.RecallModel = RecallModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="teaching runs per env in part 2")
    args = parser.parse_args()
    pin_one_thread()
    print(f"machine: {machine()}\n")
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as f:
        runs = {key: run for key, run in json.load(f).items() if run["teacher"] == "threshold"}
    variants = {"batch MAP (RecallModel)": RecallModel, "online Laplace": OnlineLaplace}
    speed, per_seed = {}, {"replay": {}, "quality": {}}
    print("| recorded run | fit | µs / decision | steps | choices differing (first) |\n|---|---|---|---|---|")
    for key, run in sorted(runs.items()):
        for name, model_class in variants.items():
            us, differ = replay(run, model_class)
            per_seed["replay"][f"{key} | {name}"] = {"us_per_decision": round(us, 1), "differing_steps": differ}
            speed.setdefault(name, []).append(us)
            print(f"| {key} | {name} | {us:.1f} | {len(run['rewards'])} | {len(differ)} "
                  f"({differ[0] if differ else '-'}) |", flush=True)
    summary = {"us_per_decision_median": {name: round(float(np.median(v)), 1) for name, v in speed.items()},
               "differing_choices": {name: sum(len(r["differing_steps"]) for k, r in per_seed["replay"].items()
                                               if k.endswith(name)) for name in variants},
               "score": {}}
    print("\n| env | fit | score (mean recall at the end) [95 % CI] |\n|---|---|---|")
    for env_id, threshold in QUALITY.items():
        for name, model_class in variants.items():
            scores = quality(env_id, threshold, model_class, args.seeds)
            lo, hi = bootstrap_ci(scores)
            summary["score"][f"{env_id} | {name}"] = {"mean": round(float(np.mean(scores)), 4),
                                                      "ci95": [round(lo, 4), round(hi, 4)]}
            per_seed["quality"][f"{env_id} | {name}"] = scores
            print(f"| {env_id} | {name} | {np.mean(scores):.3f} [{lo:.3f}, {hi:.3f}] |", flush=True)
    path = record("threshold_fit", "tutoring", summary, per_seed,
                  notes="us_per_decision: threshold tutor act+update CPU time on a replay of each recorded run, least of "
                        "3; differing choices: steps whose choice differs from the recorded one of the original "
                        "implementation (ties between never-reviewed items in the same state excepted); score: the "
                        "env's final score / 100, tuned thresholds, seeds 0..n-1.")
    print(f"\nrecorded: {path}")


if __name__ == "__main__":
    main()
