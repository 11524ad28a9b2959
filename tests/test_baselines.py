"""The baselines the field compares against, each on a small case that shows its defining behaviour.

PLR / Robust PLR / ACCEL (level replay), SFL, ADR, SPDL, GoalGAN, Setter-Solver
(curriculum); online difficulty filtering and VCRL (GRPO); the learning-progress
data teacher. The registry-driven conformance checks of every teacher are in
``tests/test_teachers.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

import teachgym
from teachgym.teachers.curriculum.plr import LevelBuffer, average_ranks


def _box(dim: int) -> spaces.Box:
    return spaces.Box(np.zeros(dim, np.float32), np.ones(dim, np.float32), dtype=np.float32)


def _teach(teacher, space, outcome_of, steps: int, reset_info: dict | None = None, seed: int = 0) -> list:
    """Drive ``teacher`` for ``steps`` steps on a synthetic student whose outcome is ``outcome_of(lesson)``."""
    teacher.reset(space, None, seed=seed)
    info = {"episode_start": True, "teaching_budget": steps, "budget_used": 0.0, **(reset_info or {})}
    lessons = []
    for i in range(steps):
        lesson = teacher.act(None, info)
        assert space.contains(np.asarray(lesson, dtype=space.dtype) if isinstance(space, spaces.Box) else lesson)
        info = {"lesson": lesson, "task": lesson, "outcome": float(outcome_of(lesson)), "budget_used": (i + 1) / steps}
        teacher.update(lesson, 0.0, None, info)
        lessons.append(lesson)
    return lessons


# -- level replay ------------------------------------------------------------------------------
def test_plr_replay_distribution_ranks_by_score_and_mixes_in_staleness():
    buffer = LevelBuffer(4, 1)
    for i, score in enumerate([0.9, 0.1, 0.5, 0.1]):
        buffer.add(np.array([float(i)]), score, 0.0, clock=10.0 if i < 3 else 1.0)
    by_score = buffer.replay_distribution(10.0, "rank", 1.0, staleness_coef=0.0)
    assert by_score.argmax() == 0 and by_score[2] > by_score[1] == pytest.approx(by_score[3])
    mixed = buffer.replay_distribution(10.0, "rank", 1.0, staleness_coef=0.5)
    assert mixed[3] > by_score[3] and mixed[3] > mixed[1]  # the stalest level gains; equal scores did not
    np.testing.assert_allclose(average_ranks(np.array([3.0, 1.0, 1.0, 2.0])), [1.0, 3.5, 3.5, 2.0])


def test_plr_full_buffer_keeps_the_higher_score():
    buffer = LevelBuffer(2, 1)
    buffer.add(np.array([0.0]), 0.5, 0.0, 0)
    buffer.add(np.array([1.0]), 0.2, 0.0, 1)
    assert buffer.add(np.array([2.0]), 0.1, 0.0, 2) is None  # below the lowest score: not kept
    assert buffer.add(np.array([3.0]), 0.3, 0.0, 3) == 1  # replaces the 0.2 level
    assert sorted(buffer.levels[:, 0].tolist()) == [0.0, 3.0]


def test_plr_replays_high_score_arms_most_and_stale_arms_eventually():
    """Arm 0's outcome keeps changing (a high L1 value-loss score); the others never change (score 0)."""
    flips = iter(np.tile([0.0, 1.0], 2000))
    teacher = teachgym.make_teacher("plr", staleness_coef=0.1)
    lessons = _teach(teacher, spaces.Discrete(5), lambda arm: next(flips) if arm == 0 else 0.3, 1500)
    counts = np.bincount(lessons, minlength=5)
    assert counts[0] > 0.7 * len(lessons)
    late = np.bincount(lessons[500:], minlength=5)
    assert np.all(late[1:] > 0)  # staleness brings back every low-score arm
    plain = teachgym.make_teacher("plr", staleness_coef=0.0)
    flips = iter(np.tile([0.0, 1.0], 2000))
    unstale = np.bincount(_teach(plain, spaces.Discrete(5), lambda arm: next(flips) if arm == 0 else 0.3, 1500)[500:],
                          minlength=5)
    assert unstale[1:].sum() < late[1:].sum()


