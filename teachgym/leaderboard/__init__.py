"""The leaderboard: suites of (env, teacher, seed) runs in SQLite, honest statistics, an HTML page.

Heavy parts (matplotlib, Ray) are imported only where used.
"""

from teachgym.leaderboard.store import RunSpec, RunStore
from teachgym.leaderboard.suites import Suite, SuiteEnv, get_suite, load_suites
from teachgym.leaderboard.sweep import plan, run_sweep

__all__ = ["RunSpec", "RunStore", "Suite", "SuiteEnv", "get_suite", "load_suites", "plan", "run_sweep"]
