"""The FSRS-6 learner against the fsrs package, the day-based spaced-repetition env, and its schedulers."""

from __future__ import annotations

import ast
import inspect
from datetime import datetime, timedelta, timezone

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import teachgym
from teachgym import testing
from teachgym.lessons import InvalidLessonError
from teachgym.students.tutoring import fsrs_learner as fl
from teachgym.validation import ConfigError

fsrs = pytest.importorskip("fsrs")
SMOKE = {"deck_size": 20, "new_per_day": 5, "n_steps": 10}
CARDS, RETENTION = "teachgym/SpacedRepetition-FSRS-v0", "teachgym/SpacedRepetitionRetention-FSRS-v0"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_defaults_and_bounds_are_the_packages():
    assert fl.DEFAULT_PARAMETERS == tuple(fsrs.scheduler.DEFAULT_PARAMETERS)
    assert fl.LOWER_BOUNDS == tuple(fsrs.scheduler.LOWER_BOUNDS_PARAMETERS)
    assert fl.UPPER_BOUNDS == tuple(fsrs.scheduler.UPPER_BOUNDS_PARAMETERS)


@settings(max_examples=150, deadline=None)
@given(population=st.sampled_from(fl.POPULATIONS), learner=st.integers(0, 10**6),
       history=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 400)), min_size=1, max_size=25),
       later=st.integers(0, 1000))
def test_memory_equals_the_fsrs_package_on_any_history(population, learner, history, later):
    """Stability, difficulty and retrievability of our model equal the package's, card history by card history."""
    w = fl.draw_learner(population, learner).w
    scheduler = fsrs.Scheduler(parameters=tuple(float(x) for x in w), learning_steps=(), relearning_steps=(),
                               enable_fuzzing=False)
    card = fsrs.Card(card_id=1, step=0, due=EPOCH)
    s = d = None
    day = last = 0
    for rating, gap in history:
        card, _ = scheduler.review_card(card, fsrs.Rating(rating), review_datetime=EPOCH + timedelta(days=day))
        if s is None:
            s, d = fl.initial_stability(w, rating), fl.initial_difficulty(w, rating)
        else:
            r = fl.retrievability(w, day - last, s)
            s, d = fl.next_stability(w, d, s, r, rating), fl.next_difficulty(w, d, rating)
        last = day
        assert float(s) == pytest.approx(card.stability, rel=1e-12)
        assert float(d) == pytest.approx(card.difficulty, rel=1e-12)
        day += gap
    when = last + later
    assert float(fl.retrievability(w, when - last, s)) == pytest.approx(
        scheduler.get_card_retrievability(card, EPOCH + timedelta(days=when)), rel=1e-12, abs=1e-15)
    assert float(fl.next_interval(w, s, 0.9)) == scheduler._next_interval(stability=card.stability)


def test_the_learner_object_follows_the_package_too():
    learner = fl.FSRSLearner(n_cards=3, population="held_out", student_seed=7)
    learner.reset(np.random.default_rng(0))
    scheduler = fsrs.Scheduler(parameters=tuple(float(x) for x in learner.params.w), learning_steps=(),
                               relearning_steps=(), enable_fuzzing=False)
    cards = {i: fsrs.Card(card_id=i + 1, step=0, due=EPOCH) for i in range(3)}
    for day in range(40):
        chosen = np.array([i for i in range(3) if (day + i) % (i + 2) == 0])
        if chosen.size:
            ratings = learner.answer(chosen)
            learner.remember(chosen, ratings)
            for i, g in zip(chosen, ratings):
                cards[i], _ = scheduler.review_card(cards[i], fsrs.Rating(int(g)), EPOCH + timedelta(days=day))
        learner.advance(1)
    expected = [scheduler.get_card_retrievability(cards[i], EPOCH + timedelta(days=40)) for i in range(3)]
    np.testing.assert_allclose(learner.retrievability(), expected, rtol=1e-12)


def test_populations_differ_by_learner_and_are_disjoint():
    train = [fl.draw_learner("train", k).w for k in range(50)]
    held = [fl.draw_learner("held_out", k).w for k in range(50)]
    assert len({tuple(w) for w in train}) == 50
    assert not {tuple(w) for w in train} & {tuple(w) for w in held}
    np.testing.assert_array_equal(fl.draw_learner("train", 3).w, train[3])
    ws = np.array(train + held)
    assert np.all(ws >= fl.LOWER_BOUNDS) and np.all(ws <= fl.UPPER_BOUNDS)
    # drawn around the defaults: the median learner is close to them
    assert np.allclose(np.median(ws, axis=0), fl.DEFAULT_PARAMETERS, rtol=0.2, atol=1e-3)
    np.testing.assert_array_equal(fl.draw_learner("train", 1, spread=0.0).w, fl.DEFAULT_PARAMETERS)


