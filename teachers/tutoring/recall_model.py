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

How it is computed (the cost of a review is a few NumPy calls per scoring
step, whatever the deck size):

- The design matrix has one row per review, ``[phi, one-hot(item)]``, preceded
  by one identity row per parameter: the prior as pseudo-observations, so that
  one matrix product of the per-row values ``[score, weight * phi]`` with it
  gives the gradient and the Fisher information's ``w`` rows (its ``A`` and
  ``C`` blocks), prior included; the diagonal ``b`` block ``D`` is the ``C``
  row of ``phi_0 = 1`` plus the item prior's precision.
- The Fisher information is an arrow matrix (a dense 4x4 ``w`` block, a
  diagonal ``b`` block), so the scoring step solves the 4x4 Schur complement
  ``S = A - C D^-1 C^T`` instead of the whole system, and the posterior
  variance of an item's ``z`` is ``(phi - c_i / D_i)^T S^-1 (phi - c_i / D_i) + 1 / D_i``;
  ``S^-1`` is formed once per review, after its last scoring step.
- Each review's ``-u`` and ``1 - p`` at the current estimate are kept from the
  backtracking test that accepted it, and reused by the next scoring step.
- Once the fit has converged, a step's expected gain is below the rounding
  error of the log-posterior and the backtracking test compares noise: a
  rejected step whose gain is that small is not halved further.

``backend="numba"`` runs the same algorithm as compiled loops over the reviews
(``recall_kernels.py``; needs the ``fast`` extra); ``"auto"``, the default,
takes it when numba is importable. The two backends round differently and
agree to rounding (``tests/test_recall_numba.py``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.linalg import blas, lapack

from teachgym.validation import ConfigError, check_choice

try:
    from numpy._core.umath import clip as _clip  # the clip ufunc, without np.clip's Python wrapper
except ImportError:  # NumPy < 2
    from numpy.core.umath import clip as _clip

N_FEATURES = 4
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)  # quadrature against a standard normal
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_NEG_NODES = -_NODES[:, None]  # one quadrature node per row
_WEIGHT_COLUMN = _WEIGHTS[:, None]
_EYE = np.eye(N_FEATURES)
MAX_STEP = 2.0  # largest change of any coefficient per scoring step
MAX_HALVINGS = 12
MAX_LOG_H = 50.0
TINY = 1e-300  # floor of 1 - p
CHUNK = 32  # the per-review arrays are worked on in lengths that are multiples of this (inert padding after the reviews)
# Rows of the per-row values the design matrix is multiplied with: score, then weight * phi (row 1 is the weight).
_SCORE, _WEIGHT, _WX = 0, 1, slice(2, 1 + N_FEATURES)


