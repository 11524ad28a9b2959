"""Does LMProblemWriter-v0's one-step influence item score predict the real one-step gain?

For students at several stages of training (``--stages``: student steps on
uniformly random problems, at the env's defaults), ``--items`` random training
problems of every skill are scored by the first-order influence
``lr * g_item . g_probe`` (the env's ``item_score="influence"``, at the env's
step size ``lr``) and by learnability ``p (1 - p)``, and each item's real
one-step decrease of the probe loss is measured on a copy of the student:

- ``sgd``: a plain gradient step of size ``lr`` on the item alone (the step the
  first-order estimate describes);
- ``sgd_small``, ``sgd_large``: the same at ``lr / 30`` and ``30 lr`` (the size of
  AdamW's first steps, whose per-coordinate moves are about ``lr`` whatever the
  gradient's scale);
- ``adam``: one AdamW step at ``lr`` continuing the student's own optimizer
  state (how the env's student actually learns, less its batch and replay).

Reported: Pearson and Spearman correlations of each score with each real gain,
per (seed, stage), and their means over seeds with 95 % bootstrap CIs.

    python benchmarks/bench_lm_influence.py --seeds 3 --stages 0,100,400 --items 48
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402

from teachgym.envs.grpo.influence import influence_scores, one_step_gains, probe_loss  # noqa: E402
from teachgym.envs.grpo.problem_writer import SKILLS, ProblemWriterEnv, random_problem, solve  # noqa: E402


def adam_gains(student, items, probes) -> np.ndarray:
    """Probe-loss decrease after one AdamW step on each item alone, from the student's optimizer state.

    (The env's student also clips the gradient norm at 1 and trains on a batch plus replay.)
    """
    import torch

    from teachgym.students.grpo.tiny import encode_sft_batch

    before = probe_loss(student.model, student.tokenizer, probes)
    out = []
    for item in items:
        model = copy.deepcopy(student.model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=student.optimizer.defaults["lr"], weight_decay=0.0)
        optimizer.load_state_dict(copy.deepcopy(student.optimizer.state_dict()))
        ids, mask, labels = encode_sft_batch(student.tokenizer, [item])
        model.train()
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()
        model.eval()
        out.append(before - probe_loss(model, student.tokenizer, probes))
    return np.asarray(out)


def correlations(score: np.ndarray, gain: np.ndarray) -> dict:
    from scipy.stats import pearsonr, spearmanr

    if np.std(score) == 0 or np.std(gain) == 0:
        return {"pearson": float("nan"), "spearman": float("nan")}
    return {"pearson": float(pearsonr(score, gain)[0]), "spearman": float(spearmanr(score, gain)[0])}


def measure(seed: int, stages: list[int], n_items: int) -> list[dict]:
    env = ProblemWriterEnv(n_steps=max(stages) + 1, action="text", item_score="learnability",
                           eval_every=max(stages) + 1)
    env.reset(seed=seed)
    probe_env = ProblemWriterEnv(action="text", item_score="influence")  # the probes of the influence mode
    probes, held_out = probe_env.probes, probe_env._held_out
    rng = np.random.default_rng(1000 + seed)
    rows, done = [], 0

    def draw(k: int) -> list[str]:
        out = []
        while len(out) < k:
            problem = random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
            if problem not in held_out:
                out.append(problem)
        return out

    for stage in sorted(stages):
        while done < stage:
            env.step(tuple(draw(env.batch_size)))
            done += 1
        student, lr = env.student, env.lr
        items = [(p, solve(p)[1]) for p in draw(n_items)]
        p, _ = student.probabilities(items)
        scores = {"influence": influence_scores(student.model, student.tokenizer, items, probes, lr),
                  "learnability": p * (1.0 - p)}
        gains = {"sgd": one_step_gains(student.model, student.tokenizer, items, probes, lr),
                 "sgd_small": one_step_gains(student.model, student.tokenizer, items, probes, lr / 30),
                 "sgd_large": one_step_gains(student.model, student.tokenizer, items, probes, lr * 30),
                 "adam": adam_gains(student, items, probes)}
        row = {"seed": seed, "stage": stage, "probe_loss": probe_loss(student.model, student.tokenizer, probes)}
        for score_name, score in scores.items():
            for gain_name, gain in gains.items():
                for kind, value in correlations(score, gain).items():
                    row[f"{score_name}_vs_{gain_name}_{kind}"] = value
        ratio = gains["sgd"] / np.where(scores["influence"] != 0, scores["influence"], np.nan)
        row["sgd_gain_over_predicted_median"] = float(np.nanmedian(ratio))
        row["adam_gain_over_predicted_median"] = float(np.nanmedian(gains["adam"] / np.where(
            scores["influence"] != 0, scores["influence"], np.nan)))
        rows.append(row)
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--stages", type=lambda s: [int(x) for x in s.split(",")], default=[0, 100, 400])
    parser.add_argument("--items", type=int, default=48)
    args = parser.parse_args(argv)
    pin_one_thread()
    rows = [row for seed in range(args.seeds) for row in measure(seed, args.stages, args.items)]
    summary = {}
    for stage in args.stages:
        mine = [r for r in rows if r["stage"] == stage]
        for key in mine[0]:
            if key in ("seed", "stage"):
                continue
            values = np.array([r[key] for r in mine], dtype=np.float64)
            values = values[np.isfinite(values)]
            if values.size:
                low, high = bootstrap_ci(values)
                summary[f"stage{stage}_{key}"] = {"mean": round(float(values.mean()), 3),
                                                  "ci95": [round(low, 3), round(high, 3)]}
    record("lm_influence", "grpo", summary, rows,
           notes=f"LMProblemWriter-v0 defaults (lr 3e-3, AdamW student); {args.items} random training problems of "
                 f"all skills per (seed, stage); stages = student steps on uniformly random problems; probes: the "
                 f"influence mode's held-out probes of the learnable skills; gains = decrease of the mean probe SFT "
                 f"loss after one step on the item alone, on a copy; correlations over items, then mean over "
                 f"{args.seeds} seeds with bootstrap CIs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
