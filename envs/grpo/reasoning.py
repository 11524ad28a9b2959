"""A task family backed by reasoning-gym: arms are (dataset, curriculum level) pairs.

reasoning-gym (``pip install reasoning-gym``) generates procedural reasoning
problems with verifiers: ``reasoning_gym.create_dataset(name, seed=, size=, ...)``
returns a dataset whose items are ``{"question", "answer", "metadata"}`` and
whose ``score_answer(answer, entry)`` grades a model's answer in [0, 1]. Most
datasets also ship a *curriculum* (``reasoning_gym.factory.create_curriculum(name)``)
whose attributes have difficulty levels; ``set_global_level(k)`` moves every
attribute to level ``k`` (capped at its last level) and ``generate_configuration``
turns the levels into a dataset config.

:class:`ReasoningTasks` makes one arm per dataset and global level. By default
(``range_mode="upper_bound"``) a range attribute at level ``k`` covers only its
``k``-th value, so arms of one dataset differ in difficulty; ``"inclusive"`` is
reasoning-gym's own default (levels ``0..k`` mixed).

Held-out items: probe and test items of an arm come from dataset seeds below
:data:`HELD_OUT_SEEDS`; training and warm-up items from seeds at or above
:data:`TRAIN_SEED_LOW`. reasoning-gym datasets build item ``i`` from
``Random(seed + i)``, so the two ranges never share a generator; training draws
also skip any question that is a probe or test question (both guarantees are
checked in ``tests/test_grpo_reasoning.py``). An arm whose problem space is too
small to hold items out (``Arm.small``) may repeat them after a bounded search.

Rewards: :class:`DatasetScorer` is a TRL reward function that looks up each
prompt's reasoning-gym entry and calls the dataset's own ``score_answer`` on the
completion's stripped text.

Warm-up data: reasoning-gym has no generic *buggy procedure*, so the warm-up
(:meth:`ReasoningTasks.warmup_problems`) replaces a wrong fraction of the answers
by the answer of another problem of the same arm: the student learns the arm's
answer format and some of its mapping, and samples right answers it does not yet
prefer.

What the default tiny student learns on a CPU (``bench_grpo_reasoning.py scan``:
each arm practised alone for 200 GRPO updates, learning rate 3e-4, after the
default 1500-step warm-up; ``benchmarks/results/grpo_reasoning_scan_v0arms.json``):
``spell_backward`` levels 1 and 2 gain 0.10 and 0.26 in probe score and level 0
starts near 0.92, while every ``chain_sum`` and ``basic_arithmetic`` arm starts
at 0.00-0.19 and stays there (changes of -0.09 to +0.03). After a 600-step
warm-up no arm of six datasets gains more than 0.13 (``grpo_reasoning_scan.json``).
The default arms therefore mix learnable and unlearnable arms, which is where
a teacher can beat uniform practice.
"""

from __future__ import annotations

import dataclasses
import string
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from teachgym.envs.grpo.rewards import parse_answer, completion_text
from teachgym.envs.grpo.tasks import Arm, TaskFamily, _seed
from teachgym.validation import ConfigError, check_choice, check_int, check_str

HELD_OUT_SEEDS = 2**31  # probe and test dataset seeds are in [0, HELD_OUT_SEEDS - 2**20)
TRAIN_SEED_LOW = 2**40  # training and warm-up dataset seeds are in [TRAIN_SEED_LOW, 2 * TRAIN_SEED_LOW)
DEFAULT_DATASETS = ("chain_sum", "basic_arithmetic", "spell_backward")
_SCAN_ITEMS = 256  # items drawn per arm at construction (alphabet, answer lengths, small arms)


def _reasoning_gym():
    try:
        import reasoning_gym
        from reasoning_gym.factory import DATASETS, create_curriculum, has_curriculum
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ConfigError("family='reasoning' needs reasoning-gym: pip install 'teachgym[reasoning]'") from error
    return reasoning_gym, DATASETS, create_curriculum, has_curriculum


class DatasetScorer:
    """TRL reward function scoring completions with each prompt's reasoning-gym ``score_answer``.

    The family registers every item it hands out (:meth:`register`); held-out
    items stay, training items are kept for the last ``capacity`` registrations.
    A completion whose prompt is unknown, or that is empty, too long or not
    text, scores 0.
    """

    __name__ = "reasoning_gym_score"

    def __init__(self, capacity: int = 200_000):
        self.capacity = capacity
        self._pinned: dict[str, tuple[Any, dict]] = {}
        self._recent: OrderedDict[str, tuple[Any, dict]] = OrderedDict()

    def register(self, prompt: str, dataset, entry: dict, pinned: bool = False) -> None:
        if pinned:
            self._pinned[prompt] = (dataset, entry)
            return
        self._recent[prompt] = (dataset, entry)
        self._recent.move_to_end(prompt)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)

    def lookup(self, prompt: Any) -> tuple[Any, dict] | None:
        text = completion_text(prompt)  # chat prompts arrive as a list of messages
        if text is None:
            return None
        return self._pinned.get(text) or self._recent.get(text)

    def __call__(self, prompts=None, completions=None, **kwargs) -> list[float]:
        completions = list(completions or [])
        prompts = list(prompts or [None] * len(completions))
        rewards = []
        for prompt, completion in zip(prompts, completions):
            found = self.lookup(prompt)
            answer = parse_answer(completion)
            if found is None or not answer:
                rewards.append(0.0)
                continue
            dataset, entry = found
            try:
                score = float(dataset.score_answer(answer, entry))
            except Exception:  # a dataset's scorer may choke on garbage (parsers, eval); garbage is wrong
                score = 0.0
            rewards.append(min(1.0, max(0.0, score)) if np.isfinite(score) else 0.0)
        return rewards


