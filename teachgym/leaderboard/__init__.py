"""The leaderboard: suites of (env, teacher, seed) runs in SQLite, honest statistics, an HTML page.

Heavy parts (matplotlib, Ray) are imported only where used.
"""

from teachgym.leaderboard.store import RunSpec, RunStore, StoreError
from teachgym.leaderboard.suites import Suite, SuiteEnv, get_suite, load_suites
from teachgym.leaderboard.sweep import check_specs, plan, run_sweep

__all__ = ["RunSpec", "RunStore", "StoreError", "Suite", "SuiteEnv", "check_specs", "get_suite", "load_suites", "plan",
           "run_sweep"]