def test_recall_and_ratings_follow_the_model():
    learner = fl.FSRSLearner(n_cards=4000, student_seed=0, spread=0.0, rating_concentration=1e6)
    learner.reset(np.random.default_rng(1))
    first = learner.answer(np.arange(4000))
    np.testing.assert_allclose(np.bincount(first, minlength=5)[1:] / 4000, fl.FIRST_RATING_PROB, atol=0.03)
    learner.remember(np.arange(4000), np.full(4000, fl.GOOD))
    learner.advance(5)
    r = learner.retrievability()[0]
    ratings = learner.answer(np.arange(4000))
    assert np.mean(ratings > fl.AGAIN) == pytest.approx(r, abs=0.03)
    recalled = ratings[ratings > fl.AGAIN]
    np.testing.assert_allclose(np.bincount(recalled, minlength=5)[2:] / recalled.size, fl.REVIEW_RATING_PROB,
                               atol=0.03)


@pytest.mark.parametrize("env_id", [CARDS, RETENTION])
def test_the_env_passes_the_conformance_kit(env_id):
    testing.check_teacher_env(env_id)


def test_spaces_info_and_score():
    env = gym.make(CARDS, **SMOKE)
    assert isinstance(env.action_space, gym.spaces.MultiBinary) and env.action_space.n == 20
    obs, info = env.reset(seed=0)
    assert info["score"] == 0.0 and info["tutor_log"]["time_unit"] == "day"
    obs, reward, _, _, info = env.step(np.ones(20, dtype=np.int8))
    assert info["review_log"]["cards"] == list(range(5)) and info["review_log"]["day"] == 0  # day 0: new cards only
    log = info["tutor_log"] if "tutor_log" in info else env.unwrapped._reset_info()["tutor_log"]
    attempts = obs[slice(*log["fields"]["attempts"])]
    np.testing.assert_array_equal(attempts, [1] * 5 + [0] * 15)
    assert 0 < info["daily_minutes"] < 10 and reward > 0
    for _ in range(9):
        obs, reward, _, truncated, info = env.step(np.ones(20, dtype=np.int8))
    base = env.unwrapped
    assert truncated and info["score"] == pytest.approx(100 * base.student.retrievability().sum() / 20)
    assert info["memorised_per_minute"] == pytest.approx(info["memorised_cards"] / info["review_minutes"])


def test_budget_limits_the_day_and_unseen_cards_are_ignored():
    env = gym.make(CARDS, deck_size=300, new_per_day=100, n_steps=3, minutes_per_day=1.0)
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.ones(300, dtype=np.int8))
    # first views cost 6.5-33.8 s: a one-minute day admits 2-10 of them, the last may overrun the minute
    assert 2 <= len(info["review_log"]["cards"]) <= 10 and info["daily_minutes"] < 1.0 + 34 / 60


def test_invalid_lessons_and_configs_are_refused():
    env = gym.make(CARDS, **SMOKE)
    env.reset(seed=0)
    for bad in (np.full(20, 2), np.ones(19), "x"):
        with pytest.raises(InvalidLessonError, match="action"):
            env.unwrapped.step(bad)
    with pytest.raises(ConfigError, match="lesson_mode"):
        gym.make(CARDS, lesson_mode="intervals")
    with pytest.raises(ConfigError, match="retention_levels"):
        gym.make(RETENTION, retention_levels=(0.9, 1.0))
    with pytest.raises(ConfigError, match="review_costs"):
        gym.make(CARDS, review_costs=(1.0, 2.0))


def test_higher_retention_levels_review_more_and_remember_more():
    results = {}
    for level in (0, 5):  # 0.70 and 0.95
        env = gym.make(RETENTION, deck_size=100, n_steps=60, student_seed=3)
        env.reset(seed=0)
        for _ in range(60):
            info = env.step(level)[4]
        results[level] = (info["score"], info["review_minutes"])
    assert results[5][0] > results[0][0] and results[5][1] > results[0][1]