def test_plr_on_a_box_replays_the_task_where_outcomes_change():
    """Outcomes change only near x = 0.8; replays concentrate there."""
    visits = {}

    def outcome(task):
        key = float(task[0])
        visits[key] = visits.get(key, 0) + 1
        return min(1.0, 0.1 * visits[key]) if abs(key - 0.8) < 0.05 else 0.0

    teacher = teachgym.make_teacher("plr", capacity=50)
    lessons = np.asarray(_teach(teacher, _box(1), outcome, 1500))[:, 0]
    assert teacher.replays > 300
    assert np.mean(np.abs(lessons[-500:] - 0.8) < 0.05) > 0.3  # uniform would give 0.1


def test_robust_plr_replays_with_its_fixed_probability_and_scores_only_gains():
    teacher = teachgym.make_teacher("robust-plr", replay_prob=0.7, capacity=20)
    _teach(teacher, _box(2), lambda task: float(task[0]), 1000)
    assert 0.6 < teacher.replays / 1000 < 0.75  # replays start once the buffer is half full (10 steps)
    assert teacher._score_of(0.2, 0.5, None) == 0.0 and teacher._score_of(0.7, 0.5, None) == pytest.approx(0.2)
    with pytest.raises(teachgym.ConfigError, match="replay_schedule"):
        teachgym.make_teacher("robust-plr", replay_schedule="proportionate")


def test_accel_edits_replayed_tasks_into_nearby_children():
    teacher = teachgym.make_teacher("accel", edit_scale=0.02, n_edits=2, capacity=30)
    teacher.reset(_box(2), None, seed=0)
    info = {"episode_start": True, "teaching_budget": 600}
    previous, replayed_before, children = None, 0, []
    for _ in range(600):
        lesson = teacher.act(None, info)
        if previous is not None and teacher.edits > len(children) and teacher.replays == replayed_before:
            children.append(np.abs(lesson - previous).max())  # the step after a replay practises its child
        replayed_before, previous = teacher.replays, lesson
        info = {"task": lesson, "outcome": float(np.exp(-20 * ((lesson - 0.3) ** 2).sum()))}
        teacher.update(lesson, 0.0, None, info)
    assert teacher.edits > 100 and len(children) > 100
    assert 0 < np.median(children) < 0.05 and max(children) < 0.2
    # A child that scores above the buffer's lowest level is kept.
    buffer = teacher.buffer
    low = int(np.argmin(buffer.scores[: buffer.size]))
    assert buffer.add(teacher.edit(buffer.levels[low]), buffer.scores[low] + 1.0, 0.5, teacher.clock) == low


# -- SFL -------------------------------------------------------------------------------------------
def test_sfl_buffer_holds_the_most_learnable_tasks():
    """Success is 1 for x < 0.3, 0 for x > 0.7, 0.5 in between: only the middle is learnable."""
    teacher = teachgym.make_teacher("sfl", buffer_size=10, refresh_every=50)
    outcome = lambda task: 1.0 if task[0] < 0.3 else (0.0 if task[0] > 0.7 else 0.5)  # noqa: E731
    lessons = np.asarray(_teach(teacher, _box(1), outcome, 500))[:, 0]
    assert teacher.refreshes == 10 and len(teacher.buffer) == 10
    assert np.all((teacher.buffer[:, 0] >= 0.3) & (teacher.buffer[:, 0] <= 0.7))
    assert np.mean((lessons[100:] >= 0.3) & (lessons[100:] <= 0.7)) > 0.55  # uniform: 0.4


def test_sfl_on_arms_keeps_the_arms_with_intermediate_success():
    teacher = teachgym.make_teacher("sfl", buffer_size=2, refresh_every=40)
    success = [0.0, 1.0, 0.5, 0.4, 1.0, 0.0]
    _teach(teacher, spaces.Discrete(6), lambda arm: success[arm], 400)
    assert sorted(teacher.buffer[:, 0].astype(int).tolist()) == [2, 3]


# -- ADR ----------------------------------------------------------------------------------------------
def test_adr_boundary_expands_where_the_student_succeeds_and_contracts_where_it_fails():
    easy = {"easy_to_hard": {"easy": [0.2, 0.2], "hard": [1.0, 1.0]}}
    teacher = teachgym.make_teacher("adr", buffer_size=5, step_size=0.05)
    _teach(teacher, _box(2), lambda task: 1.0 if task[0] < 0.6 else 0.0, 2000, reset_info=easy)
    ranges = teacher.ranges()
    assert ranges[1, 1] > 0.9  # dimension 1 always succeeds: its upper boundary grew to the box edge
    assert 0.5 <= ranges[0, 1] <= 0.7  # dimension 0 grew until failures at x >= 0.6 pushed it back
    assert ranges[0, 0] == pytest.approx(0.0) and teacher.moves["contract"] > 0
    failing = teachgym.make_teacher("adr", buffer_size=5)
    _teach(failing, _box(2), lambda task: 0.0, 500, reset_info=easy)
    np.testing.assert_allclose(failing.ranges(), [[0.2, 0.2], [0.2, 0.2]])  # never narrower than the start


