"""A teacher that writes the student's training problems: ``teachgym/LMProblemWriter-v1`` (and v0).

Each step the teacher hands over a batch of problem strings (``"74+83="``,
``"r:abcde="``...). The env parses every problem against the skills' formats,
computes its answer with the skill's own solver (a teacher never supplies
answers), scores each valid problem on the student *before* it trains on it,
then runs one supervised step of the tiny char-level student on the valid
problems plus a replay sample of earlier ones (without replay the student
forgets skills it stops seeing).

Skills (``SKILLS``, problem formats in :mod:`teachgym.envs.grpo.writer_problems`):
``add`` (``a+b=``), ``sub`` (``a-b=``, a >= b), ``cpy`` (``c:word=`` -> ``word``),
``rev`` (``r:word=`` -> the word reversed) and the distractor ``hash``
(``h:word=`` -> two digits of a SHA-256 of the word): its answers are a function
the student cannot learn, so a teacher that spends problems on it wastes them.
The headline score is the student's greedy exact-match accuracy on held-out
problems of the learnable skills; the env never trains on them.

Problem spaces (``digits``, ``word_length``). In v0 (one-digit operands, 3-letter
words: 100 sums, 125 words) the student *memorises*: after 600 uniform steps it
answers 61 % / 80 % of the add / sub training pool but 13 % / 6 % of the held-out
problems, and 14 % of the hash pool, whose ``p (1 - p)`` then rewards the
distractor, while cpy / rev are at the ceiling; no teacher can move the held-out
score. The defaults (v1) use two-digit little-endian arithmetic and 5-letter
words: too many problems to memorise, and a column rule that generalises. After
1,200 uniform steps (3 seeds) the student answers 7 % / 24 % of the add / sub
problems it trained on and 9 % / 23 % of held-out ones, cpy / rev 100 % / 93 %
held-out, hash 1 % (chance) on both. Where the problems come from matters:
leaving out the distractor raises the held-out score from 0.56 to 0.73, and
add / sub alone reach 78 % / 87 % (``benchmarks/bench_lm_memorisation.py``,
record ``lm_memorisation_settings``).

Item scores (``item_score``):

- ``"learnability"``: ``p (1 - p)`` with ``p`` the student's exact probability of
  writing the answer and end-of-sequence under teacher forcing, with logits
  divided by ``temperature`` (default 0.3). At temperature 1 a tiny model
  spreads mass over many characters, so ``p`` of a multi-character answer stays
  near 0 even for problems the student already solves greedily, and every item
  looks unlearnable; a low temperature makes ``p`` track what greedy evaluation
  measures, so ``p (1 - p)`` peaks at the student's frontier.
- ``"gain"``: the item's ``p`` after the step minus before (measured after training).
- ``"influence"``: the first-order one-step influence ``lr * g_i . g_T`` of the item
  on the student's mean SFT loss on ``probes_per_skill`` probe problems of each
  learnable skill (held out from training in this mode; see
  :mod:`teachgym.envs.grpo.influence`): the predicted probe-loss decrease of a
  plain gradient step of size ``lr`` on the item alone. It is an estimate, not a
  measurement: ``benchmarks/bench_lm_influence.py`` compares it with real
  one-step gains (recorded in ``benchmarks/results/lm_influence.json``).
- ``"probe_gain"``: the gain of the batch's student step on held-out *probes* of
  each item's skill. Every skill, the distractor included, has
  ``probes_per_skill`` fixed probe problems (held out from training and disjoint
  from the test set); the step's gain of a skill is the mean change over its
  probes of ``p`` (or of the log-probability, below), and each valid item of
  the skill scores that gain divided by the number of the batch's items of the
  skill, so the item scores add up to the probe gain of the skills practised.
  ``probe_measure`` sets what changes: ``"p"`` (default) the probes' ``p`` at
  ``temperature``; ``"logp"`` their log-probability of answer + eos at
  temperature 1 (minus the student's SFT loss summed over the answer), which
  moves long before ``p`` does on answers of several characters, where ``p``
  stays near 0 and its changes are noise. A score on the item itself (learnability,
  gain) also pays for memorising it; this one pays only for what generalises, so
  distractor items score about 0. :meth:`ProblemWriterEnv.lookahead_probe_gain`
  measures the same scores ahead of the step (a trial step, then undone).
  One step's probe gain is mostly noise; with ``probe_window`` w > 1 a skill's
  gain is the mean of its last w one-step probe gains (every step measures every
  skill's probes; the current step included, fewer at the start of an episode).
  ``probe_progress`` sets the sign: ``"signed"`` (default) credits the gain as
  measured; ``"absolute"`` credits its absolute value (in the window too), the
  learning-progress signal of ALP-style bandits: it is large wherever a skill's
  probes move, up or down, so a skill in flux keeps earning and a practised
  skill is never driven out by a step of bad luck.
- ``"skill_ucb"``: each item scores its skill's discounted-UCB index, the value
  the ``ucb`` teacher gives the skill when it picks an arm, computed before the
  step from the learning progress of earlier steps. The signal is the one that
  teacher reads in skill mode at the default item score: a skill's outcome in a
  step is the mean ``p (1 - p)`` (learnability) of the step's items of the skill,
  its progress the absolute change of that outcome since the last step that
  wrote the skill (none the first time). After each step every statistic is
  discounted by ``ucb_discount`` once, then each skill written in the batch adds
  its progress (rescaled by the running max, as the teacher does) with weight
  its share of the batch's valid problems: a step is one unit of counts, as a
  bandit's one-arm step is, so the teacher's constants carry over; a skill
  written by 1 of 16 problems gets 1/16 of a measurement. The index is
  ``S_k / N_k + ucb_c * sqrt(log(max(1, sum_j N_j)) / N_k)``; a skill not written
  for a while sees ``N_k`` shrink and its index grow. A skill with no progress
  measured yet (UCB's untried arm, which it picks first) scores the largest
  index of the measured skills, or 0 while none is measured.
  :meth:`ProblemWriterEnv.skill_ucb_index` gives the indexes ahead of the step.

Spaces:

- action (``action="text"``, what LM teachers use): a ``Tuple`` of ``batch_size`` ``Text`` problems; an
  invalid problem (no skill's format) is dropped and costs ``invalid_penalty``.
  ``action="skill"`` (the default, so that SB3's checker and the bandits run on the
  registered id): ``Discrete(K)``, a batch of random problems of skill k.
- observation (``observation="vector"``): per-skill held-out accuracy then per-skill
  mean recent item score, a ``Box`` in [0, 1]; ``"text"``: the same as a ``Text``
  summary for LM teachers (:func:`teachgym.info.skill_summary`).

Reward: mean item score of the batch (invalid problems count ``-invalid_penalty``).
Deterministic under ``reset(seed=)``.

Per-arm signals (an arm is a skill), the keys the GRPO curriculum teachers
(SEC, DUMP, learnability...) read on the GRPO envs: ``arm_names`` and
``arm_accuracy`` (held-out greedy accuracy per skill) at reset and every step;
each step ``arm_share`` (share of the valid problems per skill) and, for the
skills practised, ``arm_reward_mean`` (mean ``p``: the chance that a sample at
``temperature`` is right, the analogue of a GRPO group's success rate) and
``arm_advantage_abs`` (mean ``2 p (1 - p)``: the expected mean |reward - group
mean| of a 0/1-reward group with success rate ``p``, the analogue of a GRPO
group's mean |advantage| before scaling). ``arm`` is the skill in skill mode.
"""

