"""The data-generation teacher env: plan -> generate -> train -> evaluate, one iteration per step.

:class:`DataGenEnv` owns what the three structures (Open-Ended, Skill-List,
Skill-Tree) share: the domain, the engine, the student, the fixed held-out sets,
the accumulated training data and the trajectory log. A structure subclass turns
an action into :class:`~teachgym.envs.datagen.engines.DataRequest` s
(:meth:`DataGenEnv._plan`) and builds the observation.

Randomness: the episode's root seed (drawn from the env's ``np_random`` at
reset) fixes the student's initial weights and, for iteration ``t``, the
engine's and the trainer's streams (``SeedSequence([root, t, k])``), so the
student after any iteration is a function of the root seed and the data alone:
an episode can be resumed from its trajectory log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teachgym import info as keys
from teachgym.env import TeacherEnv, Taught
from teachgym.envs.datagen.domain import Datum, Domain
from teachgym.envs.datagen.engines import DataEngine, DataRequest, EngineReport, make_engine
from teachgym.envs.datagen.heldout import HeldOut, heldout_sets
from teachgym.envs.datagen.trajectory import TrajectoryLog
from teachgym.validation import ConfigError, check_choice, check_int, check_mapping, check_path


def make_domain(domain: str | Domain) -> Domain:
    """A domain from its name (``"math"``, ``"code"``, ``"vqa"``) or an instance."""
    if isinstance(domain, Domain):
        return domain
    if domain == "math":
        from teachgym.envs.datagen.math_domain import MathDomain

        return MathDomain()
    if domain == "code":
        from teachgym.envs.datagen.code_domain import CodeDomain

        return CodeDomain()
    if domain == "vqa":
        from teachgym.envs.datagen.vqa_domain import VQADomain

        return VQADomain()
    raise ConfigError(f"domain must be 'math', 'code', 'vqa' or a Domain instance; got {domain!r}")


@dataclass
class Plan:
    """A teacher action decoded: the data to make, or why the plan was rejected.

    Attributes:
        requests: what to generate (empty when rejected).
        task: the per-skill counts requested, float64 of length n_skills (``info["task"]``).
        rejected: None, or the message explaining why the whole plan was refused.
        errors: problems with parts of the plan that were skipped (the rest went ahead).
        extras: structure-specific details for the log and ``info`` (e.g. the explored subskill).
        action: the action the plan was decoded from (set by the env).
    """

    requests: list[DataRequest]
    task: np.ndarray
    rejected: str | None = None
    errors: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    action: Any = None


class DataGenEnv(TeacherEnv):
    """Base of the data-generation envs; see the structure classes for the full spec.

    Args:
        domain: ``"math"``, ``"code"``, ``"vqa"`` or a Domain.
        n_steps: iterations per episode (one teacher step = generate + train + evaluate).
        budget: examples the teacher may request per iteration.
        train_steps: gradient steps per iteration (None: the domain's default, 200 for math,
            100 for code, 300 for VQA, about 3 s of one CPU core per teacher step).
        training: ``"retrain"`` (default, as DataEnvGym: from the base weights on all
            accumulated data) or ``"continue"`` (keep training the current weights on the
            iteration's new data only).
        val_per_skill, test_per_skill: held-out items per skill.
        engine: ``"programmatic"``, ``"lm"`` or a DataEngine; ``engine_kwargs`` configure it.
        student: ``"default"`` (the domain's small torch model) or ``"lm"`` (math and code: a
            causal LM trained by SFT, the GRPO issue's tiny offline model unless
            ``student_kwargs={"model": "name/or/path"}``; see
            :class:`~teachgym.students.datagen.causal_lm.CausalLMSFTStudent`).
        student_kwargs: overrides of the domain's student settings (e.g. ``d_model``).
        log_path: if given, the trajectory log is also streamed to this JSON-lines file.
        score_every: also report the test score every this many steps.
        reward: ``"accuracy"`` (default: the gain in mean per-skill validation accuracy) or
            ``"likelihood"`` (the gain in mean per-skill validation answer log-likelihood per
            token, a smooth signal; character-transformer students only, i.e. math and code with
            the default student). The headline score stays exact-match test accuracy.
    """

    published_info = ("taxonomy", "skill_accuracy", "subskill_accuracy", "data_counts", "val_accuracy",
                      "skill_log_likelihood", "rejected", "plan_errors", "engine")

    metadata = {"render_modes": []}

    def __init__(self, lessons, domain: str | Domain = "math", n_steps: int = 10, budget: int = 64,
                 train_steps: int | None = None, training: str = "retrain", val_per_skill: int = 16,
                 test_per_skill: int = 32, engine: str | DataEngine = "programmatic",
                 engine_kwargs: dict | None = None, student: str = "default", student_kwargs: dict | None = None,
                 log_path: str | Path | None = None, score_every: int | None = None, reward: str = "accuracy"):
        super().__init__(lessons, n_steps=n_steps, score_every=score_every)
        self.domain = make_domain(domain)
        self.budget = check_int("budget", budget, low=1, high=100_000)
        self.train_steps = check_int("train_steps", self.domain.default_train_steps if train_steps is None
                                     else train_steps, low=0, high=1_000_000)
        self.training = check_choice("training", training, ("retrain", "continue"))
        self.engine = make_engine(engine, **check_mapping("engine_kwargs", engine_kwargs))
        self.heldout: HeldOut = heldout_sets(self.domain, check_int("val_per_skill", val_per_skill, low=1, high=10_000),
                                             check_int("test_per_skill", test_per_skill, low=1, high=10_000))
        self.student_kind = check_choice("student", student, ("default", "lm"))
        self.student = self.domain.make_student(self.student_kind, avoid=self.heldout.keys,
                                               **check_mapping("student_kwargs", student_kwargs))
        self.reward = check_choice("reward", reward, ("accuracy", "likelihood"))
        if self.reward == "likelihood" and not hasattr(self.student, "answer_log_likelihood"):
            raise ConfigError(f"reward='likelihood' needs a student with answer_log_likelihood (the character "
                              f"transformer of math and code); {type(self.student).__name__} has none")
        for datum in self.heldout.val + self.heldout.test:
            if not self.domain.fits(self.student, datum.example):
                raise ConfigError(f"student_kwargs make the student too small for held-out item {datum.question!r}")
        self.log = TrajectoryLog(check_path("log_path", log_path, optional=True))
        lessons.update(budget=self.budget, n_steps=self.n_steps, n_difficulties=self.domain.n_difficulties,
                       max_subskills=self.domain.max_subskills)
        self.n_skills = self.domain.n_skills
        self.max_subskills = self.domain.max_subskills
        self._val_skill = np.array([d.skill for d in self.heldout.val])
        self._val_subskill = np.array([d.subskill for d in self.heldout.val])
        self._root = 0
        self.data: list[Datum] = []
        self._seen: set[str] = set()

    # -- structure hooks ---------------------------------------------------------
    def _plan(self, action) -> Plan:
        """Decode ``action`` (raise InvalidLessonError if it is outside the action space)."""
        raise NotImplementedError

    def _after_iteration(self, plan: Plan) -> None:
        """Update structure state (e.g. the skill tree) once the plan's data is in."""

    def _reset_structure(self) -> None:
        """Forget structure state at reset."""

    def _structure_state(self) -> dict[str, Any]:
        return {}

    def _load_structure_state(self, state: dict[str, Any]) -> None:
        pass

    # -- TeacherEnv hooks ----------------------------------------------------------
    def _reset_student(self, rng: np.random.Generator) -> None:
        self._root = int(rng.integers(2**62))
        self.data, self._seen = [], set()
        self._iteration = 0
        self._version = 0
        self._score_cache: tuple[int, float] | None = None
        self.student.reset(np.random.default_rng([self._root, 0]))
        self._reset_structure()
        self.log.clear()
        self.log.add("reset", root_seed=self._root, domain=self.domain.describe(), config=self._config())
        self._evaluate_val()

    def _config(self) -> dict[str, Any]:
        return {"env": type(self).__name__, "n_steps": self.n_steps, "budget": self.budget,
                "train_steps": self.train_steps, "training": self.training, "engine": self.engine.name,
                "student": self.student_kind,
                "n_val": len(self.heldout.val), "n_test": len(self.heldout.test),
                **({"reward": self.reward} if self.reward != "accuracy" else {})}  # default logs stay as before

    def _read_lesson(self, action) -> Plan:
        plan = self._plan(action)
        plan.action = action
        return plan

    def _teach(self, plan: Plan) -> Taught:
        self._iteration += 1
        before = self._reward_level()
        self.log.add("plan", iteration=self._iteration, action=_loggable(plan.action),
                     requests=[r.to_dict() for r in plan.requests], rejected=plan.rejected, plan_errors=plan.errors,
                     **plan.extras)
        report = EngineReport()
        if plan.rejected is None:
            new, report = self._generate(plan.requests)
            self._after_iteration(plan)
            if new:
                self._train(new)
                self._evaluate_val()
        reward = float(self._reward_level() - before)
        counts = np.bincount([r.skill for r in plan.requests], [r.count for r in plan.requests],
                             minlength=self.n_skills)
        outcome = float(counts @ self.skill_accuracy / counts.sum()) if counts.sum() > 0 else 0.0
        return Taught(outcome, reward, task=plan.task,
                      info={keys.REJECTED.name: plan.rejected, keys.PLAN_ERRORS.name: plan.errors,
                            keys.ENGINE.name: report.to_dict(), **self._feedback(), **plan.extras})

    def _reset_info(self) -> dict[str, Any]:
        return {keys.TAXONOMY.name: self.domain.describe(), **self._feedback()}

    def _feedback(self) -> dict[str, Any]:
        """What every step's info carries for data teachers."""
        out = {keys.SKILL_ACCURACY.name: self.skill_accuracy.tolist(),
               keys.SUBSKILL_ACCURACY.name: self.subskill_accuracy().tolist(),
               keys.DATA_COUNTS.name: self.data_counts().tolist(),
               keys.VAL_ACCURACY.name: float(self.skill_accuracy.mean())}
        if self.reward == "likelihood":
            out[keys.SKILL_LOG_LIKELIHOOD.name] = self.skill_log_likelihood.tolist()
        return out

    def _reward_level(self) -> float:
        """What the reward is the gain of."""
        return float((self.skill_log_likelihood if self.reward == "likelihood" else self.skill_accuracy).mean())

    # -- generate, train, evaluate ---------------------------------------------------
    def _generate(self, requests: list[DataRequest]) -> tuple[list[Datum], EngineReport]:
        rng = np.random.default_rng([self._root, self._iteration, 1])
        new, report = self.engine.generate(
            self.domain, requests, rng, avoid=self.heldout.keys, seen=self._seen,
            fits=lambda example: self.domain.fits(self.student, example),
            id_prefix=f"it{self._iteration}", provenance={"iteration": self._iteration})
        self.data.extend(new)
        for datum in new:
            self.log.add("data", iteration=self._iteration, datum=datum.to_dict())
        self.log.add("engine", iteration=self._iteration, **report.to_dict())
        return new, report

    def _train(self, new: list[Datum], iteration: int | None = None) -> None:
        iteration = self._iteration if iteration is None else iteration
        rng = np.random.default_rng([self._root, iteration, 2])
        if self.training == "retrain":
            self.student.restart_from_base(rng)
            lesson = self.domain.lesson(self.data)
        else:
            self.student.reseed(rng)
            lesson = self.domain.lesson(new)
        report = self.student.learn(lesson, self.train_steps)
        self._version += 1
        self.log.add("train", iteration=iteration, mode=self.training, n_examples=len(lesson),
                     steps=self.train_steps, loss=report.extras.get("loss"))

    def _evaluate_val(self) -> None:
        predictions = self.domain.predict(self.student, self.heldout.val)
        self.val_predictions = predictions
        self.val_correct = np.array([p == d.answer for p, d in zip(predictions, self.heldout.val)], dtype=np.float64)
        self.skill_accuracy = np.bincount(self._val_skill, self.val_correct, self.n_skills) / np.maximum(
            np.bincount(self._val_skill, minlength=self.n_skills), 1)
        extra = {}
        if self.reward == "likelihood":
            ll = self.student.answer_log_likelihood(self.domain.lesson(self.heldout.val))
            self.skill_log_likelihood = np.bincount(self._val_skill, ll, self.n_skills) / np.maximum(
                np.bincount(self._val_skill, minlength=self.n_skills), 1)
            extra["log_likelihood"] = self.skill_log_likelihood
        self.log.add("evaluation", iteration=self._iteration, split="val", accuracy=float(self.val_correct.mean()),
                     per_skill=self.skill_accuracy, correct=self.val_correct.astype(np.int8), **extra)

    def subskill_accuracy(self) -> np.ndarray:
        """Validation accuracy per (skill, subskill) slot, 0 where a skill has fewer subskills."""
        flat = self._val_skill * self.max_subskills + self._val_subskill
        size = self.n_skills * self.max_subskills
        totals = np.bincount(flat, minlength=size)
        return (np.bincount(flat, self.val_correct, size) / np.maximum(totals, 1)).reshape(self.n_skills, -1)

    def data_counts(self, by_subskill: bool = False) -> np.ndarray:
        """Training examples accumulated per skill (or per (skill, subskill) slot)."""
        if not by_subskill:
            return np.bincount([d.skill for d in self.data], minlength=self.n_skills).astype(np.int64)
        flat = [d.skill * self.max_subskills + d.subskill for d in self.data]
        return np.bincount(flat, minlength=self.n_skills * self.max_subskills).reshape(self.n_skills, -1)

    def val_errors(self, limit: int | None = None) -> list[tuple[Datum, str]]:
        """The validation items the student got wrong at the last evaluation, with its answers."""
        wrong = [(d, p) for d, p, c in zip(self.heldout.val, self.val_predictions, self.val_correct) if not c]
        return wrong if limit is None else wrong[:limit]

    def score(self) -> float:
        """Test accuracy in percent (the headline score)."""
        if self._score_cache is None or self._score_cache[0] != self._version:
            predictions = self.domain.predict(self.student, self.heldout.test)
            correct = np.array([p == d.answer for p, d in zip(predictions, self.heldout.test)], dtype=np.float64)
            self._score_cache = (self._version, 100.0 * float(correct.mean()))
            self.log.add("evaluation", iteration=self._iteration, split="test", accuracy=float(correct.mean()),
                         correct=correct.astype(np.int8))
        return self._score_cache[1]

    # -- checkpoint and resume ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "root": self._root, "iteration": self._iteration, "version": self._version,
                "data": [d.to_dict() for d in self.data], "log": [dict(e) for e in self.log.events],
                "structure": self._structure_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._root, self._iteration = int(state["root"]), int(state["iteration"])
        self._version, self._score_cache = int(state["version"]), None
        self.data = [Datum.from_dict(row) for row in state["data"]]
        self._seen = {self.domain.content_key(d.example) for d in self.data}
        self.log.events = [dict(e) for e in state["log"]]
        self._load_structure_state(state["structure"])
        self._evaluate_val()

    def resume_from_log(self, path_or_events) -> None:
        """Rebuild an episode from its trajectory log (a JSON-lines path or the event list).

        The student is retrained from the logged data with the logged root seed, so the
        resumed env continues exactly as the original would have.
        """
        events = TrajectoryLog.read(path_or_events) if isinstance(path_or_events, (str, Path)) else path_or_events
        reset = next((e for e in events if e["event"] == "reset"), None)
        if reset is None:
            raise ConfigError("the trajectory log has no 'reset' event; is it a teachgym DataGen log?")
        if reset["config"] != self._config():
            raise ConfigError(f"the log was written by an env configured as {reset['config']}, this one is {self._config()}")
        stream, self.log.path = self.log.path, None  # replaying must not rewrite the file being read
        self._reset_student(np.random.default_rng(0))
        self._root = int(reset["root_seed"])
        self.student.reset(np.random.default_rng([self._root, 0]))
        self.log.events = []
        for event in events:
            self.log.events.append(event)
            if event["event"] == "plan":
                self._iteration = int(event["iteration"])
                self._replay_plan(event)
            elif event["event"] == "data":
                datum = Datum.from_dict(event["datum"])
                self.data.append(datum)
                self._seen.add(self.domain.content_key(datum.example))
            elif event["event"] == "train" and self.training == "continue":
                new = [d for d in self.data if d.provenance.get("iteration") == event["iteration"]]
                self._train(new, iteration=int(event["iteration"]))
                self.log.events.pop()  # _train logged it again
        trained = [e["iteration"] for e in events if e["event"] == "train"]
        if trained and self.training == "retrain":
            self._train([], iteration=int(trained[-1]))
            self.log.events.pop()
        self._t = self._iteration
        self._evaluate_val()
        self.log.events.pop()  # the log already holds this evaluation
        self.log.path = stream
        if stream is not None:
            self.log.save(stream)

    def _replay_plan(self, event: dict[str, Any]) -> None:
        """Re-apply a logged plan's effect on structure state (the Skill-Tree's discoveries)."""


def _loggable(action) -> Any:
    if isinstance(action, str):
        return action
    try:
        return np.asarray(action).tolist()
    except (TypeError, ValueError):
        return repr(action)