class ReasoningTasks(TaskFamily):
    """Arms = (reasoning-gym dataset, curriculum level); see the module docstring.

    Args:
        datasets: reasoning-gym dataset names with a curriculum (default
            :data:`DEFAULT_DATASETS`).
        levels: global curriculum levels per dataset, ``0 .. levels - 1`` (capped at
            the dataset's number of levels).
        range_mode: "upper_bound" (level k covers only its own range value) or
            "inclusive" (reasoning-gym's default: levels 0..k).
        prompt_template: how a question becomes a prompt; must contain ``{question}``.
        max_answer_chars: answers longer than this (in the construction scan) are
            rejected with an error naming the arm, since the student could not write them.
    """

    name = "reasoning"
    RANGE_MODES = ("upper_bound", "inclusive")

    def __init__(self, datasets: Sequence[str] = DEFAULT_DATASETS, levels: int = 3, range_mode: str = "upper_bound",
                 prompt_template: str = "{question}\n", max_answer_chars: int = 64):
        rg, registry, create_curriculum, has_curriculum = _reasoning_gym()
        from reasoning_gym.coaching.base_curriculum import DefaultCurriculumContext, RangeAttributeMode

        if isinstance(datasets, str):
            datasets = (datasets,)
        datasets = tuple(check_str("datasets[i]", d) for d in datasets)
        if not datasets or len(set(datasets)) != len(datasets):
            raise ConfigError(f"datasets must be distinct reasoning-gym dataset names, got {datasets!r}")
        for name in datasets:
            if name not in registry:
                raise ConfigError(f"datasets: {name!r} is not a reasoning-gym dataset; known: {sorted(registry)}")
            if not has_curriculum(name):
                raise ConfigError(f"datasets: {name!r} has no reasoning-gym curriculum, so it has no levels")
        self.levels = check_int("levels", levels, low=1, high=64)
        self.range_mode = check_choice("range_mode", range_mode, self.RANGE_MODES)
        self.prompt_template = check_str("prompt_template", prompt_template)
        if "{question}" not in self.prompt_template:
            raise ConfigError(f"prompt_template must contain '{{question}}', got {prompt_template!r}")
        check_int("max_answer_chars", max_answer_chars, low=1, high=4096)
        self.skills = datasets
        self.scorer = DatasetScorer()
        mode = RangeAttributeMode.UPPER_BOUND if self.range_mode == "upper_bound" else RangeAttributeMode.INCLUSIVE
        context = DefaultCurriculumContext(mode=mode)
        self._dataset_cls, self._configs, arms = [], [], []
        for name in datasets:
            curriculum = create_curriculum(name)
            n_levels = max(len(attribute.levels) for attribute in curriculum.attributes.values())
            for level in range(min(self.levels, n_levels)):
                curriculum.set_global_level(level)
                config = curriculum.generate_configuration({"size": 1, "seed": 0}, context=context)
                self._dataset_cls.append(registry[name][0])
                self._configs.append(config)
                arms.append(Arm(f"{name}-L{level}", name, level, False, small=False))
        super().__init__(arms)
        # Scan each arm: characters, answer lengths, and how many distinct questions it has.
        chars: set[str] = set()
        longest_answer, longest_prompt = 1, 1
        for index, arm in enumerate(self.arms):
            scan_seed = _seed(self.name, "scan", arm.name) % HELD_OUT_SEEDS
            items = self._items(index, scan_seed, _SCAN_ITEMS, register=False)
            for prompt, answer in items:
                chars.update(prompt + answer)
            longest = max(len(a) for _, a in items)
            if longest > max_answer_chars:
                raise ConfigError(f"arm {arm.name}: answers of up to {longest} characters exceed max_answer_chars="
                                  f"{max_answer_chars}; lower levels or raise max_answer_chars")
            longest_answer = max(longest_answer, longest)
            longest_prompt = max(longest_prompt, max(len(p) for p, _ in items))
            distinct = len({p for p, _ in items})
            self.arms[index] = dataclasses.replace(arm, small=distinct < _SCAN_ITEMS // 2)
        # Printable ASCII always (a scan can miss a rare letter), plus whatever else the scan saw.
        self._alphabet = "".join(sorted(chars | set(string.printable)))
        self.max_answer_chars = longest_answer
        self.max_prompt_chars = longest_prompt

    @property
    def alphabet(self) -> str:
        """Printable ASCII and every character of the scanned items (others map to the tokenizer's unknown token)."""
        return self._alphabet

    def reward_function(self, name: str):
        """``"dataset"``: the datasets' own scorers (:class:`DatasetScorer`); else a generic reward."""
        if name == "dataset":
            return self.scorer
        return super().reward_function(name)

    # -- items -------------------------------------------------------------------
    def _generate(self, arm: int, seed: int, n: int) -> list[tuple[str, str, Any, dict]]:
        """Items ``0 .. n-1`` of arm ``arm``'s dataset at ``seed``: (prompt, answer, dataset, entry)."""
        config = dataclasses.replace(self._configs[arm], seed=int(seed), size=int(n))
        dataset = self._dataset_cls[arm](config)
        out = []
        for i in range(n):
            entry = dataset[i]
            out.append((self.prompt_template.format(question=entry["question"]), str(entry["answer"]), dataset, entry))
        return out

    def _items(self, arm: int, seed: int, n: int, register: bool = True) -> list[tuple[str, str]]:
        """Items of :meth:`_generate` as (prompt, answer), registered with the scorer as training items."""
        items = self._generate(arm, seed, n)
        if register:
            for prompt, _, dataset, entry in items:
                self.scorer.register(prompt, dataset, entry)
        return [(prompt, answer) for prompt, answer, _, _ in items]

    def _draw(self, arm: Arm, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
        seed = int(rng.integers(TRAIN_SEED_LOW, 2 * TRAIN_SEED_LOW))
        return self._items(self.arm_names.index(arm.name), seed, n)

    def sample(self, arm: int, n: int, rng: np.random.Generator,
               exclude: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
        """``n`` training items of arm ``arm`` from training seeds, skipping questions in ``exclude``.

        A small arm (too few distinct questions) tries 20 draws, then accepts held-out questions.
        """
        spec = self.arms[arm]
        out: list[tuple[str, str]] = []
        for _ in range(20):
            out += [p for p in self._draw(spec, 2 * (n - len(out)), rng) if p[0] not in exclude]
            if len(out) >= n:
                return out[:n]
        if not spec.small:
            raise RuntimeError(f"arm {spec.name}: no {n} training questions outside the held-out sets in 20 draws")
        return (out + self._draw(spec, n - len(out), rng))[:n]

    def fixed_set(self, kind: str, per_arm: int) -> list[list[tuple[str, str]]]:
        """Distinct held-out items per arm from seeds below :data:`HELD_OUT_SEEDS` (fixed by family and kind)."""
        per_arm = check_int("per_arm", per_arm, low=1, high=100_000)
        out = []
        for index, arm in enumerate(self.arms):
            seed = _seed(self.name, kind, arm.name) % (HELD_OUT_SEEDS - 2**20)
            seen: dict[str, str] = {}
            for prompt, answer, dataset, entry in self._generate(index, seed, 4 * per_arm):
                if len(seen) < per_arm and prompt not in seen:
                    seen[prompt] = answer
                    self.scorer.register(prompt, dataset, entry, pinned=True)
            out.append(sorted(seen.items()))
        return out

    def warmup_problems(self, n: int, correct_fraction=(0.6, 0.4, 0.25, 0.1), seed: int = 0,
                        pool: int = 16_384) -> list[tuple[str, str]]:
        """``n`` warm-up problems over all arms; a wrong fraction carries another problem's answer.

        Args:
            n: number of problems, drawn uniformly over arms.
            correct_fraction: per level rank, the fraction of right answers (the last
                entry repeats for higher levels; a single number applies to all).
            seed: seeds the draw (training seeds, disjoint from probe and test seeds).
            pool: most problems generated.
        """
        n = min(check_int("n", n, low=1), check_int("pool", pool, low=1))
        fractions = np.atleast_1d(np.asarray(correct_fraction, dtype=np.float64))
        if fractions.ndim != 1 or fractions.size == 0 or not np.all((fractions >= 0.0) & (fractions <= 1.0)):
            raise ConfigError(f"correct_fraction must be numbers in [0, 1], got {correct_fraction!r}")
        levels = sorted({arm.level for arm in self.arms})
        rng = np.random.default_rng(_seed(self.name, "warmup", seed, *self.arm_names))
        counts = np.bincount(rng.integers(self.n_arms, size=n), minlength=self.n_arms)
        problems = []
        for index, (arm, count) in enumerate(zip(self.arms, counts.tolist())):
            if not count:
                continue
            rank = min(levels.index(arm.level), fractions.size - 1)
            items = self._items(index, int(rng.integers(TRAIN_SEED_LOW, 2 * TRAIN_SEED_LOW)), count, register=False)
            answers = [a for _, a in items]
            for prompt, answer in items:
                if rng.random() >= fractions[rank]:
                    answer = answers[int(rng.integers(len(answers)))]
                problems.append((prompt, answer))
        order = rng.permutation(len(problems))
        return [problems[i] for i in order]

    def describe(self) -> dict:
        return {"family": self.name, "datasets": list(self.skills), "levels": self.levels,
                "range_mode": self.range_mode, "arms": self.arm_names}
