"""GRPO curriculum envs: the teacher picks what a language model practises under GRPO."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from gymnasium import spaces

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.envs.grpo.tasks import make_family
from teachgym.lessons import MixtureLessons, RegionLessons
from teachgym.utils.numeric import finite_float
from teachgym.validation import check_choice, check_floats, check_int, check_mapping

# GRPO statistics in the observation, each mapped into [0, 1] (see the class docstring).
OBS_STATS = ("reward_mean", "reward_std", "frac_reward_zero_std", "entropy", "completion_length",
             "advantage_abs_mean")
# Keys copied from the student's report into every step's info.
INFO_STATS = OBS_STATS + ("loss", "grad_norm", "kl", "clipped_ratio")


class GRPOCurriculumEnv(TeacherEnv):
    """Teach a causal LM by choosing what it practises under GRPO (TRL's ``GRPOTrainer``).

    ## Description

    The student (:class:`teachgym.students.grpo.student.LMStudent`) is a language
    model trained by TRL's ``GRPOTrainer`` with a verifiable reward (exact match
    with the answer). The task family is split into *arms*, a skill at a
    difficulty (``family="arithmetic"``: add / sub / mul x 1-4 digits x
    with / without carries, 24 arms; ``family="strings"``: reverse / sort / uniq x
    4 lengths, 12 arms; see :mod:`teachgym.envs.grpo.tasks`). Each teacher step
    draws ``updates_per_step * prompts_per_update`` problems from the lesson and
    runs ``updates_per_step`` GRPO updates (K) of ``num_generations`` completions
    per problem, then measures greedy accuracy on a fixed, deterministic probe set.
    One GRPOTrainer lives for the whole episode. The defaults (K = 8 updates and
    8 probes per arm) keep the probe measurement under 10 % of the training
    time; ``probes_per_arm=32`` gives finer per-arm accuracies at about +40 %
    (benchmarks/RESULTS.md, GRPO family).

    The default student is a tiny character-level rotary LM warmed up by SFT
    on answers that partly come from a buggy procedure, so it can sample right
    answers it does not yet prefer; it is built offline on the CPU (about a
    minute) and cached under ``cache_dir`` (default ``$TEACHGYM_CACHE_DIR`` or
    ``~/.cache/teachgym``), so later envs load it in a second. Pass ``model="org/name"`` or a local path (plus ``lora``,
    ``device``, ...) to teach any Hugging Face causal LM instead.

    Arms whose answers the student always gets right or never gets right give
    GRPO groups with zero reward variance, hence no gradient: the curriculum
    problem is to find the arms where GRPO has signal, as they move.

    ## Action Space

    ``lesson_mode="arm"`` (``GRPOArithmetic-v0``, ``GRPOStrings-v0``):
    ``Discrete(n_arms)``, the arm practised by all problems of the step.
    ``lesson_mode="mixture"`` (``GRPOArithmeticMixture-v0``, as DUMP):
    ``MixtureBox(0, 1, (n_arms,), float32)`` (a ``Box`` subclass, see
    :class:`teachgym.lessons.MixtureBox`), unnormalised mixture weights over arms;
    the step's problems draw their arms from ``weights / weights.sum()`` (uniform
    if all weights are 0). Invalid actions raise :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, 1, (n_arms + 7,), float32)``:

    | index        | observation                                                    |
    |--------------|----------------------------------------------------------------|
    | 0 .. n-1     | greedy accuracy on each arm's probes (``probes_per_arm`` each)  |
    | n            | last step's mean GRPO reward (sampled accuracy)                |
    | n + 1        | its std x 2 (rewards are in [0, 1], so std <= 0.5)             |
    | n + 2        | fraction of GRPO groups whose rewards all agree (no gradient)  |
    | n + 3        | mean token entropy / ln(vocabulary size)                       |
    | n + 4        | mean completion length / ``max_completion_length``            |
    | n + 5        | mean abs. advantage a, as a / (1 + a)                          |
    | n + 6        | fraction of the episode budget used                            |

    The GRPO statistics are 0 at reset; all values are clipped into [0, 1].

    ## Rewards

    ``reward_mode="probe_gain"`` (default): the change in mean probe accuracy
    over all arms, so the return is the gain over the episode.
    ``"arm_gain"``: the change in probe accuracy of the arm practised (mixture:
    weighted by the step's share of each arm). ``"grpo_reward"``: the step's mean
    GRPO reward.

    ## Starting State

    The warmed-up student, a fresh GRPOTrainer (optimizer created at the first update).

    ## Episode End

    Never terminates; truncated after ``n_steps`` teacher steps (``n_steps * K``
    GRPO updates). ``info["score"]`` is the greedy accuracy in percent on a
    separate test set (``test_per_arm`` problems per arm, all arms weighted
    equally: the target distribution); it comes at reset, every ``score_every``
    steps and on the last step.

    Every step's ``info`` also holds (for GRPO-aware teachers):

    ========================  =====================================================
    ``task``                  arm: ``[arm, skill id, level, flag]``; mixture: weights
    ``outcome``               probe accuracy of the practised arm after the step
                              (mixture: share-weighted)
    ``arm``                   the arm (``lesson_mode="arm"``)
    ``arm_share``             fraction of the step's problems from each arm
    ``arm_accuracy``          per-arm probe accuracy (also at reset)
    ``target_accuracy``       its mean: probe accuracy on the target distribution
    ``reward_mean`` ...       TRL's statistics of the step, averaged over its K
                              updates: ``reward_mean``, ``reward_std``,
                              ``frac_reward_zero_std``, ``entropy``,
                              ``completion_length``, ``loss``, ``grad_norm``
                              (``kl`` when ``beta > 0``)
    ``advantage_abs_mean``    mean |advantage| over the step's completions (SEC)
    ``arm_advantage_abs``     ``{arm: mean |advantage|}`` for the arms practised
    ``arm_reward_mean``       ``{arm: mean GRPO reward}`` for the arms practised
    ``grpo_updates``          K
    ========================  =====================================================

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/GRPOArithmetic-v0", n_steps=50, updates_per_step=8, prompts_per_update=8,
                   num_generations=8, probes_per_arm=8, test_per_arm=32, reward_mode="probe_gain")
    env = gym.make("teachgym/GRPOArithmeticMixture-v0")
    env = gym.make("teachgym/GRPOStrings-v0")
    env = gym.make("teachgym/GRPOArithmetic-v0", model="Qwen/Qwen2.5-0.5B-Instruct", lora={"r": 16},
                   device="cuda", tasks={"notation": "natural"})
    ```

    ``probe_eval`` is how greedy answers are found: ``"forced"`` (teacher-forced
    passes, the same accuracies as generation for the exact-match reward at about
    half the cost, see :mod:`teachgym.students.grpo.forced`), ``"generate"``, or
    ``"auto"`` (default: forced for the tiny student with ``grpo_reward="exact"``).
    ``tasks`` holds task-family options (:mod:`teachgym.envs.grpo.tasks`);
    ``warmup_correct`` the fraction of right answers in the warm-up per level;
    ``grpo_reward`` is ``"exact"`` or ``"char"`` (partial credit); other keyword
    arguments go to :class:`LMStudent` (``learning_rate``, ``temperature``,
    ``optimizer_state``, ``tiny``, ``cache_dir``, ``model``, ``lora``, ``device``,
    ``grpo_kwargs``, ...).

    ## Version History

    * v0: initial version (defaults K = 8 updates and 8 probes per arm; the first v0 release had K = 4
      and 32 probes per arm, see CHANGELOG.md).
    """

    published_info = ("arm_names", "arm_skill", "arm_level", "arm_accuracy", "target_accuracy", "arm_share",
                      "arm_advantage_abs", "arm_reward_mean", "grpo_updates", "arm", *INFO_STATS)

    REWARD_MODES = ("probe_gain", "arm_gain", "grpo_reward")

    def __init__(self, family: str = "arithmetic", lesson_mode: str = "arm", n_steps: int = 50,
                 updates_per_step: int = 8, prompts_per_update: int = 8, num_generations: int = 8,
                 probes_per_arm: int = 8, test_per_arm: int = 32, reward_mode: str = "probe_gain",
                 score_every: int | None = None, tasks: dict | None = None, grpo_reward: str = "exact",
                 warmup_correct=(0.6, 0.4, 0.25, 0.1), max_completion_length: int | None = None,
                 probe_eval: str = "auto", **student_kwargs: Any):
        from teachgym.students.grpo.student import LMStudent  # heavy: torch, transformers, TRL
        from teachgym.students.grpo.tiny import TinyLMConfig

        self.family = make_family(family, **check_mapping("tasks", tasks))
        warmup_correct = check_floats("warmup_correct", [warmup_correct] if isinstance(warmup_correct, (int, float))
                                      and not isinstance(warmup_correct, bool) else warmup_correct,
                                      min_length=1, low=0.0, high=1.0)
        self.lesson_mode = check_choice("lesson_mode", lesson_mode, ("arm", "mixture"))
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.updates_per_step = check_int("updates_per_step", updates_per_step, low=1, high=10_000)
        probes_per_arm = check_int("probes_per_arm", probes_per_arm, low=1, high=10_000)
        test_per_arm = check_int("test_per_arm", test_per_arm, low=1, high=10_000)
        reward_fn = self.family.reward_function(grpo_reward)
        n = self.family.n_arms
        if self.lesson_mode == "arm":
            arms = self.family.arms
            task = np.array([[i, self.family.skills.index(a.skill), a.level, float(a.flag)] for i, a in
                             enumerate(arms)], dtype=np.float64)
            lessons = RegionLessons(task, task, names=("arm", "skill", "level", "flag"))
        else:
            lessons = MixtureLessons(self.family.arm_names)
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)

        self.probe_sets = self.family.fixed_set("probe", probes_per_arm)
        self.test_sets = self.family.fixed_set("test", test_per_arm)
        self._probes = [(p, a) for arm in self.probe_sets for p, a in arm]
        self._probe_arm = np.array([i for i, arm in enumerate(self.probe_sets) for _ in arm])
        self._tests = [(p, a) for arm in self.test_sets for p, a in arm]
        self._test_arm = np.array([i for i, arm in enumerate(self.test_sets) for _ in arm])
        self._held_out = frozenset(p for p, _ in self._probes + self._tests)

        if max_completion_length is None:
            max_completion_length = self.family.max_answer_chars + 2  # room to overshoot, then eos
        probe_eval = check_choice("probe_eval", probe_eval, ("auto", "forced", "generate"))
        if probe_eval == "auto":  # forced is exact for exact-match rewards; HF models opt in (see LMStudent)
            probe_eval = "forced" if grpo_reward == "exact" and student_kwargs.get("model") is None else "generate"
        student_kwargs["probe_eval"] = probe_eval
        student_kwargs.setdefault("tiny", None)
        if student_kwargs.get("model") is None:
            tiny = TinyLMConfig.coerce(student_kwargs["tiny"])
            longest = getattr(self.family, "max_prompt_chars", 0) + max_completion_length
            if longest > tiny.max_positions:  # long prompts (reasoning-gym questions)
                tiny = dataclasses.replace(tiny, max_positions=longest)
            student_kwargs["tiny"] = tiny
            student_kwargs["alphabet"] = self.family.alphabet
            student_kwargs["warmup_problems"] = self.family.warmup_problems(
                tiny.warmup_steps * tiny.warmup_batch_size or 1, correct_fraction=warmup_correct)
        self.student = LMStudent(reward_fn, prompts_per_update=prompts_per_update, num_generations=num_generations,
                                 max_completion_length=max_completion_length, **student_kwargs)
        self.prompts_per_update = self.student.prompts_per_update
        self._vocab = max(2, len(self.student.tokenizer))
        self.observation_space = spaces.Box(0.0, 1.0, (n + len(OBS_STATS) + 1,), dtype=np.float32)
        self._arm_accuracy = np.zeros(n)
        self._stats = np.zeros(len(OBS_STATS))
        self._initial: dict[str, np.ndarray] = {}  # the warmed student's accuracies, measured once

    # -- TeacherEnv hooks ------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)
        if "probe" not in self._initial:
            self._initial["probe"] = self._per_arm(self.student.evaluate(self._probes), self._probe_arm)
        self._arm_accuracy = self._initial["probe"].copy()
        self._stats = np.zeros(len(OBS_STATS))

    def _teach(self, task: np.ndarray) -> Taught:
        n = self.family.n_arms
        n_problems = self.updates_per_step * self.prompts_per_update
        if self.lesson_mode == "arm":
            arms = np.full(n_problems, int(task[0]))
        else:
            weights = np.asarray(task, dtype=np.float64)
            total = weights.sum()
            weights = weights / total if total > 0.0 else np.full(n, 1.0 / n)
            arms = self.np_random.choice(n, size=n_problems, p=weights)
        lesson = []
        for arm in np.unique(arms).tolist():
            count = int(np.sum(arms == arm))
            lesson += [(p, a, arm) for p, a in self.family.sample(arm, count, self.np_random, self._held_out)]
        order = self.np_random.permutation(len(lesson))  # mix arms across updates
        lesson = [lesson[i] for i in order]
        report = self.student.learn(lesson, self.updates_per_step)

        before = self._arm_accuracy
        after = self._per_arm(self.student.evaluate(self._probes), self._probe_arm)
        self._arm_accuracy = after
        share = np.bincount(arms, minlength=n) / n_problems
        outcome = float(share @ after)
        if self.reward_mode == "probe_gain":
            reward = float(after.mean() - before.mean())
        elif self.reward_mode == "arm_gain":
            reward = float(share @ (after - before))
        else:
            reward = (finite_float(report.extras.get("reward_mean")) or 0.0)
        self._stats = self._observed_stats(report.extras)
        return Taught(outcome, reward, info=self._grpo_info(report.extras, share, arms))

    def _observation(self) -> np.ndarray:
        obs = np.concatenate([self._arm_accuracy, self._stats, [self._t / self.n_steps]])
        return np.clip(obs, 0.0, 1.0).astype(np.float32)

    def score(self) -> float:
        if self._t == 0 and "test" in self._initial:
            return self._initial["test"]
        accuracy = float(self._per_arm(self.student.evaluate(self._tests), self._test_arm).mean())
        if self._t == 0:
            self._initial["test"] = 100.0 * accuracy
        return 100.0 * accuracy

    def easy_to_hard(self) -> dict:
        order = self.family.easy_to_hard_order()
        if self.lesson_mode == "arm":
            return {"order": order}
        # Box schedule: from weight on the easiest arms to weight on the hardest.
        rank = np.empty(len(order))
        rank[order] = np.linspace(1.0, 0.0, len(order))
        return {"easy": rank.tolist(), "hard": (1.0 - rank).tolist()}

    def _reset_info(self) -> dict[str, Any]:
        return {keys.ARM_NAMES.name: list(self.family.arm_names),
                keys.ARM_SKILL.name: [arm.skill for arm in self.family.arms],
                keys.ARM_LEVEL.name: [arm.level for arm in self.family.arms],
                keys.ARM_ACCURACY.name: self._arm_accuracy.copy(),
                keys.TARGET_ACCURACY.name: float(self._arm_accuracy.mean())}

    # -- checkpointing ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(arm_accuracy=self._arm_accuracy.copy(), stats=self._stats.copy())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._arm_accuracy = np.asarray(state["arm_accuracy"], dtype=np.float64).copy()
        self._stats = np.asarray(state["stats"], dtype=np.float64).copy()

    # -- helpers ---------------------------------------------------------------
    def _per_arm(self, values: np.ndarray, arm_of: np.ndarray) -> np.ndarray:
        sums = np.bincount(arm_of, weights=values, minlength=self.family.n_arms)
        counts = np.bincount(arm_of, minlength=self.family.n_arms)
        return sums / np.maximum(counts, 1)

    def _observed_stats(self, extras: dict) -> np.ndarray:
        advantage = max(0.0, finite_float(extras.get("advantage_abs_mean")) or 0.0)
        return np.clip([
            (finite_float(extras.get("reward_mean")) or 0.0),
            2.0 * (finite_float(extras.get("reward_std")) or 0.0),
            (finite_float(extras.get("frac_reward_zero_std")) or 0.0),
            (finite_float(extras.get("entropy")) or 0.0) / math.log(self._vocab),
            (finite_float(extras.get("completion_length")) or 0.0) / self.student.max_completion_length,
            advantage / (1.0 + advantage),
        ], 0.0, 1.0)

    def _grpo_info(self, extras: dict, share: np.ndarray, arms: np.ndarray) -> dict[str, Any]:
        n = self.family.n_arms
        info: dict[str, Any] = {k: float(extras[k]) for k in INFO_STATS if k in extras}
        arm_advantage, arm_reward = {}, {}
        for arm, group in extras.get("groups", {}).items():
            if isinstance(arm, (int, np.integer)) and 0 <= arm < n:
                arm_advantage[int(arm)] = float(group["advantage_abs_mean"])
                arm_reward[int(arm)] = float(group["reward_mean"])
        info.update({keys.ARM_SHARE.name: share, keys.ARM_ACCURACY.name: self._arm_accuracy.copy(),
                     keys.TARGET_ACCURACY.name: float(self._arm_accuracy.mean()),
                     keys.ARM_ADVANTAGE_ABS.name: arm_advantage, keys.ARM_REWARD_MEAN.name: arm_reward,
                     keys.GRPO_UPDATES.name: self.updates_per_step})
        if self.lesson_mode == "arm":
            info[keys.ARM.name] = int(arms[0])
        return info
