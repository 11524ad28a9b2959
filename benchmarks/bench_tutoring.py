"""Tutors on the Flashcards envs, Reddy et al. (2017)'s protocol; tutors on PrerequisiteTutor-BKT.

Flashcards (30 items, 200 steps, 5 s delay, likelihood reward): for each of
``--students`` fixed students (``student_seed`` 0..9), every tuned tutor picks
its hyperparameter on a grid (``--grid-step``, 0.01 as in the paper; one
tuning episode per value by default, as Reddy et al.'s ``train``, with seeds
disjoint from the evaluation's), then runs ``--episodes`` evaluation episodes
(seeds 0..). Reported: mean per-step recall (the mean reward) and final recall,
averaged over students, with a 95 % bootstrap CI over students.

- Leitner: ``arrival_prob`` on the grid; SM-2: ``interval_unit`` in {1, 2, 5, 10, 20, 50} steps;
- Threshold (true recall): threshold on the grid, env in oracle mode (Reddy et al.'s Threshold used the true model);
  "+10s": acting on the recall predicted 10 s (two delays) after the answer, as Reddy et al.'s tutor did;
- Threshold (fitted): threshold on ``--fitted-grid-step``, the tutor's own online-fitted model (the default);
- PPO: a policy trained by scripts/train_rl_tutor.py on the population, given with ``--rl-model ENV=PATH``.

    python benchmarks/bench_tutoring.py --envs EFC,HLR \
        --rl-model HLR=runs/rl_tutor/Flashcards-HLR-v1__ppo-itemwise__0.safetensors
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

import numpy as np

from _common import bootstrap_ci, machine, pin_one_thread, record

REFERENCE = {  # an independent re-implementation of Reddy et al.'s setup, likelihood reward, mean per-step recall
    "EFC": {"random": "0.335", "leitner": "0.30", "round-robin": "0.39", "threshold (true recall)": "0.42",
            "threshold (true recall) +10s": "0.42"},
    "HLR": {"random": "0.37", "leitner": "0.26", "round-robin": "≈ random", "threshold (true recall)": "0.61–0.66",
            "threshold (true recall) +10s": "0.61–0.66"},
}
LOOKAHEAD_DELAYS = 2  # Reddy et al.'s Threshold replayed the log on a copy whose clock ran two delays ahead
TUNE_SEED = 1_000_000
SM2_UNITS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


def run_episode(env, teacher, seed: int) -> tuple[float, float]:
    """(mean reward, final score) of one episode, reusing ``env`` and ``teacher``."""
    from teachgym.loop import teacher_seed

    obs, info = env.reset(seed=seed)
    teacher.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
    total, steps, done = 0.0, 0, False
    while not done:
        action = teacher.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        teacher.update(action, reward, obs, info)
        total += reward
        steps += 1
        done = terminated or truncated
    return total / steps, float(info["score"]) / 100.0  # in [0, 1], the unit of the recorded results


def make(model: str, student: int, oracle: bool, answer_timing: str = "before_delay", oracle_lookahead: float = 0.0):
    import gymnasium as gym

    import teachgym  # noqa: F401

    return gym.make(f"teachgym/Flashcards-{model}-v1", student_seed=student, oracle=oracle,
                    answer_timing=answer_timing, oracle_lookahead=oracle_lookahead).unwrapped


def tutor_factory(name: str, value):
    import teachgym

    if name.startswith("ppo"):
        from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

        return PPOTutor(value)
    lookahead = LOOKAHEAD_DELAYS * 5.0  # the Flashcards default delay, 5 s
    kwargs = {"leitner": {"arrival_prob": value}, "sm2": {"interval_unit": value},
              "threshold (true recall)": {"threshold": value, "model": "oracle"},
              "threshold (true recall) +10s": {"threshold": value, "model": "oracle"},  # the env looks ahead
              "threshold (fitted)": {"threshold": value},
              "threshold (fitted) +10s": {"threshold": value, "lookahead": lookahead}}.get(name, {})
    registry_name = name.split(" ")[0]
    return teachgym.make_teacher(registry_name, **kwargs)


def one_student(job) -> dict:
    """Tune (if the tutor has a grid) and evaluate one tutor on one student."""
    pin_one_thread()
    model, name, student, grid, episodes, tune_episodes, rl_path, answer_timing = job
    # A PPO tutor trained with --oracle (file name "...-oracle__<seed>.safetensors") reads the oracle observation too.
    oracle = name.startswith("threshold (true recall") or (rl_path is not None and "-oracle__" in rl_path)
    env = make(model, student, oracle, answer_timing, LOOKAHEAD_DELAYS * 5.0 if name.endswith("+10s") else 0.0)
    start = time.perf_counter()
    best, tuning = None, []
    if grid:
        for value in grid:
            teacher = tutor_factory(name, value)
            tuning.append(np.mean([run_episode(env, teacher, TUNE_SEED + i)[0] for i in range(tune_episodes)]))
        best = grid[int(np.argmax(tuning))]
    teacher = tutor_factory(name, rl_path if name.startswith("ppo") else best)
    results = np.array([run_episode(env, teacher, seed) for seed in range(episodes)])
    return {"model": model, "tutor": name, "student": student, "best": best, "recall": float(results[:, 0].mean()),
            "final": float(results[:, 1].mean()), "seconds": time.perf_counter() - start}


def bkt_table(episodes: int, rl_paths: list[str] = (), summary: dict | None = None) -> list[str]:
    import gymnasium as gym

    import teachgym
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    rows = ["| tutor | retained (score) | mastered at end | mean reward |", "|---|---|---|---|"]
    env = gym.make("teachgym/PrerequisiteTutor-BKT-v1").unwrapped
    for name in ("random", "round-robin", "leitner", "sm2", "threshold", "mastery", *rl_paths):
        teacher = PPOTutor(name) if name.endswith((".safetensors", ".zip")) else teachgym.make_teacher(name)
        scores, mastered, rewards = [], [], []
        for seed in range(episodes):
            reward, score = run_episode(env, teacher, seed)
            scores.append(score)
            mastered.append(env.student.mastered_fraction)
            rewards.append(reward)
        lo, hi = bootstrap_ci(scores)
        rows.append(f"| {name} | {np.mean(scores):.3f} [{lo:.3f}, {hi:.3f}] | {np.mean(mastered):.3f} | "
                    f"{np.mean(rewards):.4f} |")
        if summary is not None:
            summary[name] = {"retained (score)": {"mean": np.mean(scores), "ci95": [lo, hi]},
                             "mastered at end": np.mean(mastered), "mean reward": np.mean(rewards)}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default="EFC,HLR", help="comma-separated Flashcards models: EFC, HLR, ACTR")
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--tune-episodes", type=int, default=1)
    parser.add_argument("--grid-step", type=float, default=0.01)
    parser.add_argument("--fitted-grid-step", type=float, default=0.01)
    parser.add_argument("--tutors", default="random,round-robin,leitner,sm2,threshold (true recall),threshold (fitted),"
                        "mastery")
    parser.add_argument("--rl-model", action="append", default=[],
                        help="ENV=PATH of a saved PPO tutor (repeatable), e.g. HLR=runs/rl_tutor/...safetensors; "
                        "BKT=PATH adds it to the PrerequisiteTutor-BKT table")
    parser.add_argument("--bkt-episodes", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--answer-timing", default="before_delay", choices=("before_delay", "after_delay"),
                        help="the Flashcards envs' answer_timing")
    parser.add_argument("--json", default=None, help="also write every per-student result here")
    parser.add_argument("--record-name", default=None,
                        help="name of the Flashcards record in benchmarks/results (default: from --envs)")
    args = parser.parse_args()
    pin_one_thread()
    grid = [round(v, 4) for v in np.arange(0.0, 1.0, args.grid_step)]
    fitted_grid = [round(v, 4) for v in np.arange(args.fitted_grid_step, 1.0, args.fitted_grid_step)]
    grids = {"leitner": grid, "sm2": list(SM2_UNITS), "threshold (true recall)": grid,
             "threshold (true recall) +10s": grid, "threshold (fitted)": fitted_grid,
             "threshold (fitted) +10s": fitted_grid}
    jobs = []
    for model in args.envs.split(","):
        for name in args.tutors.split(","):
            jobs += [(model, name, student, grids.get(name), args.episodes, args.tune_episodes, None,
                      args.answer_timing) for student in range(args.students)]
        for item in args.rl_model:
            env_name, path = item.split("=", 1)
            if env_name == model:  # named after the file: <env>__<ppo-policy>__<seed>.safetensors
                name = "__".join(path.rsplit("/", 1)[-1].removesuffix(".safetensors").removesuffix(".zip").split("__")[1:])
                jobs += [(model, name, student, None, args.episodes, args.tune_episodes, path, args.answer_timing)
                         for student in range(args.students)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = pool.map(one_student, jobs, chunksize=1)
    print(f"machine: {machine()}; {time.perf_counter() - start:.0f} s wall, {args.jobs} jobs")
    print("| env | tutor | tuned value (per student) | mean per-step recall [95 % CI] | final recall | reference |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for model in args.envs.split(","):
        for name in dict.fromkeys(r["tutor"] for r in results if r["model"] == model):
            rows = [r for r in results if r["model"] == model and r["tutor"] == name]
            recall = [r["recall"] for r in rows]
            lo, hi = bootstrap_ci(recall)
            tuned = "" if rows[0]["best"] is None else "median " + f"{np.median([r['best'] for r in rows]):g}"
            print(f"| {model} | {name} | {tuned} | {np.mean(recall):.3f} [{lo:.3f}, {hi:.3f}] | "
                  f"{np.mean([r['final'] for r in rows]):.3f} | {REFERENCE.get(model, {}).get(name, '')} |")
            summary[f"{model} / {name}"] = {
                "tuned (median)": None if rows[0]["best"] is None else float(np.median([r["best"] for r in rows])),
                "mean per-step recall": {"mean": np.mean(recall), "ci95": [lo, hi]},
                "final recall": np.mean([r["final"] for r in rows])}
    paired = []
    for model in args.envs.split(","):
        base = {r["student"]: r["recall"] for r in results if r["model"] == model and r["tutor"] == "round-robin"}
        for name in dict.fromkeys(r["tutor"] for r in results if r["model"] == model and r["tutor"] != "round-robin"):
            rows = [r for r in results if r["model"] == model and r["tutor"] == name and r["student"] in base]
            if base and rows:
                diff = np.array([r["recall"] - base[r["student"]] for r in rows])
                lo, hi = bootstrap_ci(diff)
                paired.append(f"| {model} | {name} | {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] |")
                summary[f"{model} / {name}"]["minus round-robin, paired"] = {"mean": diff.mean(), "ci95": [lo, hi]}
    if paired:
        print("\n| env | tutor | minus round-robin, paired per student [95 % CI] |\n|---|---|---|")
        print("\n".join(paired))
    if args.bkt_episodes:
        print(f"\nPrerequisiteTutor-BKT-v1 (defaults; {args.bkt_episodes} students from the population):")
        rl_paths = [item.split("=", 1)[1] for item in args.rl_model if item.startswith("BKT=")]
        bkt_summary = {}
        print("\n".join(bkt_table(args.bkt_episodes, rl_paths, bkt_summary)))
        record("prerequisite_tutor_bkt_rl" if rl_paths else "prerequisite_tutor_bkt", "tutoring", bkt_summary,
               notes=f"PrerequisiteTutor-BKT-v1 defaults, {args.bkt_episodes} students from the population; retained: "
                     "expected fraction of skills mastered after the retention interval, in [0, 1]")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if summary:
        name = args.record_name or "flashcards_" + args.envs.lower().replace(",", "_") + (
            "_after_delay" if args.answer_timing == "after_delay" else "")
        per_student = {f"{r['model']} / {r['tutor']}": [] for r in results}
        for r in results:
            per_student[f"{r['model']} / {r['tutor']}"].append(r["recall"])
        record(name, "tutoring", summary, {"mean per-step recall per student": per_student},
               notes=f"Flashcards-*-v1, answer_timing={args.answer_timing}; {args.students} students x {args.episodes} "
                     f"episodes, one tuning episode per grid value; recall in [0, 1]; 95 % bootstrap CI over students")


if __name__ == "__main__":
    main()
