"""Self-Paced Deep Reinforcement Learning (Klink, Abdulsamad, Belousov, D'Eramo, Peters & Pajarinen, NeurIPS 2020).

SPDL trains on a Gaussian task distribution ``p_nu(c) = N(mu, Sigma)`` that moves
towards a *target* distribution ``mu(c)`` (the tasks the student must finally
solve) as fast as the student's performance allows. Every ``update_every`` steps
it solves

    max_nu  1/N sum_i  p_nu(c_i) / p_old(c_i) * R_i  -  alpha * KL(p_nu || mu)
    s.t.    KL(p_nu || p_old) <= max_kl

over the ``N`` tasks ``c_i`` drawn from the current distribution ``p_old`` since the
last update and their returns ``R_i`` (here the step outcomes; the paper uses the
critic's value estimates). ``alpha`` is 0 for the first ``offset`` updates, then
set so that the KL term is ``penalty_proportion`` times the expected return
(the paper's schedule ``alpha = zeta * mean(R) / KL(p_old || mu)``).

The target is part of SPDL's problem statement. Here it is the env's test
distribution as an env publishes it: a narrow Gaussian (``target_std`` of the
box width) at ``info["easy_to_hard"]["hard"]``, else uniform over the box,
approximated by the moment-matched Gaussian (mean the centre, std ``width /
sqrt(12)``), so that the KL terms stay closed-form. The start is a wide
Gaussian at the box centre (``init_std`` of the width), not the env's easy task:
SPDL then uses nothing a real teacher lacks besides the target, which defines
the task, and is not marked privileged. Tasks are drawn from ``N(mu, Sigma)``
and clipped into the box (as TeachMyAgent does); the importance weights use the
unclipped draws. Simplified: the covariance is diagonal (the paper's is full),
which keeps each update a few milliseconds of SLSQP on ``2 * dim`` parameters;
each std is kept above ``std_floor`` of the box width.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from gymnasium import spaces
from scipy.optimize import minimize

from teachgym.teacher import Teacher, finite_outcome
from teachgym.teachers.curriculum.task_box import TaskBox, teaching_budget
from teachgym.validation import check_choice, check_float, check_int

_OUTCOME_LIMIT = 1e6  # outcomes are clipped into +-this before they weigh a Gaussian


class Gaussian:
    """``N(mean, diag(std ** 2))``."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean, self.std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.std
        return -0.5 * (z * z).sum(-1) - np.log(self.std).sum() - 0.5 * self.mean.size * math.log(2 * math.pi)

    def kl(self, other: Gaussian) -> float:
        """``KL(self || other)`` in closed form."""
        ratio = self.std / other.std
        diff = (self.mean - other.mean) / other.std
        return float(0.5 * (ratio * ratio + diff * diff - 1.0).sum() - np.log(ratio).sum())

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.std * rng.standard_normal(self.mean.size)


