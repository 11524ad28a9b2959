"""The schema of every ``info`` key a teacher env publishes.

Envs write and teachers read ``info`` through the :class:`InfoKey` constants
defined here, so a key has one name, one meaning and one documented type. A
teacher declares the keys it cannot work without in ``Teacher.required_info``;
an env declares the family keys it publishes in ``TeacherEnv.published_info``;
:func:`teachgym.registry.compatibility` compares the two before a run.

Core keys (every env, written by :class:`teachgym.TeacherEnv`):

==========================  ======  =====================================================
key                         when    meaning
==========================  ======  =====================================================
``episode_start``           reset   True: a new student; teachers forget the previous one
``teaching_budget``         reset   teacher steps in the episode (``n_steps``)
``lesson_space``            reset   JSON description of the lesson space
``easy_to_hard``            reset   the env's hand-made curriculum, where it defines one
``lesson``                  step    the action as received
``task``                    step    the task parameters the student actually practised
``outcome``                 step    the student's result on that task (bandits learn from it)
``budget_used``             both    fraction of the teaching budget spent, in [0, 1]
``score``                   score   headline score in [0, 100]: at reset, every
                                    ``score_every`` steps and on the last step
==========================  ======  =====================================================

Family keys are listed below, grouped by family; ``teachgym.info.describe()``
prints the whole table. An env of your own that publishes a new key adds it
with :func:`define`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

RESET, STEP, BOTH, SCORE = "reset", "step", "both", "score"
_WHEN = (RESET, STEP, BOTH, SCORE)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(float(value))


def _is_fraction(value: Any) -> bool:
    return _is_finite_number(value) and 0.0 <= float(value) <= 1.0


def _is_percent(value: Any) -> bool:
    return _is_finite_number(value) and 0.0 <= float(value) <= 100.0


def _is_vector(value: Any) -> bool:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return array.ndim == 1


def _is_array(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _is_dict(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _any(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class InfoKey:
    """One ``info`` key: its name, who publishes it, when, and what a valid value looks like.

    Attributes:
        name: the key in ``info``.
        family: ``"core"`` or the env family that publishes it.
        when: ``"reset"``, ``"step"``, ``"both"`` or ``"score"`` (with every headline score).
        doc: what the value means, with its unit.
        check: returns True for a valid value (used by :mod:`teachgym.testing`).
    """

    name: str
    family: str
    when: str
    doc: str
    check: Callable[[Any], bool] = field(default=_any, compare=False, repr=False)

    def get(self, info: Mapping[str, Any], default: Any = None) -> Any:
        """The value in ``info``, or ``default`` if absent."""
        return info.get(self.name, default)

    def __str__(self) -> str:
        return self.name


INFO_KEYS: dict[str, InfoKey] = {}


def define(name: str, family: str, when: str, doc: str, check: Callable[[Any], bool] = _any) -> InfoKey:
    """Add a key to the schema (an env of your own publishing a new key defines it once, here or in its module)."""
    if when not in _WHEN:
        raise ValueError(f"when must be one of {_WHEN}, got {when!r}")
    if name in INFO_KEYS:
        raise ValueError(f"info key {name!r} is defined twice")
    key = InfoKey(name, family, when, doc, check)
    INFO_KEYS[name] = key
    return key


# -- core ------------------------------------------------------------------------------------
EPISODE_START = define("episode_start", "core", RESET, "True: a new student starts; forget the previous one", _is_bool)
TEACHING_BUDGET = define("teaching_budget", "core", RESET, "teacher steps in the episode (n_steps)",
                       lambda v: _is_number(v) and int(v) >= 1)
LESSON_SPACE = define("lesson_space", "core", RESET, "JSON description of the lesson space", _is_dict)
EASY_TO_HARD = define("easy_to_hard", "core", RESET,
                    "hand-made curriculum: {'easy': task, 'hard': task} (Box) or {'order': [arm, ...]}", _is_dict)
LESSON = define("lesson", "core", STEP, "the action as received")
TASK = define("task", "core", STEP, "the task parameters the student actually practised")
OUTCOME = define("outcome", "core", STEP, "the student's result on the task practised", _is_number)
BUDGET_USED = define("budget_used", "core", BOTH, "fraction of the teaching budget spent, in [0, 1]", _is_fraction)
SCORE_KEY = define("score", "core", SCORE, "headline score in [0, 100]", _is_percent)

CORE_KEYS = tuple(k for k in INFO_KEYS.values() if k.family == "core")

# -- curriculum and deep-RL ----------------------------------------------------------------------
ENV_STEPS = define("env_steps", "curriculum", STEP, "student environment steps spent on the lesson", _is_number)
SUCCESS_RATE = define("success_rate", "deeprl", STEP, "fraction of the lesson's training episodes that succeeded",
                    _is_fraction)

# -- tutoring ------------------------------------------------------------------------------------
TUTOR_LOG = define("tutor_log", "tutoring", RESET,
                 "layout of the tutor-log observation: n_items, delay, time_unit, answer_lag, "
                 "fields (name -> [start, stop))", _is_dict)
PREREQUISITES = define("prerequisites", "tutoring", RESET, "per skill, the skills it requires", _is_list)
BKT_POPULATION = define("bkt_population", "tutoring", RESET, "mean BKT parameters of the student population",
                      _is_dict)
MASTERED_FRACTION = define("mastered_fraction", "tutoring", SCORE, "fraction of skills mastered now", _is_fraction)
MEAN_RECALL = define("mean_recall", "tutoring", SCORE, "mean recall probability over the deck, in [0, 1]",
                   _is_fraction)
EXPECTED_RETENTION = define("expected_retention", "tutoring", SCORE,
                          "fraction of skills mastered and retained after the retention interval", _is_fraction)
MEMORISED_CARDS = define("memorised_cards", "tutoring", SCORE, "memorised cards now: the sum of recall "
                       "probabilities over the deck (cards)", lambda v: _is_finite_number(v) and float(v) >= 0)
REVIEW_MINUTES = define("review_minutes", "tutoring", SCORE, "minutes of study (reviews and first views) so far",
                      lambda v: _is_finite_number(v) and float(v) >= 0)
MEMORISED_PER_MINUTE = define("memorised_per_minute", "tutoring", SCORE,
                            "memorised cards per minute of study so far (0 before any study)",
                            lambda v: _is_finite_number(v) and float(v) >= 0)
DAILY_MINUTES = define("daily_minutes", "tutoring", STEP, "minutes of study on the step's day",
                     lambda v: _is_finite_number(v) and float(v) >= 0)
REVIEW_LOG = define("review_log", "tutoring", STEP,
                  "the step's study: {'day': int, 'cards': [card ids], 'ratings': [1 Again .. 4 Easy]}, first views "
                  "included", lambda v: _is_dict(v) and {"day", "cards", "ratings"} <= set(v)
                  and len(v["cards"]) == len(v["ratings"]))

# -- GRPO ------------------------------------------------------------------------------------------
ARM_NAMES = define("arm_names", "grpo", RESET, "one name per arm (skill x difficulty)", _is_list)
ARM_ACCURACY = define("arm_accuracy", "grpo", BOTH, "probe accuracy per arm, in [0, 1]", _is_vector)
TARGET_ACCURACY = define("target_accuracy", "grpo", BOTH, "mean probe accuracy over the arms", _is_fraction)
ARM_SHARE = define("arm_share", "grpo", STEP, "share of the step's problems drawn from each arm", _is_vector)
ARM_ADVANTAGE_ABS = define("arm_advantage_abs", "grpo", STEP, "arm -> mean |GRPO advantage| of its groups", _is_dict)
ARM_REWARD_MEAN = define("arm_reward_mean", "grpo", STEP, "arm -> mean reward of its groups", _is_dict)
GRPO_UPDATES = define("grpo_updates", "grpo", STEP, "GRPO updates taken in the step", _is_number)
ARM = define("arm", "grpo", STEP, "the arm practised (arm lesson mode)", _is_number)
REWARD_MEAN = define("reward_mean", "grpo", STEP, "mean reward of the step's completions", _is_number)
REWARD_STD = define("reward_std", "grpo", STEP, "reward standard deviation of the step's completions", _is_number)
ADVANTAGE_ABS_MEAN = define("advantage_abs_mean", "grpo", STEP, "mean |advantage| of the step's completions",
                          _is_number)
FRAC_REWARD_ZERO_STD = define("frac_reward_zero_std", "grpo", STEP,
                            "share of groups whose completions all got the same reward", _is_number)
ENTROPY = define("entropy", "grpo", STEP, "mean token entropy of the step's completions", _is_number)
COMPLETION_LENGTH = define("completion_length", "grpo", STEP, "mean completion length in tokens", _is_number)
LOSS = define("loss", "grpo", STEP, "GRPO loss of the step", _is_number)
GRAD_NORM = define("grad_norm", "grpo", STEP, "gradient norm of the step", _is_number)
KL = define("kl", "grpo", STEP, "KL to the reference model", _is_number)
CLIPPED_RATIO = define("clipped_ratio", "grpo", STEP, "share of completions cut at the length limit", _is_number)
ARM_SKILL = define("arm_skill", "grpo", RESET, "the skill of each arm (reasoning-gym: its dataset)", _is_list)
ARM_LEVEL = define("arm_level", "grpo", RESET, "the difficulty level of each arm (reasoning-gym: curriculum level)",
                   _is_vector)

# -- data generation ----------------------------------------------------------------------------------
TAXONOMY = define("taxonomy", "datagen", RESET, "the domain's skills and subskills", _is_dict)
SKILL_ACCURACY = define("skill_accuracy", "datagen", BOTH, "validation accuracy per skill, in [0, 1]", _is_vector)
SUBSKILL_ACCURACY = define("subskill_accuracy", "datagen", BOTH, "validation accuracy per (skill, subskill)",
                         _is_array)
DATA_COUNTS = define("data_counts", "datagen", BOTH, "training examples so far per skill", _is_vector)
VAL_ACCURACY = define("val_accuracy", "datagen", BOTH, "mean validation accuracy", _is_fraction)
SKILL_LOG_LIKELIHOOD = define("skill_log_likelihood", "datagen", BOTH,
                            "validation answer log-likelihood per token, per skill (reward='likelihood')", _is_vector)
REJECTED = define("rejected", "datagen", STEP, "None, or why the whole plan was refused")
PLAN_ERRORS = define("plan_errors", "datagen", STEP, "problems with parts of the plan that were skipped", _is_list)
ENGINE = define("engine", "datagen", STEP, "the data engine's report for the step", _is_dict)
EXPLORED = define("explored", "datagen", STEP, "skill-tree: [skill, subskill] explored, or None")
TREE = define("tree", "datagen", BOTH, "skill-tree: discovered subskills per skill", _is_array)
ACTION_MASK = define("action_mask", "datagen", BOTH, "skill-tree: valid choices per action entry", _is_array)
SUBSKILL_DATA_COUNTS = define("subskill_data_counts", "datagen", BOTH, "training examples per (skill, subskill)",
                            _is_array)

# -- FineTuneRL -------------------------------------------------------------------------------------
OBSERVATION_LAYOUT = define("observation_layout", "finetune_rl", RESET, "name -> [start, stop) of the observation",
                          _is_dict)
COVER = define("cover", "finetune_rl", RESET, "names of the exploration policies a lesson mixes", _is_list)
VALUE = define("value", "finetune_rl", BOTH, "greedy policy value, % of the optimal value", _is_finite_number)
ONLINE_EPISODES = define("online_episodes", "finetune_rl", BOTH, "online episodes the student has collected", _is_number)
EPS_OPTIMAL = define("eps_optimal", "finetune_rl", BOTH, "whether the greedy policy is epsilon-optimal now", _is_bool)
EPISODES_TO_EPS = define("episodes_to_eps", "finetune_rl", BOTH,
                       "online episodes until epsilon-optimal for good (-1: not yet)", _is_number)
EPISODES_PER_POLICY = define("episodes_per_policy", "finetune_rl", STEP, "online episodes per exploration policy",
                           _is_vector)
EVAL_RETURN = define("eval_return", "finetune_rl", BOTH, "the student's mean evaluation return (raw units)",
                   _is_finite_number)



@dataclass(frozen=True)
class TutorLog:
    """The ``tutor_log`` value: the layout of a tutor-log observation, written by tutoring envs, read by tutors.

    Per item (or skill) the observation holds reviews (``attempts``), ``correct``
    answers, time since the last review (``since_review``), then in oracle mode the
    student's true ``recall``, then ``budget_used``. The reset ``info["tutor_log"]``
    carries this layout as plain data (:meth:`describe`); a tutor parses it with
    :meth:`from_info`, never by importing an env.

    Attributes:
        n_items: items (or skills) in the log.
        delay: time between two reviews, in ``time_unit``.
        time_unit: the unit of ``delay`` and ``since_review`` ("s", "step", ...).
        fields: name -> slice of the observation vector.
        answer_lag: time from an observation to the student's next answer (``delay`` if unpublished).
    """

    n_items: int
    delay: float
    time_unit: str
    fields: dict[str, slice]
    answer_lag: float = math.nan

    FIELDS: ClassVar[tuple[str, ...]] = ("attempts", "correct", "since_review")

    @staticmethod
    def layout(n: int, oracle: bool) -> dict[str, list[int]]:
        """Field name -> ``[start, stop)`` of the observation vector of a log of ``n`` items."""
        fields = {"attempts": [0, n], "correct": [n, 2 * n], "since_review": [2 * n, 3 * n]}
        stop = 3 * n
        if oracle:
            fields["recall"] = [stop, stop + n]
            stop += n
        fields["budget_used"] = [stop, stop + 1]
        return fields

    @classmethod
    def describe(cls, n: int, oracle: bool, delay: float, time_unit: str, **extra: float) -> dict[str, Any]:
        """The reset ``info["tutor_log"]`` value, plus ``extra`` entries (e.g. ``answer_lag``)."""
        return {"n_items": n, "delay": delay, "time_unit": time_unit, **extra, "fields": cls.layout(n, oracle)}

    @classmethod
    def from_info(cls, description: Any, n_items: int) -> TutorLog | None:
        """Parse ``info["tutor_log"]``; None if it is missing or does not fit ``n_items`` actions."""
        if not isinstance(description, Mapping):
            return None
        try:
            fields = {name: slice(int(start), int(stop)) for name, (start, stop) in description["fields"].items()}
            delay = float(description["delay"])
            log = cls(int(description["n_items"]), delay, str(description.get("time_unit", "")), fields,
                      float(description.get("answer_lag", delay)))
        except (KeyError, TypeError, ValueError):
            return None
        sizes_ok = all(name in fields and fields[name].stop - fields[name].start == n_items for name in cls.FIELDS)
        times_ok = all(math.isfinite(t) and t >= 0 for t in (log.delay, log.answer_lag))
        if log.n_items != n_items or not sizes_ok or not times_ok:
            return None
        return log

    def read(self, obs: Any, name: str) -> np.ndarray | None:
        """Field ``name`` of ``obs`` as float64, or None if absent or ``obs`` has the wrong shape."""
        if name not in self.fields or obs is None:
            return None
        vector = np.asarray(obs, dtype=np.float64).reshape(-1)
        part = self.fields[name]
        return vector[part].copy() if part.stop <= vector.size else None


def is_episode_start(info: Mapping[str, Any]) -> bool:
    """Whether ``info`` is a reset info (a new student starts)."""
    return bool(info.get(EPISODE_START.name, False))


def keys_of(family: str) -> tuple[InfoKey, ...]:
    """The keys one family publishes (``"core"`` for the keys of every env)."""
    return tuple(k for k in INFO_KEYS.values() if k.family == family)


def validate(info: Mapping[str, Any], phase: str) -> list[str]:
    """Problems with ``info`` as published at ``phase`` (``"reset"`` or ``"step"``); empty if none.

    Every key must be in the schema with a valid value, and the core keys of the
    phase must be present.
    """
    problems = []
    for name, value in info.items():
        key = INFO_KEYS.get(name)
        if key is None:
            problems.append(f"info[{name!r}] is not in the schema (teachgym.info): define it there")
        elif not key.check(value):
            problems.append(f"info[{name!r}] = {value!r:.80} is not valid: {key.doc}")
        elif phase == RESET and key.when == STEP:
            problems.append(f"info[{name!r}] is a step key but appears at reset")
        elif phase == STEP and key.when == RESET:
            problems.append(f"info[{name!r}] is a reset key but appears in a step")
    required = [EPISODE_START, TEACHING_BUDGET, LESSON_SPACE, BUDGET_USED, SCORE_KEY] if phase == RESET \
        else [LESSON, TASK, OUTCOME, BUDGET_USED]
    problems += [f"core key {k.name!r} missing at {phase}" for k in required if k.name not in info]
    return problems


def describe() -> str:
    """The schema as a text table, one key per line."""
    width = max(len(k) for k in INFO_KEYS)
    return "\n".join(f"{k.name:<{width}}  {k.family:<11}  {k.when:<5}  {k.doc}" for k in INFO_KEYS.values())


def skill_summary(skills, accuracy, recent) -> str:
    """A student's per-skill state as text, ``"add 0.40 0.21|sub ..."`` (accuracy, mean recent item score):
    the text observation of ``LMProblemWriter`` (v0, v1) and the prompt its LM teachers read."""
    return "|".join(f"{s} {a:.2f} {r:.2f}" for s, a, r in zip(skills, accuracy, recent))
