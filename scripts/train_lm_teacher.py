"""Train a tiny LM teacher with GRPO to write problems at the student's frontier (LMProblemWriter-v1).

The teacher is a char-level causal LM (:func:`teachgym.students.grpo.tiny.build_tiny_model`)
whose prompt is the student's state as text (:func:`teachgym.info.skill_summary`) and whose
completion is one problem. It is first warmed up by SFT to imitate a uniform
generator (a random skill, a random problem), then trained by TRL's
``GRPOTrainer`` (one trainer, reused every round): each round the prompt is
refreshed from the student's state, the teacher samples ``num_generations``
problems per prompt, each is rewarded by the env's item score under the current
student (p(1-p), or minus the penalty when invalid), and the student then takes
one SFT step on those problems. ``beta`` > 0 keeps the teacher near the warmed
model: TRL loads that reference from the model's path, so the warmed model is
saved and reloaded before training.

Output (``--out``): ``model.safetensors``, ``config.json``, the tokenizer files and
``teachgym_teacher.json`` (settings and per-round rewards); no pickles.

Example::

    python scripts/train_lm_teacher.py --rounds 200 --out runs/lm_teacher
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from teachgym.envs.grpo.problem_writer import ALPHABET, ITEM_SCORE_NAMES, SKILLS, UCB_C, ProblemWriterEnv
from teachgym.info import skill_summary

PROMPT_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 .|\n"
TEACHER_ALPHABET = "".join(dict.fromkeys(ALPHABET + PROMPT_CHARS))


def prompt_of(env: ProblemWriterEnv) -> str:
    """The teacher's prompt: the student's per-skill accuracy and recent item score, then a newline."""
    return skill_summary(SKILLS, env.accuracy, np.clip(env.recent, 0.0, 1.0)) + "\n"


def warm_teacher(env: ProblemWriterEnv, out: Path, steps: int, seed: int, teacher: dict) -> Path:
    """Build (or load from ``out/cache``) the teacher warmed to imitate the uniform generator; its path."""
    from teachgym.students.grpo.tiny import TinyLMConfig, build_tiny_model

    rng = np.random.default_rng(seed)
    prompt = prompt_of(env)
    problems = [(prompt, env.space.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)) for _ in range(4096)]
    config = TinyLMConfig(**{"hidden_size": 32, "num_layers": 2, "num_heads": 4, "intermediate_size": 128,
                             "max_positions": 64, "warmup_batch_size": 32, **teacher, "warmup_steps": steps,
                             "seed": seed})
    return build_tiny_model(config, TEACHER_ALPHABET, problems, cache_dir=out / "cache")


class ItemScoreReward:
    """TRL reward: the env's item score of each completion under the current student (before it trains).

    Learnability ``p (1 - p)``, the gain of a look-ahead student step (``ProblemWriterEnv.lookahead_gain``),
    its gain on held-out probes of the item's skill (``ProblemWriterEnv.lookahead_probe_gain``), the
    first-order influence on the env's probes or the discounted-UCB index of the item's skill
    (``ProblemWriterEnv.skill_ucb_index``); an invalid completion costs the env's penalty.
    """

    __name__ = "item_score"

    def __init__(self, env: ProblemWriterEnv):
        self.env = env
        self.completions: list[str] = []

    def __call__(self, prompts=None, completions=None, **kwargs) -> list[float]:
        texts = [c if isinstance(c, str) else str(c) for c in completions]
        self.completions += texts
        parsed = [self.env.space.solve(t.strip()) if t.strip() not in self.env._held_out else None for t in texts]
        items = [(t.strip(), q[1]) for t, q in zip(texts, parsed) if q is not None]
        student = self.env.student
        if self.env.item_score == "influence":
            from teachgym.envs.grpo.influence import influence_scores

            values = influence_scores(student.model, student.tokenizer, items, self.env.probes, self.env.lr)
        elif self.env.item_score == "gain":
            values = self.env.lookahead_gain(items)
        elif self.env.item_score == "probe_gain":
            values = self.env.lookahead_probe_gain(items, [q[0] for q in parsed if q is not None])
        elif self.env.item_score == "skill_ucb":
            values = self.env.skill_ucb_index()[[SKILLS.index(q[0]) for q in parsed if q is not None]]
        else:
            p, _ = self.env.student.probabilities(items)
            values = p * (1.0 - p)
        scores = iter(values.tolist())
        return [next(scores) if q is not None else -self.env.invalid_penalty for q in parsed]


class TeacherTraining:
    """The env, the warmed teacher's path and the GRPO session of one training run (see :func:`train`).

    ``beta`` > 0: TRL's ``GRPOTrainer`` builds its reference model from the
    policy's ``config._name_or_path``, the warmed teacher's folder, so the KL
    term anchors the teacher to the warmed weights saved there.
    """

    def __init__(self, args):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from teachgym.students.grpo.grpo import GRPOSession

        torch.set_num_threads(args.threads)
        self.args, self.out = args, Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.env = ProblemWriterEnv(n_steps=args.rounds, action="text", batch_size=args.prompts * args.generations,
                                    eval_every=args.eval_every, test_per_skill=args.test_per_skill,
                                    item_score=args.item_score, invalid_penalty=args.invalid_penalty,
                                    probe_window=args.probe_window, probe_measure=args.probe_measure,
                                    probe_progress=args.probe_progress, ucb_c=args.ucb_c,
                                    replay_by_skill=args.replay_by_skill,
                                    student=json.loads(args.student) if args.student else None,
                                    digits=args.digits, word_length=args.word_length)
        self.env.reset(seed=args.seed)
        self.warmed = warm_teacher(self.env, self.out, args.warmup_steps, args.seed,
                                   json.loads(args.teacher) if args.teacher else {})
        model = AutoModelForCausalLM.from_pretrained(self.warmed)  # from a path: TRL rebuilds the reference from it
        self.tokenizer = AutoTokenizer.from_pretrained(self.warmed)
        self.reward = ItemScoreReward(self.env)
        self.session = GRPOSession(model, self.tokenizer, self.reward, prompts_per_update=args.prompts,
                                   num_generations=args.generations,
                                   config_kwargs=dict(use_cpu=True, bf16=False, learning_rate=args.lr, beta=args.beta,
                                                      temperature=1.0, max_completion_length=10, seed=args.seed,
                                                      output_dir=str(self.out / "trainer")))
        self.history: list[dict] = []

    def round(self) -> dict:
        """One GRPO update of the teacher on the current prompt, then one student step on its problems."""
        env, args = self.env, self.args
        self.reward.completions = []
        stats = self.session.run([prompt_of(env)] * args.prompts, [""] * args.prompts, [0] * args.prompts, 1)
        batch = [c.strip() for c in self.reward.completions][:env.batch_size]
        batch += [""] * (env.batch_size - len(batch))  # an unused slot counts as an invalid problem
        _, step_reward, _, _, info = env.step(tuple(batch))
        row = {"round": len(self.history), "grpo_reward": stats.get("reward_mean", float("nan")),
               "kl": stats.get("kl", float("nan")), "step_reward": float(step_reward),
               "frontier_share": info["frontier_share"], "valid": float(np.mean(info["problem_valid"])),
               "skills": dict(info["skill_histogram"])}
        self.history.append(row)
        return row

    def save(self, seconds: float) -> dict:
        """Save the teacher (safetensors, tokenizer, ``teachgym_teacher.json``); the run's summary."""
        args = self.args
        self.session.model.save_pretrained(self.out, safe_serialization=True)
        self.tokenizer.save_pretrained(self.out)
        summary = {"rounds": len(self.history), "seconds_per_round": seconds / max(1, len(self.history)),
                   "score": self.env.score(), "accuracy_per_skill": dict(zip(SKILLS, self.env.accuracy.tolist())),
                   "beta": args.beta, "prompts": args.prompts, "item_score": args.item_score,
                   "probe_window": args.probe_window, "probe_measure": args.probe_measure,
                   "probe_progress": args.probe_progress, "ucb_c": args.ucb_c,
                   "replay_by_skill": args.replay_by_skill,
                   "generations": args.generations, "history": self.history}
        (self.out / "teachgym_teacher.json").write_text(json.dumps({"kind": "lm-problem-writer",
                                                                    "skills": list(SKILLS), **summary}, indent=1))
        return summary