from __future__ import annotations

import copy
import math
import string
from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.envs.grpo.writer_problems import (  # noqa: F401  (re-exported: the skills' problems)
    ALPHABET, DEFAULT_SPACE, DISTRACTOR, MAX_PROBLEM_CHARS, SKILLS, ProblemSpace, all_problems, random_problem, solve)
from teachgym.lessons import InvalidLessonError
from teachgym.utils.budget import budget_discount
from teachgym.utils.progress import DiscountedProgress
from teachgym.utils.rng import global_rngs_preserved
from teachgym.validation import ConfigError, check_bool, check_choice, check_float, check_int

FRONTIER = (0.1, 0.9)  # p in this range: the student is at its frontier on the item
ITEM_SCORE_NAMES = ("learnability", "gain", "influence", "probe_gain", "skill_ucb")
UCB_C = 2.0 * math.sqrt(0.6)  # the ucb teacher's default exploration constant

ITEM_SCORES = keys.define("item_scores", "grpo", keys.STEP, "score of every problem of the batch (an invalid one: minus the penalty)")
PROBLEM_VALID = keys.define("problem_valid", "grpo", keys.STEP, "whether each problem of the batch parsed")
SKILL_HISTOGRAM = keys.define("skill_histogram", "grpo", keys.STEP, "valid problems per skill in the batch",
                              lambda v: isinstance(v, dict))
