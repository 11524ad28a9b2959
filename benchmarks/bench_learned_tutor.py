"""A PPO tutor trained on Flashcards-HLR's train population, tested on held-out students.

    python benchmarks/bench_learned_tutor.py --run-dir runs/learned/hlr-itemwise-s0 --seeds 10 [--ship]
    python benchmarks/bench_learned_tutor.py --env-speed      # the batched tutoring envs vs the single env

0. ``--env-speed``: teacher steps/s of the batched tutoring envs (Flashcards EFC and
   HLR, PrerequisiteTutor-BKT) at ``--num-envs`` students on one pinned core, next to
   the single env measured in the same run (the ratio is what to read on a loaded
   machine); recorded as ``vector_tutoring_envs``.

1. **Train** (unless ``--run-dir`` already holds a finished run): the item-shared
   tutor policy (``scripts/train_learned_teacher.py --policy itemwise``) with PPO on
   the batched env over the ``train`` population; teacher steps/s and where the
   time went (env, policy and rollout bookkeeping, update), and the learning curve
   (mean per-step recall of the training episodes).
2. **Held-out comparison** in the leaderboard's protocol: ``teachgym.run(env_id,
   teacher, seed)`` with the env's default settings for seeds ``0..seeds-1``, every
   teacher on the same ``held_out`` students; the score is the final mean recall
   (%). Baselines: every registered non-privileged teacher that can teach the env
   (the fitted threshold tutor, round-robin, Leitner, SM-2, mastery, the bandits,
   random). Paired differences learned - baseline with 95 % bootstrap CIs.
   Beside the headline score, the mean per-step recall (the env's reward, what the
   tutor was trained on; Reddy et al.'s measure) of the tutor, the best baseline
   and the threshold tutor on the same students, paired the same way.
3. The same comparison against the best held-out baseline on ``train``-population
   students (seeds 1000..), which the tutor could have met in training: the gap
   between the two says what does not generalise. And on the env's default students
   (``population=None``, what the leaderboard's suites run), which neither part is.
4. ``--ship`` copies the teacher file into the package
   (``teachers/learned/weights/<env>.safetensors``) with its card (``<env>.json``),
   which the ``ppo-teacher`` loads.

Nothing here is tuned on the held-out students: the training settings are those of
``scripts/train_rl_tutor.py`` (gamma 0.9, 1600-sample rollouts, minibatch 400, 10
epochs, entropy bonus 0.001), fixed before any held-out run.
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

ENV_ID = "teachgym/Flashcards-HLR-v1"
TRAINING = {"policy": "itemwise", "history": 1, "gamma": 0.9, "num_envs": 16, "rollout_steps": 100,
            "batch_size": 400, "n_epochs": 10, "ent_coef": 0.001}


def learning_curve(run_dir: Path, points: int = 12) -> list[tuple[int, float]]:
    """(teacher steps, mean per-step recall of the last training episodes), about ``points`` of them."""
    picked = progress_rows(run_dir, points)
    steps = {int(r["time/total_timesteps"]): float(r["rollout/ep_rew_mean"]) / float(r["rollout/ep_len_mean"])
             for r in picked}
    return [(k, round(v, 4)) for k, v in sorted(steps.items())]


def card(teacher: Path, report: dict, steps_command: str) -> dict:
    """The shipped teacher's card: which env, how it reads it, how it was trained."""
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)
    from teachgym.training.learned_teacher import ITEMWISE_FEATURES

    env = gym.make(ENV_ID)
    _, info = env.reset(seed=0)
    env.close()
    return {"env_id": ENV_ID, "weights": f"{ENV_ID.split('/')[-1]}.safetensors", "policy": "itemwise",
            "features": ITEMWISE_FEATURES, "action_space": repr(env.action_space),
            "observation_shape": list(env.observation_space.shape), "tutor_log": info["tutor_log"],
            "trained_on": "population='train'", "teacher_steps": report.get("teacher_steps"),
            "training": {**TRAINING, "command": steps_command}, "source_file": teacher.name}


