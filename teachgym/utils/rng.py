"""Isolation of the process-wide RNGs (``random``, ``numpy.random``, torch's) that libraries reseed.

teachgym objects own ``np.random.Generator`` s; but SB3, ``transformers.Trainer``
and TRL draw from (and reseed) the global streams. Students that wrap them swap
a private copy of the global states in around their calls, so a run neither
depends on nor changes its caller's global random streams.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np


def capture_global_rngs() -> dict[str, Any]:
    """The global RNG states as plain data (torch's as a uint8 numpy array, when torch is loaded)."""
    states: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state()}
    torch = sys.modules.get("torch")
    if torch is not None:
        states["torch"] = torch.get_rng_state().numpy().copy()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            states["cuda"] = [s.numpy().copy() for s in torch.cuda.get_rng_state_all()]
    return states


def restore_global_rngs(states: dict[str, Any]) -> None:
    """Set the global RNG states to ``states`` (from :func:`capture_global_rngs`)."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in states:
        torch.set_rng_state(torch.from_numpy(np.array(states["torch"], dtype=np.uint8)))
        if "cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([torch.from_numpy(np.array(s, dtype=np.uint8)) for s in states["cuda"]])


def seeded_global_rngs(seed: int) -> dict[str, Any]:
    """The global RNG states a run seeded ``seed`` starts from, without changing the current ones."""
    with global_rngs_preserved():
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.manual_seed(seed)
        return capture_global_rngs()


@contextlib.contextmanager
def global_rngs_preserved() -> Iterator[None]:
    """Restore the caller's global RNG states on exit, whatever the block drew or reseeded."""
    saved = capture_global_rngs()
    try:
        yield
    finally:
        restore_global_rngs(saved)


class PrivateGlobalRNGs:
    """A private copy of the global RNG states, swapped in for the duration of :meth:`active` blocks.

    Args:
        states: the states to start from (None: the current global states at the first block).
    """

    def __init__(self, states: dict[str, Any] | None = None):
        self.states = states

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        caller = capture_global_rngs()
        if self.states is not None:
            restore_global_rngs(self.states)
        try:
            yield
        finally:
            self.states = capture_global_rngs()
            restore_global_rngs(caller)
