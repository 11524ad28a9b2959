"""Scale of LMProblemWriter-v1's ``probe_gain`` item scores on a uniform student, per skill and over time.

A uniform writer (a random skill per problem, the distractor included) trains
the default student for ``--steps`` steps with ``item_score="probe_gain"``.
Every step's probe gain of each practised skill (the sum of its items' scores)
is collected; per window of ``--window`` steps the record gives, per skill,
the mean gain, the mean |gain|, the share of steps with a positive gain and the
probes' mean ``p`` (and mean log-probability at temperature 1) at the window's
end. ``--probe-measure logp`` measures the gains as changes of the probes'
log-probability of answer + eos at temperature 1 instead of ``p`` (the env's
``probe_measure``); ``--probe-measure both`` runs both. The invalid-problem penalty (0.1 by
default) is the scale these numbers compete with in a GRPO group, whose
advantages are normalised by the group's spread.

    python benchmarks/bench_lm_probe_gain_scale.py --steps 1200 --seeds 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv  # noqa: E402


def run(seed: int, steps: int, batch: int, window: int, measure: str = "p") -> list[dict]:
    """The per-window statistics of one uniform run (see the module docstring)."""
    env = ProblemWriterEnv(n_steps=steps, action="text", batch_size=batch, item_score="probe_gain", eval_every=steps,
                           probe_measure=measure)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    gains = np.full((steps, len(SKILLS)), np.nan)  # nan: the skill was not practised that step
    rows = []
    for t in range(steps):
        batch_problems = tuple(env.space.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
                               for _ in range(batch))
        _, _, _, _, info = env.step(batch_problems)
        scores = np.asarray(info["item_scores"])[np.asarray(info["problem_valid"])]
        skills = [env.space.solve(p)[0] for p, ok in zip(batch_problems, info["problem_valid"]) if ok]
        for i, s in enumerate(SKILLS):
            mine = [x for x, k in zip(scores, skills) if k == s]
            if mine:
                gains[t, i] = float(np.sum(mine))
        if (t + 1) % window == 0:
            part = gains[t + 1 - window:t + 1]
            p, logp = env.probe_probability(), env.probe_log_probability()
            rows.append({"steps": t + 1, **{s: {
                "mean_gain": float(np.nanmean(part[:, i])), "mean_abs_gain": float(np.nanmean(np.abs(part[:, i]))),
                "positive_share": float(np.nanmean(part[:, i] > 0) if np.any(~np.isnan(part[:, i])) else np.nan),
                "probe_p": float(p[i]), "probe_logp": float(logp[i])} for i, s in enumerate(SKILLS)}})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--probe-measure", choices=("p", "logp", "both"), default="p",
                        help="the env's probe_measure: gains as changes of the probes' p or log-probability (both: "
                             "the same uniform student measured each way, recorded side by side)")
    parser.add_argument("--name", default="lm_probe_gain_scale")
    args = parser.parse_args(argv)
    pin_one_thread()
    measures = ("p", "logp") if args.probe_measure == "both" else (args.probe_measure,)
    per_seed, summary = {}, {}
    for measure in measures:
        per_seed[measure] = [run(seed, args.steps, args.batch, args.window, measure) for seed in range(args.seeds)]
        part = summary.setdefault(measure, {}) if len(measures) > 1 else summary
        for rows in zip(*per_seed[measure]):
            part[f"steps_{rows[0]['steps']}"] = {s: {k: float(f"{np.nanmean([r[s][k] for r in rows]):.3g}")
                                                     for k in rows[0][s]} for s in SKILLS}
    record(args.name, "grpo", summary, per_seed if len(measures) > 1 else per_seed[measures[0]],
           notes=f"LMProblemWriter-v1 defaults, item_score=probe_gain, probe_measure {' and '.join(measures)} "
                 f"(gain: change of the probes' p, or of their log-probability at temperature 1), "
                 f"uniform writer, batch {args.batch}; per window "
                 f"of {args.window} steps and skill: mean and mean |probe gain| of a step (the sum of the skill's "
                 "item scores), share of steps with a positive gain, probes' mean p and logp at the window's end; "
                 f"mean over {args.seeds} seed(s); compare with invalid_penalty 0.1")
    for key, value in summary.items():
        print(key, value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
