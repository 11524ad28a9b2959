"""Shared fixtures: every registered env and teacher is picked up automatically from the registries."""

from __future__ import annotations

import copy

import pytest
from gymnasium import spaces

from teachgym.registry import env_meta


def fast_kwargs(env_id: str) -> dict:
    """The settings the registry-wide tests make ``env_id`` with: its registered smoke configuration."""
    return copy.deepcopy(env_meta(env_id).smoke)


@pytest.fixture(params=[spaces.Box, spaces.Discrete], ids=["box", "discrete"])
def toy_env_id(request) -> str:
    return "teachgym/ToyCurriculum-v0" if request.param is spaces.Box else "teachgym/ToyCurriculumDiscrete-v0"
