"""A PPO teacher trained on GridworldCurriculumDiscrete's train population, tested on held-out Q-learners.

    python benchmarks/bench_learned_gridworld.py --run-dir runs/learned/grid-discrete-h4-s0 --seeds 10 [--ship]

0. **Env speed**: teacher steps/s of the batched gridworld at ``--num-envs``
   learners and of the single env on one pinned core, random lessons, measured in
   the same run (read the ratio: the machine is shared).
1. **Train** (unless ``--run-dir`` already holds a finished run): SB3 PPO with an
   MLP on a window of the last ``history`` observations
   (``scripts/train_learned_teacher.py``) over the ``train`` population: every
   episode is a new Q-learner (step size, exploration rate), which the teacher must
   infer from how its probe successes move. Learning curve: the training episodes'
   return (the final mean probe success).
2. **Policy mode on train-population students** (seeds 1000..): the policy's most
   likely lesson vs lessons drawn from its probabilities; the better mean is the
   mode used below and shipped. Held-out students play no part in the choice.
3. **Held-out comparison** in the leaderboard's protocol: ``teachgym.run(env_id,
   teacher, seed, population="held_out")`` for seeds ``0..seeds-1`` with the env's
   default settings, every teacher on the same students; the score is the % of
   the 40 test tasks the learner's greedy policy solves. Baselines: every
   registered non-privileged teacher that can teach the env (the bandits, PLR,
   Robust PLR, SFL, random: ``learned_teacher.default_baselines``); paired
   differences learned - baseline with 95 % bootstrap CIs. Privileged teachers
   (easy-to-hard, which is given the env's difficulty order) are reference rows
   only, never "the best".
4. The same against the best held-out baseline on train-population students (seeds
   1000.., what the teacher could have met in training) and on the env's default
   learner (``population=None``, what the leaderboard's suites run).
5. ``--ship`` copies the teacher file and its card into the package
   (``teachers/learned/weights/<env>.safetensors`` / ``.json``) for ``ppo-teacher``,
   if its held-out CI against the best baseline lies above 0.

The training settings were fixed before any evaluation: PPO's defaults of
``train_learned_teacher`` (gamma 0.99, entropy bonus 0.01, 64 x 64 MLP) with a
4-observation window, 64 learners x 64-step rollouts, minibatch 512, 10 epochs,
900k teacher steps (what fits in 30 min at the measured speed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_one_thread, progress_rows, record, train_or_load_teacher  # noqa: E402

ENV_ID = "teachgym/GridworldCurriculumDiscrete-v0"
TRAINING = {"policy": "mlp", "history": 4, "num_envs": 64, "rollout_steps": 64, "batch_size": 512, "n_epochs": 10,
            "gamma": 0.99, "ent_coef": 0.01}
#: privileged teachers shown next to the comparison (never counted as the best baseline)
REFERENCE = ("easy-to-hard",)
TRAIN_FIRST_SEED = 1000


def learning_curve(run_dir: Path, points: int = 12) -> list[tuple[int, float]]:
    """(teacher steps, mean return of the last training episodes = final mean probe success), ``points`` or so."""
    picked = progress_rows(run_dir, points)
    return sorted({int(r["time/total_timesteps"]): round(float(r["rollout/ep_rew_mean"]), 4) for r in picked}.items())


def env_speed(num_envs: int, seconds: float) -> dict[str, float]:
    """Teacher steps/s of the batched (``num_envs`` learners, train population) and the single env."""
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    rng = np.random.default_rng(0)
    vec = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point", population="train")
    n_actions = int(vec.single_action_space.n)
    actions = [rng.integers(0, n_actions, num_envs) for _ in range(20)]
    vec.reset(seed=0)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            vec.step(a)
        done += len(actions) * num_envs
    vector = done / (time.perf_counter() - start)
    single = gym.make(ENV_ID, population="train")
    single.reset(seed=0)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            if single.step(int(a[0]))[3]:
                single.reset()
        done += len(actions)
    alone = done / (time.perf_counter() - start)
    return {"num_envs": num_envs, "vector_steps_per_s": round(vector), "single_steps_per_s": round(alone),
            "vector_over_single": round(vector / alone, 2)}


def card(report: dict, deterministic: bool, command: str) -> dict:
    """The shipped teacher's card: which env, its spaces, how it acts and how it was trained."""
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    env = gym.make(ENV_ID)
    return {"env_id": ENV_ID, "weights": f"{ENV_ID.split('/')[-1]}.safetensors", "policy": "mlp",
            "deterministic": deterministic, "action_space": repr(env.action_space),
            "observation_shape": list(env.observation_space.shape), "history": TRAINING["history"],
            "trained_on": "population='train'", "teacher_steps": report.get("teacher_steps"),
            "training": {**TRAINING, "command": command}, "source_file": "teacher.safetensors"}


