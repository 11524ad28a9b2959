"""Helpers for the Stable-Baselines3 models the students own."""

from __future__ import annotations

from typing import Any


def without_log_folder(model: Any) -> Any:
    """Give ``model`` a logger with no outputs and return the model.

    Without a logger of its own, every ``learn()`` of an SB3 algorithm built with
    ``verbose=0`` configures a new one, which creates an empty ``SB3-<date>``
    folder in the temporary directory: one per lesson of a student.
    """
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model
