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

Several students (``--students N``, ``--student-steps T``): the teacher is
trained against a population of students at different stages. Each round its
GRPO update holds ``--prompts`` prompts per student, each from that student's
own state (the reward scores a completion under the student whose prompt it
answers), and then every student takes one step on its own problems. A student
lives ``T`` steps and is then replaced by a fresh one; student ``s`` of ``N``
starts the run already ``s * T // N`` steps old, taught by uniform problems, so
the stages are staggered from the first round. Only students the teacher taught
from their first step to their last count as trained in the loop (``lives`` in
the output, ``full``); student ``k`` of the run has seed ``2000 + 1000 * seed + k``.
With the setting below and ``--students 3`` over 2,000 rounds (the same teacher
compute per student step), the fully taught students reach 0.69 [0.64, 0.74]
against 0.53 [0.50, 0.56] for uniform problems (10 seeds, 30 students; students
born at round 0 0.59, at rounds 400 and 800 0.76 and 0.74: a student that meets
an already trained teacher learns more), and the frozen teacher 0.77 against
0.62 on new students, paired +0.15 [0.03, 0.30]
(``lm_teacher_v1_skill_ucb_c03_warm1000_lr1e4_replay_by_skill_eval25_beta01_pop3_10seeds``).

Output (``--out``): ``model.safetensors``, ``config.json``, the tokenizer files and
``teachgym_teacher.json`` (settings and per-round rewards); no pickles.

Example::

    python scripts/train_lm_teacher.py --rounds 200 --out runs/lm_teacher

