"""Open-Ended structure: the teacher sees the student's errors and writes a free-form data plan."""

from __future__ import annotations

import json
import re
import string

import numpy as np
from gymnasium import spaces

from teachgym.utils.numeric import largest_remainder
from teachgym.envs.datagen.base import DataGenEnv, Plan, make_domain
from teachgym.envs.datagen.engines import DataRequest
from teachgym.envs.datagen.plans import SpaceLessons, multidiscrete_action
from teachgym.lessons import InvalidLessonError, brief
from teachgym.validation import check_choice, check_int

TEXT_CHARSET = string.printable
_LINE = re.compile(r"\s*([A-Za-z_]+)(?:/([A-Za-z_]+))?(?:\s+difficulty\s*=\s*(\d+))?\s+(\d+)\s*")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a plan may use")


def _whole(row: dict, key: str) -> int | None:
    """``row[key]`` as an int: a JSON integer, or a float with no fractional part; None if absent or null."""
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # json gives finite floats only (constants are refused)
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, got {value!r}"[:120])
    return value


def _json_entry(row: dict) -> tuple[str, str | None, int | None, int]:
    count = _whole(row, "count")
    if count is None:
        raise KeyError("count")
    return (str(row["skill"]), None if row.get("subskill") is None else str(row["subskill"]),
            _whole(row, "difficulty"), count)


