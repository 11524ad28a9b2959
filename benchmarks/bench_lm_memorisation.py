"""Memorisation vs generalisation of LMProblemWriter-v0's student, per skill.

A student trained ``--steps`` steps on uniformly random problems (all skills,
the env's defaults) is measured per skill on its *training pool* (every valid
problem that is not held out) and on the held-out test problems: greedy
accuracy and mean learnability ``p (1 - p)``. A skill whose training-pool
accuracy is far above its held-out accuracy is memorised, not learned; an item
score computed on training problems (what the teacher is rewarded with)
rewards memorising it, the hash distractor included.

With ``--teachers`` (folders saved by ``scripts/train_lm_teacher.py``, e.g. the
ones ``bench_lm_teacher.py --partial`` keeps), each teacher's skill histogram
over ``--samples`` problems written for a fresh student's prompt is recorded
next to that of its warmed (untrained) starting point.

    python benchmarks/bench_lm_memorisation.py --seeds 3 --steps 600
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import (  # noqa: E402
    SKILLS, ProblemWriterEnv, all_problems, random_problem, solve)


def measure(seed: int, steps: int) -> dict:
    env = ProblemWriterEnv(n_steps=steps, action="text", eval_every=steps)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        batch = []
        while len(batch) < env.batch_size:
            problem = random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
            if problem not in env._held_out:
                batch.append(problem)
        env.step(tuple(batch))
    out = {}
    for skill in SKILLS:
        pool = [(p, solve(p)[1]) for p in all_problems(skill) if p not in env._held_out]
        for name, items in (("train_pool", pool), ("held_out", env.test[skill])):
            p, correct = env.student.probabilities(items)
            out[f"{skill}_{name}_accuracy"] = float(correct.mean())
            out[f"{skill}_{name}_learnability"] = float((p * (1.0 - p)).mean())
    return out


def histograms(folders: list[Path], samples: int) -> dict:
    from gymnasium import spaces

    from teachgym.teachers.grpo.lm_problem_writer import LMProblemWriterTeacher

    env = ProblemWriterEnv(action="text", observation="text")
    obs, _ = env.reset(seed=0)
    charset = env.action_space[0].character_set
    out = {}
    for folder in folders:
        for name, path in (("warmed", next((folder / "cache").glob("tiny-*"))), ("trained", folder)):
            teacher = LMProblemWriterTeacher(path=str(path))
            teacher.reset(spaces.Tuple([spaces.Text(8, charset=charset)] * samples), None, seed=0)
            counts = collections.Counter((solve(p) or ("invalid",))[0] for p in teacher.act(obs, {}))
            out[f"{folder.name}_{name}"] = {k: counts.get(k, 0) / samples for k in (*SKILLS, "invalid")}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--teachers", type=Path, nargs="*", default=[], help="saved LM teacher folders")
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args(argv)
    pin_one_thread()
    rows = [measure(seed, args.steps) for seed in range(args.seeds)]
    summary = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        low, high = bootstrap_ci(values)
        summary[key] = {"mean": round(float(np.mean(values)), 3), "ci95": [round(low, 3), round(high, 3)]}
    if args.teachers:
        summary["teacher_skill_share"] = histograms(args.teachers, args.samples)
    print(summary)
    record("lm_memorisation", "grpo", summary, rows,
           notes=f"LMProblemWriter-v0 defaults; {args.steps} student steps on uniformly random problems; train pool = "
                 f"valid problems not held out; learnability p(1-p) at the env's temperature 0.3; teacher skill "
                 f"shares over {args.samples} problems written for a fresh student (seed 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
