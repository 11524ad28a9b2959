"""Covar-GMM (Moulin-Frier, Nguyen & Oudeyer 2014, as the baseline of Portelas et al. 2019).

Every ``fit_rate`` episodes, fit GMMs on the last ``fit_rate`` points
``(task, time, outcome)`` (time = position in the window, in [0, 1)) and keep
the best by AIC. A Gaussian whose time-outcome covariance is positive covers
tasks whose outcome rose over the window: that covariance is its learning
progress, and Gaussians are sampled in proportion to it (its absolute value
with ``absolute_lp=True``). Otherwise as ALP-GMM: 20 % uniform tasks, uniform
until the first fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from teachgym.teachers.curriculum.alp_gmm import ALPGMMTeacher
from teachgym.teachers.curriculum.gmm import GaussianMixtureFit


class CovarGMMTeacher(ALPGMMTeacher):
    """Covar-GMM (see module docstring). Defaults as teachDeepRL's (fit every 250 of 20,000 episodes, k in 2..10,
    20 % random), the fit rate relative to the teaching budget as in :class:`ALPGMMTeacher`.

    Args:
        fit_rate, potential_ks, random_task_ratio, criterion, warm_start: as :class:`ALPGMMTeacher`.
        absolute_lp: use |cov(time, outcome)| instead of its positive part (the original uses the positive part).
    """

    def __init__(self, fit_rate: int | None = None, potential_ks: Sequence[int] = tuple(range(2, 11)),
                 random_task_ratio: float = 0.2, criterion: str = "aic", warm_start: bool = False,
                 absolute_lp: bool = False):
        super().__init__(fit_rate=fit_rate, potential_ks=potential_ks, random_task_ratio=random_task_ratio,
                         criterion=criterion, warm_start=warm_start)
        self.absolute_lp = bool(absolute_lp)

    def _fit_data(self) -> np.ndarray:
        window = slice(self.history.size - self.fit_rate, self.history.size)
        time = np.arange(self.fit_rate) / self.fit_rate
        return np.column_stack([self.history.tasks[window], time, self.history.outcomes[window]])

    def _component_progress(self, fit: GaussianMixtureFit) -> np.ndarray:
        covariance = fit.covariances[:, -2, -1]
        return np.abs(covariance) if self.absolute_lp else np.maximum(covariance, 0.0)
