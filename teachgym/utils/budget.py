"""Budget-relative defaults: a setting a paper tuned for its run length, scaled to the env's.

A window, a region size or a fit interval chosen for a paper's run is a share
of that run's teacher steps. The env publishes its own run length at reset
(``info["teaching_budget"]``, see :mod:`teachgym.info`), so a teacher given no
explicit value resolves its default as the paper's share of that budget, never
below a floor under which the statistic it feeds is mostly noise. At the
paper's budget the default is the paper's value exactly, so a reproduction of
the paper's run is unchanged; without a published budget the paper's value is
used as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from teachgym import info as keys

#: The budget, in teacher steps, at which a bandit's window is taken as given when its paper states no
#: budget in teacher steps (TSCL, DUMP): the 5,000-step Discrete competence-grid runs that every
#: leaderboard suite gives the bandits, where their windows were used and checked.
BANDIT_REFERENCE_BUDGET = 5000


def published_budget(info: Any) -> int | None:
    """``info["teaching_budget"]`` as a positive int, or None if ``info`` publishes no usable budget."""
    if not isinstance(info, Mapping):
        return None
    budget = keys.TEACHING_BUDGET.get(info)
    if isinstance(budget, bool):
        return None
    try:
        budget = int(budget)
    except (TypeError, ValueError, OverflowError):
        return None
    return budget if budget >= 1 else None


def budget_relative(teaching_budget: int | None, paper_value: int, paper_budget: int, floor: int) -> int:
    """``paper_value`` scaled from ``paper_budget`` to ``teaching_budget`` teacher steps, at least ``floor``.

    Examples:
        >>> budget_relative(20_000, 200, 20_000, 20), budget_relative(5000, 200, 20_000, 20)
        (200, 50)
        >>> budget_relative(500, 200, 20_000, 20), budget_relative(None, 200, 20_000, 20)
        (20, 200)
    """
    if teaching_budget is None:
        return paper_value
    return max(floor, round(teaching_budget * paper_value / paper_budget))


#: The discount of the discounted bandits (UCB, Thompson) at :data:`BANDIT_REFERENCE_BUDGET`: statistics that
#: live about 100 steps. This project's value; D-UCB's theory ties it to the horizon and to the number of
#: changes of the rewards, which a teacher does not know.
REFERENCE_DISCOUNT = 0.99
REFERENCE_MEMORY = 100  # 1 / (1 - REFERENCE_DISCOUNT), in teacher steps


def budget_discount(teaching_budget: int | None) -> float:
    """The default discount for a run of ``teaching_budget`` teacher steps.

    The statistics' memory ``1 / (1 - discount)`` is the same share of the budget as 100 steps of
    :data:`BANDIT_REFERENCE_BUDGET`, never shorter than 100 steps; so it is :data:`REFERENCE_DISCOUNT` at the
    reference budget, on shorter runs and without a published budget.

    Examples:
        >>> budget_discount(5000), budget_discount(500), budget_discount(None), budget_discount(20_000)
        (0.99, 0.99, 0.99, 0.9975)
    """
    memory = budget_relative(teaching_budget, REFERENCE_MEMORY, BANDIT_REFERENCE_BUDGET, REFERENCE_MEMORY)
    return REFERENCE_DISCOUNT if memory == REFERENCE_MEMORY else 1.0 - 1.0 / memory
