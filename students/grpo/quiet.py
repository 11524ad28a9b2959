"""Silence transformers/TRL progress bars, log lines and warnings, and keep global RNGs as they were."""

from __future__ import annotations

import contextlib
import random
import warnings

import numpy as np


@contextlib.contextmanager
def quiet():
    """No progress bars, transformers logs below ERROR, no Python warnings, inside the block.

    Every setting is restored on exit, so the caller's own logging is untouched.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def global_rngs_preserved():
    """Restore Python's, numpy's and torch's global RNG states on exit.

    ``transformers.Trainer`` and ``GRPOTrainer`` call ``set_seed`` in their
    constructors, which reseeds all three; an env must not change its caller's
    global random streams as a side effect.
    """
    import torch

    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
