"""ALP-GMM (and the other continuous teachers) on ToyCurriculum-v0 at the paper's settings.

Measures % of cells mastered after 20,000 episodes and the wall time of the whole
run (env stepping through the Gymnasium API + the teacher), per seed.

    python benchmarks/bench_toy_alpgmm.py --seeds 5 --teachers random,alp-gmm

Reference: teachDeepRL's ALP-GMM takes about 10 s per 20k-episode
run on this 2-core machine with BLAS pinned to one thread (15-18 s under load),
and masters 36-38 % (random ~4 %).
"""

from __future__ import annotations

import argparse
import statistics

from _common import machine, pin_one_thread, record

REFERENCE_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--teachers", default="random,alp-gmm,covar-gmm,riac,easy-to-hard")
    parser.add_argument("--env", default="teachgym/ToyCurriculum-v0")
    parser.add_argument("--teacher-kwarg", action="append", metavar="KEY=VALUE")
    args = parser.parse_args()
    pin_one_thread()
    import teachgym
    from teachgym.cli import parse_kwargs

    teacher_kwargs = parse_kwargs(args.teacher_kwarg, "--teacher-kwarg")
    print(f"machine: {machine()}")
    print(f"env: {args.env} (defaults: 10 cells x 2 dims, 20,000 episodes)\n")
    print("| teacher | % mastered per seed | mean ± std | s/run (mean, min) | speed-up vs 10 s |")
    print("|---|---|---|---|---|")
    summary, per_seed = {}, {}
    for name in args.teachers.split(","):
        teachgym.run(args.env, name, seed=10_000, n_steps=2000, teacher_kwargs=teacher_kwargs)  # warm imports
        results = [teachgym.run(args.env, name, seed=s, teacher_kwargs=teacher_kwargs) for s in range(args.seeds)]
        scores = [r.score for r in results]
        times = [r.wall_time for r in results]
        spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
        print(f"| {name} | {', '.join(f'{s:.0f}' for s in scores)} | {statistics.mean(scores):.1f} ± {spread:.1f} "
              f"| {statistics.mean(times):.3f}, {min(times):.3f} | {REFERENCE_SECONDS / statistics.mean(times):.1f}x |",
              flush=True)
        summary[name] = {"% mastered": {"mean": statistics.mean(scores), "std": spread},
                         "s/run (mean)": statistics.mean(times), "s/run (min)": min(times),
                         "speed-up vs 10 s": REFERENCE_SECONDS / statistics.mean(times)}
        per_seed[name] = scores
    variant = "".join(f"_{key}" for key in sorted(teacher_kwargs))
    record(f"toy_alpgmm{variant}", "curriculum", summary, {"% mastered": per_seed},
           notes=f"{args.env}, 20,000 episodes per run; speed-up = 10 s (teachDeepRL's time per run) / our mean "
                 f"time; teacher kwargs {teacher_kwargs or 'none'}")


if __name__ == "__main__":
    main()
