"""LM problem writers on LMProblemWriter-v0: uniform vs warmed (untrained) vs GRPO-trained teacher, compute-matched.

Every condition trains a fresh student for ``--steps`` SFT steps of ``--batch``
problems each (the same student compute):

- ``uniform``: each problem from a uniformly random skill (the hash distractor included);
- ``warmed``: sampled from the teacher LM after its SFT warm-up (imitating uniform);
- ``grpo``: the teacher trained by GRPO online on this student's item scores
  (``scripts/train_lm_teacher.py``), the student learning from its samples;
- ``transfer``: that trained teacher, frozen, teaching a new student.

Reported per condition: target-skill accuracy (the env's score / 100), frontier
share (problems whose p is in [0.1, 0.9]), and for ``grpo`` seconds per teacher
GRPO step (including the student's step), with 95 % bootstrap CIs over seeds.

    python benchmarks/bench_lm_teacher.py --steps 1200 --seeds 3 --partial runs/lm_teacher_1200.jsonl

``--partial`` appends each finished seed's rows to a JSON-lines file and skips
the seeds already there, so a long run can be split over several invocations
(the record is written from all the rows in the file).
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv, random_problem  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_env(steps: int, batch: int, seed: int, write) -> dict:
    """Train a fresh student with batches from ``write(obs, rng)``; its accuracy and mean frontier share."""
    env = ProblemWriterEnv(n_steps=steps, action="text", batch_size=batch, eval_every=steps)
    obs, _ = env.reset(seed=seed)
    frontier = []
    for _ in range(steps):
        obs, _, _, _, info = env.step(write(obs))
        frontier.append(info["frontier_share"])
    return {"accuracy": env.score() / 100.0, "frontier_share": float(np.mean(frontier))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--partial", type=Path, default=None,
                        help="JSON-lines file of finished seeds: appended to, and its seeds skipped")
    parser.add_argument("--name", default="lm_teacher", help="result name (benchmarks/results/<name>.json)")
    args = parser.parse_args(argv)
    pin_one_thread()
    from gymnasium import spaces

    from teachgym.teachers.grpo.lm_problem_writer import LMProblemWriterTeacher

    script = runpy.run_path(str(ROOT / "scripts" / "train_lm_teacher.py"))
    per_seed = {k: [] for k in ("uniform", "warmed", "grpo", "transfer")}
    seconds, done = [], set()
    if args.partial is not None and args.partial.exists():
        for line in args.partial.read_text().splitlines():
            row = json.loads(line)
            if row["steps"] != args.steps or row["batch"] != args.batch or row["warmup_steps"] != args.warmup_steps:
                raise SystemExit(f"--partial {args.partial}: seed {row['seed']} was run with other settings")
            if row["seed"] < args.seeds:
                done.add(row["seed"])
                seconds.append(row["seconds_per_round"])
                for name in per_seed:
                    per_seed[name].append(row[name])
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            if seed in done:
                continue
            rng = np.random.default_rng(seed)
            per_seed["uniform"].append(run_env(args.steps, args.batch, seed, lambda obs: tuple(
                random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng) for _ in range(args.batch))))
            out = Path(tmp) / f"teacher{seed}"
            start = time.perf_counter()
            summary = script["train"](script["parse"]([
                "--out", str(out), "--rounds", str(args.steps), "--prompts", "2", "--generations", str(args.batch // 2),
                "--warmup-steps", str(args.warmup_steps), "--eval-every", str(args.steps), "--seed", str(seed)]))
            seconds.append(summary["seconds_per_round"])
            per_seed["grpo"].append({"accuracy": summary["score"] / 100.0, "frontier_share": float(
                np.mean([h["frontier_share"] for h in summary["history"]])), "wall_s": time.perf_counter() - start})
            warmed = next((out / "cache").glob("tiny-*"))
            for name, path, env_seed in (("warmed", warmed, seed), ("transfer", out, seed + 1000)):
                teacher = LMProblemWriterTeacher(path=str(path))
                space = spaces.Tuple([spaces.Text(8, charset=ProblemWriterEnv(action="text").action_space[0]
                                                  .character_set)] * args.batch)
                teacher.reset(space, None, seed=seed)
                per_seed[name].append(run_env(args.steps, args.batch, env_seed, lambda obs: teacher.act(obs, {})))
            row = {k: v[-1] for k, v in per_seed.items()}
            print(seed, row, flush=True)
            if args.partial is not None:
                args.partial.parent.mkdir(parents=True, exist_ok=True)
                with args.partial.open("a") as f:
                    f.write(json.dumps({"seed": seed, "steps": args.steps, "batch": args.batch,
                                        "warmup_steps": args.warmup_steps,
                                        "seconds_per_round": seconds[-1], **row}) + "\n")
    summary = {}
    for name, rows in per_seed.items():
        for metric in ("accuracy", "frontier_share"):
            values = [r[metric] for r in rows]
            low, high = bootstrap_ci(values)
            summary[f"{name}_{metric}"] = round(float(np.mean(values)), 3)
            summary[f"{name}_{metric}_ci95"] = [round(low, 3), round(high, 3)]
    summary["grpo_seconds_per_teacher_step"] = round(float(np.mean(seconds)), 3)
    summary["student_steps"] = args.steps
    record(args.name, "grpo", summary, per_seed,
           notes=f"{args.steps} student steps x {args.batch} problems per condition (the prototype used 1,200); "
                 "grpo seconds include the student's SFT step and one GRPO update; 'transfer' is the frozen trained "
                 "teacher on a new student (student seed + 1000)")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