def _rounded(paired: dict) -> dict:
    """Per baseline, best first: [its mean, learned - it, CI low, CI high], 2 decimals."""
    rows = sorted(paired.items(), key=lambda kv: -kv[1]["baseline_mean"])
    return {name: [round(p[k], 2) for k in ("baseline_mean", "mean_difference", "ci_low", "ci_high")]
            for name, p in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", default="runs/learned/grid-discrete-h4-s0")
    parser.add_argument("--train-steps", type=int, default=900_000)
    parser.add_argument("--train-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=10, help="held-out students (leaderboard seeds 0..seeds-1)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--num-envs", type=int, default=64, help="env speed: learners per batch")
    parser.add_argument("--seconds", type=float, default=4.0, help="env speed: seconds per measurement")
    parser.add_argument("--ship", action="store_true",
                        help="copy the teacher file and its card into the package if it beats the best baseline")
    args = parser.parse_args()
    pin_one_thread()
    from teachgym.training import learned_teacher as lt

    speed = env_speed(args.num_envs, args.seconds)
    print(json.dumps(speed))
    run_dir = Path(args.run_dir)
    teacher, report = train_or_load_teacher(run_dir, ENV_ID, TRAINING, args.train_steps, args.train_seed)
    start = time.perf_counter()
    modes = {"ppo_mode": {"path": str(teacher)}, "ppo_sampled": {"path": str(teacher), "deterministic": False}}
    mode_scores = lt.evaluate(ENV_ID, modes, args.seeds, jobs=args.jobs, population="train",
                              first_seed=TRAIN_FIRST_SEED)
    deterministic = bool(np.mean(mode_scores["ppo_mode"]) >= np.mean(mode_scores["ppo_sampled"]))
    learned = modes["ppo_mode" if deterministic else "ppo_sampled"]
    print(f"train population: mode {np.mean(mode_scores['ppo_mode']):.2f}, "
          f"sampled {np.mean(mode_scores['ppo_sampled']):.2f} -> deterministic={deterministic}")
    baselines = lt.default_baselines(ENV_ID, {})
    scores = lt.evaluate(ENV_ID, {"ppo": learned, **{b: b for b in (*baselines, *REFERENCE)}}, args.seeds,
                         jobs=args.jobs)
    paired = lt.paired_comparison(scores, "ppo")
    best = max(baselines, key=lambda name: paired[name]["baseline_mean"])
    train_scores = lt.evaluate(ENV_ID, {best: best, "easy-to-hard": "easy-to-hard"}, args.seeds, jobs=args.jobs,
                               population="train", first_seed=TRAIN_FIRST_SEED)
    train_scores["ppo"] = mode_scores["ppo_mode" if deterministic else "ppo_sampled"]
    train_paired = lt.paired_comparison(train_scores, "ppo")
    default_scores = lt.evaluate(ENV_ID, {"ppo": learned, best: best, "easy-to-hard": "easy-to-hard"}, args.seeds,
                                 jobs=args.jobs, population=None)
    default_paired = lt.paired_comparison(default_scores, "ppo")
    eval_seconds = time.perf_counter() - start
    row = paired[best]
    summary = {
        "env": ENV_ID, "held_out_students": args.seeds, "env_speed": speed,
        "policy_mode_train_population": {"mode": round(float(np.mean(mode_scores["ppo_mode"])), 2),
                                         "sampled": round(float(np.mean(mode_scores["ppo_sampled"])), 2),
                                         "deterministic": deterministic},
        "ppo_held_out": round(row["learned_mean"], 2), "best_baseline": best,
        "best_baseline_held_out": round(row["baseline_mean"], 2), "ppo_minus_best": round(row["mean_difference"], 2),
        "ci_low": round(row["ci_low"], 2), "ci_high": round(row["ci_high"], 2), "beats_best": bool(row["ci_low"] > 0),
        "held_out [baseline mean, ppo - baseline, ci_low, ci_high]": _rounded(paired),
        "privileged_reference": list(REFERENCE),
        "train_population [baseline mean, ppo - baseline, ci_low, ci_high]": _rounded(train_paired),
        "ppo_train_population": round(float(np.mean(train_scores["ppo"])), 2),
        "default_population [baseline mean, ppo - baseline, ci_low, ci_high]": _rounded(default_paired),
        "ppo_default_population": round(float(np.mean(default_scores["ppo"])), 2),
        "teacher_steps": report.get("teacher_steps"), "train_seconds": round(report.get("seconds", 0.0), 1),
        "train_steps_per_s": round(report.get("steps_per_s") or 0.0, 1),
        "train_env_share": round(report["env_s"] / report["seconds"], 3),
        "train_update_share": round(report["update_s"] / report["seconds"], 3),
        "eval_seconds": round(eval_seconds, 1),
        "learning_curve_final_probe_success": learning_curve(run_dir),
        "training": TRAINING,
    }
    notes = ("Score: % of the 40 test tasks solved by the Q-learner's greedy policy after 500 lessons (exact DP, "
             "no rollout noise); held-out learners (population='held_out': step size and exploration rate in bands "
             "disjoint from training), seeds 0..N-1 as the leaderboard runs them, paired by seed, 95 % bootstrap CIs. "
             "Training: PPO on the batched env, train population only, 1 torch thread, settings fixed before any "
             "evaluation; policy mode chosen on train-population learners (seeds 1000..). easy-to-hard is privileged "
             "(given the env's difficulty order): a reference row, not a baseline. Speeds: one pinned core on the "
             "shared 2-core machine (see load).")
    path = record("learned_teacher_gridworld", "curriculum", summary,
                  {"held_out": scores, "train_population": train_scores, "policy_mode_train_population": mode_scores,
                   "default_population": default_scores}, notes=notes)
    print(json.dumps({k: v for k, v in summary.items() if k != "learning_curve_final_probe_success"}, indent=1))
    print(f"recorded {path}")
    if args.ship and not summary["beats_best"]:
        print("not shipped: the learned teacher does not beat the best baseline on held-out students")
    elif args.ship:
        from teachgym.teachers.learned.ppo_teacher import WEIGHTS

        name = ENV_ID.split("/")[-1]
        shutil.copyfile(teacher, WEIGHTS / f"{name}.safetensors")
        command = (f"python benchmarks/bench_learned_gridworld.py --run-dir {args.run_dir} "
                   f"--train-steps {args.train_steps} --train-seed {args.train_seed}")
        (WEIGHTS / f"{name}.json").write_text(json.dumps(card(report, deterministic, command), indent=1) + "\n")
        print(f"shipped {WEIGHTS / name}.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
