"""Compiled loops of :class:`~teachgym.teachers.tutoring.recall_model.RecallModel`'s fit and prediction (numba).

The same estimator and algorithm as the NumPy path of ``recall_model.py``
(its module docstring): per new review, ``iterations`` Fisher-scoring steps
over all reviews, each limited to ``MAX_STEP`` and halved at most
``MAX_HALVINGS - 1`` times until the log-posterior does not decrease, no
halving when the step's expected gain is below the log-posterior's rounding
error; then ``S^-1``, ``c_i / D_i`` and ``1 / D_i`` of the last step's Fisher
information; predictions by the same 9-node Gauss-Hermite quadrature.

Here each quantity is a loop over the reviews instead of NumPy/BLAS calls:
a review's row of the design is ``[phi, one-hot(item)]``, so only its four
``phi`` values and its item index are stored, and the gradient, the ``w``
block ``A``, the item columns ``C`` and the candidates' log-likelihood are
accumulated review by review. Sums are added in another order than BLAS adds
them, so the two paths agree to rounding, not bit for bit
(``tests/test_recall_numba.py``, ``benchmarks/bench_threshold_speed.py``).
Within one path, items with the same inputs get exactly the same prediction.

Compiled with ``cache=True`` (no fastmath, no parallel): the first use on a
machine compiles and caches the kernels, later processes load them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Rows of CompiledFit.reviews: the review's phi_1..3, -lag and recalled (1.0 or 0.0), then two buffers of (-u, 1 - p)
# at an estimate: the current estimate's (buffer state[STATE_CURRENT]) and a candidate's.
ATTEMPTS, CORRECT, LOG_ATTEMPTS, NEG_LAG, RECALLED, BUFFERS = 0, 1, 2, 3, 4, 5
ROWS = BUFFERS + 4
# Entries of CompiledFit.state.
STATE_LOG_LIKELIHOOD, STATE_LOG_PRIOR, STATE_CURRENT, STATE_STEPS, STATE_TESTS = 0, 1, 2, 3, 4
# Entries of CompiledFit.constants (recall_model's, passed in so that the kernels share its values).
MAX_STEP_AT, MAX_HALVINGS_AT, MAX_LOG_H_AT, TINY_AT = 0, 1, 2, 3


@njit(cache=True)
def _clip(value, bound):
    return min(max(value, -bound), bound)


@njit(cache=True)
def _solve4(matrix, rhs, out):
    """``out = matrix^-1 rhs`` for a 4x4 ``matrix`` (``matrix`` and ``rhs`` are not changed).

    Gaussian elimination with partial pivoting (the first largest pivot). Returns False if a pivot is exactly zero.
    """
    a = np.empty((4, 4))
    for row in range(4):
        out[row] = rhs[row]
        for col in range(4):
            a[row, col] = matrix[row, col]
    for col in range(4):
        pivot, largest = col, abs(a[col, col])
        for row in range(col + 1, 4):
            if abs(a[row, col]) > largest:
                pivot, largest = row, abs(a[row, col])
        if largest == 0.0:
            return False
        if pivot != col:
            for j in range(4):
                swapped = a[col, j]
                a[col, j] = a[pivot, j]
                a[pivot, j] = swapped
            swapped = out[col]
            out[col] = out[pivot]
            out[pivot] = swapped
        for row in range(col + 1, 4):
            factor = a[row, col] / a[col, col]
            for j in range(col + 1, 4):
                a[row, j] -= factor * a[col, j]
            out[row] -= factor * out[col]
    for col in range(3, -1, -1):
        total = out[col]
        for j in range(col + 1, 4):
            total -= a[col, j] * out[j]
        out[col] = total / a[col, col]
    return True


@njit(cache=True)
def _log_posterior_at(items, reviews, n, neg_theta, prior_mean, prior_precision, out_row, deviation, constants):
    """(log-likelihood, log-prior) at ``-neg_theta``; each review's ``-u`` and ``1 - p`` go to ``reviews[out_row:+2]``."""
    max_log_h, tiny = constants[MAX_LOG_H_AT], constants[TINY_AT]
    w0, w1, w2, w3 = neg_theta[0], neg_theta[1], neg_theta[2], neg_theta[3]
    recalled_sum, forgotten_sum = 0.0, 0.0
    for k in range(n):
        neg_z = (w0 + reviews[ATTEMPTS, k] * w1 + reviews[CORRECT, k] * w2 + reviews[LOG_ATTEMPTS, k] * w3
                 + neg_theta[4 + items[k]])
        nu = math.exp(_clip(neg_z, max_log_h)) * reviews[NEG_LAG, k]
        q = max(-math.expm1(nu), tiny)
        reviews[out_row, k] = nu
        reviews[out_row + 1, k] = q
        if reviews[RECALLED, k] > 0.0:
            recalled_sum += nu
        else:
            forgotten_sum += math.log(q)
    prior_sum = 0.0
    for j in range(neg_theta.size):
        deviation[j] = neg_theta[j] + prior_mean[j]  # -(theta - mean)
        prior_sum += deviation[j] * (prior_precision[j] * deviation[j])
    return recalled_sum + forgotten_sum, -0.5 * prior_sum


