"""Silence transformers/TRL progress bars, log lines and warnings."""

from __future__ import annotations

import contextlib
import warnings


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
