"""The threshold tutor's recall model as it was before its fit was reorganised for speed: the A/B reference.

``benchmarks/bench_threshold_speed.py`` runs this :class:`RecallModel` beside
``teachgym.teachers.tutoring.recall_model.RecallModel`` (same estimator: the
MAP by three Fisher-scoring steps per review, the Laplace posterior
predictive) to count the decisions on which they differ and to time both in
one process. The model, its priors and its numerics are documented in that
module; this copy is kept unchanged (a dense ``[phi, one-hot]`` design with
identity prior rows, the 4x4 Schur complement solved every step, NumPy calls
throughout).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack

N_FEATURES = 4
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)  # quadrature against a standard normal
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_NEG_NODES = -_NODES
MAX_STEP = 2.0  # largest change of any coefficient per scoring step
MAX_HALVINGS = 12
MAX_LOG_H = 50.0
TINY = 1e-300  # floor of 1 - p
CHUNK = 32  # the per-review arrays are worked on in lengths that are multiples of this (inert padding after the reviews)
# Columns of the per-row values the design matrix is multiplied with: score, weight * phi, weight.
_SCORE, _WX, _WEIGHT = 0, slice(1, 1 + N_FEATURES), 1 + N_FEATURES


def features(attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """``phi`` for arrays of counts, shape ``(len, 4)``."""
    attempts = np.asarray(attempts, dtype=np.float64)
    return np.stack([np.ones_like(attempts), attempts, np.asarray(correct, dtype=np.float64), np.log1p(attempts)],
                    axis=-1)


def _solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``matrix^-1 rhs`` for a small square ``matrix`` (LAPACK ``gesv`` without NumPy's wrapper)."""
    _, _, solution, info = lapack.dgesv(matrix, rhs)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular Fisher information (LAPACK gesv info={info})")
    return solution


class _Views:
    """Views of a :class:`RecallModel`'s buffers on its first ``length`` review rows (reviews, then inert padding)."""

    def __init__(self, model: RecallModel, length: int):
        n_params = model.n_params
        reviews = slice(n_params, n_params + length)
        self.length = length
        self.design_t = model._design[:n_params + length].T  # prior rows and review rows
        self.design = model._design[reviews]
        self.x = model._design[reviews, :N_FEATURES]
        self.rows = model._rows[:n_params + length]
        self.score = model._rows[reviews, _SCORE]
        self.weight = model._rows[reviews, _WEIGHT]
        self.weight_column = model._rows[reviews, _WEIGHT:_WEIGHT + 1]
        self.wx = model._rows[reviews, _WX]
        self.neg_lag, self.recalled, self.y = model._neg_lag[:length], model._recalled[:length], model._y[:length]
        self.nu = [buffer[:length] for buffer in model._nu]
        self.q = [buffer[:length] for buffer in model._q]
        self.p, self.ratio, self.log_q = (buffer[:length] for buffer in model._work)