class OpenEndedEnv(DataGenEnv):
    """Teach a small model from its errors with free-form data plans.

    ## Description

    DataEnvGym's Open-Ended environment on a CPU: the teacher sees the student's
    recent validation errors and answers with a data plan - any mix of
    ``(skill, subskill, difficulty, count)`` entries - which the engine turns into
    data; the student is retrained on all data so far and re-evaluated.

    ## Action Space

    ``mode="numeric"`` (registered default; SB3 can use it):
    ``MultiDiscrete([n_skills, max_subskills + 1, n_difficulties + 1, n_amounts] * n_entries)``.
    Entry ``e`` asks for skill ``a[4e]``, subskill ``a[4e+1]`` (``max_subskills`` = mixed),
    difficulty ``a[4e+2]`` (``n_difficulties`` = mixed) with weight ``a[4e+3]`` (0 = entry unused); the
    iteration's ``budget`` is split by weight. An entry naming a subskill the skill
    lacks is skipped (its share is lost, ``info["plan_errors"]`` says why); a plan
    with no usable entry is rejected (the step costs its budget, nothing is made).

    ``mode="text"`` (for LM teachers): ``Text(max_length=2000)``. One entry per line,
    ``<skill>[/<subskill>] [difficulty=<d>] <count>``, or a JSON list of
    ``{"skill", "subskill", "difficulty", "count"}`` objects. Entries are served in
    order until ``budget`` examples are planned (the rest is cut, with a note in
    ``plan_errors``). Unparseable lines are skipped; a plan with no usable entry is
    rejected. Any string is a valid action; a non-string raises InvalidLessonError.

    ## Observation Space

    ``mode="numeric"``: ``Box(0, 1, (n_skills * (max_subskills + n_difficulties) + 1,), float32)``:

    | index                                | observation                                        |
    |--------------------------------------|----------------------------------------------------|
    | 0 .. n_skills*max_subskills-1        | error rate on validation items of each (skill,     |
    |                                      | subskill) slot (0 for slots a skill lacks)         |
    | next n_skills*n_difficulties         | error rate of each (skill, difficulty)             |
    |                                      | (0 for levels outside the domain's ``levels``:     |
    |                                      | they have no validation items; math: level 0 only) |
    | last                                 | fraction of the episode's iterations used          |

    ``mode="text"``: ``Text(max_length=4000)``: the iteration, validation accuracy, up
    to ``n_errors`` recent errors as ``[skill/subskill d=<difficulty>] question | expected |
    student answer``, and the plan format. The taxonomy is in the reset
    ``info["taxonomy"]``.

    ## Rewards

    The gain in mean per-skill validation accuracy over the step (``reward="likelihood"``, math and
    code: of the mean per-skill answer log-likelihood instead; see SkillListEnv).

    ## Starting State

    The student's base weights (math: a pretrained base, see SkillListEnv), no training data.

    ## Episode End

    Truncated after ``n_steps`` iterations; ``info["score"]`` is the test accuracy in
    percent. Info keys and the trajectory log are as in :class:`SkillListEnv`.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/DataGen-Math-OpenEnded-v0", mode="numeric", n_entries=4, n_amounts=4,
                   n_steps=10, budget=64)
    text_env = gym.make("teachgym/DataGen-Math-OpenEnded-v0", mode="text", n_errors=12)
    ```

    ## Version History

    * v0: initial version. The math defaults (pretrained base with replay, level 0, 200 steps at
      lr 1e-3) replaced a from-scratch student within v0 (CHANGELOG.md);
      ``domain=MathDomain(levels=(0, 1, 2), base_skills=())`` with
      ``student_kwargs={"base_steps": 0, "lr": 3e-3, "replay_fraction": 0.0}, train_steps=150``
      gives the from-scratch setting (up to the level-0 percentages range).
    """

    def __init__(self, domain="math", mode: str = "numeric", n_entries: int = 4, n_amounts: int = 4,
                 n_errors: int = 12, **kwargs):
        self.mode = check_choice("mode", mode, ("numeric", "text"))
        self.n_entries = check_int("n_entries", n_entries, low=1, high=256)
        self.n_amounts = check_int("n_amounts", n_amounts, low=2, high=1000)
        self.n_errors = check_int("n_errors", n_errors, low=0, high=200)
        domain = make_domain(domain)
        k, s, d = domain.n_skills, domain.max_subskills, domain.n_difficulties
        if self.mode == "numeric":
            space = spaces.MultiDiscrete([k, s + 1, d + 1, self.n_amounts] * self.n_entries)
        else:
            space = spaces.Text(max_length=2000, min_length=0, charset=TEXT_CHARSET)
        super().__init__(SpaceLessons(space, {"kind": "open_ended", "mode": self.mode, "n_entries": self.n_entries,
                                              "n_amounts": self.n_amounts, "skills": [x.name for x in domain.skills]}),
                         domain=domain, **kwargs)
        if self.mode == "numeric":
            self.observation_space = spaces.Box(0.0, 1.0, (k * (s + d) + 1,), dtype=np.float32)
        else:
            self.observation_space = spaces.Text(max_length=4000, min_length=0, charset=TEXT_CHARSET)
        self._val_difficulty = np.array([x.difficulty for x in self.heldout.val])

    # -- plans ---------------------------------------------------------------------
    def _plan(self, action) -> Plan:
        if self.mode == "numeric":
            return self._plan_numeric(multidiscrete_action(action, self.action_space))
        if not isinstance(action, str):
            raise InvalidLessonError(f"action must be a text plan (str) in mode='text', got {type(action).__name__}")
        return self._plan_text(action)

    def _plan_numeric(self, values: np.ndarray) -> Plan:
        entries, errors = values.reshape(self.n_entries, 4), []
        counts = largest_remainder(entries[:, 3], self.budget)
        requests = []
        for e, ((skill, subskill, difficulty, _), count) in enumerate(zip(entries.tolist(), counts.tolist())):
            if count == 0:
                continue
            n_sub = len(self.domain.skills[skill].subskills)
            if subskill == self.max_subskills:
                subskill = None
            elif subskill >= n_sub:
                errors.append(f"entry {e}: skill {self.domain.skills[skill].name!r} has {n_sub} subskills, "
                              f"got subskill {subskill}; its {count} examples are lost")
                continue
            requests.append(DataRequest(skill, count, subskill, None if difficulty == self.domain.n_difficulties else difficulty))
        return self._finish(requests, errors, "no entry has a positive weight and a valid subskill")

    def _plan_text(self, text: str) -> Plan:
        if len(text) > self.action_space.max_length:
            return self._finish([], [], f"plan is {len(text)} characters; at most {self.action_space.max_length} allowed")
        entries, errors = self._parse_text(text)
        requests, left = [], self.budget
        for e, (skill_name, sub_name, difficulty, count) in enumerate(entries):
            skill = self.domain.skill_index(skill_name)
            if skill is None:
                errors.append(f"entry {e}: unknown skill {skill_name!r}; skills: {[s.name for s in self.domain.skills]}")
                continue
            names = self.domain.skills[skill].subskill_names
            if sub_name is not None and sub_name not in names:
                errors.append(f"entry {e}: skill {skill_name!r} has no subskill {sub_name!r}; subskills: {list(names)}")
                continue
            if difficulty is not None and not 0 <= difficulty < self.domain.n_difficulties:
                errors.append(f"entry {e}: difficulty must be in [0, {self.domain.n_difficulties - 1}], got {brief(difficulty)}")
                continue
            if count <= 0:
                continue
            if count > left:
                errors.append(f"entry {e}: asks for {brief(count)} examples but {left} remain of the budget {self.budget}; cut to {left}")
                count = left
            if count > 0:
                requests.append(DataRequest(skill, count, None if sub_name is None else names.index(sub_name), difficulty))
                left -= count
        return self._finish(requests, errors, "the plan has no usable entry (format: '<skill>[/<subskill>] "
                                              "[difficulty=<d>] <count>' per line, or a JSON list)")

    @staticmethod
    def _parse_text(text: str):
        """Entries ``(skill, subskill|None, difficulty|None, count)`` and errors for unparseable lines."""
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                rows = json.loads(stripped, parse_constant=_refuse_constant)
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError("expected a list of objects")
                return [_json_entry(r) for r in rows], []
            except (ValueError, KeyError, TypeError) as err:
                return [], [f"JSON plan not understood: {err}"]
            except RecursionError:
                return [], ["JSON plan not understood: nested too deeply"]
        entries, errors = [], []
        for n, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            match = _LINE.fullmatch(line)
            if match is None:
                errors.append(f"line {n + 1} not understood: {line[:80]!r}")
                continue
            skill, sub, difficulty, count = match.groups()
            entries.append((skill, sub, None if difficulty is None else int(difficulty), int(count)))
        return entries, errors

    def _finish(self, requests, errors, empty_message) -> Plan:
        task = np.zeros(self.n_skills)
        for r in requests:
            task[r.skill] += r.count
        if not requests:
            return Plan([], task, rejected=empty_message, errors=errors)
        return Plan(requests, task, errors=errors)

    # -- observations ----------------------------------------------------------------
    def _observation(self):
        if self.mode == "text":
            return self._text_observation()
        wrong = 1.0 - self.val_correct
        k, s, d = self.n_skills, self.max_subskills, self.domain.n_difficulties
        by_sub = 1.0 - self.subskill_accuracy()
        has_sub = np.zeros((k, s), dtype=bool)
        for i, skill in enumerate(self.domain.skills):
            has_sub[i, : len(skill.subskills)] = True
        flat = self._val_skill * d + self._val_difficulty
        totals = np.bincount(flat, minlength=k * d)
        by_difficulty = np.bincount(flat, wrong, k * d) / np.maximum(totals, 1)
        obs = np.concatenate([np.where(has_sub, by_sub, 0.0).reshape(-1), by_difficulty, [self._t / self.n_steps]])
        return obs.astype(np.float32)

    def _text_observation(self) -> str:
        errors = self.val_errors()
        rng = np.random.default_rng([self._root, self._iteration, 3])
        shown = [errors[i] for i in sorted(rng.permutation(len(errors))[: self.n_errors])] if errors else []
        lines = [f"Iteration {max(self._t, 0)}/{self.n_steps}. Validation accuracy {100 * self.skill_accuracy.mean():.1f}%. "
                 f"Budget per iteration: {self.budget} examples.",
                 "Accuracy per skill: " + ", ".join(f"{s.name} {100 * a:.0f}%" for s, a in
                                                    zip(self.domain.skills, self.skill_accuracy)),
                 f"Recent errors ({len(shown)} of {len(errors)}): [skill/subskill d=difficulty] question | expected | student"]
        for datum, prediction in shown:
            skill = self.domain.skills[datum.skill]
            lines.append(f"[{skill.name}/{skill.subskill_names[datum.subskill]} d={datum.difficulty}] "
                         f"{datum.question} | {datum.answer} | {prediction}")
        lines.append("Plan format: one '<skill>[/<subskill>] [difficulty=<d>] <count>' per line.")
        text = "\n".join(lines)
        text = "".join(c if c in TEXT_CHARSET else "?" for c in text)
        return text[: self.observation_space.max_length]
