"""Cost of LMProblemWriter-v1's item scores: seconds per env step and per GRPO reward call, interleaved.

For each item score (learnability, gain, probe_gain) one env (text actions,
``--batch`` problems, the default student) is warmed by ``--warm`` uniform
steps; then ``--reps`` rounds time, in turn for every score, ``--steps`` env
steps on uniform batches and as many calls of the GRPO teacher's reward
(``scripts/train_lm_teacher.py:ItemScoreReward``, which measures gain and
probe_gain by a trial student step that it undoes) on the same batches. The
medians over rounds and their ratios to ``gain`` are recorded; the ratios are
what to read on a shared machine.

    python benchmarks/bench_lm_item_score_cost.py --reps 5 --steps 20
"""

from __future__ import annotations

import argparse
import runpy
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCORES = ("learnability", "gain", "probe_gain")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--warm", type=int, default=50, help="uniform steps before timing")
    parser.add_argument("--reps", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--steps", type=int, default=20, help="env steps (and reward calls) per score per round")
    parser.add_argument("--name", default="lm_item_score_cost")
    args = parser.parse_args(argv)
    pin_one_thread()
    script = runpy.run_path(str(ROOT / "scripts" / "train_lm_teacher.py"))
    envs, rewards, rngs = {}, {}, {}
    for score in SCORES:
        env = ProblemWriterEnv(n_steps=args.warm + args.reps * args.steps + 1, action="text", batch_size=args.batch,
                               item_score=score, eval_every=10**6)
        env.reset(seed=0)
        rngs[score] = np.random.default_rng(1)
        envs[score], rewards[score] = env, script["ItemScoreReward"](env)

    def batch(score):
        rng = rngs[score]
        return tuple(envs[score].space.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
                     for _ in range(args.batch))

    for score in SCORES:
        for _ in range(args.warm):
            envs[score].step(batch(score))
    step_s = {s: [] for s in SCORES}
    reward_s = {s: [] for s in SCORES}
    for _ in range(args.reps):
        for score in SCORES:
            batches = [batch(score) for _ in range(args.steps)]
            start = time.perf_counter()
            for b in batches:
                rewards[score](completions=list(b))
            reward_s[score].append((time.perf_counter() - start) / args.steps)
            start = time.perf_counter()
            for b in batches:
                envs[score].step(b)
            step_s[score].append((time.perf_counter() - start) / args.steps)
    summary = {}
    for score in SCORES:
        summary[f"{score}_env_step_ms"] = round(1e3 * float(np.median(step_s[score])), 2)
        summary[f"{score}_reward_call_ms"] = round(1e3 * float(np.median(reward_s[score])), 2)
        summary[f"{score}_env_step_vs_gain"] = round(float(np.median(step_s[score]) / np.median(step_s["gain"])), 2)
        summary[f"{score}_reward_call_vs_gain"] = round(
            float(np.median(reward_s[score]) / np.median(reward_s["gain"])), 2)
    record(args.name, "grpo", summary, {"env_step_s": step_s, "reward_call_s": reward_s},
           notes=f"LMProblemWriter-v1 defaults, text actions, batch {args.batch}, {args.warm} uniform warm-up steps; "
                 f"median over {args.reps} interleaved rounds of {args.steps} env steps and {args.steps} GRPO reward "
                 "calls per score; one thread; shared 2-core machine: read the ratios to gain")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