# -- SPDL ----------------------------------------------------------------------------------------------
def test_spdl_distribution_approaches_the_target_as_performance_allows():
    hard = {"easy_to_hard": {"easy": [0.0, 0.0], "hard": [1.0, 1.0]}}
    teacher = teachgym.make_teacher("spdl", update_every=20)
    teacher.reset(_box(2), None, seed=0)
    _teach(teacher, _box(2), lambda task: 1.0, 20, reset_info=hard)
    start_kl = teacher.kl_to_target()
    _teach(teacher, _box(2), lambda task: 1.0, 400, reset_info=hard)
    assert teacher.kl_to_target() < 0.01 * start_kl
    np.testing.assert_allclose(teacher.distribution.mean, [1.0, 1.0], atol=0.05)
    # With the performance threshold, a student that fails away from the centre holds the distribution back.
    held = teachgym.make_teacher("spdl", update_every=20, performance_threshold=0.5)
    _teach(held, _box(2), lambda task: float(np.abs(task - 0.5).max() < 0.25), 400, reset_info=hard)
    assert held.kl_to_target() > 10 * teacher.kl_to_target()
    assert np.all(np.abs(held.distribution.mean - 0.5) < 0.35)


def test_spdl_without_a_published_target_aims_at_the_whole_box():
    teacher = teachgym.make_teacher("spdl", update_every=20)
    _teach(teacher, _box(2), lambda task: 1.0, 200)
    np.testing.assert_allclose(teacher.target.mean, [0.5, 0.5])
    np.testing.assert_allclose(teacher.target.std, [1 / np.sqrt(12)] * 2)


# -- generative setters ---------------------------------------------------------------------------------
def _ramp(task) -> float:
    """Success 0 below x = 0.4, 1 above 0.6, linear in between (GOID band 0.1..0.9: x in [0.42, 0.58])."""
    return float(np.clip((task[0] - 0.4) / 0.2, 0.0, 1.0))


def test_goal_gan_goals_concentrate_at_intermediate_success():
    teacher = teachgym.make_teacher("goal-gan", update_every=100, gan_steps=200, random_prob=0.0, replay_prob=0.0)
    _teach(teacher, _box(2), _ramp, 800)
    assert teacher.updates >= 5
    goals = teacher.propose(2000)
    success = np.array([_ramp(g) for g in goals])
    in_band = np.mean((success >= 0.1) & (success <= 0.9))
    assert in_band > 3 * 0.16  # uniform goals are GOID 16 % of the time


def test_setter_solver_goals_follow_the_desired_feasibility():
    teacher = teachgym.make_teacher("setter-solver", update_every=100, train_steps=200)
    _teach(teacher, _box(2), lambda task: float(task[0]), 600)
    easy = np.array([float(g[0]) for g in teacher.propose(np.full(500, 0.9))])
    hard = np.array([float(g[0]) for g in teacher.propose(np.full(500, 0.1))])
    assert easy.mean() > hard.mean() + 0.3
    assert teacher.judge(np.array([[0.9, 0.5]]))[0] > teacher.judge(np.array([[0.1, 0.5]]))[0]


def test_torch_teachers_leave_torch_global_rng_alone():
    import torch

    state = torch.get_rng_state().clone()
    for name in ("goal-gan", "setter-solver"):
        _teach(teachgym.make_teacher(name, update_every=20), _box(2), _ramp, 60)
    assert torch.equal(state, torch.get_rng_state())


# -- GRPO family --------------------------------------------------------------------------------------------
def _grpo_step(teacher, arm: int, rewards: dict) -> None:
    info = {"lesson": arm, "task": arm, "outcome": 0.0, "arm_reward_mean": rewards}
    teacher.update(arm, 0.0, None, info)


