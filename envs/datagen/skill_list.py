"""Skill-List structure: the teacher allocates each iteration's data budget across skills."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym.utils.numeric import largest_remainder
from teachgym.envs.datagen.base import DataGenEnv, Plan, make_domain
from teachgym.envs.datagen.engines import DataRequest
from teachgym.envs.datagen.plans import SpaceLessons, box_action, multidiscrete_action
from teachgym.validation import check_choice, check_int


class SkillListEnv(DataGenEnv):
    """Teach a small model a domain's skills by choosing how many examples of each skill to generate.

    ## Description

    DataEnvGym's Skill-List environment (Khan et al., 2024) on a CPU. Each step is
    one data-generation iteration: the teacher splits ``budget`` examples across the
    domain's skills; the engine generates them (subskill drawn uniformly, difficulty
    from the domain's default range ``domain.levels``), the student is retrained from
    its base weights on all data so far (``training="retrain"``, DataEnvGym's default)
    and evaluated on a fixed validation set. Domains: ``math`` (8 arithmetic skills at
    difficulty level 0 by default; a char transformer fine-tuned from a base pretrained
    on four of them, add_carry, multiply, fractions and order_of_operations, built once
    in about a minute of one core and cached under ``$TEACHGYM_CACHE_DIR``; see
    :class:`~teachgym.envs.datagen.math_domain.MathDomain`), ``code`` (programs in a
    small DSL, char transformer from scratch), ``vqa`` (rendered scenes, CNN student).

    ## Action Space

    ``action_mode="weights"`` (default): ``Box(0, 1, (n_skills,), float32)``;
    skill ``k`` gets ``budget * w_k / sum(w)`` examples (largest-remainder
    rounding). ``action_mode="levels"``: ``MultiDiscrete([n_levels] * n_skills)``,
    the same with integer weights. All-zero weights are a malformed plan: the step
    costs its budget, nothing is generated and ``info["rejected"]`` says why.
    Actions outside the space raise :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, 1, (2 * n_skills + 1,), float32)``:

    | index                     | observation                                        |
    |---------------------------|----------------------------------------------------|
    | 0 .. n_skills-1           | validation accuracy of each skill                  |
    | n_skills .. 2 n_skills-1  | examples of each skill so far / (n_steps * budget) |
    | 2 n_skills                | fraction of the episode's iterations used          |

    ## Rewards

    The gain in mean per-skill validation accuracy over the step (the episode return is
    the final minus the initial validation accuracy). ``reward="likelihood"`` (math, code):
    the gain in mean per-skill validation answer log-likelihood per token instead, a
    smoother signal (``info["skill_log_likelihood"]``); the score stays exact-match accuracy.

    ## Starting State

    The student's base weights (math: the pretrained base, the same for every seed;
    code, VQA: freshly drawn from the episode seed), no training data.

    ## Episode End

    Truncated after ``n_steps`` iterations. ``info["score"]`` (test accuracy in percent,
    on a fixed test set disjoint from all training and validation data) at reset,
    every ``score_every`` steps and on the last step. Every step's info also holds
    ``task`` (examples requested per skill), ``outcome`` (validation accuracy on the
    skills taught, weighted by the allocation), ``skill_accuracy``, ``data_counts``,
    ``engine`` (what was generated and dropped), ``rejected`` and ``plan_errors``.
    ``env.unwrapped.log`` holds the whole trajectory (every datum with its id and
    provenance, every evaluation); ``log_path`` streams it to a JSON-lines file and
    ``env.unwrapped.resume_from_log(path)`` rebuilds the episode from it.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/DataGen-Math-SkillList-v0", n_steps=10, budget=64, train_steps=None,
                   training="retrain", action_mode="weights", engine="programmatic",
                   val_per_skill=16, test_per_skill=32, log_path=None)
    ```

    Also ``teachgym/DataGen-Code-SkillList-v0`` and ``teachgym/DataGen-VQA-SkillList-v0``;
    ``engine="lm", engine_kwargs={"model": "path/or/hub-name"}`` lets a causal LM write the data
    (for VQA it writes a scene spec and a question, which the env renders and answers itself).
    ``student="lm"`` (math, code) trains a causal LM by SFT instead of the character
    transformer: the tiny offline Llama of the GRPO envs by default, or
    ``student_kwargs={"model": "path/or/hub-name"}``.

    ## Version History

    * v0: initial version. The math defaults (pretrained base with replay, level 0, 200 steps at
      lr 1e-3) replaced a from-scratch student within v0 (CHANGELOG.md);
      ``domain=MathDomain(levels=(0, 1, 2), base_skills=())`` with
      ``student_kwargs={"base_steps": 0, "lr": 3e-3, "replay_fraction": 0.0}, train_steps=150``
      gives the from-scratch setting (up to the level-0 percentages range).
    """

    def __init__(self, domain="math", action_mode: str = "weights", n_levels: int = 5, **kwargs):
        self.action_mode = check_choice("action_mode", action_mode, ("weights", "levels"))
        self.n_levels = check_int("n_levels", n_levels, low=2, high=1000)
        domain = make_domain(domain)
        k = domain.n_skills
        if self.action_mode == "weights":
            space = spaces.Box(np.zeros(k, np.float32), np.ones(k, np.float32), dtype=np.float32)
        else:
            space = spaces.MultiDiscrete([self.n_levels] * k)
        names = [s.name for s in domain.skills]
        super().__init__(SpaceLessons(space, {"kind": "allocation", "mode": self.action_mode, "skills": names}),
                         domain=domain, **kwargs)
        self.observation_space = spaces.Box(0.0, 1.0, (2 * k + 1,), dtype=np.float32)

    def _plan(self, action) -> Plan:
        if self.action_mode == "weights":
            weights = box_action(action, self.action_space)
        else:
            weights = multidiscrete_action(action, self.action_space).astype(np.float64)
        counts = largest_remainder(weights, self.budget)
        if counts.sum() == 0:
            return Plan([], np.zeros(self.n_skills), rejected="all allocation weights are zero: nothing to generate")
        requests = [DataRequest(k, int(c)) for k, c in enumerate(counts) if c > 0]
        return Plan(requests, counts.astype(np.float64))

    def _observation(self) -> np.ndarray:
        shares = self.data_counts() / (self.n_steps * self.budget)
        return np.concatenate([self.skill_accuracy, np.minimum(shares, 1.0), [self._t / self.n_steps]]).astype(np.float32)
