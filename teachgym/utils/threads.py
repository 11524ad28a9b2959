"""Thread pools on a small machine: one BLAS/OpenMP/torch thread where more only spin.

On a small machine, oversubscribed BLAS threads make tiny GMM fits 10-25x
slower and SB3 several times slower. The threadpool controller is built once
(inspecting loaded libraries is slow).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from functools import lru_cache

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def single_thread():
    """Context in which BLAS and OpenMP use one thread."""
    with _controller().limit(limits=1):
        yield


def pin_process_to_one_thread() -> None:
    """Pin this process (and the processes it starts) to one BLAS/OpenMP/torch thread, for good.

    For worker processes and benchmarks. The environment variables reach libraries
    loaded later and child processes; ``threadpoolctl`` and torch cover what is
    already loaded.
    """
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch on ``n`` intra-op threads inside the block, then restore the caller's setting (None: unchanged)."""
    import torch

    previous = torch.get_num_threads()
    if n is not None and previous != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n is not None and previous != n:
            torch.set_num_threads(previous)
