"""A student memory model a tutor fits online from its own log (no access to the true one).

Exponential forgetting with a log-linear half-life, the form of half-life
regression (Settles & Meeder, 2016) with per-item random effects::

    p = exp(-lag / h),   log h = w . phi(attempts, correct) + b_item
    phi = (1, attempts, correct, log(1 + attempts))
    w ~ N(w0, diag(w_std^2)),   b_item ~ N(0, item_std^2)

``attempts`` and ``correct`` are the item's counts before the review and
``lag`` the time since its last review (since the session start for an item
not reviewed yet). The ``log(1 + attempts)`` feature lets the same model fit
the EFC student (``h = (1 + reviews) / theta``) exactly and HLR
(``log h = attempts + correct + d``) exactly; ACT-R only approximately.

The fit is the MAP estimate under the priors, by a few Fisher-scoring (IRLS)
steps per new review with step-size limits and backtracking, warm-started from
the last estimate. For a review
with ``u = lag / h`` and ``p = exp(-u)``, the Bernoulli log-likelihood has
derivative ``u (y - p) / (1 - p)`` in ``z = log h`` and Fisher information
``p u^2 / (1 - p)``; both are computed with ``expm1`` so that they stay finite
as ``p`` goes to 0 or 1.

Predictions are posterior predictive (Laplace approximation: ``z`` Gaussian
with the inverse Fisher information as covariance, averaged over by
Gauss-Hermite quadrature), not plug-in: an item the tutor knows little about
gets a recall prediction that reflects that uncertainty instead of the
prior's point guess.
"""

from __future__ import annotations

import numpy as np

N_FEATURES = 4
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)  # quadrature against a standard normal
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
MAX_STEP = 2.0  # largest change of any coefficient per scoring step
MAX_HALVINGS = 12
MAX_LOG_H = 50.0