The setting whose teachers beat uniform problems on LMProblemWriter-v1 (1,200
student steps, 20 seeds;
``lm_teacher_v1_skill_ucb_c03_warm1000_lr1e4_replay_by_skill_eval25_beta01_20seeds``
in benchmarks/RESULTS.md): the frozen teacher on new students 0.73 against 0.58
for uniform problems on the same students, paired +0.15 [0.07, 0.24]; in the
loop 0.61 against 0.54, paired +0.07 [0.003, 0.13]. ``--beta 0.1`` was chosen on
seeds 0-9, after one teacher of ten dropped a skill at the default 0.04. On
seeds 10-19 alone the frozen teacher's gain holds (+0.20 [0.06, 0.34]) and the
in-loop gain's CI includes 0 (+0.05 [-0.07, 0.14]): in the loop the teacher
reaches its trained mix only late in the student's life (add and sub are 46 %
of its problems over the life, 68 % in the last quarter; the frozen teacher's
72 % from the first step). A trained teacher can still drop a skill: the
students of 3 of 20 frozen teachers (1 of 20 in the loop) did not learn cpy or
rev. The students of the frozen teacher need the env's ``replay_by_skill=True``
too::

    python scripts/train_lm_teacher.py --rounds 1200 --item-score skill_ucb --ucb-c 0.3 --beta 0.1 \
        --warmup-steps 1000 --replay-by-skill --out runs/lm_teacher
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

    With ``envs`` (a list, one env per student, which the caller may replace in place) each completion is
    scored under ``envs[g]``, ``g`` its prompt's ``group`` (the dataset column TRL passes along).
    """

    __name__ = "item_score"

    def __init__(self, env: ProblemWriterEnv, envs: list[ProblemWriterEnv] | None = None):
        self.env = env
        self.envs = envs
        self.completions: list[str] = []
        self.groups: list = []  # each completion's group (None without envs)

    def __call__(self, prompts=None, completions=None, group=None, **kwargs) -> list[float]:
        texts = [c if isinstance(c, str) else str(c) for c in completions]
        self.completions += texts
        if self.envs is None:
            self.groups += [None] * len(texts)
            return score_items(self.env, texts)
        groups = list(group)
        if len(groups) != len(texts):
            raise ValueError(f"group: one per completion expected, got {len(groups)} for {len(texts)}")
        self.groups += groups
        scores = [0.0] * len(texts)
        for g in dict.fromkeys(groups):
            mine = [i for i, x in enumerate(groups) if x == g]
            for i, score in zip(mine, score_items(self.envs[g], [texts[i] for i in mine])):
                scores[i] = score
        return scores


def score_items(env: ProblemWriterEnv, texts: list[str]) -> list[float]:
    """The env's item score of each text under its current student (minus the penalty when invalid)."""
    parsed = [env.space.solve(t.strip()) if t.strip() not in env._held_out else None for t in texts]
    items = [(t.strip(), q[1]) for t, q in zip(texts, parsed) if q is not None]
    student = env.student
    if env.item_score == "influence":
        from teachgym.envs.grpo.influence import influence_scores

        values = influence_scores(student.model, student.tokenizer, items, env.probes, env.lr)
    elif env.item_score == "gain":
        values = env.lookahead_gain(items)
    elif env.item_score == "probe_gain":
        values = env.lookahead_probe_gain(items, [q[0] for q in parsed if q is not None])
    elif env.item_score == "skill_ucb":
        values = env.skill_ucb_index()[[SKILLS.index(q[0]) for q in parsed if q is not None]]
    else:
        p, _ = student.probabilities(items)
        values = p * (1.0 - p)
    scores = iter(values.tolist())
    return [next(scores) if q is not None else -env.invalid_penalty for q in parsed]


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
        # One student for the whole run, or a population of students living ``life`` steps each.
        self.population = args.students > 1 or args.student_steps is not None
        self.life = args.student_steps if args.student_steps is not None else args.rounds
        self.history: list[dict] = []
        self.lives: list[dict] = []  # the students that finished (population)
        self._born: list[dict] = []  # each student slot's current student (population)
        self._students_started = 0
        if self.population:
            self.envs: list[ProblemWriterEnv] = []
            for slot in range(args.students):
                self._born.append({})
                self.envs.append(None)
                self._new_student(slot, age=slot * self.life // args.students)
        else:
            self.env = self._make_env(args.rounds)
            self.env.reset(seed=args.seed)
        self.warmed = warm_teacher(self.env, self.out, args.warmup_steps, args.seed,
                                   json.loads(args.teacher) if args.teacher else {})
        model = AutoModelForCausalLM.from_pretrained(self.warmed)  # from a path: TRL rebuilds the reference from it
        self.tokenizer = AutoTokenizer.from_pretrained(self.warmed)
        self.reward = ItemScoreReward(self.env, self.envs if self.population else None)
        self.session = GRPOSession(model, self.tokenizer, self.reward,
                                   prompts_per_update=args.prompts * (args.students if self.population else 1),
                                   num_generations=args.generations,
                                   config_kwargs=dict(use_cpu=True, bf16=False, learning_rate=args.lr, beta=args.beta,
                                                      temperature=1.0, max_completion_length=10, seed=args.seed,
                                                      output_dir=str(self.out / "trainer")))

    def _make_env(self, n_steps: int) -> ProblemWriterEnv:
        args = self.args
        return ProblemWriterEnv(n_steps=n_steps, action="text", batch_size=args.prompts * args.generations,
                                eval_every=args.eval_every, test_per_skill=args.test_per_skill,
                                item_score=args.item_score, invalid_penalty=args.invalid_penalty,
                                probe_window=args.probe_window, probe_measure=args.probe_measure,
                                probe_progress=args.probe_progress, ucb_c=args.ucb_c,
                                replay_by_skill=args.replay_by_skill,
                                student=json.loads(args.student) if args.student else None,
                                digits=args.digits, word_length=args.word_length)

    def _new_student(self, slot: int, age: int) -> None:
        """A fresh student in ``slot``, first taught ``age`` steps of uniform problems (population)."""
        k = self._students_started
        self._students_started += 1
        seed = 2000 + 1000 * self.args.seed + k
        env = self._make_env(self.life)
        env.reset(seed=seed)
        rng = np.random.default_rng([seed, 1])
        for _ in range(age):
            env.step(tuple(env.space.random_problem(SKILLS[int(rng.integers(len(SKILLS)))], rng)
                           for _ in range(env.batch_size)))
        self.envs[slot] = env
        if slot == 0:
            self.env = env  # the env of the first student slot, for the prompts of the teacher's warm-up
        self._born[slot] = {"slot": slot, "seed": seed, "uniform_steps": age, "first_round": len(self.history)}

    def round(self) -> dict:
        """One GRPO update of the teacher on the current prompts, then one step of each student on its problems."""
        args = self.args
        envs = self.envs if self.population else [self.env]
        prompts, groups = [], []
        for slot, env in enumerate(envs):
            prompts += [prompt_of(env)] * args.prompts
            groups += [slot] * args.prompts
        self.reward.completions, self.reward.groups = [], []
        stats = self.session.run(prompts, [""] * len(prompts), groups, 1)
        rewards, frontier, valid, skills = [], [], [], dict.fromkeys(SKILLS, 0)
        for slot, env in enumerate(envs):
            batch = [c.strip() for c, g in zip(self.reward.completions, self.reward.groups)
                     if not self.population or g == slot][:env.batch_size]
            batch += [""] * (env.batch_size - len(batch))  # an unused slot counts as an invalid problem
            _, step_reward, terminated, truncated, info = env.step(tuple(batch))
            rewards.append(float(step_reward))
            frontier.append(info["frontier_share"])
            valid.append(float(np.mean(info["problem_valid"])))
            for skill, count in info["skill_histogram"].items():
                skills[skill] += count
            if self.population and (terminated or truncated):
                self._finish(slot)
        row = {"round": len(self.history), "grpo_reward": stats.get("reward_mean", float("nan")),
               "kl": stats.get("kl", float("nan")), "step_reward": float(np.mean(rewards)),
               "frontier_share": float(np.mean(frontier)), "valid": float(np.mean(valid)), "skills": skills}
        self.history.append(row)
        return row

    def _finish(self, slot: int) -> None:
        """Record the student of ``slot`` that just took its last step; a fresh one takes its place."""
        env = self.envs[slot]
        born = self._born[slot]
        self.lives.append({**born, "last_round": len(self.history), "full": born["uniform_steps"] == 0,
                           "accuracy": env.score() / 100.0,
                           "accuracy_per_skill": dict(zip(SKILLS, env.accuracy.tolist()))})
        self._new_student(slot, age=0)
        self._born[slot]["first_round"] = len(self.history) + 1

    def save(self, seconds: float) -> dict:
        """Save the teacher (safetensors, tokenizer, ``teachgym_teacher.json``); the run's summary.

        With a population, ``score`` and ``accuracy_per_skill`` are the means over the students the teacher
        taught from their first step to their last (None if none finished).
        """
        args = self.args
        self.session.model.save_pretrained(self.out, safe_serialization=True)
        self.tokenizer.save_pretrained(self.out)
        if self.population:
            full = [life for life in self.lives if life["full"]]
            score = 100.0 * float(np.mean([life["accuracy"] for life in full])) if full else None
            per_skill = {s: float(np.mean([life["accuracy_per_skill"][s] for life in full])) for s in SKILLS} \
                if full else None
        else:
            score, per_skill = self.env.score(), dict(zip(SKILLS, self.env.accuracy.tolist()))
        summary = {"rounds": len(self.history), "seconds_per_round": seconds / max(1, len(self.history)),
                   "score": score, "accuracy_per_skill": per_skill,
                   "beta": args.beta, "prompts": args.prompts, "item_score": args.item_score,
                   "probe_window": args.probe_window, "probe_measure": args.probe_measure,
                   "probe_progress": args.probe_progress, "ucb_c": args.ucb_c,
                   "replay_by_skill": args.replay_by_skill,
                   "generations": args.generations, "history": self.history}
        if self.population:
            summary.update(students=args.students, student_steps=self.life, lives=self.lives)
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
    parser.add_argument("--students", type=int, default=1,
                        help="students taught at once, at staggered stages (each round: --prompts prompts per "
                        "student in one GRPO update, then one step of each)")
    parser.add_argument("--student-steps", type=int, default=None,
                        help="steps a student lives before a fresh one replaces it (default: --rounds, one life; "
                        "given, or with --students > 1, the students are a population, see the docstring)")
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
    if args.students < 1:
        parser.error(f"--students must be >= 1, got {args.students}")
    if args.student_steps is not None and args.student_steps < 1:
        parser.error(f"--student-steps must be >= 1, got {args.student_steps}")
    return args


def main(argv=None) -> int:
    summary = train(parse(argv))
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
