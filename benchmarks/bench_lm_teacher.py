"""LM problem writers on LMProblemWriter-v1: uniform vs warmed (untrained) vs GRPO-trained teacher, compute-matched.

Every condition trains a fresh student for ``--steps`` SFT steps of ``--batch``
problems each (the same student compute):

- ``uniform``: each problem from a uniformly random skill (the hash distractor included);
- ``warmed``: sampled from the teacher LM after its SFT warm-up (imitating uniform);
- ``grpo``: the teacher trained by GRPO online on this student's item scores
  (``scripts/train_lm_teacher.py``), the student learning from its samples;
- ``transfer``: that trained teacher, frozen, teaching a new student (seed + 1000);
- ``uniform_transfer``: uniform problems for the students of ``transfer`` (their seeds).

With ``--students N`` the GRPO teacher is trained against a population of
students at staggered stages for ``--teacher-rounds`` rounds
(``train_lm_teacher.py --students``): ``grpo`` is then the mean over the students
it taught from their first step to their last, each for ``--steps`` steps.

Reported per condition: target-skill accuracy (the env's score / 100), frontier
share (problems whose p is in [0.1, 0.9]), and for ``grpo`` seconds per teacher
GRPO step (including the student's step), with 95 % bootstrap CIs over seeds;
and paired by student seed, the accuracy of ``grpo`` minus ``uniform`` and of
``transfer`` minus ``uniform_transfer`` (the same students, taught otherwise).

    python benchmarks/bench_lm_teacher.py --steps 1200 --seeds 3 --partial runs/lm_teacher_1200.jsonl

``--partial`` appends each finished (seed, condition) row to a JSON-lines file
and skips the rows already there (the trained teachers are kept beside it), so
a long run can be split over several invocations; the record is written from
all the rows.
"""

from __future__ import annotations

import argparse
import inspect
import json
import runpy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import ITEM_SCORE_NAMES, SKILLS, ProblemSpace, ProblemWriterEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONDITIONS = ("uniform", "grpo", "warmed", "transfer", "uniform_transfer")
ENV_DEFAULTS = {k: p.default for k, p in inspect.signature(ProblemWriterEnv).parameters.items()}
TEACHER_DEFAULTS = {"teacher_lr": 1e-4, "teacher_beta": 0.04}  # scripts/train_lm_teacher.py's --lr and --beta