def test_online_filtering_drops_solved_and_unsolvable_arms():
    teacher = teachgym.make_teacher("online-filtering", explore=0.0)
    teacher.reset(spaces.Discrete(5), None, seed=0)
    teacher.act(None, {"arm_accuracy": [0.5] * 5})
    for arm, rate in enumerate([1.0, 0.0, 0.5, 0.3, 0.95]):
        _grpo_step(teacher, arm, {arm: rate})
    np.testing.assert_allclose(teacher.distribution({}), [0.0, 0.0, 0.5, 0.5, 0.0])
    assert {teacher.act(None, {}) for _ in range(50)} == {2, 3}
    nothing_in_band = teachgym.make_teacher("online-filtering", explore=0.0)
    nothing_in_band.reset(spaces.Discrete(3), None, seed=0)
    for arm, rate in enumerate([1.0, 0.0, 0.85]):
        _grpo_step(nothing_in_band, arm, {arm: rate})
    np.testing.assert_allclose(nothing_in_band.distribution({}), [0.0, 0.0, 1.0])  # the closest to the band


def test_vcrl_replaces_low_variance_arms_from_its_bank():
    teacher = teachgym.make_teacher("vcrl", kappa=0.5, explore=0.0)
    teacher.reset(spaces.Discrete(4), None, seed=0)
    for arm, rate in enumerate([1.0, 0.0, 0.5, 0.25]):  # normalised variances 0, 0, 1, 0.75
        _grpo_step(teacher, arm, {arm: rate})
    assert teacher.in_bank.tolist() == [False, False, True, True]
    distribution = teacher.distribution({})
    assert distribution[:2].sum() == 0.0 and distribution[2] > distribution[3] > 0.25
    assert distribution.sum() == pytest.approx(1.0)
    _grpo_step(teacher, 3, {3: 0.9})  # variance 0.36 < kappa: leaves the bank
    assert not teacher.in_bank[3]


# -- data generation -----------------------------------------------------------------------------------------
def test_learning_progress_data_teacher_favours_the_improving_skill():
    skills = [f"skill{i}" for i in range(4)]
    reset = {"episode_start": True, "lesson_space": {"kind": "allocation", "skills": skills, "budget": 40},
             "taxonomy": {"skills": [{"name": s, "subskills": []} for s in skills]},
             "skill_accuracy": [0.2, 0.9, 0.5, 0.3]}
    space = spaces.Box(0.0, 1.0, (4,), dtype=np.float32)
    teacher = teachgym.make_teacher("datagen-learning-progress")
    teacher.reset(space, None, seed=0)
    first = teacher.act(None, reset)
    np.testing.assert_allclose(first, 1.0)  # no progress measured yet: uniform
    step = {"skill_accuracy": [0.2, 0.9, 0.5, 0.6]}  # skill 3 improves; skill 0 stays the weakest
    teacher.update(first, 0.0, None, step)
    action = teacher.act(None, step)
    assert action.argmax() == 3 and action[0] > 0  # the floor keeps every skill measured
    targeting = teachgym.make_teacher("datagen-targeting")
    targeting.reset(space, None, seed=0)
    targeting.act(None, reset)
    assert targeting.act(None, step).argmax() == 0


@pytest.mark.parametrize("name, kwargs, field", [
    ("plr", {"score": "regret"}, "score"),
    ("plr", {"temperature": 0.0}, "temperature"),
    ("robust-plr", {"staleness_coef": 1.5}, "staleness_coef"),
    ("sfl", {"buffer_share": 2.0}, "buffer_share"),
    ("adr", {"high_threshold": 0.1, "low_threshold": 0.5}, "high_threshold"),
    ("adr", {"start": "hard"}, "start"),
    ("spdl", {"max_kl": 0.0}, "max_kl"),
    ("spdl", {"target": "easy"}, "target"),
    ("goal-gan", {"goid_low": 0.9, "goid_high": 0.1}, "goid_low"),
    ("setter-solver", {"batch_size": 1}, "batch_size"),
    ("accel", {"n_edits": 0}, "n_edits"),
    ("online-filtering", {"low": 0.8, "high": 0.2}, "low"),
    ("vcrl", {"momentum": 1.0}, "momentum"),
    ("datagen-learning-progress", {"window": 0}, "window"),
])
def test_invalid_hyperparameters_name_the_field(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        teachgym.make_teacher(name, **kwargs)


def test_box_teachers_refuse_unbounded_task_spaces():
    unbounded = spaces.Box(-np.inf, np.inf, (2,), dtype=np.float32)
    for name in ("plr", "sfl", "adr", "spdl", "goal-gan", "setter-solver", "accel"):
        with pytest.raises(teachgym.ConfigError, match="finite bounds"):
            teachgym.make_teacher(name).reset(unbounded, None, seed=0)
