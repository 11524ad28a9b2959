"""The recall model's compiled backend (numba) against its NumPy backend: the same fit, the same tutor choices.

The numba tests are skipped when numba is not installed (the ``fast`` extra).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.loop import teacher_seed
from teachgym.registry import env_meta
from teachgym.teachers.tutoring import recall_model
from teachgym.teachers.tutoring.recall_model import RecallModel
from teachgym.teachers.tutoring.threshold import ThresholdTutor
from teachgym.validation import ConfigError

from .test_teacher_speed_choices import RUNS, replay

FLASHCARDS = ["teachgym/Flashcards-HLR-v1", "teachgym/Flashcards-EFC-v1", "teachgym/Flashcards-ACTR-v1"]
THRESHOLD_RUNS = sorted(key for key, run in RUNS.items() if run["teacher"] == "threshold")


def _require_numba():
    """Skip unless numba imports (missing, or installed but unusable with this NumPy)."""
    try:
        import numba  # noqa: F401
    except ImportError as error:
        pytest.skip(f"numba cannot be imported: {error}")


@pytest.fixture
def numba():
    _require_numba()


def test_backend_names_are_checked_and_numpy_is_always_available(monkeypatch):
    assert RecallModel(3, backend="numpy").backend == "numpy"
    assert RecallModel(3).backend in ("numpy", "numba")
    with pytest.raises(ConfigError, match="backend"):
        RecallModel(3, backend="cuda")
    monkeypatch.setattr(recall_model, "_kernels", lambda: None)  # as if numba could not be imported
    assert RecallModel(3).backend == "numpy" and ThresholdTutor().backend == "numpy"
    for make in (lambda: RecallModel(3, backend="numba"), lambda: ThresholdTutor(backend="numba")):
        with pytest.raises(ConfigError, match=r"numba.*'fast' extra"):
            make()


def _random_reviews(rng, n_items, n_reviews):
    """Reviews of a random schedule, lags from 0 to 1e9 s (log-uniform, plus exact zeros)."""
    attempts, correct, reviews = np.zeros(n_items), np.zeros(n_items), []
    for k in range(n_reviews):
        item = int(rng.integers(n_items))
        lag = 0.0 if k % 37 == 5 else float(10.0 ** rng.uniform(-3.0, 9.0))
        recalled = bool(rng.random() < 0.6)
        reviews.append((item, attempts[item], correct[item], lag, recalled))
        attempts[item] += 1
        correct[item] += recalled
    return reviews, attempts, correct


@pytest.mark.parametrize("seed", [0, 1])
def test_numba_and_numpy_fits_agree(numba, seed):
    rng = np.random.default_rng(seed)
    n_items = 9
    reviews, _, _ = _random_reviews(rng, n_items, 300)
    models = [RecallModel(n_items, capacity=32, backend=backend) for backend in ("numpy", "numba")]  # both grow
    assert [m.backend for m in models] == ["numpy", "numba"]
    attempts, correct = np.zeros(n_items), np.zeros(n_items)
    for item, a, c, lag, recalled in reviews:
        for model in models:
            model.add(item, a, c, lag, recalled)
        attempts[item], correct[item] = a + 1, c + recalled
        lags = np.concatenate([[0.0, 1e-3, 1e9], 10.0 ** rng.uniform(-1.0, 6.0, n_items - 3)])
        numpy_model, numba_model = models
        assert np.allclose(numba_model.theta, numpy_model.theta, rtol=1e-9, atol=1e-9)
        predicted = [model.predict(attempts, correct, lags) for model in models]
        assert np.allclose(predicted[1], predicted[0], rtol=0.0, atol=1e-9)
        assert np.all((predicted[1] >= 0.0) & (predicted[1] <= 1.0 + 1e-12))  # the weights sum to 1 up to rounding
    assert np.allclose(models[1].covariance, models[0].covariance, rtol=1e-8, atol=1e-12)
    theta = models[0].theta
    assert models[1].log_posterior(theta) == pytest.approx(models[0].log_posterior(theta), rel=1e-12)
    assert models[1].n_events == models[0].n_events == 300
    # The fit is not trivially the prior: the reviews moved every shared coefficient.
    assert np.all(np.abs(theta[:4] - models[0].prior_mean[:4]) > 1e-3)


def test_numba_predictions_of_items_in_the_same_state_are_exactly_equal(numba):
    rng = np.random.default_rng(7)
    n_items = 31
    model = RecallModel(n_items, backend="numba")
    attempts, correct = np.zeros(n_items), np.zeros(n_items)
    for _ in range(40):
        item, recalled = int(rng.integers(3)), bool(rng.random() < 0.6)
        model.add(item, attempts[item], correct[item], float(rng.uniform(5.0, 100.0)), recalled)
        attempts[item] += 1
        correct[item] += recalled
    lags = np.concatenate([rng.uniform(1.0, 50.0, 3), np.full(n_items - 3, 321.0)])
    predicted = model.predict(attempts, correct, lags)
    assert len(set(predicted[3:].tolist())) == 1 and len(set(predicted[:3].tolist())) == 3


def test_numba_backend_refuses_items_and_vectors_outside_the_deck(numba):
    model = RecallModel(4, backend="numba")
    with pytest.raises(IndexError, match="item 4"):
        model.add(4, 0, 0, 10.0, True)
    with pytest.raises(IndexError, match="item -1"):
        model.add(-1, 0, 0, 10.0, True)
    with pytest.raises(ValueError, match="one value per item"):
        model.predict(np.zeros(5), np.zeros(5), np.ones(5))
    assert model.predict(np.zeros(4), np.zeros(4), 10.0).shape == (4,)  # a scalar lag is every item's


def _episode_choices(env_id: str, seed: int, backend: str, **kwargs) -> list[int]:
    env = gym.make(env_id, **env_meta(env_id).smoke)
    try:
        tutor = ThresholdTutor(backend=backend, **kwargs)
        tutor.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
        obs, info = env.reset(seed=seed)
        choices = []
        while True:
            action = tutor.act(obs, info)
            choices.append(int(action))
            obs, reward, terminated, truncated, info = env.step(action)
            tutor.update(action, reward, obs, info)
            if terminated or truncated:
                return choices
    finally:
        env.close()


@pytest.mark.parametrize("env_id", FLASHCARDS)
def test_the_threshold_tutor_chooses_the_same_items_with_both_backends(numba, env_id):
    chosen = set()
    for seed, kwargs in [(0, {}), (1, {"threshold": 0.1}), (2, {"threshold": 0.375, "lookahead": 5.0})]:
        choices = {backend: _episode_choices(env_id, seed, backend, **kwargs) for backend in ("numpy", "numba")}
        assert choices["numba"] == choices["numpy"], (env_id, seed, kwargs)
        chosen.update(choices["numpy"])
    assert len(chosen) > 3  # the episodes chose among more than a few items


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("key", THRESHOLD_RUNS)
def test_recorded_threshold_runs_with_each_backend(key, backend):
    if backend == "numba":
        _require_numba()
    run = RUNS[key]
    step, chosen, recorded = replay(dict(run, teacher_kwargs={**run["teacher_kwargs"], "backend": backend}))
    assert step == -1, f"{key} ({backend}): step {step} chose {chosen}, the recorded run chose {recorded}"


def test_a_converged_numba_fit_does_not_halve_steps_whose_gain_is_rounding_noise(numba, monkeypatch):
    """As the NumPy backend's test in test_teacher_speed_choices.py: a rejected step is then tested once."""
    models = []
    original = recall_model.RecallModel.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        models.append(self)

    monkeypatch.setattr(recall_model.RecallModel, "__init__", keep)
    run = RUNS["threshold{'lookahead': 5.0, 'threshold': 0.375}|Flashcards-HLR|1"]
    assert replay(dict(run, teacher_kwargs={**run["teacher_kwargs"], "backend": "numba"}))[0] == -1
    fits = [model._fit for model in models if model.n_events]
    steps, tests = sum(fit.scoring_steps for fit in fits), sum(fit.candidate_tests for fit in fits)
    assert steps == 900 and steps <= tests < 1.2 * steps


def test_the_mask_tutor_marks_the_same_reviews_with_both_backends(numba):
    env_id = "teachgym/SpacedRepetition-FSRS-v0"
    masks = {}
    for backend in ("numpy", "numba"):
        env = gym.make(env_id, **{**env_meta(env_id).smoke, "n_steps": 12})
        tutor = ThresholdTutor(threshold=0.9, backend=backend)
        tutor.reset(env.action_space, env.observation_space, seed=0)
        obs, info = env.reset(seed=0)
        masks[backend] = []
        for _ in range(12):
            mask = tutor.act(obs, info)
            masks[backend].append(mask.tolist())
            obs, reward, terminated, truncated, info = env.step(mask)
            tutor.update(mask, reward, obs, info)
        env.close()
    assert masks["numba"] == masks["numpy"] and sum(map(sum, masks["numpy"])) > 0
    assert teachgym.make_teacher("threshold", backend="numpy").backend == "numpy"
