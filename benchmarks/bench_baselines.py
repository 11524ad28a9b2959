"""The field's baselines (PLR, Robust PLR, SFL, ADR, SPDL, GoalGAN, Setter-Solver, ACCEL, online filtering, VCRL)
next to random, ALP-GMM and TSCL on the fast curriculum envs.

Box teachers run on ToyCurriculum-v0 and GridworldCurriculum-v0, Discrete teachers
on their Discrete variants, each at the env's defaults (20,000 and 500 lessons),
over ``--seeds`` seeds. Per env and teacher: the IQM of the headline score with a
95 % bootstrap CI, the mean, P(teacher beats random) and P(teacher beats the
reference: ALP-GMM on Box envs, TSCL-window on Discrete ones), and the mean wall
time of a run as a ratio to the random teacher's, measured in the same sweep.
Per profile (Box envs, Discrete envs): the normalised IQM (random = 0, best
known = 1: 100 on Toy, 64.6 on Gridworld) with stratified bootstrap CIs
(:mod:`teachgym.leaderboard.stats`: ``iqm``, ``bootstrap_ci``, ``stratified_iqm_ci``,
``probability_of_improvement``).

    python benchmarks/bench_baselines.py --seeds 5 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from _common import machine, pin_one_thread, record

BOX_ENVS = ("teachgym/ToyCurriculum-v0", "teachgym/GridworldCurriculum-v0")
DISCRETE_ENVS = ("teachgym/ToyCurriculumDiscrete-v0", "teachgym/GridworldCurriculumDiscrete-v0")
BEST_KNOWN = {"teachgym/ToyCurriculum-v0": 100.0, "teachgym/ToyCurriculumDiscrete-v0": 100.0,
              "teachgym/GridworldCurriculum-v0": 64.6, "teachgym/GridworldCurriculumDiscrete-v0": 64.6}
# (label, registered name, teacher kwargs)
BOX_TEACHERS = [("random", "random", {}), ("alp-gmm", "alp-gmm", {}), ("plr", "plr", {}),
                ("robust-plr", "robust-plr", {}), ("sfl", "sfl", {}), ("adr", "adr", {}), ("spdl", "spdl", {}),
                ("spdl(performance_threshold=0.5)", "spdl", {"performance_threshold": 0.5}),
                ("goal-gan", "goal-gan", {}), ("setter-solver", "setter-solver", {}), ("accel", "accel", {})]
DISCRETE_TEACHERS = [("random", "random", {}), ("tscl-window", "tscl-window", {}), ("plr", "plr", {}),
                     ("robust-plr", "robust-plr", {}), ("sfl", "sfl", {}), ("online-filtering", "online-filtering", {}),
                     ("vcrl", "vcrl", {}), ("learnability", "learnability", {})]
REFERENCE = {"box": "alp-gmm", "discrete": "tscl-window"}


def _one_run(job: tuple[str, str, str, dict, int]) -> tuple[str, str, int, float, float]:
    env_id, label, name, kwargs, seed = job
    pin_one_thread()
    import teachgym

    started = time.process_time()
    result = teachgym.run(env_id, name, seed=seed, teacher_kwargs=kwargs)
    return env_id, label, seed, float(result.score), time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (each pinned to one thread)")
    parser.add_argument("--teachers", default="", help="comma-separated labels to run (default: all)")
    args = parser.parse_args()
    pin_one_thread()
    from teachgym.leaderboard import stats

    wanted = set(filter(None, args.teachers.split(",")))
    jobs = []
    for profile, envs, teachers in (("box", BOX_ENVS, BOX_TEACHERS), ("discrete", DISCRETE_ENVS, DISCRETE_TEACHERS)):
        for env_id in envs:
            for label, name, kwargs in teachers:
                if not wanted or label in wanted or label in ("random", REFERENCE[profile]):
                    jobs += [(env_id, label, name, kwargs, seed) for seed in range(args.seeds)]
    load_before = os.getloadavg()[0]
    started = time.time()
    scores: dict[str, dict[str, dict[int, float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for env_id, label, seed, score, seconds in pool.map(_one_run, jobs):
            scores.setdefault(env_id, {}).setdefault(label, {})[seed] = score
            cpu.setdefault(env_id, {}).setdefault(label, []).append(seconds)
            print(f"{env_id} {label} seed {seed}: {score:.1f} ({seconds:.1f} CPU s)", flush=True)
    load_after = os.getloadavg()[0]

    summary: dict = {}
    per_seed: dict = {}
    print(f"\nmachine: {machine()}; load {load_before:.1f} -> {load_after:.1f}; {time.time() - started:.0f} s wall")
    import numpy as np

    rng = np.random.default_rng(0)
    for profile, envs in (("box", BOX_ENVS), ("discrete", DISCRETE_ENVS)):
        reference = REFERENCE[profile]
        table = {env: {t: np.array([s[k] for k in sorted(s)]) for t, s in scores[env].items()}
                 for env in envs if env in scores}
        normalised: dict[str, list[np.ndarray]] = {}
        for env, teachers in table.items():
            random_mean = float(teachers["random"].mean())
            base_cpu = statistics.mean(cpu[env]["random"])
            print(f"\n{env}\n| teacher | IQM [95 % CI] | mean | P(> random) | P(> {reference}) | CPU time / random's |")
            print("|---|---|---|---|---|---|")
            for t in sorted(teachers, key=lambda name: -stats.iqm(teachers[name])):
                x = teachers[t]
                low, high = stats.bootstrap_ci(x, stats.iqm, rng)
                row = {"iqm": round(stats.iqm(x), 2), "iqm_ci95": [round(low, 2), round(high, 2)],
                       "mean": round(float(x.mean()), 2),
                       "p_beats_random": round(stats.probability_of_improvement(x, teachers["random"]), 2),
                       f"p_beats_{reference}": round(stats.probability_of_improvement(x, teachers[reference]), 2),
                       "cpu_s_per_run": round(statistics.mean(cpu[env][t]), 2),
                       "cpu_vs_random": round(statistics.mean(cpu[env][t]) / base_cpu, 1)}
                summary.setdefault(env, {})[t] = row
                print(f"| {t} | {row['iqm']:.1f} [{low:.1f}, {high:.1f}] | {row['mean']:.1f} | {row['p_beats_random']:.2f} "
                      f"| {row[f'p_beats_{reference}']:.2f} | {row['cpu_vs_random']:.1f}x |")
                normalised.setdefault(t, []).append((x - random_mean) / (BEST_KNOWN[env] - random_mean))
            per_seed[env] = {t: x.tolist() for t, x in teachers.items()}
        aggregate = {}
        for t, groups in normalised.items():
            low, high = stats.stratified_iqm_ci(groups, rng)
            aggregate[t] = {"normalised_iqm": round(stats.iqm(np.concatenate(groups)), 3),
                            "ci95": [round(low, 3), round(high, 3)], "n_envs": len(groups)}
        aggregate = dict(sorted(aggregate.items(), key=lambda item: -item[1]["normalised_iqm"]))
        summary[f"{profile} profile (normalised IQM)"] = aggregate
        print(f"\n{profile} profile, normalised IQM [95 % CI]: " + "; ".join(
            f"{t} {v['normalised_iqm']:.2f} [{v['ci95'][0]:.2f}, {v['ci95'][1]:.2f}]" for t, v in aggregate.items()))
    record("baselines", "curriculum", summary, per_seed, notes=NOTES.format(
        seeds=args.seeds, load=f"{load_before:.1f} -> {load_after:.1f}", jobs=args.jobs))


NOTES = (
    "Each env at its defaults ({seeds} seeds; Toy 20,000 lessons, Gridworld 500). IQM and 95 % percentile bootstrap "
    "CIs over seeds, P(A > B) = Mann-Whitney over seed pairs, profile aggregates = normalised IQM with stratified "
    "bootstrap CIs (teachgym.leaderboard.stats; random = 0, best known = 1). CPU time per run is process time in "
    "the worker ({jobs} workers pinned to one thread), shown as a ratio to the random teacher's in the same sweep; "
    "machine load {load} (2 cores shared with other jobs). "
    "Not measured: Stump Tracks. TeachMyAgent's tables (Romac et al., 2021) are for a Box2D bipedal walker trained "
    "by SAC for 20M steps; our StumpTrackCurriculum-v0 is a point-mass runner trained by SB3 PPO (~200-280 s per "
    "run for random and easy-to-hard, benchmarks/results/deeprl_stumptrack_curriculum.json), so no number of ours "
    "stands beside theirs. "
    "Scores used by the teachers: PLR/Robust PLR/ACCEL score levels by an outcome-based value loss (|outcome - the "
    "level's previous outcome| or its positive part), SFL/filtering/VCRL by p(1-p) of clipped outcomes. On Toy, "
    "outcomes are competence (0 on locked cells, rising by 0.01 per practice), not success rates, which starves "
    "the success-based setters (Setter-Solver, GoalGAN) of signal. ADR is a privileged row (it starts from the env's "
    "easy task); SPDL's target is the env's published hard task (a narrow Gaussian at the far corner), and the "
    "penalty form of the 2020 paper collapses onto the easy corner where outcomes are high; the threshold form "
    "(Klink et al., 2022, performance_threshold=0.5) is shown as a second row.")


if __name__ == "__main__":
    main()
