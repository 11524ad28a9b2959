"""Classic teachers on LMProblemWriter-v1 in skill mode (a batch of one skill per step) vs mixed uniform problems.

Every row trains a fresh student of ``teachgym/LMProblemWriter-v1`` at its
registered defaults (``action="skill"``: ``Discrete(5)`` over add, sub, cpy, rev
and the unlearnable distractor hash; 16 problems per step) for ``--steps``
steps, seeds 0..``--seeds``-1. Rows:

- registered teachers (``random``, ``ucb``, ``exp3``, ``tscl-window``, ``sec``,
  ``dump``, ``learnability``) at their defaults, seeded as :func:`teachgym.run`
  seeds them (env ``reset(seed=s)``, teacher ``teacher_seed(s)``);
- ``ucb/probe-logp``, ``exp3/probe-logp``: the same teachers on the env with
  ``item_score="probe_gain", probe_measure="logp"`` (their reward signal is the
  held-out probes' log-probability gain of the skill practised), with
  ``mixed-uniform/probe-logp`` and ``random/probe-logp`` as their matched
  baselines (the probes are held out from training, so the problems practised
  differ from the default env's even for a teacher that ignores rewards);
- ``mixed-uniform``: text mode, every problem of a uniformly random skill, the
  ``uniform`` condition of ``benchmarks/bench_lm_teacher.py`` (its code, so the
  numbers are comparable with that record);
- ``no-hash-round-robin``: skill mode cycling add, sub, cpy, rev (a privileged
  reference that knows which skill is the distractor).

Recorded per row: the env's score as a fraction (mean held-out greedy exact-match
accuracy of add, sub, cpy, rev; 0..1) with a bootstrap 95 % CI over seeds, the
final held-out accuracy per skill, the share of problems per skill over the whole
run and its last quarter, and wall seconds per run.

    nice -n 19 python benchmarks/bench_lm_skill_teachers.py --jobs 2 --partial runs/lm_skill_teachers.jsonl

``--partial`` appends one JSON line per finished (row, seed) and skips those
already there; the record is written only when every requested (row, seed) is done.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from argparse import Namespace
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

ENV_ID = "teachgym/LMProblemWriter-v1"
PROBE_LOGP = {"item_score": "probe_gain", "probe_measure": "logp"}
LEARNABLE = ("add", "sub", "cpy", "rev")
# row name -> (registered teacher or a reference, env kwargs beyond n_steps); the run order: a cut run keeps the
# rows listed first complete
ROWS: dict[str, tuple[str, dict]] = {
    "mixed-uniform": ("mixed-uniform", {}),
    "random": ("random", {}),
    "ucb": ("ucb", {}),
    "exp3": ("exp3", {}),
    "learnability": ("learnability", {}),
    "no-hash-round-robin": ("no-hash-round-robin", {}),
    "ucb/probe-logp": ("ucb", PROBE_LOGP),
    "exp3/probe-logp": ("exp3", PROBE_LOGP),
    "mixed-uniform/probe-logp": ("mixed-uniform", PROBE_LOGP),
    "random/probe-logp": ("random", PROBE_LOGP),
    "tscl-window": ("tscl-window", {}),
    "sec": ("sec", {}),
    "dump": ("dump", {}),
}


def _shares(histograms: list[dict], steps: int) -> dict:
    """Share of the valid problems per skill over all steps and over the last quarter."""
    from bench_lm_teacher import shares

    return shares(histograms, steps)


class _EnvDefaults(Namespace):
    """``bench_lm_teacher``'s arguments: the given ones, and the env's default for every other env setting."""

    def __init__(self, defaults: dict, **given):
        super().__init__(**given)
        self._defaults = defaults

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_defaults"][name]
        except KeyError:
            raise AttributeError(name) from None


def run_mixed_uniform(seed: int, steps: int, env_kwargs: dict) -> dict:
    """``bench_lm_teacher``'s ``uniform`` condition: text mode, each problem of a uniformly random skill."""
    import bench_lm_teacher

    args = _EnvDefaults(bench_lm_teacher.ENV_DEFAULTS, steps=steps, batch=bench_lm_teacher.ENV_DEFAULTS["batch_size"],
                        **env_kwargs)
    result = bench_lm_teacher.run_condition("uniform", seed, args, Path(tempfile.gettempdir()), None)
    return {"score": result["accuracy"], "accuracy_per_skill": result["accuracy_per_skill"],
            "skill_share": result["skill_share"], "frontier_share": result["frontier_share"]}


def run_skill_mode(teacher: str, seed: int, steps: int, env_kwargs: dict) -> dict:
    """One episode in skill mode, seeded as :func:`teachgym.run` seeds it.

    A loop of its own rather than :func:`teachgym.run`: it keeps every step's skill histogram and frontier
    share, which a ``RunResult`` does not, and it plays the round-robin reference, which is no teacher.
    """
    import gymnasium as gym

    import teachgym  # noqa: F401  (registers the envs)
    from teachgym.envs.grpo.problem_writer import SKILLS
    from teachgym.loop import teacher_seed
    from teachgym.registry import make_teacher

    env = gym.make(ENV_ID, n_steps=steps, **env_kwargs)
    obs, info = env.reset(seed=seed)
    if teacher == "no-hash-round-robin":
        order = [SKILLS.index(s) for s in LEARNABLE]
        agent = None
    else:
        agent = make_teacher(teacher)
        agent.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
    histograms, frontier, curve = [], [], [(0, float(info["score"]))]
    for t in range(steps):
        action = order[t % len(order)] if agent is None else agent.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        if agent is not None:
            agent.update(action, reward, obs, info)
        histograms.append(info["skill_histogram"])
        frontier.append(info["frontier_share"])
        if "score" in info:
            curve.append((t + 1, round(float(info["score"]), 2)))
        if terminated or truncated:
            break
    unwrapped = env.unwrapped
    out = {"score": unwrapped.score() / 100.0,
           "accuracy_per_skill": dict(zip(SKILLS, unwrapped.accuracy.tolist())),
           "skill_share": _shares(histograms, steps), "frontier_share": float(np.mean(frontier)), "curve": curve}
    env.close()
    return out