def test_retention_mode_at_a_constant_level_is_the_fsrs_scheduler():
    """The env's own scheduling at 0.9 and the package's scheduler at 0.9 teach a learner alike."""
    kwargs = {"deck_size": 200, "n_steps": 120, "population": "held_out"}
    env_scores, package_scores = [], []
    for seed in range(4):
        env_scores.append(teachgym.run(RETENTION, _Constant(4), seed=seed,
                                       **kwargs, student_seed=seed).score)
        package_scores.append(teachgym.run(CARDS, "fsrs-scheduler", seed=seed, **kwargs, student_seed=seed).score)
    assert np.mean(env_scores) == pytest.approx(np.mean(package_scores), abs=1.5)


class _Constant(teachgym.Teacher):
    def __init__(self, arm: int):
        super().__init__()
        self.arm = arm

    def act(self, obs, info):
        return self.arm


@pytest.mark.parametrize("name", ["fsrs-scheduler", "anki-sm2", "leitner-boxes", "fixed-interval"])
def test_schedulers_pass_the_kit_and_beat_no_reviews(name):
    testing.check_teacher(name, CARDS)
    kwargs = {"deck_size": 100, "n_steps": 60, "student_seed": 1}
    never = teachgym.run(CARDS, _Never(), seed=0, **kwargs).score
    assert teachgym.run(CARDS, name, seed=0, **kwargs).score > never + 10


class _Never(teachgym.Teacher):
    supported_spaces = (gym.spaces.MultiBinary,)

    def act(self, obs, info):
        return np.zeros(self.action_space.n, dtype=np.int8)


def test_fsrs_scheduler_reviews_what_the_package_schedules():
    env = gym.make(CARDS, deck_size=30, new_per_day=5, n_steps=40)
    tutor = teachgym.make_teacher("fsrs-scheduler", desired_retention=0.9)
    obs, info = env.reset(seed=2)
    tutor.reset(env.action_space, env.observation_space, seed=0)
    scheduler = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    cards: dict[int, object] = {}
    for day in range(40):
        mask = tutor.act(obs, info)
        due = {i for i, c in cards.items() if c.due <= EPOCH + timedelta(days=day)}
        assert set(np.flatnonzero(mask)) == due
        obs, reward, _, _, info = env.step(mask)
        tutor.update(mask, reward, obs, info)
        for i, g in zip(info["review_log"]["cards"], info["review_log"]["ratings"]):
            card = cards.get(i, fsrs.Card(card_id=i + 1, step=0, due=EPOCH))
            cards[i], _ = scheduler.review_card(card, fsrs.Rating(g), EPOCH + timedelta(days=day))


def test_anki_sm2_intervals():
    tutor = teachgym.make_teacher("anki-sm2")
    tutor.reset(gym.spaces.MultiBinary(2), None, seed=0)
    log = lambda day, card, g: {"review_log": {"day": day, "cards": [card], "ratings": [g]}}  # noqa: E731
    tutor.update(None, 0.0, None, log(0, 0, 3))  # graduates: 1 day
    assert tutor.due[0] == 1
    tutor.update(None, 0.0, None, log(1, 0, 3))  # good: max(1 * 2.5 -> 2, 1 + 1 + 1) = 3
    assert tutor.due[0] == 4 and tutor.ease[0] == 2.5
    tutor.update(None, 0.0, None, log(6, 0, 4))  # easy, 2 days late: (3 + 2) * 2.5 * 1.3 = 16.25 -> 16
    assert tutor.due[0] == 22 and tutor.ease[0] == pytest.approx(2.65)
    tutor.update(None, 0.0, None, log(22, 0, 1))  # lapse: 1 day, ease -0.2
    assert tutor.due[0] == 23 and tutor.ease[0] == pytest.approx(2.45)
    tutor.update(None, 0.0, None, log(23, 1, 4))  # a first view graded Easy: 4 days
    assert tutor.due[1] == 27


def test_leitner_boxes_move_up_and_back():
    tutor = teachgym.make_teacher("leitner-boxes")
    tutor.reset(gym.spaces.MultiBinary(1), None, seed=0)
    day = 0
    for rating, interval in ((3, 1), (3, 2), (2, 4), (1, 1), (4, 2)):
        tutor.update(None, 0.0, None, {"review_log": {"day": day, "cards": [0], "ratings": [rating]}})
        assert tutor.due[0] == day + interval
        day += interval


def test_the_env_overrides_no_step_or_reset():
    from teachgym.envs.tutoring import spaced_repetition

    tree = ast.parse(inspect.getsource(spaced_repetition.SpacedRepetitionEnv))
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not names & {"step", "reset"}