@njit(cache=True)
def _try(items, reviews, n, neg_theta, step, candidate, prior_mean, prior_precision, state, deviation, constants,
         current):
    """Move to ``-(neg_theta - step)`` if its log-posterior is >= ``current`` (keeping its per-review terms)."""
    for j in range(neg_theta.size):
        candidate[j] = neg_theta[j] - step[j]
    other = 1 - int(state[STATE_CURRENT])
    state[STATE_TESTS] += 1.0
    log_likelihood, log_prior = _log_posterior_at(items, reviews, n, candidate, prior_mean, prior_precision,
                                                  BUFFERS + 2 * other, deviation, constants)
    if not log_likelihood + log_prior >= current:
        return False
    for j in range(neg_theta.size):
        neg_theta[j] = candidate[j]
    state[STATE_CURRENT] = other
    state[STATE_LOG_LIKELIHOOD], state[STATE_LOG_PRIOR] = log_likelihood, log_prior
    return True


@njit(cache=True)
def _scoring_step(items, reviews, n, neg_theta, prior_mean, prior_precision, state, constants, schur, v, d, work):
    """One scoring step with backtracking; ``schur``, ``v`` and ``d`` keep the Fisher information it used.

    Returns False if the Fisher information's Schur complement is singular.
    """
    n_items = d.size
    step, candidate, deviation = work[0], work[1], work[2]
    g_b = np.empty(n_items)
    c = np.zeros((n_items, 4))  # C^T: row i is item i's column of C
    g_w = np.empty(4)  # the gradient's w part, then rhs = g_w - C D^-1 g_b
    step_w = np.empty(4)
    a = schur
    for i in range(n_items):
        g_b[i] = prior_precision[4 + i] * (neg_theta[4 + i] + prior_mean[4 + i])
    # The prior's pseudo-observations (score -precision (theta - mean), weight the precision) start the sums; then
    # each review's score r (p - y) and Fisher weight p nu r, with nu = -u and r = nu / q, times phi = (1, x1..x3).
    g0 = prior_precision[0] * (neg_theta[0] + prior_mean[0])
    g1 = prior_precision[1] * (neg_theta[1] + prior_mean[1])
    g2 = prior_precision[2] * (neg_theta[2] + prior_mean[2])
    g3 = prior_precision[3] * (neg_theta[3] + prior_mean[3])
    a00, a01, a02, a03 = prior_precision[0], 0.0, 0.0, 0.0
    a10, a11, a12, a13 = 0.0, prior_precision[1], 0.0, 0.0
    a20, a21, a22, a23 = 0.0, 0.0, prior_precision[2], 0.0
    a30, a31, a32, a33 = 0.0, 0.0, 0.0, prior_precision[3]
    buffer = BUFFERS + 2 * int(state[STATE_CURRENT])
    for k in range(n):
        nu, q = reviews[buffer, k], reviews[buffer + 1, k]
        p = math.exp(nu)
        r = nu / q
        score = (p - reviews[RECALLED, k]) * r
        w0 = (r * nu) * p
        x1, x2, x3 = reviews[ATTEMPTS, k], reviews[CORRECT, k], reviews[LOG_ATTEMPTS, k]
        w1, w2, w3 = x1 * w0, x2 * w0, x3 * w0
        g0 += score
        g1 += score * x1
        g2 += score * x2
        g3 += score * x3
        a00 += w0
        a01 += w0 * x1
        a02 += w0 * x2
        a03 += w0 * x3
        a10 += w1
        a11 += w1 * x1
        a12 += w1 * x2
        a13 += w1 * x3
        a20 += w2
        a21 += w2 * x1
        a22 += w2 * x2
        a23 += w2 * x3
        a30 += w3
        a31 += w3 * x1
        a32 += w3 * x2
        a33 += w3 * x3
        item = items[k]
        g_b[item] += score
        c[item, 0] += w0
        c[item, 1] += w1
        c[item, 2] += w2
        c[item, 3] += w3
    g_w[0], g_w[1], g_w[2], g_w[3] = g0, g1, g2, g3
    a[0, 0], a[0, 1], a[0, 2], a[0, 3] = a00, a01, a02, a03
    a[1, 0], a[1, 1], a[1, 2], a[1, 3] = a10, a11, a12, a13
    a[2, 0], a[2, 1], a[2, 2], a[2, 3] = a20, a21, a22, a23
    a[3, 0], a[3, 1], a[3, 2], a[3, 3] = a30, a31, a32, a33
    # D = C's phi_0 row + the item prior; S = A - C D^-1 C^T and rhs = g_w - C D^-1 g_b; step_w = S^-1 rhs.
    for i in range(n_items):
        d[i] = c[i, 0] + prior_precision[4 + i]
        step[4 + i] = g_b[i] / d[i]
        for f in range(4):
            v[i, f] = c[i, f] / d[i]
    for g in range(4):
        total = 0.0
        for i in range(n_items):
            total += step[4 + i] * c[i, g]
        g_w[g] -= total
        for f in range(4):
            total = 0.0
            for i in range(n_items):
                total += v[i, f] * c[i, g]
            a[f, g] -= total
    if not _solve4(a, g_w, step_w):
        return False
    for f in range(4):
        step[f] = step_w[f]
    for i in range(n_items):  # (g_b - C^T step_w) / D
        total = 0.0
        for f in range(4):
            total += v[i, f] * step[f]
        step[4 + i] -= total
    # A huge step (vanishing Fisher weight) shrinks as a whole, then halves until the posterior does not decrease.
    largest = 0.0
    for j in range(step.size):
        largest = max(largest, abs(step[j]))
    scale = min(1.0, constants[MAX_STEP_AT] / max(largest, 1e-300))
    if scale != 1.0:
        for j in range(step.size):
            step[j] *= scale
    current = state[STATE_LOG_LIKELIHOOD] + state[STATE_LOG_PRIOR]
    if _try(items, reviews, n, neg_theta, step, candidate, prior_mean, prior_precision, state, deviation, constants,
            current):
        return True
    # Rejected: halve only if the step's expected gain is above the log-posterior's rounding error.
    gain = 0.0
    for f in range(4):
        gain += g_w[f] * step[f]
    item_gain = 0.0
    for i in range(n_items):
        item_gain += g_b[i] * (g_b[i] / d[i])
    gain += scale * item_gain
    if gain > 1e-12 * max(1.0, abs(current)):
        for _ in range(int(constants[MAX_HALVINGS_AT]) - 1):
            for j in range(step.size):
                step[j] *= 0.5
            if _try(items, reviews, n, neg_theta, step, candidate, prior_mean, prior_precision, state, deviation,
                    constants, current):
                return True
    return True


