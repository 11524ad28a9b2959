"""The batched EM must be scikit-learn's GaussianMixture, only faster."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from teachgym.teachers.curriculum.gmm import best_by_aic, fit_gmms
from teachgym.teachers.curriculum.task_history import TaskHistory


def _alp_like_data(rng, n=250):
    """Points like ALP-GMM's: uniform tasks, an ALP column that is mostly zero."""
    tasks = rng.random((n, 2))
    alp = np.where(tasks[:, 0] < 0.3, np.abs(rng.normal(0.05, 0.02, n)), 0.0)
    return np.column_stack([tasks, alp])


def _clusters(rng, n=300):
    centres = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 4.0]])
    return np.concatenate([c + rng.normal(0, 0.4, (n // 3, 2)) for c in centres])


@pytest.mark.parametrize("k", [1, 2, 4, 7, 10])
@pytest.mark.parametrize("make_data", [_alp_like_data, _clusters])
def test_same_parameters_as_sklearn_from_the_same_initialisation(k, make_data):
    rng = np.random.default_rng(k)
    data = make_data(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = GaussianMixture(k, covariance_type="full", random_state=k, max_iter=1).fit(data)
        reference = GaussianMixture(
            k, covariance_type="full", weights_init=start.weights_, means_init=start.means_,
            precisions_init=np.linalg.inv(start.covariances_)).fit(data)
    ours = fit_gmms(data, [k], rng, init=[(start.weights_, start.means_, start.covariances_)])[0]
    assert ours.n_iter == reference.n_iter_
    np.testing.assert_allclose(ours.weights, reference.weights_, atol=1e-8)
    np.testing.assert_allclose(ours.means, reference.means_, atol=1e-8)
    np.testing.assert_allclose(ours.covariances, reference.covariances_, atol=1e-8)
    assert ours.mean_log_likelihood == pytest.approx(reference.score(data), abs=1e-8)
    assert ours.aic() == pytest.approx(reference.aic(data), abs=1e-5)


def test_batched_fit_equals_fitting_each_k_alone():
    rng = np.random.default_rng(0)
    data = _alp_like_data(rng)
    inits = []
    for k in range(2, 11):
        w = np.full(k, 1.0 / k)
        inits.append((w, data[rng.choice(len(data), k, replace=False)], np.tile(np.eye(3) * 0.05, (k, 1, 1))))
    batched = fit_gmms(data, range(2, 11), rng, init=inits)
    for k, init, fit in zip(range(2, 11), inits, batched):
        alone = fit_gmms(data, [k], rng, init=[init])[0]
        np.testing.assert_allclose(fit.means, alone.means, atol=1e-10)
        assert fit.n_iter == alone.n_iter


def test_model_selection_finds_the_clusters_like_sklearn():
    rng = np.random.default_rng(1)
    data = _clusters(rng)
    best = best_by_aic(fit_gmms(data, range(1, 7), rng))
    sk_aic = min(GaussianMixture(k, covariance_type="full", random_state=0).fit(data).aic(data) for k in range(1, 7))
    assert best.n_components == 3
    assert best.aic() == pytest.approx(sk_aic, rel=1e-3)


def test_fewer_points_than_components_and_degenerate_data():
    rng = np.random.default_rng(0)
    fits = fit_gmms(np.zeros((3, 2)), [2, 5, 10], rng)
    assert fits[1] is None and fits[2] is None  # k > n: skipped
    assert fits[0] is not None and np.all(np.isfinite(fits[0].covariances))  # identical points: reg_covar keeps it PD
    with pytest.raises(ValueError, match="finite"):
        fit_gmms(np.array([[np.nan, 0.0]]), [1], rng)
    assert best_by_aic([None, None]) is None


def test_overflowing_data_fails_softly():
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.random(50), np.where(rng.random(50) < 0.5, 1e300, -1e300)])
    fits = fit_gmms(data, [2, 3], rng)
    assert all(f is None or np.all(np.isfinite(f.means)) for f in fits)


def test_batched_alp_equals_the_per_episode_definition():
    rng = np.random.default_rng(0)
    history = TaskHistory(dim=2, capacity=4)  # capacity small: exercises growth
    tasks, outcomes = rng.random((700, 2)), rng.random(700)
    alps = []
    for i in range(700):
        history.add(tasks[i], outcomes[i])
        if i % 97 == 0 or i == 699:  # uneven batches exercise the forest merging
            alps = history.alp()
    expected = np.zeros(700)
    for i in range(6, 700):
        nearest = np.argmin(((tasks[:i] - tasks[i]) ** 2).sum(1))
        expected[i] = abs(outcomes[i] - outcomes[nearest])
    np.testing.assert_allclose(alps, expected)