def env_speed(num_envs: int, seconds: float) -> dict[str, float]:
    """Teacher steps/s of the batched and the single env, for each batched tutoring env."""
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)

    out: dict[str, float] = {"num_envs": num_envs}
    rng = np.random.default_rng(0)
    for env_id in ("teachgym/Flashcards-HLR-v1", "teachgym/Flashcards-EFC-v1", "teachgym/PrerequisiteTutor-BKT-v1"):
        name = env_id.split("/")[-1]
        vec = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", population="train")
        n_actions = int(vec.single_action_space.n)
        actions = [rng.integers(0, n_actions, num_envs) for _ in range(50)]
        vec.reset(seed=0)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for a in actions:
                vec.step(a)
            done += len(actions) * num_envs
        out[f"{name}_vector_steps_per_s"] = round(done / (time.perf_counter() - start))
        single = gym.make(env_id, population="train")
        single.reset(seed=0)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for a in actions:
                if single.step(int(a[0]))[3]:
                    single.reset()
            done += len(actions)
        out[f"{name}_single_steps_per_s"] = round(done / (time.perf_counter() - start))
        out[f"{name}_vector_over_single"] = round(out[f"{name}_vector_steps_per_s"] / out[f"{name}_single_steps_per_s"], 1)
    return out


def per_step_recall(teacher: dict, names: list[str], seeds: int) -> dict[str, list[float]]:
    """Mean per-step recall (mean reward) of the learned tutor and the teachers ``names`` on held-out seeds."""
    import teachgym
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor
    from teachgym.training.learned_teacher import ITEMWISE_FEATURES

    def one(spec, seed):
        made = PPOTutor(model_path=spec["path"], features=ITEMWISE_FEATURES) if isinstance(spec, dict) else spec
        return float(teachgym.run(ENV_ID, made, seed, population="held_out").rewards.mean())

    return {name: [one(spec, seed) for seed in range(seeds)] for name, spec in {"ppo": teacher, **{n: n for n in names}}.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", default="runs/learned/hlr-itemwise-s0")
    parser.add_argument("--train-steps", type=int, default=600_000)
    parser.add_argument("--train-seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=10, help="held-out students (leaderboard seeds 0..seeds-1)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--ship", action="store_true", help="copy the teacher file and its card into the package")
    parser.add_argument("--env-speed", action="store_true", help="only measure the batched envs' speed")
    parser.add_argument("--num-envs", type=int, default=256, help="--env-speed: students per batch")
    parser.add_argument("--seconds", type=float, default=3.0, help="--env-speed: seconds per measurement")
    args = parser.parse_args()
    pin_one_thread()
    if args.env_speed:
        summary = env_speed(args.num_envs, args.seconds)
        path = record("vector_tutoring_envs", "tutoring", summary, notes=(
            "Teacher steps/s on one pinned core, train population, random lessons; vector and single env measured "
            "in the same run (compare the ratio; absolute numbers depend on the shared machine's load)."))
        print(json.dumps(summary, indent=1))
        print(f"recorded {path}")
        return 0
    from teachgym.training import learned_teacher as lt

    run_dir = Path(args.run_dir)
    teacher, report = train_or_load_teacher(run_dir, ENV_ID, TRAINING, args.train_steps, args.train_seed)
    learned = {"path": str(teacher), "policy": "itemwise"}
    baselines = lt.default_baselines(ENV_ID, {})
    start = time.perf_counter()
    scores = lt.evaluate(ENV_ID, {"ppo": learned, **{b: b for b in baselines}}, args.seeds, jobs=args.jobs)
    paired = lt.paired_comparison(scores, "ppo")
    best = max(paired, key=lambda name: paired[name]["baseline_mean"])
    train_scores = lt.evaluate(ENV_ID, {"ppo": learned, best: best}, args.seeds, jobs=args.jobs, population="train",
                               first_seed=1000)
    train_paired = lt.paired_comparison(train_scores, "ppo")[best]
    default_scores = lt.evaluate(ENV_ID, {"ppo": learned, best: best, "threshold": "threshold"}, args.seeds,
                                 jobs=args.jobs, population=None)
    default_paired = lt.paired_comparison(default_scores, "ppo")
    recall = per_step_recall(learned, sorted({best, "threshold"}), args.seeds)
    recall_paired = lt.paired_comparison(recall, "ppo")
    eval_seconds = time.perf_counter() - start
    row = paired[best]
    summary = {
        "env": ENV_ID, "held_out_students": args.seeds, "ppo_held_out": round(row["learned_mean"], 3),
        "best_baseline": best, "best_baseline_held_out": round(row["baseline_mean"], 3),
        "ppo_minus_best": round(row["mean_difference"], 3), "ci_low": round(row["ci_low"], 3),
        "ci_high": round(row["ci_high"], 3), "beats_best": bool(row["ci_low"] > 0),
        "mean_recall_per_step_held_out": {name: round(float(np.mean(v)), 4) for name, v in recall.items()},
        "mean_recall_per_step_ppo_minus": {name: [round(p["mean_difference"], 4), round(p["ci_low"], 4),
                                                  round(p["ci_high"], 4)] for name, p in recall_paired.items()},
        "ppo_train_population": round(train_paired["learned_mean"], 3),
        f"{best}_train_population": round(train_paired["baseline_mean"], 3),
        "ppo_minus_best_train_population": round(train_paired["mean_difference"], 3),
        "train_population_ci": [round(train_paired["ci_low"], 3), round(train_paired["ci_high"], 3)],
        "default_population": {name: [round(p["baseline_mean"], 3), round(p["mean_difference"], 3),
                                      round(p["ci_low"], 3), round(p["ci_high"], 3)]
                               for name, p in default_paired.items()},
        "ppo_default_population": round(float(np.mean(default_scores["ppo"])), 3),
        "teacher_steps": report.get("teacher_steps"), "train_seconds": round(report.get("seconds", 0.0), 1),
        "train_steps_per_s": round(report.get("steps_per_s") or 0.0, 1),
        "train_env_share": round(report["env_s"] / report["seconds"], 3),
        "train_update_share": round(report["update_s"] / report["seconds"], 3),
        "eval_seconds": round(eval_seconds, 1),
        "paired": {name: {k: round(v, 3) if isinstance(v, float) else v for k, v in p.items()}
                   for name, p in sorted(paired.items(), key=lambda kv: -kv[1]["baseline_mean"])},
        "learning_curve_mean_recall_per_step": learning_curve(run_dir),
    }
    notes = ("Final mean recall (%) of 30 items after 200 reviews, held-out students (population='held_out'), "
             "seeds 0..N-1 as the leaderboard runs them; paired by seed. Training: PPO, item-shared policy on the "
             "tutor's log, train population only; settings fixed from scripts/train_rl_tutor.py before any held-out "
             "run. Training ran with 1 torch thread on the shared 2-core machine; steps/s depend on its load.")
    path = record("learned_tutor_hlr", "tutoring", summary, {"held_out": scores, "train_population": train_scores,
                                                             "default_population": default_scores,
                                                             "held_out_mean_recall_per_step": recall}, notes=notes)
    print(json.dumps({k: v for k, v in summary.items() if k != "paired"}, indent=1))
    print(f"recorded {path}")
    if args.ship:
        from teachgym.teachers.learned.ppo_teacher import WEIGHTS

        WEIGHTS.mkdir(exist_ok=True)
        name = ENV_ID.split("/")[-1]
        shutil.copyfile(teacher, WEIGHTS / f"{name}.safetensors")
        command = (f"python benchmarks/bench_learned_tutor.py --run-dir {args.run_dir} "
                   f"--train-steps {args.train_steps} --train-seed {args.train_seed}")
        (WEIGHTS / f"{name}.json").write_text(json.dumps(card(teacher, report, command), indent=1) + "\n")
        print(f"shipped {WEIGHTS / name}.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
