"""What the warmed and the GRPO-trained LM teachers of a ``bench_lm_teacher.py --partial`` run try to write.

Samples ``--batches`` batches of ``--batch`` problems from each seed's warmed
teacher (``teacher<seed>/cache/tiny-*``) and trained teacher (``teacher<seed>``)
on the prompt of a fresh LMProblemWriter-v1 student, and counts per skill the
valid problems and the invalid *attempts*, an invalid string assigned to the
skill it looks like (``+``: add, ``-``: sub, a ``c:`` / ``r:`` / ``h:`` prefix:
cpy / rev / hash; anything else: other). For sub, an attempt whose operands
are in the wrong order (``a < b`` read little-endian) is invalid, so a teacher
that has not learnt the order pays the invalid penalty on many sub attempts.

    python benchmarks/bench_lm_teacher_attempts.py --teachers runs/lm_teacher_v1_probe_gain --seeds 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv  # noqa: E402

KINDS = (*SKILLS, "other")


def attempted(problem: str) -> str:
    """The skill an invalid problem string looks like (``"other"`` if none)."""
    if "+" in problem:
        return "add"
    if "-" in problem:
        return "sub"
    prefix = {"c:": "cpy", "r:": "rev", "h:": "hash"}
    return prefix.get(problem[:2], "other")


def count(path: Path, seed: int, batches: int, batch: int) -> dict:
    """Valid problems per skill and invalid attempts per skill of ``batches`` batches from the teacher at ``path``."""
    from gymnasium import spaces

    from teachgym.teachers.grpo.lm_problem_writer import LMProblemWriterTeacher

    env = ProblemWriterEnv(action="text", observation="text", batch_size=batch, eval_every=10**6)
    obs, _ = env.reset(seed=seed)
    teacher = LMProblemWriterTeacher(path=str(path))
    teacher.reset(spaces.Tuple([spaces.Text(8, charset=env.action_space[0].character_set)] * batch), None, seed=seed)
    valid, invalid = dict.fromkeys(KINDS, 0), dict.fromkeys(KINDS, 0)
    for _ in range(batches):
        for problem in teacher.act(obs, {}):
            solved = env.space.solve(problem)
            if solved is None:
                invalid[attempted(problem)] += 1
            else:
                valid[solved[0]] += 1
    total = batches * batch
    return {"valid_share": {k: valid[k] / total for k in KINDS}, "invalid_share": {k: invalid[k] / total for k in KINDS},
            "invalid_rate_of_attempts": {k: invalid[k] / max(1, valid[k] + invalid[k]) for k in KINDS}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teachers", type=Path, required=True, help="the folder of teacher<seed> folders")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--name", default="lm_teacher_attempts")
    args = parser.parse_args(argv)
    pin_one_thread()
    per_seed = {"warmed": [], "trained": []}
    for seed in range(args.seeds):
        base = args.teachers / f"teacher{seed}"
        per_seed["warmed"].append(count(next((base / "cache").glob("tiny-*")), seed, args.batches, args.batch))
        per_seed["trained"].append(count(base, seed, args.batches, args.batch))
    summary = {f"{who}_{metric}": {k: round(float(np.mean([r[metric][k] for r in rows])), 3) for k in KINDS}
               for who, rows in per_seed.items() for metric in rows[0]}
    record(args.name, "grpo", summary, per_seed,
           notes=f"teachers of {args.teachers} (bench_lm_teacher.py --partial); {args.batches} x {args.batch} sampled "
                 "problems per teacher on a fresh student's prompt; shares of all sampled problems, and per skill "
                 "the invalid share of its attempts (an invalid string counted for the skill it looks like)")
    for key, value in summary.items():
        print(key, value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
