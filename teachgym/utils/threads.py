"""Pin BLAS/OpenMP pools to one thread around numeric kernels.

On a small machine, oversubscribed BLAS threads make tiny GMM fits 10-25x
slower. The controller is built once (inspecting loaded libraries is slow).
"""

from __future__ import annotations

import contextlib
from functools import lru_cache


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def single_thread():
    """Context in which BLAS and OpenMP use one thread."""
    with _controller().limit(limits=1):
        yield