def _prepare_process() -> None:
    """One torch thread, and the one-time costs (imports, the first student built) paid before any run is timed."""
    pin_one_thread()
    import bench_lm_teacher  # noqa: F401
    import gymnasium

    import teachgym  # noqa: F401
    from teachgym.registry import env_meta
    from teachgym.teachers.grpo import lm_problem_writer  # noqa: F401

    gymnasium.make(ENV_ID, **env_meta(ENV_ID).smoke).reset(seed=0)


def run_row(row: str, seed: int, steps: int) -> dict:
    """One (row, seed); adds ``wall_s``."""
    teacher, env_kwargs = ROWS[row]
    start = time.perf_counter()
    if teacher == "mixed-uniform":
        result = run_mixed_uniform(seed, steps, env_kwargs)
    else:
        result = run_skill_mode(teacher, seed, steps, env_kwargs)
    return {**result, "wall_s": round(time.perf_counter() - start, 1)}


def summarize(per_seed: dict[str, list[dict]]) -> dict:
    """Mean and bootstrap CI of the score, mean per-skill accuracy and shares, mean wall seconds, per row."""
    from teachgym.envs.grpo.problem_writer import SKILLS

    summary = {}
    for row, results in per_seed.items():
        scores = [r["score"] for r in results]
        low, high = bootstrap_ci(scores)
        summary[f"{row}_score"] = round(float(np.mean(scores)), 3)
        summary[f"{row}_score_ci95"] = [round(low, 3), round(high, 3)]
        summary[f"{row}_accuracy_per_skill"] = {
            s: round(float(np.mean([r["accuracy_per_skill"][s] for r in results])), 3) for s in SKILLS}
        for part in ("all", "last_quarter"):
            summary[f"{row}_skill_share_{part}"] = {
                s: round(float(np.mean([r["skill_share"][part][s] for r in results])), 3) for s in SKILLS}
        summary[f"{row}_wall_s"] = round(float(np.mean([r["wall_s"] for r in results])), 1)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--teachers", default=",".join(ROWS), help=f"comma-separated rows of: {', '.join(ROWS)}")
    parser.add_argument("--jobs", type=int, default=1, help="processes, one torch thread each")
    parser.add_argument("--partial", type=Path, default=None,
                        help="JSON-lines file of finished (row, seed) results: appended to, and those skipped")
    parser.add_argument("--no-record", action="store_true", help="print the summary, write no record")
    args = parser.parse_args(argv)
    rows = [r.strip() for r in args.teachers.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"--teachers: unknown rows {unknown}; allowed: {', '.join(ROWS)}")
    if args.steps < 1 or args.seeds < 1 or args.jobs < 1:
        parser.error("--steps, --seeds and --jobs must be >= 1")
    _prepare_process()
    done: dict[tuple[str, int], dict] = {}
    if args.partial is not None and args.partial.exists():
        for line in args.partial.read_text().splitlines():
            entry = json.loads(line)
            if entry["steps"] != args.steps:
                raise SystemExit(f"--partial {args.partial}: {entry['row']} seed {entry['seed']} ran "
                                 f"{entry['steps']} steps, not {args.steps}")
            done[entry["row"], entry["seed"]] = entry["result"]
    todo = [(row, seed) for row in rows for seed in range(args.seeds) if (row, seed) not in done]
    start = time.perf_counter()

    def finish(row: str, seed: int, result: dict) -> None:
        done[row, seed] = result
        print(f"{time.perf_counter() - start:7.0f}s {row} seed {seed}: score {result['score']:.3f} "
              f"wall {result['wall_s']}s", flush=True)
        if args.partial is not None:
            args.partial.parent.mkdir(parents=True, exist_ok=True)
            with args.partial.open("a") as f:
                f.write(json.dumps({"row": row, "seed": seed, "steps": args.steps, "result": result}) + "\n")

    if args.jobs == 1:
        for row, seed in todo:
            finish(row, seed, run_row(row, seed, args.steps))
    else:
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn"),
                                 initializer=_prepare_process) as pool:
            futures = {pool.submit(run_row, row, seed, args.steps): (row, seed) for row, seed in todo}
            for future in as_completed(futures):
                finish(*futures[future], future.result())
    per_seed = {row: [done[row, seed] for seed in range(args.seeds)] for row in rows}
    summary = {**summarize(per_seed), "student_steps": args.steps, "seeds": args.seeds,
               "score_unit": "fraction of held-out add/sub/cpy/rev problems answered exactly (greedy), 0..1"}
    print(json.dumps(summary, indent=1))
    if not args.no_record:
        record("lm_skill_teachers", "grpo", summary, per_seed,
               notes=f"{ENV_ID} at its defaults (skill mode, 16 problems per step, item_score learnability) with "
                     f"n_steps={args.steps}; '/probe-logp' rows: item_score=probe_gain, probe_measure=logp; "
                     "mixed-uniform: bench_lm_teacher's uniform condition (text mode, a random skill per problem); "
                     "no-hash-round-robin: add, sub, cpy, rev in turn (privileged: skips the distractor); teachers "
                     "seeded as teachgym.run seeds them; CIs: bootstrap over seeds; wall_s per run on a shared "
                     f"2-core machine, {args.jobs} processes of one torch thread")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
