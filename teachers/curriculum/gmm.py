"""Gaussian mixtures fitted by EM for several component counts at once.

ALP-GMM and Covar-GMM refit a full-covariance GMM for every k in 2..10 every
250 episodes and keep the best by AIC. Fitting the nine models one after the
other with scikit-learn costs ~5 ms each in Python overhead alone; here all
models share one padded ``(model, component, ...)`` layout, so each EM iteration
is a handful of numpy calls for all of them, and models drop out of the batch
as they converge. The algorithm is scikit-learn's ``GaussianMixture`` (k-means
initialisation, ``reg_covar`` on the diagonal, convergence when the mean
log-likelihood changes by less than ``tol``); ``tests/test_gmm.py`` checks that
both give the same parameters from the same initialisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_LOG_2PI = np.log(2.0 * np.pi)
_EPS = 10.0 * np.finfo(np.float64).eps  # what sklearn adds to component weights


@dataclass
class GaussianMixtureFit:
    """A fitted full-covariance Gaussian mixture.

    Attributes:
        weights: ``(k,)``; means: ``(k, D)``; covariances: ``(k, D, D)``.
        mean_log_likelihood: average log-likelihood of the fitted data.
        n_samples: number of fitted points; n_iter: EM iterations; converged: EM converged.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    mean_log_likelihood: float
    n_samples: int
    n_iter: int
    converged: bool

    @property
    def n_components(self) -> int:
        return self.weights.shape[0]

    @property
    def n_parameters(self) -> int:
        k, d = self.means.shape
        return k * d * (d + 1) // 2 + k * d + k - 1

    def aic(self) -> float:
        """Akaike information criterion on the fitted data (lower is better)."""
        return -2.0 * self.mean_log_likelihood * self.n_samples + 2.0 * self.n_parameters

    def bic(self) -> float:
        return -2.0 * self.mean_log_likelihood * self.n_samples + self.n_parameters * np.log(self.n_samples)