def train(args) -> dict:
    """Warm the teacher, train it ``args.rounds`` rounds with GRPO, save it; the run's summary."""
    run = TeacherTraining(args)
    start = time.perf_counter()
    for _ in range(args.rounds):
        run.round()
    return run.save(time.perf_counter() - start)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the trained teacher")
    parser.add_argument("--rounds", type=int, default=200, help="GRPO rounds (one student step each)")
    parser.add_argument("--prompts", type=int, default=2, help="prompts per GRPO update")
    parser.add_argument("--generations", type=int, default=8, help="completions per prompt (problems per round)")
    parser.add_argument("--warmup-steps", type=int, default=300, help="SFT steps imitating the uniform generator")
    parser.add_argument("--beta", type=float, default=0.04, help="KL weight toward the warmed teacher (> 0)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--item-score", choices=ITEM_SCORE_NAMES,
                        default="learnability", help="the env's item score that rewards each problem (gain: by a "
                        "look-ahead student step; probe_gain: that step's gain on held-out probes of the skill; "
                        "skill_ucb: the discounted-UCB index of the item's skill)")
    parser.add_argument("--invalid-penalty", type=float, default=0.1,
                        help="reward of an invalid problem is minus this (the env's invalid_penalty, >= 0)")
    parser.add_argument("--probe-window", type=int, default=1,
                        help="probe_gain: a skill's gain is the mean of its last this many one-step probe gains")
    parser.add_argument("--probe-measure", choices=("p", "logp"), default="p",
                        help="probe_gain: the change of the probes' p at the env's temperature, or of their "
                        "log-probability of answer + eos at temperature 1")
    parser.add_argument("--probe-progress", choices=("signed", "absolute"), default="signed",
                        help="probe_gain: credit each skill's one-step probe gain as measured, or its absolute value")
    parser.add_argument("--ucb-c", type=float, default=UCB_C,
                        help="skill_ucb: the exploration constant of the index (default: the ucb teacher's)")
    parser.add_argument("--replay-by-skill", action="store_true",
                        help="the student replays evenly across the skills it was taught (the env's replay_by_skill)")
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--test-per-skill", type=int, default=40)
    parser.add_argument("--digits", type=int, default=2, help="operand digits of add / sub (1: v0's problems)")
    parser.add_argument("--word-length", type=int, default=5, help="letters of cpy / rev / hash words (3: v0's)")
    parser.add_argument("--student", default="", help="JSON TinyLMConfig fields of the student")
    parser.add_argument("--teacher", default="", help="JSON TinyLMConfig fields of the teacher")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if args.beta <= 0:
        parser.error(f"--beta must be > 0 (the KL anchor to the warmed teacher), got {args.beta}")
    return args


def main(argv=None) -> int:
    summary = train(parse(argv))
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
