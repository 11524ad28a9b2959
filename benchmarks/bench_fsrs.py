"""Spaced repetition with FSRS-6 learners: FSRS vs Anki's SM-2 per learner, an RL tutor, env speed.

Env: ``teachgym/SpacedRepetition-FSRS-v0`` (cards mode) at ``--deck`` cards, 10 new a day,
``--days`` days, 10 minutes a day. Three parts (``--parts``):

- ``ratio``: for each of ``--learners`` held-out learners (``student_seed`` 0..), Anki's SM-2
  (``anki-sm2``) and the ``fsrs`` package's scheduler (``fsrs-scheduler``) at desired retention
  0.85, 0.90 and 0.95 teach the same learner (same env seed). Efficiency = memorised cards at the
  end per minute of study. Reported: the share of learners for whom FSRS at 0.9 is more efficient
  than SM-2, and the same *at matched memorised cards*: FSRS's minutes interpolated (linearly, in
  memorised cards, between its three retentions) to SM-2's memorised cards, where SM-2's lies
  in FSRS's range. srs-simulator reports 86.5 % of 9,999 simulated users (FSRS-6 vs SM-2, its own
  population and costs): a sanity check, not a target.
- ``rl``: SB3 PPO (MlpPolicy on log(1 + observation)) on the retention mode
  (``SpacedRepetitionRetention-FSRS-v0``: one desired retention per day), trained on the ``train``
  population, evaluated on ``--eval-learners`` held-out learners against the FSRS scheduler at
  0.9 and the env's own constant 0.9 level.
- ``tutors``: every deck tutor on the cards mode, the same ``--eval-learners`` held-out learners
  each: the FSRS scheduler at 0.9, Anki's SM-2, Leitner boxes, fixed intervals and the threshold
  tutor (its own fitted recall model, threshold 0.9 as FSRS's default retention, not tuned).
  Reported: memorised % of the deck, minutes a day, memorised cards per minute.
- ``rl_mask``: ``scripts/train_rl_tutor.py`` (itemwise PPO, per-card review probabilities) on the
  cards mode, trained on the ``train`` population for ``--rl-steps``, evaluated on the held-out
  learners against the FSRS scheduler at 0.9 and the threshold tutor at 0.9.
- ``speed``: simulated learner-days per second of the env alone (retention mode, a constant
  level) and with the ``fsrs-scheduler`` teacher (cards mode), in one run.

    python benchmarks/bench_fsrs.py --parts ratio,rl,speed --learners 1000 --jobs 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

import numpy as np

from _common import bootstrap_ci, pin_one_thread, record

RETENTIONS = (0.85, 0.90, 0.95)


def _env_kwargs(args, population="held_out", **extra) -> dict:
    return {"deck_size": args.deck, "new_per_day": 10, "n_steps": args.days, "minutes_per_day": 10.0,
            "population": population, **extra}


def _one_learner(job) -> dict:
    import gymnasium as gym

    import teachgym

    learner, deck, days = job
    kwargs = {"deck_size": deck, "new_per_day": 10, "n_steps": days, "minutes_per_day": 10.0,
              "population": "held_out", "student_seed": learner}
    out = {"learner": learner}
    for name, teacher_kwargs in [("sm2", ("anki-sm2", {}))] + [
            (f"fsrs{r}", ("fsrs-scheduler", {"desired_retention": r})) for r in RETENTIONS]:
        env = gym.make("teachgym/SpacedRepetition-FSRS-v0", **kwargs)
        teachgym.run(env, teacher_kwargs[0], seed=learner, teacher_kwargs=teacher_kwargs[1])
        base = env.unwrapped
        out[name] = (base._memorised, base._minutes)
    return out


def ratio(args) -> dict:
    jobs = [(i, args.deck, args.days) for i in range(args.learners)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs, initializer=pin_one_thread) as pool:
        rows = pool.map(_one_learner, jobs, chunksize=8)
    wall = time.perf_counter() - start
    eff = lambda m_t: m_t[0] / m_t[1]  # noqa: E731
    plain = np.array([eff(r["fsrs0.9"]) / eff(r["sm2"]) for r in rows])
    matched, skipped = [], 0
    for r in rows:
        mem = np.array([r[f"fsrs{x}"][0] for x in RETENTIONS])
        minutes = np.array([r[f"fsrs{x}"][1] for x in RETENTIONS])
        target_mem, sm2_minutes = r["sm2"]
        order = np.argsort(mem)
        if not mem.min() <= target_mem <= mem.max():
            skipped += 1
            continue
        fsrs_minutes = float(np.interp(target_mem, mem[order], minutes[order]))
        matched.append(sm2_minutes / fsrs_minutes)  # same memorised cards: efficiency ratio = time ratio
    matched = np.array(matched)
    summary = {
        "learners": len(rows),
        "share_fsrs0.9_more_efficient": float(np.mean(plain > 1.0)),
        "mean_ratio_fsrs0.9_over_sm2": float(plain.mean()),
        "ratio_ci95": list(bootstrap_ci(plain)),
        "matched_learners": int(matched.size),
        "matched_skipped_out_of_range": skipped,
        "share_fsrs_more_efficient_at_matched_memorised": float(np.mean(matched > 1.0)) if matched.size else None,
        "mean_ratio_at_matched_memorised": float(matched.mean()) if matched.size else None,
        "memorised_pct_sm2": float(np.mean([r["sm2"][0] for r in rows]) / args.deck * 100),
        "memorised_pct_fsrs0.9": float(np.mean([r["fsrs0.9"][0] for r in rows]) / args.deck * 100),
        "minutes_per_day_sm2": float(np.mean([r["sm2"][1] for r in rows]) / args.days),
        "minutes_per_day_fsrs0.9": float(np.mean([r["fsrs0.9"][1] for r in rows]) / args.days),
        "srs_simulator_reference_share": 0.865,
        "wall_s": wall,
    }
    print(summary)
    record("fsrs_vs_sm2", "tutoring", summary, {str(r["learner"]): {k: v for k, v in r.items() if k != "learner"}
                                                  for r in rows},
           notes=f"deck {args.deck}, {args.days} days, 10 new/day, 10 min/day, "
                 f"held-out learners 0..{args.learners - 1}; {args.jobs} processes", results_dir=args.results_dir)
    return summary


def _evaluate(teacher, env_id, kwargs, learners) -> np.ndarray:
    import teachgym

    return np.array([teachgym.run(env_id, teacher, seed=i, **kwargs, student_seed=i).score
                     for i in learners])


def rl(args) -> dict:
    import gymnasium as gym
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    from teachgym.teacher import Teacher

    torch.set_num_threads(1)
    retention_id = "teachgym/SpacedRepetitionRetention-FSRS-v0"
    log_space = lambda space: gym.spaces.Box(np.log1p(space.low), np.log1p(space.high), dtype=np.float32)  # noqa: E731

    def make():
        env = gym.make(retention_id, **_env_kwargs(args, population="train"))
        return gym.wrappers.TransformObservation(env, lambda o: np.log1p(o).astype(np.float32),
                                                 log_space(env.observation_space))

    vec = make_vec_env(make, n_envs=4, seed=0)
    model = PPO("MlpPolicy", vec, n_steps=args.days, batch_size=args.days, gamma=0.99, ent_coef=0.01,
                learning_rate=3e-4, seed=0, device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=args.rl_steps)
    train_s = time.perf_counter() - start

    class PPOLevels(Teacher):
        def act(self, obs, info):
            return int(model.predict(np.log1p(obs).astype(np.float32), deterministic=True)[0])

    class Constant(Teacher):
        def act(self, obs, info):
            return 4  # level 0.90 of the default levels

    learners = range(args.eval_learners)
    held = _env_kwargs(args)
    scores = {"ppo (retention mode)": _evaluate(PPOLevels(), retention_id, held, learners),
              "constant 0.90 (retention mode)": _evaluate(Constant(), retention_id, held, learners),
              "fsrs-scheduler 0.90 (cards mode)": _evaluate("fsrs-scheduler", "teachgym/SpacedRepetition-FSRS-v0",
                                                            held, learners)}
    probe = gym.make(retention_id, **held, student_seed=0)
    obs, done, levels = probe.reset(seed=0)[0], False, []
    while not done:
        levels.append(PPOLevels().act(obs, {}))
        obs, _, _, done, _ = probe.step(levels[-1])
    summary = {name: {"mean": float(v.mean()), "ci95": list(bootstrap_ci(v))} for name, v in scores.items()}
    summary.update({"ppo_minus_fsrs_mean": float((scores["ppo (retention mode)"]
                                                  - scores["fsrs-scheduler 0.90 (cards mode)"]).mean()),
                    "train_steps": args.rl_steps, "train_s": train_s, "eval_learners": args.eval_learners,
                    "ppo_level_counts_learner0": np.bincount(levels, minlength=6).tolist()})
    print(summary)
    record("fsrs_rl_tutor", "tutoring", summary, {k: v.tolist() for k, v in scores.items()},
           notes=f"PPO MlpPolicy on log1p(obs), 4 envs, train population; "
                 f"held-out learners 0..{args.eval_learners - 1}; deck {args.deck}, {args.days} days, 10 min/day; "
                 "score = memorised % of the deck at the end",
           results_dir=args.results_dir)
    return summary


TUTORS = {"fsrs-scheduler 0.90": ("fsrs-scheduler", {"desired_retention": 0.9}), "anki-sm2": ("anki-sm2", {}),
          "leitner-boxes": ("leitner-boxes", {}), "fixed-interval": ("fixed-interval", {}),
          "threshold 0.90": ("threshold", {"threshold": 0.9})}


def tutors(args) -> dict:
    import gymnasium as gym

    import teachgym

    per_seed, seconds = {}, {}
    for name, (teacher, teacher_kwargs) in TUTORS.items():
        rows, start = [], time.perf_counter()
        for learner in range(args.eval_learners):
            env = gym.make("teachgym/SpacedRepetition-FSRS-v0", **_env_kwargs(args), student_seed=learner)
            result = teachgym.run(env, teacher, seed=learner, teacher_kwargs=teacher_kwargs)
            base = env.unwrapped
            rows.append((result.score, base._minutes / args.days, base._memorised / max(base._minutes, 1e-9)))
        seconds[name], per_seed[name] = time.perf_counter() - start, np.array(rows)
    summary = {name: {"memorised_pct": float(v[:, 0].mean()), "memorised_pct_ci95": list(bootstrap_ci(v[:, 0])),
                      "minutes_per_day": float(v[:, 1].mean()), "memorised_per_minute": float(v[:, 2].mean()),
                      "wall_s": seconds[name]} for name, v in per_seed.items()}
    summary["eval_learners"] = args.eval_learners
    print(summary)
    record("fsrs_tutors", "tutoring", summary, {k: v.tolist() for k, v in per_seed.items()},
           notes=f"cards mode, deck {args.deck}, {args.days} days, 10 new/day, 10 min/day; held-out learners "
                 f"0..{args.eval_learners - 1}; per seed: (memorised %, minutes/day, memorised per minute)",
           results_dir=args.results_dir)
    return summary


def rl_mask(args) -> dict:
    import json
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from scripts.train_rl_tutor import main as train

    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    cards_id = "teachgym/SpacedRepetition-FSRS-v0"
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        train(["--env", cards_id, "--total-timesteps", str(args.rl_steps), "--n-envs", "4", "--n-steps",
               str(args.days), "--batch-size", str(args.days), "--gamma", "0.99", "--out", out, "--eval-episodes", "1",
               "--env-kwargs", json.dumps(_env_kwargs(args, population="train"))])
        train_s = time.perf_counter() - start
        tutor = PPOTutor(str(next(Path(out).glob("*.safetensors"))))
        learners, held = range(args.eval_learners), _env_kwargs(args)
        scores = {"ppo itemwise (cards mode)": _evaluate(tutor, cards_id, held, learners),
                  "fsrs-scheduler 0.90": _evaluate("fsrs-scheduler", cards_id, held, learners),
                  "threshold 0.90": np.array([teachgym_run(cards_id, "threshold", i, held) for i in learners])}
    summary = {name: {"mean": float(v.mean()), "ci95": list(bootstrap_ci(v))} for name, v in scores.items()}
    summary.update({"ppo_minus_fsrs_mean": float((scores["ppo itemwise (cards mode)"]
                                                  - scores["fsrs-scheduler 0.90"]).mean()),
                    "train_steps": args.rl_steps, "train_s": train_s, "eval_learners": args.eval_learners})
    print(summary)
    record("fsrs_rl_mask_tutor", "tutoring", summary, {k: v.tolist() for k, v in scores.items()},
           notes=f"scripts/train_rl_tutor.py defaults (itemwise, rates, linear skip, fixed-interval reward baseline), "
                 f"gamma 0.99, 4 envs, train population; held-out learners 0..{args.eval_learners - 1}; deck "
                 f"{args.deck}, {args.days} days, 10 min/day; score = memorised % of the deck at the end",
           results_dir=args.results_dir)
    return summary


def teachgym_run(env_id, teacher, learner, kwargs) -> float:
    import teachgym

    return teachgym.run(env_id, teacher, seed=learner, teacher_kwargs={"threshold": 0.9}, **kwargs,
                        student_seed=learner).score


def speed(args) -> dict:
    import gymnasium as gym

    import teachgym

    kwargs = _env_kwargs(args)
    env = gym.make("teachgym/SpacedRepetitionRetention-FSRS-v0", **kwargs)
    start, days = time.perf_counter(), 0
    for episode in range(args.speed_episodes):
        env.reset(seed=episode)
        done = False
        while not done:
            done = env.step(4)[3]
            days += 1
    env_rate = days / (time.perf_counter() - start)
    start, days = time.perf_counter(), 0
    for episode in range(args.speed_episodes):
        days += teachgym.run("teachgym/SpacedRepetition-FSRS-v0", "fsrs-scheduler", seed=episode, **kwargs).steps
    teacher_rate = days / (time.perf_counter() - start)
    summary = {"env_learner_days_per_s": env_rate, "with_fsrs_scheduler_learner_days_per_s": teacher_rate,
               "deck": args.deck, "days": args.days}
    print(summary)
    record("fsrs_env_speed", "tutoring", summary, notes="one process, one thread; retention mode at a constant "
           "level (env alone) and cards mode with the fsrs package's scheduler (teacher included)",
           results_dir=args.results_dir)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="ratio,rl,speed")
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--deck", type=int, default=500)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rl-steps", type=int, default=60_000)
    parser.add_argument("--eval-learners", type=int, default=50)
    parser.add_argument("--speed-episodes", type=int, default=5)
    parser.add_argument("--results-dir", default=None, help="where to write the records (default benchmarks/results)")
    args = parser.parse_args()
    pin_one_thread()
    parts = args.parts.split(",")
    for part, fn in (("speed", speed), ("ratio", ratio), ("tutors", tutors), ("rl", rl), ("rl_mask", rl_mask)):
        if part in parts:
            fn(args)


if __name__ == "__main__":
    main()