@njit(cache=True)
def add_review(items, reviews, k, item, attempts, correct, lag, recalled, iterations, params, state, constants,
               s_inverse, v, inverse_d, d):
    """Record review ``k`` and refit (see the module docstring). Returns False on a singular Fisher information.

    ``params`` rows: -theta, the prior mean, the prior precision. ``s_inverse``, ``v`` (c_i / D_i per row),
    ``inverse_d`` and ``d`` are overwritten with the posterior of the last scoring step.
    """
    neg_theta, prior_mean, prior_precision = params[0], params[1], params[2]
    log_attempts = math.log1p(attempts)
    items[k] = item
    reviews[ATTEMPTS, k], reviews[CORRECT, k], reviews[LOG_ATTEMPTS, k] = attempts, correct, log_attempts
    reviews[NEG_LAG, k] = -lag
    reviews[RECALLED, k] = 1.0 if recalled else 0.0
    # The new review's terms at the current estimate.
    neg_z = neg_theta[0] + attempts * neg_theta[1] + correct * neg_theta[2] + log_attempts * neg_theta[3] \
        + neg_theta[4 + item]
    nu = -lag * math.exp(_clip(neg_z, constants[MAX_LOG_H_AT]))
    q = max(-math.expm1(nu), constants[TINY_AT])
    buffer = BUFFERS + 2 * int(state[STATE_CURRENT])
    reviews[buffer, k], reviews[buffer + 1, k] = nu, q
    state[STATE_LOG_LIKELIHOOD] += nu if recalled else math.log(q)
    if iterations <= 0:
        return True
    schur = np.empty((4, 4))
    work = np.empty((3, neg_theta.size))
    for _ in range(iterations):
        state[STATE_STEPS] += 1.0
        if not _scoring_step(items, reviews, k + 1, neg_theta, prior_mean, prior_precision, state, constants, schur,
                             v, d, work):
            return False
    unit, column = np.zeros(4), np.empty(4)
    for g in range(4):
        unit[g] = 1.0
        if not _solve4(schur, unit, column):
            return False
        unit[g] = 0.0
        for f in range(4):
            s_inverse[f, g] = column[f]
    for i in range(d.size):
        inverse_d[i] = 1.0 / d[i]
    return True