def fit_gmms(
    data: np.ndarray,
    ks: Sequence[int],
    rng: np.random.Generator,
    *,
    tol: float = 1e-3,
    max_iter: int = 100,
    reg_covar: float = 1e-6,
    kmeans_iter: int = 10,
    init: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> list[GaussianMixtureFit | None]:
    """Fit one GMM per entry of ``ks`` on ``data`` (``(n, D)``, finite).

    Args:
        data: points to fit.
        ks: component counts; models with ``k > n`` are skipped (None).
        rng: the caller's RNG (k-means++ seeding).
        tol, max_iter, reg_covar: as scikit-learn's GaussianMixture.
        kmeans_iter: Lloyd iterations after k-means++ seeding.
        init: optional ``(weights, means, covariances)`` per model, replacing k-means.

    Returns:
        One fit per k, or None where the model could not be fitted (too few
        points, or numerically degenerate data).
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError("data must be a finite 2-D array of shape (n_samples, n_features)")
    ks = [int(k) for k in ks]
    usable = [i for i, k in enumerate(ks) if 1 <= k <= x.shape[0]]
    if not usable:
        return [None] * len(ks)
    k_used = np.array([ks[i] for i in usable])
    k_max = int(k_used.max())
    # Layout: (component, model, ...). Reductions over components then run along
    # the first axis, which numpy does ~20x faster than along a short last axis.
    valid = np.arange(k_max)[:, None] < k_used[None, :]  # (kmax, M) real components

    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        return _fit_padded(x, ks, usable, k_used, valid, rng, tol, max_iter, reg_covar, kmeans_iter, init)


def _fit_padded(x, ks, usable, k_used, valid, rng, tol, max_iter, reg_covar, kmeans_iter, init):
    n, d = x.shape
    n_models = len(usable)
    results: list[GaussianMixtureFit | None] = [None] * len(ks)
    xx = _outer(x)
    if init is None:
        resp = _kmeans_responsibilities(x, valid, rng, kmeans_iter)
        log_w, means, covs = _m_step(x, xx, resp, valid, reg_covar)
    else:
        log_w, means, covs = _pad_init([init[i] for i in usable], valid.shape[0], d, valid)

    lower = np.full(n_models, -np.inf)
    n_iter = np.zeros(n_models, dtype=int)
    converged = np.zeros(n_models, dtype=bool)
    failed = np.zeros(n_models, dtype=bool)
    active = np.arange(n_models)
    for _ in range(max_iter):
        if active.size == 0:
            break
        # Models leave the batch as they converge, as each sklearn fit stops on its own.
        part = slice(None) if active.size == n_models else active
        resp, mean_ll, ok = _e_step(x, xx, log_w[:, part], means[:, part], covs[:, part])
        log_w[:, part], means[:, part], covs[:, part] = _m_step(x, xx, resp, valid[:, part], reg_covar)
        n_iter[active] += 1
        failed[active] |= ~ok
        done = (np.abs(mean_ll - lower[active]) < tol) | ~ok
        converged[active] |= done & ok
        lower[active] = mean_ll
        active = active[~done]
    _, final_ll, ok = _e_step(x, xx, log_w, means, covs)
    failed |= ~ok
    for m, i in enumerate(usable):
        if failed[m]:
            continue
        k = k_used[m]
        results[i] = GaussianMixtureFit(
            weights=np.exp(log_w[:k, m]), means=means[:k, m].copy(), covariances=covs[:k, m].copy(),
            mean_log_likelihood=float(final_ll[m]), n_samples=n, n_iter=int(n_iter[m]), converged=bool(converged[m]),
        )
    return results


def best_by_aic(fits: Sequence[GaussianMixtureFit | None]) -> GaussianMixtureFit | None:
    """The fit with the lowest AIC (first on ties), or None if none was fitted."""
    candidates = [f for f in fits if f is not None]
    return min(candidates, key=lambda f: f.aic()) if candidates else None


def _outer(x):
    """Row-wise outer products, flattened: ``(n, D*D)``. Lets both EM steps run as single matmuls."""
    return (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)


def _e_step(x, xx, log_w, means, covs):
    """Responsibilities ``(kmax, M, n)``, mean log-likelihood ``(M,)``, per-model ok flag.

    The Mahalanobis term is expanded as ``x'Px - 2 mu'Px + mu'P mu`` so that all
    components of all models are scored by two ``(kmax*M, .) @ (., n)`` products.
    """
    n, d = x.shape
    k_max, n_models = log_w.shape
    try:
        chol = np.linalg.cholesky(covs)  # (kmax, M, D, D)
    except np.linalg.LinAlgError:
        return _e_step_per_model(x, xx, log_w, means, covs)
    precision = np.linalg.inv(covs)
    half_log_det = -np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)  # log|P|^(1/2)
    p_mu = (precision @ means[..., None])[..., 0]  # (kmax, M, D)
    quad = precision.reshape(-1, d * d) @ xx.T  # (kmax*M, n)
    quad -= 2.0 * (p_mu.reshape(-1, d) @ x.T)
    quad += (means * p_mu).sum(-1).reshape(-1, 1)
    log_prob = (-0.5 * (d * _LOG_2PI + quad) + (half_log_det + log_w).reshape(-1, 1)).reshape(k_max, n_models, n)
    peak = log_prob.max(axis=0)
    unnormalised = np.exp(log_prob - peak)
    total = unnormalised.sum(axis=0)  # (M, n)
    mean_ll = (peak + np.log(total)).mean(axis=1)
    return unnormalised / total, mean_ll, np.isfinite(mean_ll)


def _e_step_per_model(x, xx, log_w, means, covs):
    # A covariance stopped being positive definite (overflowing data): isolate the bad models.
    k_max, n_models = log_w.shape
    resp = np.zeros((k_max, n_models, x.shape[0]))
    mean_ll = np.full(n_models, -np.inf)
    ok = np.zeros(n_models, dtype=bool)
    for m in range(n_models):
        one = slice(m, m + 1)
        try:
            resp[:, one], mean_ll[one], ok[one] = _e_step(x, xx, log_w[:, one], means[:, one], covs[:, one])
        except np.linalg.LinAlgError:
            pass
    return resp, mean_ll, ok


def _m_step(x, xx, resp, valid, reg_covar):
    """Weights (log), means and covariances from responsibilities ``(kmax, M, n)``."""
    n, d = x.shape
    k_max, n_models = valid.shape
    resp = (resp * valid[..., None]).reshape(-1, n)
    nk = resp.sum(axis=1) + _EPS  # (kmax*M,)
    means = (resp @ x) / nk[:, None]
    second = (resp @ xx) / nk[:, None]
    covs = second.reshape(-1, d, d) - means[:, :, None] * means[:, None, :]
    covs = 0.5 * (covs + np.swapaxes(covs, -1, -2)) + reg_covar * np.eye(d)
    covs = covs.reshape(k_max, n_models, d, d)
    covs[~valid] = np.eye(d)  # padding stays well-conditioned and carries no weight
    log_w = np.where(valid, np.log(nk.reshape(k_max, n_models) / n), -np.inf)
    return log_w, means.reshape(k_max, n_models, d), covs


def _sq_dist(x, centres):
    """Squared distances ``(kmax, M, n)`` from every centre ``(kmax, M, D)`` to every point."""
    flat = centres.reshape(-1, x.shape[1])
    dist = (flat * flat).sum(1)[:, None] - 2.0 * (flat @ x.T) + (x * x).sum(1)[None, :]
    return np.maximum(dist, 0.0).reshape(*centres.shape[:2], x.shape[0])


def _kmeans_responsibilities(x, valid, rng, n_iter):
    """Hard k-means labels (k-means++ seeding + Lloyd) as one-hot responsibilities ``(kmax, M, n)``."""
    n, d = x.shape
    k_max, n_models = valid.shape
    centres = np.zeros((k_max, n_models, d))
    centres[0] = x[rng.integers(n, size=n_models)]
    closest = _sq_dist(x, centres[:1])[0]  # (M, n) squared distance to the nearest centre so far
    for j in range(1, k_max):
        total = closest.sum(axis=1)
        u = rng.random(n_models) * total
        pick = np.minimum((np.cumsum(closest, axis=1) < u[:, None]).sum(axis=1), n - 1)
        pick = np.where(total > 0, pick, rng.integers(n, size=n_models))  # all points identical
        centres[j] = x[pick]
        closest = np.minimum(closest, _sq_dist(x, centres[j:j + 1])[0])
    arms = np.arange(k_max)[:, None, None]
    for _ in range(n_iter + 1):
        dist = _sq_dist(x, centres)
        dist[~valid] = np.inf
        onehot = dist.argmin(axis=0)[None] == arms  # (kmax, M, n)
        flat = onehot.reshape(-1, n).astype(np.float64)
        counts = flat.sum(axis=1)[:, None]
        moved = np.where(counts > 0, (flat @ x) / np.maximum(counts, 1.0), centres.reshape(-1, d))
        moved = moved.reshape(centres.shape)
        if np.array_equal(moved, centres):
            break
        centres = moved
    return onehot.astype(np.float64)


def _pad_init(inits, k_max, d, valid):
    n_models = len(inits)
    log_w = np.full((k_max, n_models), -np.inf)
    means = np.zeros((k_max, n_models, d))
    covs = np.tile(np.eye(d), (k_max, n_models, 1, 1))
    for m, (w, mu, cov) in enumerate(inits):
        k = len(w)
        log_w[:k, m] = np.log(np.asarray(w, dtype=np.float64))
        means[:k, m] = mu
        covs[:k, m] = cov
    return log_w, means, covs