class RecallModel:
    """Online MAP fit of the model in the module docstring for ``n_items`` items.

    Args:
        n_items: items in the deck.
        log_h_prior: prior mean of the intercept (log seconds).
        w_std: prior std of every ``w`` coefficient.
        item_std: prior std of the item offsets.
        iterations: scoring steps per new review.
        capacity: reviews the buffers hold before they grow (doubling).

    Attributes:
        theta: the estimate, ``w`` then one offset per item.
        n_events: reviews recorded.
    """

    def __init__(self, n_items: int, log_h_prior: float = np.log(60.0), w_std: float = 2.0, item_std: float = 1.0,
                 iterations: int = 3, capacity: int = 256):
        self.n_items = n_items
        self.n_params = n_params = N_FEATURES + n_items
        self.iterations = iterations
        self.prior_mean = np.concatenate([[log_h_prior], np.zeros(N_FEATURES - 1), np.zeros(n_items)])
        self.prior_precision = np.concatenate([np.full(N_FEATURES, w_std**-2.0), np.full(n_items, item_std**-2.0)])
        self.theta = self.prior_mean.copy()
        self._neg_theta = -self.theta
        self.n_events = 0
        # Row i < n_params of the design is the prior's pseudo-observation of parameter i; row n_params + k, review k.
        # Column-major, so that the columns the fit reads and writes are contiguous.
        capacity = max(CHUNK, -(-int(capacity) // CHUNK) * CHUNK)
        self._design = np.zeros((n_params + capacity, n_params), order="F")
        self._design[:n_params] = np.eye(n_params)
        self._design[n_params:, 0] = 1.0  # phi_0 of every review row (a padding row's lag 0 makes it inert)
        self._log1p: dict[float, float] = {}
        self._rows = np.zeros((n_params + capacity, 2 + N_FEATURES), order="F")
        self._rows[np.arange(N_FEATURES), 1 + np.arange(N_FEATURES)] = self.prior_precision[:N_FEATURES]
        self._rows[N_FEATURES:n_params, _WEIGHT] = self.prior_precision[N_FEATURES:]
        self._prior_score = self._rows[:n_params, _SCORE]  # -precision * (theta - mean): 0 at the prior mean
        # Per review: -lag, recalled; padding rows (lag 0, recalled: u = 0) add exactly nothing to any sum.
        self._neg_lag = np.zeros(capacity)
        self._recalled = np.ones(capacity, dtype=bool)
        self._y = np.ones(capacity)
        # -u and 1 - p of every review at theta (buffer self._current), and at a candidate (the other buffer).
        self._nu = [np.zeros(capacity), np.zeros(capacity)]
        self._q = [np.ones(capacity), np.ones(capacity)]
        self._current = 0
        self._work = [np.zeros(capacity) for _ in range(3)]
        self._log_likelihood = 0.0
        self._log_prior = 0.0
        # Fisher information of the last scoring step: blocks [A | ...; C^T, D] and the Schur complement [rhs | S].
        self._totals = np.zeros((n_params, 2 + N_FEATURES))
        self._scaled = np.zeros((n_items, 1 + N_FEATURES))  # [g_b_i / D_i | c_i / D_i]
        self._v = self._scaled[:, _WX]  # c_i / D_i
        self._abs_step = np.zeros(n_params)
        self._schur = np.zeros((N_FEATURES, 1 + N_FEATURES))
        self._step = np.zeros(n_params)
        self._candidate_prior_score = np.zeros(n_params)
        # The posterior (inverse Fisher information) in block form: S^-1, c_i / D_i and 1 / D_i.
        self._s_inverse = np.diag(1.0 / self.prior_precision[:N_FEATURES])
        self._inverse_d = 1.0 / self.prior_precision[N_FEATURES:]
        self._phi = np.ones((n_items, N_FEATURES))
        self._views = _Views(self, 0)

    @property
    def covariance(self) -> np.ndarray:
        """The posterior covariance of ``theta`` (the inverse Fisher information of the last scoring step)."""
        s_inverse, v = self._s_inverse, self._v
        cross = -v @ s_inverse
        return np.block([[s_inverse, cross.T], [cross, np.diag(self._inverse_d) - cross @ v.T]])

    def add(self, item: int, attempts: float, correct: float, lag: float, recalled: bool) -> None:
        """Record one review and refit."""
        k = self.n_events
        if k == self._neg_lag.size:
            self._grow()
        attempts, correct, lag, recalled = float(attempts), float(correct), max(float(lag), 0.0), bool(recalled)
        log_attempts = self._log1p.get(attempts)
        if log_attempts is None:
            log_attempts = self._log1p[attempts] = float(np.log1p(attempts))  # as features() computes it
        design, row = self._design, self.n_params + k
        design[row, 1], design[row, 2], design[row, 3] = attempts, correct, log_attempts  # design[row, 0] is 1
        design[row, N_FEATURES + item] = 1.0
        self._neg_lag[k], self._recalled[k], self._y[k] = -lag, recalled, float(recalled)
        # The new review's terms at the current estimate.
        w0, w1, w2, w3 = self._neg_theta[:N_FEATURES].tolist()
        neg_z = w0 + attempts * w1 + correct * w2 + log_attempts * w3 + float(self._neg_theta[N_FEATURES + item])
        nu = -lag * math.exp(min(max(neg_z, -MAX_LOG_H), MAX_LOG_H))
        q = max(-math.expm1(nu), TINY)
        self._nu[self._current][k], self._q[self._current][k] = nu, q
        self._log_likelihood += nu if recalled else math.log(q)
        self.n_events = k + 1
        if k + 1 > self._views.length:
            self._views = _Views(self, self._views.length + CHUNK)
        for _ in range(self.iterations):
            self._scoring_step(self._views)
        self._s_inverse = _solve(self._schur[:, _WX], np.eye(N_FEATURES))
        self._inverse_d = 1.0 / self._totals[N_FEATURES:, _WEIGHT]

    def _grow(self) -> None:
        n_params, capacity = self.n_params, self._neg_lag.size
        padding = np.zeros((capacity, n_params))
        padding[:, 0] = 1.0
        self._design = np.concatenate([self._design, padding]).copy(order="F")
        self._rows = np.concatenate([self._rows, np.zeros((capacity, self._rows.shape[1]))]).copy(order="F")
        self._prior_score = self._rows[:n_params, _SCORE]
        self._neg_lag = np.concatenate([self._neg_lag, np.zeros(capacity)])
        self._recalled = np.concatenate([self._recalled, np.ones(capacity, dtype=bool)])
        self._y = np.concatenate([self._y, np.ones(capacity)])
        self._nu = [np.concatenate([buffer, np.zeros(capacity)]) for buffer in self._nu]
        self._q = [np.concatenate([buffer, np.ones(capacity)]) for buffer in self._q]
        self._work = [np.zeros(2 * capacity) for _ in range(3)]
        self._views = _Views(self, self._views.length)

    def log_posterior(self, theta: np.ndarray) -> float:
        """Log-likelihood of the recorded reviews plus log-prior, up to a constant."""
        k, n_params = self.n_events, self.n_params
        z = np.clip(self._design[n_params:n_params + k] @ theta, -MAX_LOG_H, MAX_LOG_H)
        u = -self._neg_lag[:k] * np.exp(-z)
        log_not_recalled = np.log(np.maximum(-np.expm1(-u), TINY))
        log_likelihood = float(np.sum(np.where(self._recalled[:k], -u, log_not_recalled)))
        return log_likelihood - 0.5 * float(np.sum(self.prior_precision * (theta - self.prior_mean) ** 2))

    def _scoring_step(self, views: _Views) -> None:
        """One scoring step with backtracking; keeps the Fisher information it used (the posterior's)."""
        nu, q = views.nu[self._current], views.q[self._current]
        # score u (y - p) / q = r (p - y) and weight p u^2 / q = p nu r, with nu = -u and r = nu / q.
        p = np.exp(nu, out=views.p)
        r = np.divide(nu, q, out=views.ratio)
        np.subtract(p, views.y, out=views.score)
        np.multiply(views.score, r, out=views.score)
        np.multiply(r, nu, out=r)
        np.multiply(r, p, out=views.weight)
        np.multiply(views.x, views.weight_column, out=views.wx)
        # totals[:, 0]: gradient; totals[:4, 1:5]: A (w block); totals[4:, 1:5]: C^T; totals[4:, 5]: D (b diagonal).
        totals = np.matmul(views.design_t, views.rows, out=self._totals)
        per_item = totals[N_FEATURES:, :_WEIGHT]
        scaled = np.divide(per_item, totals[N_FEATURES:, _WEIGHT:], out=self._scaled)  # [g_b / D | v = C^T / D]
        v = scaled[:, _WX]
        schur = np.subtract(totals[:N_FEATURES, :_WEIGHT], v.T @ per_item, out=self._schur)  # [rhs | S]
        step = self._step
        step[:N_FEATURES] = step_w = _solve(schur[:, _WX], schur[:, _SCORE])
        np.subtract(scaled[:, _SCORE], v @ step_w, out=step[N_FEATURES:])  # (g_b - C^T step_w) / D
        # Where the Fisher weight vanishes (p -> 0 on a recalled item) the step is huge: shrink it as a whole
        # (keeping its ascent direction), then halve it until the posterior does not decrease.
        largest = float(np.maximum.reduce(np.abs(step, out=self._abs_step)))
        scale = min(1.0, MAX_STEP / max(largest, 1e-300))
        if scale != 1.0:
            step *= scale
        current = self._log_likelihood + self._log_prior
        if self._try(views, self._neg_theta - step, current):
            return
        # Rejected. If the step's expected gain (gradient . step) is below the log-posterior's rounding error, the
        # test compares rounding noise (the fit has converged): halving cannot tell either, so stop here.
        if float(totals[:, _SCORE] @ step) <= 1e-12 * max(1.0, abs(current)):
            return
        for _ in range(MAX_HALVINGS - 1):
            step *= 0.5
            if self._try(views, self._neg_theta - step, current):
                break

    def _try(self, views: _Views, neg_theta: np.ndarray, current: float) -> bool:
        """Move to ``-neg_theta`` if its log-posterior is >= ``current`` (keeping its per-review terms)."""
        candidate = 1 - self._current
        nu, q, log_q = views.nu[candidate], views.q[candidate], views.log_q
        np.matmul(views.design, neg_theta, out=nu)  # -z
        np.minimum(nu, MAX_LOG_H, out=nu)
        np.maximum(nu, -MAX_LOG_H, out=nu)
        np.exp(nu, out=nu)
        np.multiply(nu, views.neg_lag, out=nu)
        np.expm1(nu, out=q)
        np.negative(q, out=q)
        np.maximum(q, TINY, out=q)
        np.log(q, out=log_q)
        np.copyto(log_q, nu, where=views.recalled)
        log_likelihood = float(np.add.reduce(log_q))
        deviation = np.add(neg_theta, self.prior_mean)  # -(theta - mean)
        prior_score = np.multiply(self.prior_precision, deviation, out=self._candidate_prior_score)
        log_prior = -0.5 * float(deviation @ prior_score)
        if not log_likelihood + log_prior >= current:
            return False
        self._neg_theta, self.theta = neg_theta, np.negative(neg_theta)
        self._current = candidate
        self._log_likelihood, self._log_prior = log_likelihood, log_prior
        self._prior_score[:] = prior_score
        return True

    def log_half_lives(self, attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Predicted ``log h`` of every item with these counts."""
        w, b = self.theta[:N_FEATURES], self.theta[N_FEATURES:]
        return np.clip(features(attempts, correct) @ w + b, -MAX_LOG_H, MAX_LOG_H)

    def predict(self, attempts: np.ndarray, correct: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """Posterior predictive recall probability of every item ``lag`` seconds after its last review.

        Items with the same counts, lag and posterior get exactly the same prediction (every item's arithmetic is
        the same, with no BLAS kernel that rounds its last rows otherwise), so a tie between them stays a tie.
        """
        phi = self._phi
        phi[:, 1] = attempts
        phi[:, 2] = correct
        np.log1p(phi[:, 1], out=phi[:, 3])
        # A never-reviewed item's phi is (1, 0, 0, 0): its phi . w is w_0 in any BLAS kernel.
        neg_z = phi @ self._neg_theta[:N_FEATURES]
        np.add(neg_z, self._neg_theta[N_FEATURES:], out=neg_z)
        np.minimum(neg_z, MAX_LOG_H, out=neg_z)
        np.maximum(neg_z, -MAX_LOG_H, out=neg_z)
        offset = np.subtract(phi, self._v)
        sd = np.einsum("ij,jk,ik->i", offset, self._s_inverse, offset)
        np.add(sd, self._inverse_d, out=sd)
        np.maximum(sd, 0.0, out=sd)
        np.sqrt(sd, out=sd)
        nodes = np.multiply(sd[:, None], _NEG_NODES)
        np.add(nodes, neg_z[:, None], out=nodes)
        np.minimum(nodes, MAX_LOG_H, out=nodes)
        np.maximum(nodes, -MAX_LOG_H, out=nodes)
        np.exp(nodes, out=nodes)
        neg_lag = np.negative(lag)
        np.minimum(neg_lag, 0.0, out=neg_lag)
        np.multiply(nodes, neg_lag[:, None], out=nodes)
        np.exp(nodes, out=nodes)
        return np.einsum("ij,j->i", nodes, _WEIGHTS)