FRONTIER_SHARE = keys.define("frontier_share", "grpo", keys.STEP,
                             "share of valid problems whose exact probability p is in [0.1, 0.9]",
                             lambda v: isinstance(v, float) and 0.0 <= v <= 1.0)


class _Lessons:
    def __init__(self, action_space, mode: str, batch_size: int):
        self.action_space, self.mode, self.batch_size = action_space, mode, batch_size

    def describe(self) -> dict:
        return {"kind": "problems" if self.mode == "text" else "skills", "skills": list(SKILLS),
                "batch_size": self.batch_size}


class TinySFTStudent:
    """The tiny char-level LM trained by SFT on (problem, answer), with a replay buffer.

    ``skill_of`` (problem string -> skill) makes the replay even across skills: each replayed problem is drawn
    from a uniformly chosen skill among those seen so far. None: uniformly from every problem seen.
    """

    def __init__(self, config: dict, lr: float, replay: int, temperature: float, rng: np.random.Generator,
                 skill_of=None):
        import torch

        from teachgym.students.grpo.tiny import TinyLMConfig, new_tiny_model
        from teachgym.students.grpo.tokenizer import build_char_tokenizer

        self.tokenizer = build_char_tokenizer(ALPHABET)
        seed = int(rng.integers(2**31))
        self.model = new_tiny_model(TinyLMConfig(**{**config, "warmup_steps": 0, "seed": seed}), len(self.tokenizer))
        self.model.float()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.0)
        self.replay, self.temperature, self.rng = replay, temperature, rng
        self.memory: list[tuple[str, str]] = []
        self.skill_of = skill_of
        self.memory_by_skill: dict[str, list[tuple[str, str]]] = {}

    def _answer_log_probabilities(self, problems: list[tuple[str, str]], temperature: float):
        """(log-probability of answer + eos at ``temperature`` as a float32 tensor, greedy-correct) per problem."""
        import torch

        from teachgym.students.grpo.tiny import encode_sft_batch

        ids, mask, labels = encode_sft_batch(self.tokenizer, problems)
        with torch.no_grad():
            logits = self.model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        targets, used = labels[:, 1:], labels[:, 1:] != -100
        safe = targets.clamp(min=0)
        logp = torch.log_softmax(logits / temperature, dim=-1).gather(-1, safe[..., None])[..., 0]
        correct = ((logits.argmax(-1) == safe) | ~used).all(dim=1).numpy()
        return (logp * used).sum(dim=1), correct

    def probabilities(self, problems: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """(p, greedy-correct) per problem: exact probability of answer + eos at ``temperature``; argmax match."""
        import torch

        if not problems:
            return np.zeros(0), np.zeros(0, dtype=bool)
        logp, correct = self._answer_log_probabilities(problems, self.temperature)
        return torch.exp(logp).numpy().astype(np.float64), correct

    def log_probabilities(self, problems: list[tuple[str, str]]) -> np.ndarray:
        """Per problem, the log-probability of answer + eos at temperature 1 (minus its summed SFT loss)."""
        if not problems:
            return np.zeros(0)
        return self._answer_log_probabilities(problems, 1.0)[0].numpy().astype(np.float64)

    def train(self, problems: list[tuple[str, str]]) -> None:
        """One AdamW step on ``problems`` plus up to ``replay`` earlier problems."""
        import torch

        from teachgym.students.grpo.tiny import encode_sft_batch

        batch = list(problems)
        if self.memory and self.replay and self.skill_of is not None:
            skills = sorted(self.memory_by_skill)
            for _ in range(min(self.replay, len(self.memory))):
                pool = self.memory_by_skill[skills[int(self.rng.integers(len(skills)))]]
                batch.append(pool[int(self.rng.integers(len(pool)))])
        elif self.memory and self.replay:
            picks = self.rng.integers(len(self.memory), size=min(self.replay, len(self.memory)))
            batch += [self.memory[int(i)] for i in picks]
        self.memory += problems
        if self.skill_of is not None:
            for problem in problems:
                self.memory_by_skill.setdefault(self.skill_of(problem[0]), []).append(problem)
        if not batch:
            return
        ids, mask, labels = encode_sft_batch(self.tokenizer, batch)
        self.model.train()
        loss = self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.model.eval()

    def state_dict(self) -> dict:
        return {"model": copy.deepcopy(self.model.state_dict()), "optimizer": copy.deepcopy(self.optimizer.state_dict()),
                "memory": list(self.memory), "rng": copy.deepcopy(self.rng.bit_generator.state),
                "memory_by_skill": {k: list(v) for k, v in self.memory_by_skill.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.memory = list(state["memory"])
        self.memory_by_skill = {k: list(v) for k, v in state.get("memory_by_skill", {}).items()}
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])


def _arm_indices(skills: list[str]) -> np.ndarray:
    """The arm (index in :data:`SKILLS`) of each skill name."""
    return np.array([SKILLS.index(s) for s in skills], dtype=np.int64)


class ProblemWriterEnv(TeacherEnv):
    """The teacher writes problem batches; the tiny LM student trains on them (see the module docstring).

    Args:
        n_steps: teacher steps (student SFT steps) per episode.
        batch_size: problems per step.
        action: "text" (a Tuple of problem strings) or "skill" (Discrete: a random batch of skill k).
        observation: "vector" (Box of accuracy and recent item score per skill) or "text".
        item_score: "learnability", "gain", "influence", "probe_gain" or "skill_ucb".
        temperature: softmax temperature of the exact probability p.
        invalid_penalty: reward cost of each invalid problem (>= 0).
        replay: earlier problems replayed in every student step.
        eval_every: held-out evaluation every this many steps (and at reset and the end).
        test_per_skill: held-out test problems per skill (at most half of the skill's problems).
        lr: the student's AdamW learning rate.
        student: TinyLMConfig fields of the student (warm-up fields are ignored).
        probes_per_skill: probe problems per learnable skill of the "influence" item score (per skill, the
            distractor included, of "probe_gain").
        probe_window: "probe_gain" credits each skill the mean of its last this many one-step probe gains
            (1: the current step's gain alone).
        probe_measure: what a "probe_gain" gain is the change of, averaged over a skill's probes: "p" (the exact
            probability at ``temperature``) or "logp" (the log-probability of answer + eos at temperature 1).
        probe_progress: what of a skill's one-step probe gain "probe_gain" credits (and keeps in the window):
            "signed" (the gain) or "absolute" (its absolute value).
        ucb_discount: "skill_ucb": the discount of the per-skill statistics, in (0, 1]; None (default): the ucb
            teacher's default for a run of ``n_steps`` steps (0.99 up to 5,000 steps).
        ucb_c: "skill_ucb": the exploration constant of the index, >= 0 (default: the ucb teacher's, 2 sqrt(0.6)).
        replay_by_skill: the student's replay draws each replayed problem from a uniformly chosen skill among those
            it has been taught (False, the default: uniformly from every problem it has been taught).
        digits: operand digits of add / sub (1: v0's one-digit table; 2-3: little-endian column arithmetic).
        word_length: letters of the cpy / rev / hash words (3 in v0).
    """

    published_info = (ITEM_SCORES.name, PROBLEM_VALID.name, SKILL_HISTOGRAM.name, FRONTIER_SHARE.name,
                      keys.ARM_NAMES.name, keys.ARM_ACCURACY.name, keys.ARM_SHARE.name, keys.ARM_REWARD_MEAN.name,
                      keys.ARM_ADVANTAGE_ABS.name, keys.ARM.name)

    def __init__(self, n_steps: int = 400, batch_size: int = 16, action: str = "skill", observation: str = "vector",
                 item_score: str = "learnability", temperature: float = 0.3, invalid_penalty: float = 0.1,
                 replay: int = 16, eval_every: int = 25, test_per_skill: int = 40, lr: float = 3e-3,
                 student: dict | None = None, probes_per_skill: int = 8, digits: int = 2, word_length: int = 5,
                 probe_window: int = 1, probe_measure: str = "p", probe_progress: str = "signed",
                 ucb_discount: float | None = None, ucb_c: float = UCB_C, replay_by_skill: bool = False):
        self.space = ProblemSpace(digits, word_length)
        self.batch_size = check_int("batch_size", batch_size, low=1, high=256)
        self.mode = check_choice("action", action, ("text", "skill"))
        self.obs_mode = check_choice("observation", observation, ("vector", "text"))
        self.item_score = check_choice("item_score", item_score, ITEM_SCORE_NAMES)
        self.probes_per_skill = check_int("probes_per_skill", probes_per_skill, low=1, high=50)
        self.probe_window = check_int("probe_window", probe_window, low=1)
        self.probe_measure = check_choice("probe_measure", probe_measure, ("p", "logp"))
        self.probe_progress = check_choice("probe_progress", probe_progress, ("signed", "absolute"))
        self.ucb_discount = budget_discount(check_int("n_steps", n_steps, low=1)) if ucb_discount is None \
            else check_float("ucb_discount", ucb_discount, low=0.0, low_open=True, high=1.0)
        self.ucb_c = check_float("ucb_c", ucb_c, low=0.0)
        self.temperature = check_float("temperature", temperature, low=0.0, low_open=True, high=10.0)
        self.invalid_penalty = check_float("invalid_penalty", invalid_penalty, low=0.0)
        self.replay = check_int("replay", replay, low=0)
        self.replay_by_skill = check_bool("replay_by_skill", replay_by_skill)
        self.eval_every = check_int("eval_every", eval_every, low=1)
        self.test_per_skill = check_int("test_per_skill", test_per_skill, low=1, high=100)
        self.lr = check_float("lr", lr, low=0.0, low_open=True)
        if not isinstance(student, (dict, type(None))):
            raise ConfigError(f"student must be a dict of TinyLMConfig fields, got {type(student).__name__}")
        from teachgym.students.grpo.tiny import TinyLMConfig

        self.student_config = {"hidden_size": 32, "num_layers": 2, "num_heads": 4, "intermediate_size": 128,
                               "max_positions": 16, **dict(student or {})}
        try:
            TinyLMConfig.coerce({**self.student_config, "warmup_steps": 0})
        except (TypeError, ValueError) as error:
            raise ConfigError(f"student: {error}") from error
        if self.student_config["max_positions"] < 16:
            raise ConfigError(f"student: max_positions must be >= 16 (problem + answer), got "
                              f"{self.student_config['max_positions']}")
        if self.mode == "text":
            space = spaces.Tuple([spaces.Text(MAX_PROBLEM_CHARS, charset=ALPHABET)] * self.batch_size)
        else:
            space = spaces.Discrete(len(SKILLS))
        super().__init__(_Lessons(space, self.mode, self.batch_size), n_steps, score_every=self.eval_every)
        k = len(SKILLS)
        if self.obs_mode == "vector":
            self.observation_space = spaces.Box(0.0, 1.0, shape=(2 * k,), dtype=np.float32)
        else:
            self.observation_space = spaces.Text(16 * k, charset=string.ascii_lowercase + string.digits + " .|")
        test_rng = np.random.default_rng(12345)
        self.test = {s: [(p, self.space.solve(p)[1])
                         for p in self.space.distinct(s, min(self.test_per_skill, self.space.size(s) // 2), test_rng)]
                     for s in SKILLS}
        self._held_out = {p for items in self.test.values() for p, _ in items}
        self.probes: list[tuple[str, str]] = []
        self.probe_skill = np.zeros(0, dtype=np.int64)  # the skill index of each probe
        if self.item_score in ("influence", "probe_gain"):  # a fixed draw per skill, disjoint from the test set
            probe_rng = np.random.default_rng(54321)
            for i, s in enumerate(SKILLS):  # the distractor is last: the learnable skills' probes are the same
                if s != DISTRACTOR or self.item_score == "probe_gain":
                    pool = self.space.distinct(s, self.probes_per_skill, probe_rng, exclude=self._held_out)
                    self.probes += [(p, self.space.solve(p)[1]) for p in pool]
                    self.probe_skill = np.concatenate([self.probe_skill, np.full(len(pool), i)])
            self._held_out |= {p for p, _ in self.probes}
        self.student = None

    # -- hooks ---------------------------------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        with global_rngs_preserved():
            self.student = TinySFTStudent(self.student_config, self.lr, self.replay, self.temperature, rng,
                                          skill_of=self._skill_of if self.replay_by_skill else None)
        self.sample_rng = np.random.default_rng(rng.integers(2**63))
        self.recent = np.zeros(len(SKILLS))
        self.probe_history = np.zeros((0, len(SKILLS)))  # the last probe_window - 1 steps' per-skill probe gains
        self.skill_progress = DiscountedProgress(len(SKILLS), self.ucb_discount)
        self.skill_outcome = np.full(len(SKILLS), np.nan)  # each skill's last learnability outcome ("skill_ucb")
        self._evaluate()

    def _evaluate(self) -> None:
        self.accuracy = np.array([self.student.probabilities(self.test[s])[1].mean() for s in SKILLS])

    def _read_lesson(self, action: Any) -> list[str]:
        if self.mode == "skill":
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)) \
                    or np.ndim(action) != 0 or not 0 <= int(action) < len(SKILLS):
                raise InvalidLessonError(f"action must be a skill index int in [0, {len(SKILLS)}), got {action!r}")
            return [f"skill:{SKILLS[int(action)]}"]
        if not isinstance(action, (tuple, list)) or len(action) != self.batch_size \
                or not all(isinstance(p, str) for p in action):
            raise InvalidLessonError(f"action must be a tuple of {self.batch_size} problem strings, got {action!r}")
        return list(action)

    def _teach(self, lesson: list[str]) -> Taught:
        if self.mode == "skill":
            skill = lesson[0].split(":", 1)[1]
            lesson = []
            while len(lesson) < self.batch_size:  # at most half of a skill's problems are held out
                problem = self.space.random_problem(skill, self.sample_rng)
                if problem not in self._held_out:
                    lesson.append(problem)
        return self.teach_problems(lesson)

    def teach_problems(self, problems: list[str]) -> Taught:
        """Score, then train on, a batch of problem strings (the core of one step)."""
        parsed = [self.space.solve(p) if isinstance(p, str) and p not in self._held_out else None for p in problems]
        valid = [q is not None for q in parsed]
        items = [(p, q[1]) for p, q in zip(problems, parsed) if q is not None]
        skills = [q[0] for q in parsed if q is not None]
        with global_rngs_preserved():
            p_before, _ = self.student.probabilities(items)
            if self.item_score == "influence":
                from teachgym.envs.grpo.influence import influence_scores

                scores = influence_scores(self.student.model, self.student.tokenizer, items, self.probes, self.lr)
            elif self.item_score == "probe_gain":
                probes_before = self.probe_level()
            self.student.train(items)
            if self.item_score == "gain":
                scores = self.student.probabilities(items)[0] - p_before
            elif self.item_score == "probe_gain":
                gain = self.probe_progress_of(self.probe_level() - probes_before)
                scores = self.credit_probe_gain(self.windowed_probe_gain(gain), skills)
                if self.probe_window > 1:
                    self.probe_history = np.vstack([self.probe_history, gain])[-(self.probe_window - 1):]
            elif self.item_score == "learnability":
                scores = p_before * (1.0 - p_before)
            elif self.item_score == "skill_ucb":
                scores = self.skill_ucb_index()[_arm_indices(skills)]
                self._learn_skill_progress(skills, p_before)
            if (self._t + 1) % self.eval_every == 0 or self._t + 1 >= self.n_steps:
                self._evaluate()
        full = np.full(len(problems), -self.invalid_penalty)
        full[np.flatnonzero(valid)] = scores
        n_invalid = len(problems) - len(items)
        reward = (float(scores.sum()) - self.invalid_penalty * n_invalid) / max(1, len(problems))
        histogram = {s: skills.count(s) for s in SKILLS}
        for i, s in enumerate(SKILLS):
            mine = [x for x, k in zip(scores, skills) if k == s]
            if mine:
                self.recent[i] = 0.5 * self.recent[i] + 0.5 * float(np.mean(mine))
        frontier = float(np.mean((p_before >= FRONTIER[0]) & (p_before <= FRONTIER[1]))) if items else 0.0
        info = {ITEM_SCORES.name: full, PROBLEM_VALID.name: valid, SKILL_HISTOGRAM.name: histogram,
                FRONTIER_SHARE.name: frontier, **self._arm_info(skills, p_before)}
        if self.mode == "skill" and skills:
            info[keys.ARM.name] = SKILLS.index(skills[0])
        return Taught(outcome=float(np.mean(scores)) if items else 0.0, reward=reward, task=[i[0] for i in items],
                      info=info)

    def _skill_of(self, problem: str) -> str:
        return self.space.solve(problem)[0]

    def skill_ucb_index(self) -> np.ndarray:
        """Per skill, its discounted-UCB index from the steps so far (the ``"skill_ucb"`` item score; see the
        module docstring): finite, a skill with no progress measured yet at the largest measured index (0 if none)."""
        counts, sums = self.skill_progress.counts, self.skill_progress.sums
        tried = counts > 0.0
        if not tried.any():
            return np.zeros(len(SKILLS))
        safe = np.where(tried, counts, 1.0)
        index = sums / safe + self.ucb_c * np.sqrt(math.log(max(float(counts.sum()), 1.0)) / safe)
        return np.where(tried, index, index[tried].max())

    def _learn_skill_progress(self, skills: list[str], p: np.ndarray) -> None:
        """One step of the ``"skill_ucb"`` statistics: a discount tick, then each written skill's |change| of its
        mean ``p (1 - p)`` (in skill order) with weight its share of the valid problems."""
        self.skill_progress.tick()
        if not skills:
            return
        arm_of = _arm_indices(skills)
        learnability = p * (1.0 - p)
        for arm in np.unique(arm_of).tolist():
            mine = arm_of == arm
            outcome, previous = float(learnability[mine].mean()), float(self.skill_outcome[arm])
            self.skill_outcome[arm] = outcome
            if previous == previous:
                self.skill_progress.add(arm, abs(outcome - previous), float(mine.sum()) / len(skills))

    def probe_probability(self) -> np.ndarray:
        """Per skill, the mean exact probability ``p`` of the right answer over its probes (0 without probes)."""
        return self._per_skill_mean(self.student.probabilities(self.probes)[0])

    def probe_log_probability(self) -> np.ndarray:
        """Per skill, the mean log-probability of answer + eos at temperature 1 over its probes (0 without probes)."""
        return self._per_skill_mean(self.student.log_probabilities(self.probes))

    def probe_level(self) -> np.ndarray:
        """Per skill, the probe quantity whose change is the ``"probe_gain"`` (``probe_measure``: p or logp)."""
        return self.probe_log_probability() if self.probe_measure == "logp" else self.probe_probability()

    def _per_skill_mean(self, values: np.ndarray) -> np.ndarray:
        counts = np.bincount(self.probe_skill, minlength=len(SKILLS))
        return np.bincount(self.probe_skill, weights=values, minlength=len(SKILLS)) / np.maximum(counts, 1)

    def probe_progress_of(self, gain: np.ndarray) -> np.ndarray:
        """Per skill, the credited part of a step's probe gain: the gain, or its absolute value (``probe_progress``)."""
        return np.abs(gain) if self.probe_progress == "absolute" else gain

    def windowed_probe_gain(self, gain: np.ndarray) -> np.ndarray:
        """Per skill, the mean of ``gain`` (this step's probe gains) and the stored earlier steps' gains."""
        return np.vstack([self.probe_history, gain]).mean(axis=0)

    @staticmethod
    def credit_probe_gain(skill_gain: np.ndarray, skills: list[str]) -> np.ndarray:
        """Each item's share of its skill's probe gain: the gain divided by the batch's items of the skill."""
        arm_of = _arm_indices(skills)
        counts = np.bincount(arm_of, minlength=len(SKILLS))
        return np.asarray(skill_gain, dtype=np.float64)[arm_of] / np.maximum(counts[arm_of], 1)

    def lookahead_probe_gain(self, items: list[tuple[str, str]], skills: list[str]) -> np.ndarray:
        """The ``"probe_gain"`` scores of a student step on ``items``, measured by a trial step that is then undone.

        The student's weights, optimizer, replay memory and RNG are restored, so the
        env's own step on the same batch gives the same scores; the trial step's gain is
        averaged with the stored gains of earlier steps (``probe_window``), which it leaves unchanged.
        """
        if self.item_score != "probe_gain":
            raise ConfigError(f"lookahead_probe_gain needs item_score='probe_gain', got {self.item_score!r}")
        if not items:
            return np.zeros(0)
        before, after = self._trial_step(items, self.probe_level)
        return self.credit_probe_gain(self.windowed_probe_gain(self.probe_progress_of(after - before)), skills)

    def lookahead_gain(self, items: list[tuple[str, str]]) -> np.ndarray:
        """The ``"gain"`` scores of a student step on ``items`` (each item's ``p`` after minus before), measured by
        a trial step that is then undone, as :meth:`lookahead_probe_gain` does."""
        if not items:
            return np.zeros(0)
        before, after = self._trial_step(items, lambda: self.student.probabilities(items)[0])
        return after - before

    def _trial_step(self, items: list[tuple[str, str]], measure) -> tuple[np.ndarray, np.ndarray]:
        """``measure()`` before and after a student step on ``items``; the student's weights, optimizer, replay
        memory and RNG are then restored."""
        with global_rngs_preserved():
            state = self.student.state_dict()
            before = measure()
            self.student.train(items)
            after = measure()
            self.student.load_state_dict(state)
        return before, after

    def _arm_info(self, skills: list[str], p: np.ndarray) -> dict[str, Any]:
        """The per-arm (per-skill) signals of a step (see the module docstring)."""
        arm_of = _arm_indices(skills)
        counts = np.bincount(arm_of, minlength=len(SKILLS)).astype(np.float64)
        reward_mean, advantage_abs = {}, {}
        for arm in np.flatnonzero(counts).tolist():
            mine = p[arm_of == arm]
            reward_mean[arm] = float(mine.mean())
            advantage_abs[arm] = float((2.0 * mine * (1.0 - mine)).mean())
        return {keys.ARM_ACCURACY.name: self.accuracy.copy(),
                keys.ARM_SHARE.name: counts / counts.sum() if counts.sum() else counts,
                keys.ARM_REWARD_MEAN.name: reward_mean, keys.ARM_ADVANTAGE_ABS.name: advantage_abs}

    def _reset_info(self) -> dict[str, Any]:
        return {keys.ARM_NAMES.name: list(SKILLS), keys.ARM_ACCURACY.name: self.accuracy.copy()}

    def _observation(self):
        if self.obs_mode == "text":
            return keys.skill_summary(SKILLS, self.accuracy, np.clip(self.recent, 0, 1))
        return np.clip(np.concatenate([self.accuracy, self.recent]), 0.0, 1.0).astype(np.float32)

    def score(self) -> float:
        learnable = [i for i, s in enumerate(SKILLS) if s != DISTRACTOR]
        return float(100.0 * self.accuracy[learnable].mean())

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(sample_rng=copy.deepcopy(self.sample_rng.bit_generator.state), recent=self.recent.copy(),
                     accuracy=self.accuracy.copy(), probe_history=self.probe_history.copy(),
                     skill_progress=copy.deepcopy(self.skill_progress), skill_outcome=self.skill_outcome.copy())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.sample_rng.bit_generator.state = copy.deepcopy(state["sample_rng"])
        self.recent, self.accuracy = state["recent"].copy(), state["accuracy"].copy()
        self.probe_history = state["probe_history"].copy()
        self.skill_progress = copy.deepcopy(state["skill_progress"])
        self.skill_outcome = state["skill_outcome"].copy()