def features(attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """``phi`` for arrays of counts, shape ``(len, 4)``."""
    attempts = np.asarray(attempts, dtype=np.float64)
    return np.stack([np.ones_like(attempts), attempts, np.asarray(correct, dtype=np.float64), np.log1p(attempts)],
                    axis=-1)


BACKENDS = ("auto", "numpy", "numba")


@functools.cache
def _kernels():
    """The compiled kernels module, or None when numba cannot be imported."""
    try:
        import numba  # noqa: F401  (only whether it imports)
    except ImportError:
        return None
    from teachgym.teachers.tutoring import recall_kernels

    return recall_kernels


def resolve_backend(backend: str) -> str:
    """``"numpy"`` or ``"numba"`` for a ``backend`` in :data:`BACKENDS` (``"auto"``: numba if it can be imported)."""
    check_choice("backend", backend, BACKENDS)
    if backend == "numpy":
        return "numpy"
    if _kernels() is None:
        if backend == "numba":
            raise ConfigError("backend='numba' needs numba, which cannot be imported: install the 'fast' extra "
                              "(pip install 'teachgym[fast]'), or use backend='numpy' or 'auto'")
        return "numpy"
    return "numba"


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
        self.design_all = model._design[:n_params + length]  # prior rows and review rows
        self.design = model._design[reviews]
        self.x_t = model._design[reviews, 1:N_FEATURES].T  # phi_1..3 of each review, one feature per row
        self.rows_t = model._rows_t[:, :n_params + length]
        self.score = model._rows_t[_SCORE, reviews]
        self.weight = model._rows_t[_WEIGHT, reviews]  # weight * phi_0
        self.wx = model._rows_t[_WX, reviews]
        self.neg_lag, self.y, self.not_y = model._neg_lag[:length], model._y[:length], model._not_y[:length]
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
        backend: "numpy" (NumPy/BLAS calls), "numba" (compiled loops; the ``fast`` extra) or "auto" (numba if
            importable, else numpy). The same estimator; they agree to rounding.

    Attributes:
        n_events: reviews recorded.
        backend: the backend in use, "numpy" or "numba".
    """

    def __init__(self, n_items: int, log_h_prior: float = np.log(60.0), w_std: float = 2.0, item_std: float = 1.0,
                 iterations: int = 3, capacity: int = 256, backend: str = "auto"):
        self.backend = resolve_backend(backend)
        self.n_items = n_items
        self.n_params = n_params = N_FEATURES + n_items
        self.iterations = iterations
        self.prior_mean = np.concatenate([[log_h_prior], np.zeros(N_FEATURES - 1), np.zeros(n_items)])
        self.prior_precision = np.concatenate([np.full(N_FEATURES, w_std**-2.0), np.full(n_items, item_std**-2.0)])
        self._item_precision = self.prior_precision[N_FEATURES:].copy()
        self._neg_theta = -self.prior_mean
        self.n_events = 0
        # Row i < n_params of the design is the prior's pseudo-observation of parameter i; row n_params + k, review k.
        # Column-major, so that the columns the fit reads and writes are contiguous.
        capacity = max(CHUNK, -(-int(capacity) // CHUNK) * CHUNK)
        self._design = np.zeros((n_params + capacity, n_params), order="F")
        self._design[:n_params] = np.eye(n_params)
        self._design[n_params:, 0] = 1.0  # phi_0 of every review row (a padding row's lag 0 makes it inert)
        self._log1p: dict[float, float] = {}
        # The per-row values, one quantity per row: [score | weight * phi] of the prior rows, then of the reviews.
        self._rows_t = np.zeros((1 + N_FEATURES, n_params + capacity))
        self._rows_t[1 + np.arange(N_FEATURES), np.arange(N_FEATURES)] = self.prior_precision[:N_FEATURES]
        self._prior_score = self._rows_t[_SCORE, :n_params]  # -precision * (theta - mean): 0 at the prior mean
        # Per review: -lag, recalled (1.0 or 0.0) and not recalled; padding rows (lag 0, in neither sum of the
        # log-likelihood: u = 0) add exactly nothing to any sum.
        self._neg_lag = np.zeros(capacity)
        self._y = np.ones(capacity)
        self._not_y = np.zeros(capacity)
        # -u and 1 - p of every review at theta (buffer self._current), and at a candidate (the other buffer).
        self._nu = [np.zeros(capacity), np.zeros(capacity)]
        self._q = [np.ones(capacity), np.ones(capacity)]
        self._current = 0
        self._work = [np.zeros(capacity) for _ in range(3)]
        self._log_likelihood = 0.0
        self._log_prior = 0.0
        # The last scoring step's gradient and Fisher information's w rows, [g; A | C] (Fortran order), whose first
        # four columns then become [rhs; S] = [g_w; A] - [g_b; C] D^-1 C^T in place; and D.
        self._totals = totals = np.zeros((1 + N_FEATURES, n_params), order="F")
        self._schur, self._totals_items = totals[:, :N_FEATURES], totals[:, N_FEATURES:]
        self._rhs, self._s = totals[0, :N_FEATURES], totals[1:, :N_FEATURES]
        self._g_b, self._c, self._c_0 = totals[0, N_FEATURES:], totals[1:, N_FEATURES:], totals[1, N_FEATURES:]
        self._d = self._item_precision.copy()
        # The step, [step_w | step_b], followed by the rows C / D: [g_b; C] / D is the step's b part and those rows.
        buffer = np.zeros(N_FEATURES + (1 + N_FEATURES) * n_items)
        self._step, self._step_w, self._step_b = buffer[:n_params], buffer[:N_FEATURES], buffer[N_FEATURES:n_params]
        self._scaled = buffer[N_FEATURES:].reshape(1 + N_FEATURES, n_items)
        self._scaled_t = self._scaled.T
        self._v_t = self._scaled[1:].T  # c_i / D_i, one item per row (Fortran order)
        self._deviation = [self._neg_theta + self.prior_mean, np.zeros(n_params)]  # -(theta - mean), as _nu
        # The posterior (inverse Fisher information) in block form: S^-1, c_i / D_i (row i of _v) and 1 / D_i.
        self._s_inverse = np.diag(1.0 / self.prior_precision[:N_FEATURES])
        self._v = self._v_t
        self._inverse_d = 1.0 / self._item_precision
        self._phi = np.ones((n_items, N_FEATURES))
        self._views = _Views(self, 0)
        self._fit = None
        if self.backend == "numba":  # the compiled path's arrays replace the NumPy path's estimate and posterior
            self._fit = fit = _kernels().CompiledFit(self.prior_mean, self.prior_precision, capacity,
                                                     (MAX_STEP, MAX_HALVINGS, MAX_LOG_H, TINY))
            self._neg_theta, self._s_inverse, self._v, self._inverse_d, self._d = (
                fit.neg_theta, fit.s_inverse, fit.v, fit.inverse_d, fit.d)

    @property
    def theta(self) -> np.ndarray:
        """The estimate, ``w`` then one offset per item."""
        return -self._neg_theta

    @property
    def covariance(self) -> np.ndarray:
        """The posterior covariance of ``theta`` (the inverse Fisher information of the last scoring step)."""
        s_inverse, v = self._s_inverse, self._v
        cross = -v @ s_inverse
        return np.block([[s_inverse, cross.T], [cross, np.diag(self._inverse_d) - cross @ v.T]])

    def add(self, item: int, attempts: float, correct: float, lag: float, recalled: bool) -> None:
        """Record one review and refit."""
        if self._fit is not None:
            self._fit.add(self.n_events, item, attempts, correct, lag, recalled, self.iterations)
            self.n_events += 1
            return
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
        self._neg_lag[k], self._y[k], self._not_y[k] = -lag, float(recalled), float(not recalled)
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
        if self.iterations <= 0:
            return
        for _ in range(self.iterations):
            self._scoring_step(self._views)
        self._s_inverse = _solve(self._s, _EYE)
        self._inverse_d = np.divide(1.0, self._d)

    def _grow(self) -> None:
        n_params, capacity = self.n_params, self._neg_lag.size
        padding = np.zeros((capacity, n_params))
        padding[:, 0] = 1.0
        self._design = np.concatenate([self._design, padding]).copy(order="F")
        self._rows_t = np.concatenate([self._rows_t, np.zeros((self._rows_t.shape[0], capacity))], axis=1)
        self._prior_score = self._rows_t[_SCORE, :n_params]
        self._neg_lag = np.concatenate([self._neg_lag, np.zeros(capacity)])
        self._y = np.concatenate([self._y, np.ones(capacity)])
        self._not_y = np.concatenate([self._not_y, np.zeros(capacity)])
        self._nu = [np.concatenate([buffer, np.zeros(capacity)]) for buffer in self._nu]
        self._q = [np.concatenate([buffer, np.ones(capacity)]) for buffer in self._q]
        self._work = [np.zeros(2 * capacity) for _ in range(3)]
        self._views = _Views(self, self._views.length)

    def log_posterior(self, theta: np.ndarray) -> float:
        """Log-likelihood of the recorded reviews plus log-prior, up to a constant."""
        if self._fit is not None:
            return self._fit.log_posterior(self.n_events, theta)
        k, n_params = self.n_events, self.n_params
        z = np.clip(self._design[n_params:n_params + k] @ theta, -MAX_LOG_H, MAX_LOG_H)
        u = -self._neg_lag[:k] * np.exp(-z)
        log_not_recalled = np.log(np.maximum(-np.expm1(-u), TINY))
        log_likelihood = float(np.sum(np.where(self._y[:k] > 0.0, -u, log_not_recalled)))
        return log_likelihood - 0.5 * float(np.sum(self.prior_precision * (theta - self.prior_mean) ** 2))

    def _scoring_step(self, views: _Views) -> None:
        """One scoring step with backtracking; keeps the Fisher information it used (the posterior's)."""
        nu, q = views.nu[self._current], views.q[self._current]
        # score u (y - p) / q = r (p - y) and weight p u^2 / q = p nu r, with nu = -u and r = nu / q.
        p = np.exp(nu, out=views.p)
        r = np.divide(nu, q, out=views.ratio)
        score = np.subtract(p, views.y, out=views.score)
        np.multiply(score, r, out=score)
        np.multiply(r, nu, out=r)
        weight = np.multiply(r, p, out=views.weight)
        np.multiply(views.x_t, weight, out=views.wx)
        # totals[0]: gradient; totals[1:, :4]: A (w block); totals[1:, 4:]: C; D = C's phi_0 row + the item prior.
        np.matmul(views.rows_t, views.design_all, out=self._totals)
        d = np.add(self._c_0, self._item_precision, out=self._d)
        np.divide(self._totals_items, d, out=self._scaled)  # [g_b / D; C / D], row 0 is self._step_b
        blas.dgemm(-1.0, self._scaled_t, self._c, beta=1.0, c=self._schur, overwrite_c=1, trans_a=1, trans_b=1)
        step, step_w = self._step, self._step_w
        step_w[:] = _solve(self._s, self._rhs)
        blas.dgemv(-1.0, self._v_t, step_w, beta=1.0, y=self._step_b, overwrite_y=1)  # (g_b - C^T step_w) / D
        # Where the Fisher weight vanishes (p -> 0 on a recalled item) the step is huge: shrink it as a whole
        # (keeping its ascent direction), then halve it until the posterior does not decrease.
        largest = abs(float(step[blas.idamax(step)]))
        scale = min(1.0, MAX_STEP / max(largest, 1e-300))
        if scale != 1.0:
            step *= scale
        current = self._log_likelihood + self._log_prior
        if self._try(views, self._neg_theta - step, current):
            return
        # Rejected. If the step's expected gain (gradient . step) is below the log-posterior's rounding error, the
        # test compares rounding noise (the fit has converged): halving cannot tell either, so stop here.
        # With rhs = g_w - C D^-1 g_b (in g_w's place now) and step = scale F^-1 g, the gain is
        # rhs . step_w + scale g_b D^-1 g_b.
        gain = blas.ddot(self._rhs, step_w) + scale * blas.ddot(self._g_b, np.divide(self._g_b, self._d))
        if gain > 1e-12 * max(1.0, abs(current)):
            for _ in range(MAX_HALVINGS - 1):
                step *= 0.5
                if self._try(views, self._neg_theta - step, current):
                    return
        # No candidate was accepted: the prior rows' score is the last candidate's; put back the estimate's.
        np.multiply(self.prior_precision, self._deviation[self._current], out=self._prior_score)

    def _try(self, views: _Views, neg_theta: np.ndarray, current: float) -> bool:
        """Move to ``-neg_theta`` if its log-posterior is >= ``current`` (keeping its per-review terms)."""
        candidate = 1 - self._current
        nu, q, log_q = views.nu[candidate], views.q[candidate], views.log_q
        np.matmul(views.design, neg_theta, out=nu)  # -z
        _clip(nu, -MAX_LOG_H, MAX_LOG_H, out=nu)
        np.exp(nu, out=nu)
        np.multiply(nu, views.neg_lag, out=nu)
        np.expm1(nu, out=q)
        np.negative(q, out=q)
        np.maximum(q, TINY, out=q)
        np.log(q, out=log_q)
        log_likelihood = blas.ddot(nu, views.y) + blas.ddot(log_q, views.not_y)
        deviation = np.add(neg_theta, self.prior_mean, out=self._deviation[candidate])  # -(theta - mean)
        # Written straight into the prior rows' score (the caller puts the estimate's back if no candidate is taken).
        prior_score = np.multiply(self.prior_precision, deviation, out=self._prior_score)
        log_prior = -0.5 * blas.ddot(deviation, prior_score)
        if not log_likelihood + log_prior >= current:
            return False
        self._neg_theta = neg_theta
        self._current = candidate
        self._log_likelihood, self._log_prior = log_likelihood, log_prior
        return True

    def log_half_lives(self, attempts: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Predicted ``log h`` of every item with these counts."""
        theta = self.theta
        return np.clip(features(attempts, correct) @ theta[:N_FEATURES] + theta[N_FEATURES:], -MAX_LOG_H, MAX_LOG_H)

    def predict(self, attempts: np.ndarray, correct: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """Posterior predictive recall probability of every item ``lag`` seconds after its last review.

        Items with the same counts, lag and posterior get exactly the same prediction (every item's arithmetic is
        the same, with no BLAS kernel that rounds its last rows otherwise), so a tie between them stays a tie.
        """
        if self._fit is not None:
            return self._fit.predict(attempts, correct, lag, self._neg_theta, self._v, self._s_inverse,
                                     self._inverse_d, _NODES, _WEIGHTS)
        phi = self._phi
        phi[:, 1] = attempts
        phi[:, 2] = correct
        np.log1p(phi[:, 1], out=phi[:, 3])
        # A never-reviewed item's phi and phi - c_i / D_i are (1, 0, 0, 0): its products with w and S^-1 below are
        # w_0 and S^-1's first row in any BLAS kernel.
        neg_z = np.dot(phi, self._neg_theta[:N_FEATURES])
        np.add(neg_z, self._neg_theta[N_FEATURES:], out=neg_z)
        _clip(neg_z, -MAX_LOG_H, MAX_LOG_H, out=neg_z)
        offset = np.subtract(phi, self._v)
        sd = np.einsum("ij,ij->i", np.dot(offset, self._s_inverse), offset)
        np.add(sd, self._inverse_d, out=sd)
        np.maximum(sd, 0.0, out=sd)
        np.sqrt(sd, out=sd)
        nodes = np.multiply(_NEG_NODES, sd)  # one quadrature node per row, one item per column
        np.add(nodes, neg_z, out=nodes)
        _clip(nodes, -MAX_LOG_H, MAX_LOG_H, out=nodes)
        np.exp(nodes, out=nodes)
        neg_lag = np.negative(lag)
        np.minimum(neg_lag, 0.0, out=neg_lag)
        np.multiply(nodes, neg_lag, out=nodes)
        np.exp(nodes, out=nodes)
        np.multiply(nodes, _WEIGHT_COLUMN, out=nodes)
        return np.add.reduce(nodes, axis=0)  # row after row: the same sums for every item
