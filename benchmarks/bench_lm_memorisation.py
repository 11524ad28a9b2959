"""Memorisation vs generalisation of LMProblemWriter's student, per skill, for one or several env settings.

A student trained ``--steps`` steps on uniformly random problems (all skills, or
the ``skills`` of a setting) is measured per skill on problems it *trained on*
(up to 200 distinct ones from its replay memory) and on the held-out test
problems: greedy accuracy and mean learnability ``p (1 - p)``; and its held-out
accuracy and learnability along the way (``--curve`` steps). A skill whose trained-on accuracy is
far above its held-out accuracy is memorised, not learned; an item score
computed on training problems (what the teacher is rewarded with) then rewards
memorising it, the hash distractor included.

``--settings`` is a JSON list of settings, each a dict of env keyword arguments
(``digits``, ``word_length``, ``lr``, ``replay``, ``student``...) plus optionally
``skills`` (the skills the uniform problems come from) and ``label``; the
record holds one row per setting (the table of what was tried).

With ``--teachers`` (folders saved by ``scripts/train_lm_teacher.py``, e.g. the
ones ``bench_lm_teacher.py --partial`` keeps), each teacher's skill histogram
over ``--samples`` problems written for a fresh student's prompt is recorded
next to that of its warmed (untrained) starting point.

    python benchmarks/bench_lm_memorisation.py --seeds 3 --steps 1200 --name lm_memorisation_settings \
        --settings '[{"label": "v0", "digits": 1, "word_length": 3}, {"label": "v1"},
                     {"label": "v1, no hash", "skills": ["add", "sub", "cpy", "rev"]}]'
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv  # noqa: E402

TRAINED_SAMPLE = 200


def measure(seed: int, steps: int, setting: dict, curve: list[int]) -> dict:
    """Train one student on uniform problems of ``setting``; per-skill trained-on vs held-out accuracy."""
    kwargs = {k: v for k, v in setting.items() if k not in ("label", "skills")}
    skills = setting.get("skills", list(SKILLS))
    env = ProblemWriterEnv(n_steps=steps, action="text", eval_every=steps, **kwargs)
    env.reset(seed=seed)
    space, rng = env.space, np.random.default_rng(seed)
    out = {}
    for step in range(steps):
        if step in curve:
            for skill in SKILLS:
                p, correct = env.student.probabilities(env.test[skill])
                out[f"{skill}_held_out_accuracy_at_{step}"] = float(correct.mean())
                out[f"{skill}_held_out_learnability_at_{step}"] = float((p * (1.0 - p)).mean())
        batch = []
        while len(batch) < env.batch_size:
            problem = space.random_problem(skills[int(rng.integers(len(skills)))], rng)
            if problem not in env._held_out:
                batch.append(problem)
        env.step(tuple(batch))
    seen = list(dict.fromkeys(env.student.memory))
    pick = np.random.default_rng(0)
    for skill in SKILLS:
        trained = [item for item in seen if space.solve(item[0])[0] == skill]
        trained = [trained[int(i)] for i in pick.permutation(len(trained))[:TRAINED_SAMPLE]]
        for name, items in (("trained", trained), ("held_out", env.test[skill])):
            p, correct = env.student.probabilities(items)
            out[f"{skill}_{name}_accuracy"] = float(correct.mean()) if items else float("nan")
            out[f"{skill}_{name}_learnability"] = float((p * (1.0 - p)).mean()) if items else float("nan")
    out["score"] = env.score() / 100.0
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
            counts = collections.Counter((env.space.solve(p) or ("invalid",))[0] for p in teacher.act(obs, {}))
            out[f"{folder.name}_{name}"] = {k: counts.get(k, 0) / samples for k in (*SKILLS, "invalid")}
    return out


def summarise(rows: list[dict]) -> dict:
    summary = {}
    for key in rows[0]:
        values = [r[key] for r in rows if np.isfinite(r[key])]
        if values:
            low, high = bootstrap_ci(values)
            summary[key] = {"mean": round(float(np.mean(values)), 3), "ci95": [round(low, 3), round(high, 3)]}
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--settings", default='[{"label": "v1"}]',
                        help="JSON list of settings: env kwargs plus optional 'skills' and 'label'")
    parser.add_argument("--curve", type=int, nargs="*", default=[300, 600], help="steps of held-out snapshots")
    parser.add_argument("--teachers", type=Path, nargs="*", default=[], help="saved LM teacher folders")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--name", default="lm_memorisation", help="result name (benchmarks/results/<name>.json)")
    args = parser.parse_args(argv)
    settings = json.loads(args.settings)
    if not isinstance(settings, list) or not all(isinstance(x, dict) for x in settings):
        parser.error("--settings must be a JSON list of dicts")
    pin_one_thread()
    summary, per_seed = {}, {}
    for i, setting in enumerate(settings):
        label = setting.get("label", f"setting{i}")
        rows = [measure(seed, args.steps, setting, args.curve) for seed in range(args.seeds)]
        summary[label] = {"setting": setting, **summarise(rows)}
        per_seed[label] = rows
        table = " ".join(f"{s} {summary[label][f'{s}_trained_accuracy']['mean']:.2f}/"
                         f"{summary[label][f'{s}_held_out_accuracy']['mean']:.2f}"
                         for s in SKILLS if f"{s}_trained_accuracy" in summary[label])
        print(f"{label}: trained/held-out {table} score {summary[label]['score']['mean']:.3f}", flush=True)
    if args.teachers:
        summary["teacher_skill_share"] = histograms(args.teachers, args.samples)
    record(args.name, "grpo", summary, per_seed,
           notes=f"{args.steps} student steps on uniformly random problems per setting ({args.seeds} seeds; env "
                 f"defaults = LMProblemWriter-v1 unless the setting says otherwise); trained = up to "
                 f"{TRAINED_SAMPLE} distinct problems from the student's replay memory; held-out = the env's test "
                 f"problems; learnability p(1-p) at the env's temperature 0.3; teacher skill shares over "
                 f"{args.samples} problems written for a fresh student (seed 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