def run_env(steps: int, batch: int, seed: int, write, env_kwargs: dict) -> dict:
    """Train a fresh student with batches from ``write(obs)``; its accuracy and frontier share (all, last quarter)."""
    env = ProblemWriterEnv(n_steps=steps, action="text", observation="text", batch_size=batch, **env_kwargs)
    obs, _ = env.reset(seed=seed)
    frontier, skills, valid = [], [], []
    for _ in range(steps):
        obs, _, _, _, info = env.step(write(obs))
        frontier.append(info["frontier_share"])
        skills.append(info["skill_histogram"])
        valid.append(float(np.mean(info["problem_valid"])))
    return {"accuracy": env.score() / 100.0, "frontier_share": float(np.mean(frontier)),
            "frontier_share_last_quarter": float(np.mean(frontier[-max(1, steps // 4):])),
            "accuracy_per_skill": dict(zip(SKILLS, env.accuracy.tolist())), "skill_share": shares(skills, steps),
            "valid_share": float(np.mean(valid))}


def shares(histograms: list[dict], steps: int) -> dict:
    """Share of the valid problems per skill, over all steps and over the last quarter."""
    out = {}
    for name, part in (("all", histograms), ("last_quarter", histograms[-max(1, steps // 4):])):
        total = {s: sum(h[s] for h in part) for s in SKILLS}
        out[name] = {s: total[s] / max(1, sum(total.values())) for s in SKILLS}
    return out


def run_condition(name: str, seed: int, args, work: Path, script) -> dict:
    """One condition of one seed (``grpo`` trains the teacher that ``warmed`` and ``transfer`` need)."""
    from gymnasium import spaces

    from teachgym.teachers.grpo.lm_problem_writer import LMProblemWriterTeacher

    out = work / f"teacher{seed}"
    env_kwargs = {"digits": args.digits, "word_length": args.word_length, "invalid_penalty": args.invalid_penalty,
             "item_score": args.item_score, "probe_window": args.probe_window, "probe_measure": args.probe_measure,
             "probe_progress": args.probe_progress, "ucb_c": args.ucb_c, "replay_by_skill": args.replay_by_skill,
             "eval_every": args.eval_every or args.steps}
    if name in ("uniform", "uniform_transfer"):
        env_seed = seed if name == "uniform" else seed + 1000
        rng, problems = np.random.default_rng(env_seed), ProblemSpace(digits=args.digits, word_length=args.word_length)
        return run_env(args.steps, args.batch, env_seed, lambda obs: tuple(
            problems.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng) for _ in range(args.batch)), env_kwargs)
    if name == "grpo":
        summary = script["train"](script["parse"]([
            "--out", str(out), "--rounds", str(args.teacher_rounds), "--prompts", "2",
            "--generations", str(args.batch // 2), "--warmup-steps", str(args.warmup_steps),
            "--eval-every", str(env_kwargs["eval_every"]), "--seed", str(seed),
            "--digits", str(args.digits), "--word-length", str(args.word_length),
            "--invalid-penalty", str(args.invalid_penalty), "--item-score", args.item_score,
            "--probe-window", str(args.probe_window), "--probe-measure", args.probe_measure,
            "--probe-progress", args.probe_progress, "--ucb-c", repr(args.ucb_c), "--lr", str(args.teacher_lr),
            "--beta", str(args.teacher_beta)]
            + (["--replay-by-skill"] if args.replay_by_skill else [])
            + (["--students", str(args.students), "--student-steps", str(args.steps)] if args.students > 1 else [])))
        frontier = [h["frontier_share"] for h in summary["history"]]
        if summary["score"] is None:
            raise SystemExit(f"seed {seed}: no student finished its {args.steps} steps in {args.teacher_rounds} "
                             f"rounds; raise --teacher-rounds")
        population = {"lives": summary["lives"]} if args.students > 1 else {}
        return {"accuracy": summary["score"] / 100.0, "frontier_share": float(np.mean(frontier)), **population,
                "frontier_share_last_quarter": float(np.mean(frontier[-max(1, args.steps // 4):])),
                "seconds_per_round": summary["seconds_per_round"],
                "accuracy_per_skill": summary["accuracy_per_skill"],
                "skill_share": shares([h["skills"] for h in summary["history"]], args.steps),
                "valid_share": float(np.mean([h["valid"] for h in summary["history"]])),
                "kl_last_quarter": float(np.nanmean([h["kl"] for h in summary["history"][-max(1, args.steps // 4):]]))}
    path, env_seed = (next((out / "cache").glob("tiny-*")), seed) if name == "warmed" else (out, seed + 1000)
    teacher = LMProblemWriterTeacher(path=str(path))
    action_space = spaces.Tuple([spaces.Text(8, charset=ProblemWriterEnv(action="text").action_space[0].character_set)]
                                * args.batch)
    teacher.reset(action_space, None, seed=seed)
    return run_env(args.steps, args.batch, env_seed, lambda obs: teacher.act(obs, {}), env_kwargs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--digits", type=int, default=2, help="operand digits of add / sub (1: v0's problems)")
    parser.add_argument("--word-length", type=int, default=5, help="letters of cpy / rev / hash words (3: v0's)")
    parser.add_argument("--invalid-penalty", type=float, default=ENV_DEFAULTS["invalid_penalty"],
                        help="the env's invalid_penalty, for the GRPO teacher's reward and every student env")
    parser.add_argument("--item-score", choices=ITEM_SCORE_NAMES,
                        default=ENV_DEFAULTS["item_score"],
                        help="the env's item score: the GRPO teacher's reward and every student env's")
    parser.add_argument("--probe-window", type=int, default=ENV_DEFAULTS["probe_window"],
                        help="the env's probe_window (probe_gain: mean of a skill's last this many step gains)")
    parser.add_argument("--probe-measure", choices=("p", "logp"), default=ENV_DEFAULTS["probe_measure"],
                        help="the env's probe_measure (probe_gain: change of the probes' p, or of their logp)")
    parser.add_argument("--probe-progress", choices=("signed", "absolute"), default=ENV_DEFAULTS["probe_progress"],
                        help="the env's probe_progress (probe_gain: each skill's step gain, or its absolute value)")
    parser.add_argument("--replay-by-skill", action="store_true",
                        help="the env's replay_by_skill: the students replay evenly across the skills taught")
    parser.add_argument("--ucb-c", type=float, default=ENV_DEFAULTS["ucb_c"],
                        help="the env's ucb_c (skill_ucb: the index's exploration constant; default the ucb teacher's)")
    parser.add_argument("--teacher-lr", type=float, default=TEACHER_DEFAULTS["teacher_lr"],
                        help="the GRPO teacher's learning rate (train_lm_teacher.py's --lr)")
    parser.add_argument("--teacher-beta", type=float, default=TEACHER_DEFAULTS["teacher_beta"],
                        help="the GRPO teacher's KL weight to the warmed teacher (train_lm_teacher.py's --beta, > 0)")
    parser.add_argument("--students", type=int, default=1,
                        help="students the GRPO teacher is trained against at once, at staggered stages "
                             "(train_lm_teacher.py --students); grpo: the mean over those it taught throughout")
    parser.add_argument("--teacher-rounds", type=int, default=None,
                        help="with --students > 1: the teacher's GRPO rounds (default: --steps)")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="the envs' eval_every: how often the accuracy in the teacher's prompt is measured "
                             "(default: --steps, once at the end)")
    parser.add_argument("--partial", type=Path, default=None,
                        help="JSON-lines file of finished (seed, condition) rows: appended to, and those rows "
                             "skipped; the trained teachers are kept in the folder of the same name")
    parser.add_argument("--only-seeds", default=None,
                        help="comma-separated seeds: run only their rows into --partial and write no record "
                             "(several processes, one per seed list, then one run without it writes the record)")
    parser.add_argument("--name", default="lm_teacher", help="result name (benchmarks/results/<name>.json)")
    args = parser.parse_args(argv)
    if not args.teacher_lr > 0:
        parser.error(f"--teacher-lr must be > 0, got {args.teacher_lr}")
    if not args.teacher_beta > 0:
        parser.error(f"--teacher-beta must be > 0 (the KL anchor to the warmed teacher), got {args.teacher_beta}")
    if args.students < 1:
        parser.error(f"--students must be >= 1, got {args.students}")
    if args.teacher_rounds is not None and (args.students == 1 or args.teacher_rounds < args.steps):
        parser.error(f"--teacher-rounds needs --students > 1 and at least --steps rounds, got {args.teacher_rounds}")
    if args.eval_every is not None and args.eval_every < 1:
        parser.error(f"--eval-every must be >= 1, got {args.eval_every}")
    args.teacher_rounds = args.teacher_rounds or args.steps
    only = None
    if args.only_seeds is not None:
        try:
            only = [int(x) for x in args.only_seeds.split(",")]
        except ValueError:
            parser.error(f"--only-seeds must be comma-separated integers, got {args.only_seeds!r}")
        if args.partial is None or not all(0 <= x < args.seeds for x in only):
            parser.error(f"--only-seeds needs --partial and seeds in [0, {args.seeds - 1}], got {args.only_seeds!r}")
    pin_one_thread()
    script = runpy.run_path(str(ROOT / "scripts" / "train_lm_teacher.py"))
    settings = {"steps": args.steps, "batch": args.batch, "warmup_steps": args.warmup_steps}
    if (args.digits, args.word_length) != (1, 3):  # rows of v0's problems carry no space fields
        settings.update(digits=args.digits, word_length=args.word_length)
    # rows run with the env's defaults carry no such fields
    for key in ("invalid_penalty", "item_score", "probe_window", "probe_measure", "probe_progress", "ucb_c",
                "replay_by_skill"):
        if getattr(args, key) != ENV_DEFAULTS[key]:
            settings[key] = getattr(args, key)
    for key, default in TEACHER_DEFAULTS.items():  # rows of the default teacher settings carry no such fields
        if getattr(args, key) != default:
            settings[key] = getattr(args, key)
    if args.students > 1:
        settings.update(students=args.students, teacher_rounds=args.teacher_rounds)
    if args.eval_every is not None:
        settings["eval_every"] = args.eval_every
    rows: dict[tuple[int, str], dict] = {}
    if args.partial is not None and args.partial.exists():
        for line in args.partial.read_text().splitlines():
            row = json.loads(line)
            if set(row) - {"seed", "condition", "result"} != set(settings) or {k: row[k] for k in settings} != settings:
                raise SystemExit(f"--partial {args.partial}: seed {row['seed']} was run with other settings")
            rows[row["seed"], row["condition"]] = row["result"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) if args.partial is None else args.partial.with_suffix("")
        for seed in range(args.seeds) if only is None else only:
            for name in CONDITIONS:
                if (seed, name) in rows:
                    continue
                start = time.perf_counter()
                result = {**run_condition(name, seed, args, work, script), "wall_s": time.perf_counter() - start}
                rows[seed, name] = result
                print(seed, name, result, flush=True)
                if args.partial is not None:
                    args.partial.parent.mkdir(parents=True, exist_ok=True)
                    with args.partial.open("a") as f:
                        f.write(json.dumps({"seed": seed, "condition": name, **settings, "result": result}) + "\n")
    if only is not None:
        return 0
    per_seed = {name: [rows[seed, name] for seed in range(args.seeds)] for name in CONDITIONS}
    summary = {}
    for name, results in per_seed.items():
        for metric in ("accuracy", "frontier_share", "frontier_share_last_quarter"):
            values = [r[metric] for r in results]
            low, high = bootstrap_ci(values)
            summary[f"{name}_{metric}"] = round(float(np.mean(values)), 3)
            summary[f"{name}_{metric}_ci95"] = [round(low, 3), round(high, 3)]
        if all("accuracy_per_skill" in r for r in results):
            summary[f"{name}_accuracy_per_skill"] = {
                s: round(float(np.mean([r["accuracy_per_skill"][s] for r in results])), 3) for s in SKILLS}
            summary[f"{name}_skill_share_last_quarter"] = {
                s: round(float(np.mean([r["skill_share"]["last_quarter"][s] for r in results])), 3) for s in SKILLS}
            summary[f"{name}_valid_share"] = round(float(np.mean([r["valid_share"] for r in results])), 3)
    # Paired by student seed: a trained teacher's students against uniform problems for the same students.
    for name, baseline in (("grpo", "uniform"), ("transfer", "uniform_transfer")):
        differences = [a["accuracy"] - b["accuracy"] for a, b in zip(per_seed[name], per_seed[baseline])]
        low, high = bootstrap_ci(differences)
        summary[f"{name}_minus_{baseline}_accuracy"] = round(float(np.mean(differences)), 3)
        summary[f"{name}_minus_{baseline}_accuracy_ci95"] = [round(low, 3), round(high, 3)]
    summary["grpo_seconds_per_teacher_step"] = round(float(np.mean([r["seconds_per_round"] for r in per_seed["grpo"]])),
                                                     3)
    summary["invalid_penalty"] = args.invalid_penalty
    summary["item_score"] = args.item_score
    summary["probe_window"] = args.probe_window
    summary["probe_measure"] = args.probe_measure
    summary["probe_progress"] = args.probe_progress
    if args.item_score == "skill_ucb":
        summary["ucb_c"] = args.ucb_c
    summary["replay_by_skill"] = args.replay_by_skill
    summary["teacher_lr"] = args.teacher_lr
    summary["teacher_beta"] = args.teacher_beta
    if args.students > 1:
        summary["students"] = args.students
        summary["teacher_rounds"] = args.teacher_rounds
        summary["grpo_full_students"] = sum(sum(life["full"] for life in r["lives"]) for r in per_seed["grpo"])
    summary["eval_every"] = args.eval_every or args.steps
    summary["student_steps"] = args.steps
    summary["seeds"] = args.seeds
    record(args.name, "grpo", summary, per_seed,
           notes=f"digits={args.digits}, word_length={args.word_length} (v1: 2, 5; v0: 1, 3); "
                 f"invalid_penalty={args.invalid_penalty}, item_score={args.item_score}, "
                 f"probe_window={args.probe_window}, probe_measure={args.probe_measure}, "
                 f"probe_progress={args.probe_progress}, ucb_c={args.ucb_c:.4g}, "
                 f"replay_by_skill={args.replay_by_skill}, eval_every={summary['eval_every']} "
                 "(the GRPO teacher's reward "
                 "and every student env's); "
                 f"GRPO teacher lr={args.teacher_lr}, beta={args.teacher_beta}; "
                 f"{args.steps} student steps x {args.batch} problems per condition (the prototype used 1,200); "
                 "grpo seconds include the student's SFT step and one GRPO update; 'transfer' is the frozen trained "
                 "teacher on a new student (student seed + 1000), 'uniform_transfer' uniform problems for those "
                 "students; "
                 + (f"the GRPO teacher trained {args.teacher_rounds} rounds against {args.students} students at "
                    f"staggered stages, 'grpo' the mean over the students it taught from first to last step; "
                    if args.students > 1 else "")
                 + "wall_s per condition on a shared 2-core machine")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