def features(attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """``phi`` for arrays of counts, shape ``(len, 4)``."""
    attempts = np.asarray(attempts, dtype=np.float64)
    return np.stack([np.ones_like(attempts), attempts, np.asarray(correct, dtype=np.float64), np.log1p(attempts)],
                    axis=-1)


class RecallModel:
    """Online MAP fit of the model in the module docstring for ``n_items`` items.

    Args:
        n_items: items in the deck.
        log_h_prior: prior mean of the intercept (log seconds).
        w_std: prior std of every ``w`` coefficient.
        item_std: prior std of the item offsets.
        iterations: scoring steps per new review.
    """

    def __init__(self, n_items: int, log_h_prior: float = np.log(60.0), w_std: float = 2.0, item_std: float = 1.0,
                 iterations: int = 3, capacity: int = 256):
        self.n_items = n_items
        self.iterations = iterations
        self.prior_mean = np.concatenate([[log_h_prior], np.zeros(N_FEATURES - 1), np.zeros(n_items)])
        self.prior_precision = np.concatenate([np.full(N_FEATURES, w_std**-2.0), np.full(n_items, item_std**-2.0)])
        self.theta = self.prior_mean.copy()
        self.covariance = np.diag(1.0 / self.prior_precision)
        self._x = np.zeros((capacity, N_FEATURES))
        self._item = np.zeros(capacity, dtype=np.int64)
        self._lag = np.zeros(capacity)
        self._y = np.zeros(capacity)
        self.n_events = 0

    def add(self, item: int, attempts: float, correct: float, lag: float, recalled: bool) -> None:
        """Record one review and refit."""
        if self.n_events == self._y.size:
            self._x, self._item, self._lag, self._y = (np.concatenate([a, np.zeros_like(a)])
                                                       for a in (self._x, self._item, self._lag, self._y))
        k = self.n_events
        self._x[k] = features(np.array(attempts), np.array(correct))
        self._item[k], self._lag[k], self._y[k] = item, max(float(lag), 0.0), float(recalled)
        self.n_events += 1
        for _ in range(self.iterations):
            fisher = self._scoring_step()
        self.covariance = np.linalg.inv(fisher)

    def _events(self):
        k = self.n_events
        return self._x[:k], self._item[:k], self._lag[:k], self._y[:k]

    def log_posterior(self, theta: np.ndarray) -> float:
        """Log-likelihood of the recorded reviews plus log-prior, up to a constant."""
        x, item, lag, y = self._events()
        u = lag * np.exp(-np.clip(x @ theta[:N_FEATURES] + theta[N_FEATURES:][item], -MAX_LOG_H, MAX_LOG_H))
        log_not_recalled = np.log(np.maximum(-np.expm1(-u), 1e-300))
        log_likelihood = float(np.sum(np.where(y > 0.5, -u, log_not_recalled)))
        return log_likelihood - 0.5 * float(np.sum(self.prior_precision * (theta - self.prior_mean) ** 2))

    def _scoring_step(self) -> np.ndarray:
        """One scoring step with backtracking; returns the Fisher information (posterior precision) used."""
        x, item, lag, y = self._events()
        n_w = N_FEATURES
        w, b = self.theta[:n_w], self.theta[n_w:]
        z = np.clip(x @ w + b[item], -MAX_LOG_H, MAX_LOG_H)
        u = lag * np.exp(-z)
        p = np.exp(-u)
        q = np.maximum(-np.expm1(-u), 1e-300)  # 1 - p without cancellation
        score = u * (y - p) / q
        weight = p * u * u / q
        # Gradient and Fisher information of the log-posterior, in (w, b) blocks.
        gradient = -self.prior_precision * (self.theta - self.prior_mean)
        gradient[:n_w] += x.T @ score
        gradient[n_w:] += np.bincount(item, score, minlength=self.n_items)
        fisher = np.diag(self.prior_precision)
        fisher[:n_w, :n_w] += (x * weight[:, None]).T @ x
        cross = np.zeros((n_w, self.n_items))
        np.add.at(cross.T, item, x * weight[:, None])
        fisher[:n_w, n_w:] += cross
        fisher[n_w:, :n_w] += cross.T
        fisher[n_w:, n_w:][np.diag_indices(self.n_items)] += np.bincount(item, weight, minlength=self.n_items)
        step = np.linalg.solve(fisher, gradient)
        # Where the Fisher weight vanishes (p -> 0 on a recalled item) the step is huge: shrink it as a whole
        # (keeping its ascent direction), then halve it until the posterior does not decrease.
        step *= min(1.0, MAX_STEP / max(float(np.max(np.abs(step))), 1e-300))
        current = self.log_posterior(self.theta)
        for _ in range(MAX_HALVINGS):
            if self.log_posterior(self.theta + step) >= current:
                self.theta = self.theta + step
                break
            step *= 0.5
        return fisher

    def log_half_lives(self, attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Predicted ``log h`` of every item with these counts."""
        w, b = self.theta[:N_FEATURES], self.theta[N_FEATURES:]
        return np.clip(features(attempts, correct) @ w + b, -MAX_LOG_H, MAX_LOG_H)

    def predict(self, attempts: np.ndarray, correct: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """Posterior predictive recall probability of every item ``lag`` seconds after its last review."""
        phi = features(attempts, correct)
        n_w = N_FEATURES
        cov = self.covariance
        variance = (np.einsum("ij,jk,ik->i", phi, cov[:n_w, :n_w], phi)
                    + 2.0 * np.einsum("ij,ji->i", phi, cov[:n_w, n_w:]) + np.diag(cov)[n_w:])
        z = self.log_half_lives(attempts, correct)[:, None] + np.sqrt(np.maximum(variance, 0.0))[:, None] * _NODES
        z = np.clip(z, -MAX_LOG_H, MAX_LOG_H)
        return np.exp(-np.maximum(lag, 0.0)[:, None] * np.exp(-z)) @ _WEIGHTS