class SPDLTeacher(Teacher):
    """Self-Paced Deep RL (see the module docstring).

    Args:
        update_every: steps between two distribution updates (None: ``teaching_budget // 50``, at least 10).
        max_kl: ``epsilon``, the largest KL step from the current distribution (> 0).
        penalty_proportion: ``zeta`` >= 0, the weight of the KL to the target relative to the expected return.
        offset: updates before the target is pulled in (``alpha = 0``), >= 0.
        target: ``"published"`` (the env's hard task, else uniform) or ``"uniform"``.
        target_std: std of the Gaussian at the hard task, as a fraction of the box width.
        init_std: std of the initial Gaussian at the centre, as a fraction of the box width.
        std_floor: lower bound of each std, as a fraction of the box width.
        performance_threshold: ``delta``; None (default) uses the penalty form above. Given, the update of
            Klink et al. (2022, JMLR, "A Probabilistic Interpretation of Self-Paced Learning with Applications to
            Reinforcement Learning") is used instead: while the mean outcome is below ``delta`` maximise the
            expected outcome; once it is reached, minimise ``KL(p_nu || mu)`` subject to an expected outcome
            ``>= delta``; both within the same trust region.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Box,)

    def __init__(self, update_every: int | None = None, max_kl: float = 0.1, penalty_proportion: float = 0.5,
                 offset: int = 2, target: str = "published", target_std: float = 0.05, init_std: float = 0.5,
                 std_floor: float = 0.01, performance_threshold: float | None = None):
        super().__init__()
        self.update_every = None if update_every is None else check_int("update_every", update_every, low=2,
                                                                          high=10**9)
        self.max_kl = check_float("max_kl", max_kl, low=0.0, low_open=True, high=100.0)
        self.penalty_proportion = check_float("penalty_proportion", penalty_proportion, low=0.0, high=1e6)
        self.offset = check_int("offset", offset, low=0, high=10**9)
        self.target_kind = check_choice("target", target, ("published", "uniform"))
        self.target_std = check_float("target_std", target_std, low=0.0, low_open=True, high=10.0)
        self.init_std = check_float("init_std", init_std, low=0.0, low_open=True, high=10.0)
        self.std_floor = check_float("std_floor", std_floor, low=0.0, low_open=True, high=1.0)
        self.performance_threshold = None if performance_threshold is None else check_float(
            "performance_threshold", performance_threshold)

    def _setup(self) -> None:
        self.box = TaskBox(self.action_space)
        self.distribution: Gaussian | None = None
        self.target: Gaussian | None = None
        self.updates = 0
        self._draws: list[np.ndarray] = []
        self._returns: list[float] = []
        self._pending: tuple[np.ndarray, np.ndarray] | None = None

    def _initialise(self, info) -> None:
        width, centre = self.box.width, (self.box.low + self.box.high) / 2
        hard = self.box.published_task(info, "hard") if self.target_kind == "published" else None
        if hard is not None:
            self.target = Gaussian(hard, np.maximum(self.target_std * width, 1e-12))
        else:
            self.target = Gaussian(centre, np.maximum(width / math.sqrt(12.0), 1e-12))
        self.distribution = Gaussian(centre, np.maximum(self.init_std * width, 1e-12))
        self._every = self.update_every or max(10, teaching_budget(info) // 50)

    def act(self, obs, info):
        if self.distribution is None:
            self._initialise(info)
        draw = self.distribution.sample(self.rng)
        lesson = self.box.lesson(draw)
        self._pending = (lesson, draw)
        return lesson

    def update(self, action, reward, obs, info) -> None:
        pending, self._pending = self._pending, None
        if pending is None or self.distribution is None:
            return
        if not np.array_equal(np.asarray(action).reshape(-1), np.asarray(pending[0]).reshape(-1)):
            return
        outcome = finite_outcome(info)
        if outcome is None:
            return
        self._draws.append(pending[1])
        self._returns.append(min(_OUTCOME_LIMIT, max(-_OUTCOME_LIMIT, outcome)))
        if len(self._draws) >= self._every:
            self._update_distribution(np.asarray(self._draws), np.asarray(self._returns))
            self._draws, self._returns = [], []

    def kl_to_target(self) -> float:
        return self.distribution.kl(self.target)

    def _update_distribution(self, draws: np.ndarray, returns: np.ndarray) -> None:
        old, target, d = self.distribution, self.target, self.box.dim
        old_log_density = old.log_density(draws)
        alpha = 0.0
        if self.updates >= self.offset and self.performance_threshold is None:
            alpha = self.penalty_proportion * max(float(returns.mean()), 0.0) / max(old.kl(target), 1e-8)
        scale = np.maximum(self.box.width, 1e-12)  # optimise in box-width units
        floor = np.log(self.std_floor)

        def unpack(theta: np.ndarray) -> Gaussian:
            return Gaussian(theta[:d] * scale, np.exp(theta[d:]) * scale)

        def performance(candidate: Gaussian) -> float:
            weights = np.exp(np.minimum(candidate.log_density(draws) - old_log_density, 50.0))
            return float((weights * returns).mean())

        threshold = self.performance_threshold
        pull_only = threshold is not None and float(returns.mean()) >= threshold

        def objective(theta: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                candidate = unpack(theta)
                if pull_only:  # performance allows it: get as close to the target as the constraints let
                    value = -candidate.kl(target)
                else:
                    value = performance(candidate) - alpha * candidate.kl(target)
            return -value if math.isfinite(value) else 1e12

        def trust_region(theta: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                value = self.max_kl - unpack(theta).kl(old)
            return value if math.isfinite(value) else -1e12

        def good_enough(theta: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                value = performance(unpack(theta)) - threshold
            return value if math.isfinite(value) else -1e12

        constraints = [{"type": "ineq", "fun": trust_region}]
        if pull_only:
            constraints.append({"type": "ineq", "fun": good_enough})

        start = np.concatenate([old.mean / scale, np.log(old.std / scale)])
        bounds = [(None, None)] * d + [(floor, None)] * d
        result = minimize(objective, start, method="SLSQP", bounds=bounds,
                          constraints=constraints, options={"maxiter": 100})
        self.updates += 1
        theta = result.x
        feasible = trust_region(theta) >= -1e-6 and (not pull_only or good_enough(theta) >= -1e-6)
        if np.all(np.isfinite(theta)) and feasible and objective(theta) <= objective(start):
            self.distribution = unpack(theta)
