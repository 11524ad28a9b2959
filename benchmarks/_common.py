"""Shared benchmark set-up: one BLAS/torch thread, machine description."""

from __future__ import annotations

import os
import platform
import datetime


def pin_one_thread() -> None:
    """Pin BLAS/OpenMP (and torch, if loaded later) to one thread, as the machine notes require."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def machine() -> str:
    return f"{platform.node()} | {platform.processor() or platform.machine()} | {os.cpu_count()} cores | " \
           f"Python {platform.python_version()} | {datetime.date.today().isoformat()}"


def bootstrap_ci(values, n: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95 % CI of the mean of ``values`` (``n`` resamples, a fixed seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    values = np.asarray(values)
    means = values[rng.integers(values.size, size=(n, values.size))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))
