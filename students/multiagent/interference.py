"""A simulated learner of several subjects whose practice interferes across subjects.

Competence ``c_i`` in ``[0, 1]`` per subject. One call to :meth:`InterferenceStudent.learn`
spends ``x_j`` units of practice on each subject ``j`` (the lesson's allocation
times the budget). Practice on other subjects first erodes what is known,
then practice on the subject itself closes part of the remaining gap:

    kept_i = c_i * exp(-sum_j W[i, j] * x_j)          (W: interference, zero diagonal)
    c_i'   = 1 - (1 - kept_i) * exp(-rate_i * x_i)

``W[i, j]`` is how much one unit of practice on subject ``j`` makes the learner
forget of subject ``i`` (retroactive interference); it need not be symmetric.
Learning is exponential saturation, so the first units of practice on a new
subject are worth the most. The learner's own speed per subject is drawn at
:meth:`reset` (``rate_i = learning_rate_i * exp(rate_spread * z)``, ``z`` standard
normal), so two seeds are two different learners.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.validation import ConfigError, check_float, check_int


def _per_subject(name: str, value, n: int, low: float, high: float) -> np.ndarray:
    """A scalar or a length-``n`` sequence as a float vector inside ``[low, high]``."""
    values = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)) if np.ndim(value) == 0 \
        else np.asarray(value, dtype=np.float64)
    if values.shape != (n,):
        raise ConfigError(f"{name} must be a number or {n} numbers (one per subject), got {value!r}")
    for i, v in enumerate(values):
        check_float(f"{name}[{i}]", v, low=low, high=high)
    return values.copy()


def interference_matrix(value, n: int) -> np.ndarray:
    """``value`` (a number for every pair, or an ``n x n`` matrix) as a matrix with a zero diagonal.

    Raises:
        ConfigError: wrong shape, a negative or non-finite entry, or a non-zero diagonal.
    """
    if np.ndim(value) == 0:
        rate = check_float("interference", value, low=0.0, high=10.0)
        return rate * (1.0 - np.eye(n))
    matrix = np.asarray(value, dtype=np.float64)
    if matrix.shape != (n, n):
        raise ConfigError(f"interference must be a number or an {n} x {n} matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0.0) or np.any(matrix > 10.0):
        raise ConfigError(f"interference entries must be finite numbers in [0, 10], got {matrix.tolist()}")
    if np.any(np.diag(matrix) != 0.0):
        raise ConfigError("interference diagonal must be 0 (a subject does not interfere with itself)")
    return matrix.copy()


class InterferenceStudent(Student):
    """Several subjects, exponential learning, interference between subjects (see module docstring).

    Args:
        n_subjects: number of subjects.
        learning_rate: mean learning rate per unit of practice, one number or one per subject
            (default: falling geometrically from 0.3 on the first subject to 0.06 on the last).
        interference: ``W``: one number for every pair of distinct subjects, or an
            ``n_subjects x n_subjects`` matrix with a zero diagonal.
        rate_spread: log-normal spread of the per-learner learning rates drawn at reset.
    """

    def __init__(self, n_subjects: int = 3, learning_rate=None, interference=0.03,
                 rate_spread: float = 0.2):
        self.n_subjects = check_int("n_subjects", n_subjects, low=1, high=1000)
        if learning_rate is None:
            learning_rate = np.geomspace(0.3, 0.06, self.n_subjects) if self.n_subjects > 1 else 0.3
        self.mean_rate = _per_subject("learning_rate", learning_rate, self.n_subjects, 0.0, 100.0)
        self.interference = interference_matrix(interference, self.n_subjects)
        self.rate_spread = check_float("rate_spread", rate_spread, low=0.0, high=5.0)
        self._rng = np.random.default_rng(0)
        self.rate = self.mean_rate.copy()
        self._competence = np.zeros(self.n_subjects)

    def reset(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.rate = self.mean_rate * np.exp(self.rate_spread * rng.standard_normal(self.n_subjects))
        self._competence = np.zeros(self.n_subjects)

    def practice(self, units) -> np.ndarray:
        """Spend ``units[j]`` units of practice on each subject ``j``; return the change in competence."""
        units = np.asarray(units, dtype=np.float64)
        if units.shape != (self.n_subjects,) or not np.all(np.isfinite(units)) or np.any(units < 0.0):
            raise ConfigError(f"practice units must be {self.n_subjects} finite numbers >= 0, got {units.tolist()}")
        before = self._competence
        kept = before * np.exp(-(self.interference @ units))
        self._competence = 1.0 - (1.0 - kept) * np.exp(-self.rate * units)
        return self._competence - before

    def learn(self, lesson, budget: int = 1) -> LearnReport:
        """Split ``budget`` units of practice over the subjects by the allocation ``lesson``.

        Args:
            lesson: ``n_subjects`` non-negative fractions summing to at most 1
                (what is not allocated is not practised).
            budget: units of practice.

        Returns:
            ``outcome``: mean competence after the lesson; ``extras["gain"]``: the change per subject.
        """
        allocation = np.asarray(lesson, dtype=np.float64).reshape(-1)
        if allocation.shape != (self.n_subjects,) or np.any(allocation < 0.0) or not allocation.sum() <= 1.0 + 1e-9:
            raise ConfigError(f"lesson must be {self.n_subjects} fractions >= 0 summing to <= 1, got {lesson!r}")
        budget = check_int("budget", budget, low=0)
        gain = self.practice(allocation * budget)
        return LearnReport(outcome=float(self._competence.mean()), work=budget, extras={"gain": gain})

    def evaluate(self, probes=None) -> np.ndarray:
        """Competence on each subject index in ``probes`` (all subjects when ``None``)."""
        if probes is None:
            return self._competence.copy()
        index = np.asarray(probes).reshape(-1)
        if index.size and (not np.issubdtype(index.dtype, np.integer) or index.min() < 0
                           or index.max() >= self.n_subjects):
            raise ConfigError(f"probes must be subject indices in [0, {self.n_subjects - 1}], got {probes!r}")
        return self._competence[index]

    def state_dict(self) -> dict[str, Any]:
        return {"competence": self._competence.copy(), "rate": self.rate.copy(), "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        competence = np.asarray(state["competence"], dtype=np.float64)
        rate = np.asarray(state["rate"], dtype=np.float64)
        if competence.shape != (self.n_subjects,) or rate.shape != (self.n_subjects,):
            raise ConfigError(f"state must hold {self.n_subjects} competences and rates")
        self._competence, self.rate = competence.copy(), rate.copy()
        self._rng.bit_generator.state = state["rng"]