@njit(cache=True)
def predict(attempts, correct, lag, neg_theta, v, s_inverse, inverse_d, nodes, weights, max_log_h):
    """Posterior predictive recall of every item (the same arithmetic for every item: ties stay exact)."""
    n_items = attempts.size
    out = np.empty(n_items)
    offset = np.empty(4)
    for i in range(n_items):
        a, c = attempts[i], correct[i]
        log_attempts = math.log1p(a)
        neg_z = neg_theta[0] + a * neg_theta[1] + c * neg_theta[2] + log_attempts * neg_theta[3] + neg_theta[4 + i]
        neg_z = _clip(neg_z, max_log_h)
        offset[0], offset[1], offset[2], offset[3] = 1.0 - v[i, 0], a - v[i, 1], c - v[i, 2], log_attempts - v[i, 3]
        variance = 0.0
        for f in range(4):
            row = 0.0
            for g in range(4):
                row += offset[g] * s_inverse[g, f]
            variance += row * offset[f]
        sd = math.sqrt(max(variance + inverse_d[i], 0.0))
        neg_lag = min(-lag[i], 0.0)
        total = 0.0
        for j in range(nodes.size):
            node = math.exp(_clip(-nodes[j] * sd + neg_z, max_log_h))
            total += math.exp(node * neg_lag) * weights[j]
        out[i] = total
    return out


@njit(cache=True)
def log_posterior(items, reviews, n, theta, prior_mean, prior_precision, constants):
    """Log-likelihood of the first ``n`` reviews plus log-prior at ``theta``, up to a constant."""
    max_log_h, tiny = constants[MAX_LOG_H_AT], constants[TINY_AT]
    total = 0.0
    for k in range(n):
        z = (theta[0] + reviews[ATTEMPTS, k] * theta[1] + reviews[CORRECT, k] * theta[2]
             + reviews[LOG_ATTEMPTS, k] * theta[3] + theta[4 + items[k]])
        u = -reviews[NEG_LAG, k] * math.exp(-_clip(z, max_log_h))
        total += -u if reviews[RECALLED, k] > 0.0 else math.log(max(-math.expm1(-u), tiny))
    prior = 0.0
    for j in range(theta.size):
        prior += prior_precision[j] * (theta[j] - prior_mean[j]) ** 2
    return total - 0.5 * prior


