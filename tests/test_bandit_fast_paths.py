"""The bandit teachers' shortcuts make the choices of their general paths, bit for bit.

Each fast path (the shared update, per-arm statistics kept up to date instead
of recomputed, work buffers, the block-drawn rng) must round exactly as the
general code does: a test here drives a teacher and its general twin with the
same stream of steps, including the awkward ones, and requires the same lesson
at every step and the same statistics at the end.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium import spaces

import teachgym
from teachgym.teachers.common.bandit import BanditTeacher
from teachgym.teachers.curriculum.tscl import regression_slope
from teachgym.teachers.grpo.arm_signals import ArmTeacher

BANDITS = ["tscl-window", "tscl-sampling", "exp3", "ucb", "thompson", "sec", "dump", "learnability"]


def _stream(step: int, rng: np.random.Generator, skill: np.ndarray) -> dict:
    """A step's info: mostly a float outcome; sometimes NaN, inf, an int, a numpy float or nothing."""
    outcome = float(skill.mean() + rng.normal(0.0, 0.01))
    kind = step % 53
    if kind == 7:
        return {"outcome": math.nan}
    if kind == 19:
        return {"outcome": math.inf}
    if kind == 23:
        return {"outcome": 1}
    if kind == 31:
        return {"outcome": np.float64(outcome)}
    if kind == 41:
        return {}
    return {"outcome": outcome}


def _general(name: str, kwargs: dict):
    """The teacher ``name`` with the general update (and act, for the arm teachers), a plain Generator and no
    per-arm shortcuts."""
    cls = type(teachgym.make_teacher(name, **kwargs))

    class General(cls):
        update = BanditTeacher.general_update
        block_draws = False

        def act(self, obs, info):
            if not issubclass(cls, ArmTeacher):
                return super().act(obs, info)
            if getattr(self, "_window_pending", False):  # DUMP's budget-relative window
                self._resolve_window(info)
            return ArmTeacher.act(self, obs, info)

        def _setup(self):
            super()._setup()
            if hasattr(self, "_per_arm"):  # learnability: recompute the weights from the success rates
                self._per_arm = False

    return General(**kwargs)


@pytest.mark.parametrize("name,kwargs", [(name, {}) for name in BANDITS] + [
    ("tscl-window", {"window": 7}), ("tscl-window", {"policy": "boltzmann"}), ("exp3", {"share": 0.01}),
    ("ucb", {"discount": 1.0}), ("dump", {"window": 3, "c": 0.3}), ("learnability", {"temperature": 1.0}),
    ("learnability", {"temperature": 0.3, "smoothing": 0.9}), ("dump", {"temperature": 1e-300}),
    ("dump", {"c": 1e300, "temperature": 1e-3}), ("dump", {"c": 1e301}), ("dump", {"c": 3.0, "explore": 0.0}),
    ("sec", {"temperature": 1e-300}), ("sec", {"initial_value": 1e308, "alpha": 1.0})])
def test_the_fast_paths_choose_what_the_general_paths_choose(name, kwargs):
    fast, general = teachgym.make_teacher(name, **kwargs), _general(name, kwargs)
    space = spaces.Discrete(9, start=2)
    for teacher in (fast, general):
        teacher.reset(space, None, seed=11)
    assert (type(fast.rng) is np.random.Generator) == (not fast.block_draws)
    rng = np.random.default_rng(4)
    skill = np.zeros(9)
    info = {"outcome": 0.0, "teaching_budget": 6000}
    for step in range(2500):
        lesson = fast.act(None, info)
        assert lesson == general.act(None, info), step
        if step % 97 == 5:  # a lesson the teacher did not choose, as a numpy integer, or one out of range
            lesson = np.int64(2 + step % 9) if step % 2 else 99
        else:
            arm = lesson - 2
            skill[arm] += 0.1 * rng.random() * (1.0 - skill[arm]) - (0.02 if step > 1500 and arm < 3 else 0.0)
        info = _stream(step, rng, skill)
        fast.update(lesson, 0.0, None, info)
        general.update(lesson, 0.0, None, info)
    assert fast.rng.bit_generator.state == general.rng.bit_generator.state
    for attribute in ("values", "success", "counts", "_slopes", "_log_weights", "_rewards"):
        if hasattr(general, attribute):
            assert np.array_equal(getattr(fast, attribute), getattr(general, attribute)), attribute


def test_learnability_reads_the_probe_accuracy_into_its_per_arm_weights():
    fast, general = teachgym.make_teacher("learnability", explore=0.0), _general("learnability", {"explore": 0.0})
    for teacher in (fast, general):
        teacher.reset(spaces.Discrete(5), None, seed=0)
    info = {"arm_accuracy": [0.1, 0.5, float("nan"), 0.9, 0.45]}
    for step in range(300):
        lesson = fast.act(None, info)
        assert lesson == general.act(None, info), step
        info = {"outcome": 0.2 * (lesson % 5), "arm_accuracy": [0.3, 0.3, 0.6, 0.2, 0.5]}
        fast.update(lesson, 0.0, None, info)
        general.update(lesson, 0.0, None, info)
    assert np.array_equal(fast.distribution({}), general.distribution({}))


@pytest.mark.parametrize("window", [2, 5, 40])
def test_tscl_window_slopes_equal_the_regression_slope_of_each_window(window):
    """The running largest |score| is rescanned when it leaves the window; every slope is still exact."""
    teacher = teachgym.make_teacher("tscl-window", window=window)
    teacher.reset(spaces.Discrete(3), None, seed=0)
    rng = np.random.default_rng(window)
    history: dict[int, list[tuple[int, float]]] = {0: [], 1: [], 2: []}
    for step in range(1, 1200):
        arm = int(rng.integers(3))
        # Spikes that leave the window, ties of |score| (+-x), zeros, and a slow drift.
        outcome = float(rng.choice([5.0, -5.0, 0.0, 0.01 * step, -0.3])) if step % 11 == 0 else float(rng.random())
        teacher.update(arm, 0.0, None, {"outcome": outcome})
        history[arm].append((step, outcome))
        recent = history[arm][-window:]
        order = sorted(range(len(recent)), key=lambda i: (len(history[arm]) - len(recent) + i) % window)
        times = np.array([recent[i][0] for i in order], dtype=np.float64)  # ring-buffer order, as the teacher's
        scores = np.array([recent[i][1] for i in order])
        assert teacher.learning_progress()[arm] == regression_slope(times, scores), step
