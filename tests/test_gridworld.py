"""GridworldCurriculum env and its tabular Q-learning student."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import teachgym
from teachgym.envs.curriculum.gridworld import PROBE_SET, TEST_SET, GridworldCurriculumEnv
from teachgym.students.curriculum.tabular_q import DEFAULT_MAZE, TabularQStudent

ENV_IDS = ("teachgym/GridworldCurriculum-v0", "teachgym/GridworldCurriculumDiscrete-v0")
NEAR = np.array([0.05, 0.0, 0.0])  # just inside the lava corridor
FAR = np.array([1.0, 0.0, 0.0])


def fresh_student(seed: int = 0, **kwargs) -> TabularQStudent:
    student = TabularQStudent(**kwargs)
    student.reset(np.random.default_rng(seed))
    return student


def reverse_curriculum(student: TabularQStudent, n_lessons: int, episodes: int = 8) -> None:
    for i in range(n_lessons):
        student.learn([(i + 1) / n_lessons, 0.0, 0.0], episodes)


# -- student -----------------------------------------------------------------------
def test_student_learns_a_near_task():
    student = fresh_student()
    before = student.evaluate(NEAR)[0]
    report = student.learn(NEAR, 8)
    for _ in range(9):
        student.learn(NEAR, 8)
    assert before < 0.2  # a random walk mostly dies in the lava corridor
    assert student.evaluate(NEAR)[0] > 0.99
    assert 0.0 <= report.outcome <= 1.0 and report.work == report.extras["env_steps"] > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_far_start_needs_a_curriculum(seed):
    far_only = fresh_student(seed)
    for _ in range(80):
        far_only.learn(FAR, 8)
    curriculum = fresh_student(seed)
    reverse_curriculum(curriculum, 80)  # the same 640 episodes, from near to far
    assert far_only.evaluate(FAR)[0] < 0.01
    assert curriculum.evaluate(FAR)[0] > 0.99


def test_high_slip_far_tasks_stay_unlearnable():
    student = fresh_student()
    reverse_curriculum(student, 80)
    hopeless = np.array([[1.0, 1.0, 0.5], [0.75, 0.9, 0.6], [1.0, 0.0, 1.0]])
    for _ in range(40):
        student.learn(hopeless[0], 8)
    assert np.all(student.optimal_success(hopeless) < 0.01)
    assert np.all(student.evaluate(hopeless) < 0.01)
    assert student.evaluate(FAR)[0] > 0.99  # high-slip practice wasted budget but did no harm


def test_evaluate_matches_greedy_rollouts():
    """The exact DP agrees with a plain simulation written from the maze text."""
    student = fresh_student(3)
    for i in range(30):  # the first 30 lessons of an 80-lesson curriculum: far cells still untrained
        student.learn([(i + 1) / 80, 0.0, 0.0], 8)
    task = np.array([0.35, 0.4, 0.3])
    cells = [(r, c) for r, row in enumerate(DEFAULT_MAZE) for c, ch in enumerate(row) if ch != "#"]
    index = {cell: i for i, cell in enumerate(cells)}
    q = student.q_table()
    rng = np.random.default_rng(123)
    starts = [i for i in range(len(cells)) if student.distance[i] == student.start_distance(task)[0]]
    slip, limit, n, wins = student.slip_probability(task)[0], student.step_limit(task)[0], 2000, 0
    for _ in range(n):
        r, c = cells[rng.choice(starts)]
        for _ in range(limit):
            i = index[(r, c)]
            action = rng.choice(np.flatnonzero(q[i] == q[i].max()))
            if rng.random() < slip:
                action = rng.integers(4)
            dr, dc = ((-1, 0), (0, 1), (1, 0), (0, -1))[action]
            if (r + dr, c + dc) in index:
                r, c = r + dr, c + dc
            if DEFAULT_MAZE[r][c] != ".":
                wins += DEFAULT_MAZE[r][c] == "G"
                break
    exact = student.evaluate(task)[0]
    assert 0.05 < exact < 0.95  # the check means something only away from 0 and 1
    assert abs(wins / n - exact) < 4 * np.sqrt(exact * (1 - exact) / n)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_greedy_success_never_beats_the_optimum(seed):
    rng = np.random.default_rng(seed)
    student = fresh_student()
    student.load_state_dict({"q": rng.random(student.q_table().shape).round(1), "rng": rng.bit_generator.state})
    tasks = rng.random((6, 3))
    greedy, best = student.evaluate(tasks), student.optimal_success(tasks)
    assert np.all((greedy >= 0) & (greedy <= best + 1e-12) & (best <= 1 + 1e-12))


def test_state_dict_round_trip_continues_identically():
    student = fresh_student(7)
    reverse_curriculum(student, 10)
    state = student.state_dict()
    lessons = np.random.default_rng(0).random((15, 3))
    first = [student.learn(lesson, 4).outcome for lesson in lessons]
    other = fresh_student(99)
    other.load_state_dict(state)
    second = [other.learn(lesson, 4).outcome for lesson in lessons]
    assert first == second
    np.testing.assert_array_equal(student.q_table(), other.q_table())


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"max_slip": 1.5}, "max_slip"),
    ({"epsilon": -0.1}, "epsilon"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"discount": 2}, "discount"),
    ({"horizon": (2.0, 0.0)}, "horizon[1]"),
    ({"horizon": 3}, "horizon"),
    ({"maze": ("G.#", "..")}, "maze"),
    ({"maze": ("G.", "GL")}, "maze"),
    ({"maze": ("G.L", "L#."), }, "maze"),
])
def test_invalid_student_config_names_the_field(kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field.replace("[", r"\[")):
        TabularQStudent(**kwargs)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"episodes_per_step": 0}, "episodes_per_step"),
    ({"reward_mode": "return"}, "reward_mode"),
    ({"lesson_mode": "grid"}, "lesson_mode"),
    ({"n_steps": 0}, "n_steps"),
    ({"arms_per_dim": 0, "lesson_mode": "regions"}, "arms_per_dim"),
    ({"max_slip": -1}, "max_slip"),
])
def test_invalid_env_config_names_the_field(kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        GridworldCurriculumEnv(**kwargs)


def test_invalid_lessons_are_refused():
    student = fresh_student()
    with pytest.raises(teachgym.ConfigError, match="budget"):
        student.learn(NEAR, 0)
    with pytest.raises(teachgym.ConfigError, match=r"\[0, 1\]"):
        student.learn([1.2, 0.0, 0.0])
    env = gym.make(ENV_IDS[0])
    env.reset(seed=0)
    with pytest.raises(teachgym.InvalidLessonError, match="slip"):
        env.step(np.array([0.5, np.nan, 0.5], dtype=np.float32))


# -- env -----------------------------------------------------------------------------
def test_probe_and_test_sets_are_disjoint():
    assert not {tuple(p) for p in PROBE_SET} & {tuple(t) for t in TEST_SET}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_passes_the_checkers(env_id):
    from gymnasium.utils.env_checker import check_env

    check_env(gym.make(env_id, n_steps=5).unwrapped, skip_render_check=True)
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(gym.make(env_id, n_steps=5), warn=False)


def test_same_seed_same_run():
    runs = [teachgym.run(ENV_IDS[0], "random", seed=0, n_steps=40) for _ in range(2)]
    other = teachgym.run(ENV_IDS[0], "random", seed=1, n_steps=40)
    assert runs[0].curve == runs[1].curve
    np.testing.assert_array_equal(runs[0].tasks, runs[1].tasks)
    np.testing.assert_array_equal(runs[0].rewards, runs[1].rewards)
    assert not np.array_equal(runs[0].tasks, other.tasks)


def test_info_and_rewards_follow_the_contract():
    env = gym.make(ENV_IDS[0], n_steps=30, score_every=10, episodes_per_step=8)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs[-1] == 0.0
    assert info["easy_to_hard"] == {"easy": [0.0, 0.0, 0.0], "hard": [1.0, 1.0, 1.0]}
    start_probe = obs[:-1].mean()
    total, scored = 0.0, []
    for t in range(30):
        obs, reward, terminated, truncated, info = env.step(np.array([0.02 + 0.01 * t, 0.0, 0.0], np.float32))
        total += reward
        assert 0.0 <= info["outcome"] <= 1.0 and info["env_steps"] > 0 and not terminated
        scored += ["score" in info]
    assert truncated and scored == [(t + 1) % 10 == 0 for t in range(30)]
    assert total == pytest.approx(float(obs[:-1].mean()) - start_probe, abs=1e-5)  # probe_gain telescopes
    assert info["score"] > 20.0  # near-start practice masters the trivial test tasks and more


def test_regions_draw_tasks_inside_the_chosen_arm():
    env = gym.make(ENV_IDS[1], arms_per_dim=4)
    _, info = env.reset(seed=0)
    order = info["easy_to_hard"]["order"]
    assert sorted(order) == list(range(16)) and order[0] == 0 and order[-1] == 15
    _, _, _, _, info = env.step(6)  # start distance [0.25, 0.5), slip [0.5, 0.75)
    assert 0.25 <= info["task"][0] <= 0.5 and 0.5 <= info["task"][1] <= 0.75


def test_env_state_dict_resumes_identically():
    env = GridworldCurriculumEnv(n_steps=20)
    env.reset(seed=3)
    for _ in range(5):
        env.step(env.action_space.sample())
    state = env.state_dict()
    actions = [np.array([0.1 * k, 0.2, 0.3], np.float32) for k in range(5)]
    first = [env.step(a)[1] for a in actions]
    resumed = GridworldCurriculumEnv(n_steps=20)
    resumed.reset(seed=11)
    resumed.load_state_dict(state)
    assert [resumed.step(a)[1] for a in actions] == first


def test_easy_to_hard_beats_random():
    """With the default budget a curriculum matters (measured: 54.6 vs 42.7 on these seeds)."""
    scores = {teacher: np.mean([teachgym.run(ENV_IDS[0], teacher, seed=s).score for s in (0, 1, 2)])
              for teacher in ("random", "easy-to-hard")}
    assert scores["easy-to-hard"] > scores["random"] + 8.0