class CompiledFit:
    """The compiled path's state of a :class:`~teachgym.teachers.tutoring.recall_model.RecallModel`.

    The model's ``_neg_theta``, ``_s_inverse``, ``_v``, ``_inverse_d`` and ``_d`` are this object's arrays, which
    the kernels update in place.

    Args:
        prior_mean: prior mean of ``theta`` (``w`` then one offset per item).
        prior_precision: prior precision of ``theta``.
        capacity: reviews the buffers hold before they grow (doubling).
        constants: recall_model's ``MAX_STEP``, ``MAX_HALVINGS``, ``MAX_LOG_H`` and ``TINY``.
    """

    def __init__(self, prior_mean: np.ndarray, prior_precision: np.ndarray, capacity: int,
                 constants: tuple[float, float, float, float]):
        self.n_items = prior_mean.size - 4
        self.params = np.stack([-prior_mean, prior_mean, prior_precision]).astype(np.float64)
        self.neg_theta = self.params[0]
        self.constants = np.array(constants, dtype=np.float64)
        self.state = np.zeros(5)
        self.items = np.zeros(capacity, dtype=np.int64)
        self.reviews = np.zeros((ROWS, capacity))
        self.s_inverse = np.diag(1.0 / prior_precision[:4])
        self.v = np.zeros((self.n_items, 4))
        self.d = prior_precision[4:].copy()
        self.inverse_d = 1.0 / self.d

    @property
    def scoring_steps(self) -> int:
        """Scoring steps taken so far."""
        return int(self.state[STATE_STEPS])

    @property
    def candidate_tests(self) -> int:
        """Backtracking tests (candidate log-posteriors computed) so far."""
        return int(self.state[STATE_TESTS])

    def add(self, k: int, item: int, attempts: float, correct: float, lag: float, recalled: bool,
            iterations: int) -> None:
        """Record review ``k`` (the reviews before it are recorded) and refit with ``iterations`` scoring steps."""
        item = int(item)
        if not 0 <= item < self.n_items:
            raise IndexError(f"item {item} is not in the deck's range [0, {self.n_items})")
        if k == self.items.size:
            self.items = np.concatenate([self.items, np.zeros_like(self.items)])
            self.reviews = np.concatenate([self.reviews, np.zeros_like(self.reviews)], axis=1)
        if not add_review(self.items, self.reviews, int(k), item, float(attempts), float(correct),
                          max(float(lag), 0.0), bool(recalled), int(iterations), self.params, self.state,
                          self.constants, self.s_inverse, self.v, self.inverse_d, self.d):
            raise np.linalg.LinAlgError("singular Fisher information")

    def predict(self, attempts, correct, lag, neg_theta: np.ndarray, v: np.ndarray, s_inverse: np.ndarray,
                inverse_d: np.ndarray, nodes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Posterior predictive recall of every item at these counts and lags (arrays of ``n_items``, or scalars)."""
        return predict(self._vector(attempts), self._vector(correct), self._vector(lag), neg_theta, v, s_inverse,
                       inverse_d, nodes, weights, self.constants[MAX_LOG_H_AT])

    def log_posterior(self, n: int, theta: np.ndarray) -> float:
        """Log-likelihood of the first ``n`` reviews plus log-prior at ``theta``, up to a constant."""
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        if theta.shape != (self.n_items + 4,):
            raise ValueError(f"theta must have {self.n_items + 4} values, got shape {theta.shape}")
        return float(log_posterior(self.items, self.reviews, int(n), theta, self.params[1], self.params[2],
                                   self.constants))

    def _vector(self, values) -> np.ndarray:
        """``values`` as a contiguous float64 vector of one value per item (a scalar is repeated)."""
        if type(values) is not np.ndarray or values.dtype != np.float64:
            values = np.asarray(values, dtype=np.float64)
        if values.shape != (self.n_items,):
            if values.ndim != 0:
                raise ValueError(f"expected one value per item ({self.n_items}), got shape {values.shape}")
            values = np.full(self.n_items, float(values))
        elif not values.flags.c_contiguous:
            values = np.ascontiguousarray(values)
        return values
