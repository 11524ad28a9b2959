"""Registry-driven teacher checks: the teacher x compatible-env matrix, determinism, valid actions,
and survival of degenerate input.

The matrix runs :func:`teachgym.testing.check_teacher` for every registered teacher on every fast
env it is compatible with (registry metadata: supported spaces, required info keys), on the env's
smoke configuration. Teachers that need an argument every use must give (``required_kwargs``,
e.g. sb3-policy's trained model) are tested where they are built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import teachgym
from teachgym import testing
from teachgym.envs import env_ids
from teachgym.loop import teacher_seed
from teachgym.registry import compatibility, env_meta, teacher_meta

TEACHERS = [n for n in teachgym.teacher_registry.names() if not teacher_meta(n).required_kwargs]
FAST_ENVS = [e for e in env_ids() if env_meta(e).cost == "fast"]
def _matrix() -> list[tuple[str, str]]:
    import gymnasium as gym

    pairs = []
    for env_id in FAST_ENVS:
        env = gym.make(env_id, **env_meta(env_id).smoke)
        pairs += [(t, env_id) for t in TEACHERS if not compatibility(t, env)]
        env.close()
    return sorted(pairs)


MATRIX = _matrix()
# Long enough for GMM teachers to fit a few times (fit_rate 250), short enough to stay fast.
N_STEPS = 800


def _env_for(teacher_name: str) -> str | None:
    for env_id in ("teachgym/ToyCurriculum-v0", "teachgym/ToyCurriculumDiscrete-v0"):
        if not compatibility(teacher_name, env_id):
            return env_id
    return None


TOY_TEACHERS = [n for n in TEACHERS if _env_for(n) is not None]


def test_every_teacher_has_metadata_and_an_env():
    for name in teachgym.teacher_registry.names():
        meta = teacher_meta(name)
        assert meta.family in teachgym.registry.FAMILIES and meta.supported_spaces
        module = teachgym.teacher_registry.entry(name).load().__module__
        assert module.startswith(f"teachgym.teachers.{meta.family}."), f"{name} lives in {module}"
    covered = {t for t, _ in MATRIX} | {t for t, _ in COSTLY_ROWS}
    # Teachers no fast env can host and without a costly row run the conformance kit in their family's tests.
    family_tests = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    unchecked = [n for n in set(TEACHERS) - covered if f'check_teacher("{n}"' not in family_tests]
    assert not unchecked, f"teachers no test runs the conformance kit on: {unchecked}"
    assert teacher_meta("easy-to-hard").privileged and not teacher_meta("alp-gmm").privileged


@pytest.mark.parametrize("name, env_id", MATRIX)
def test_teacher_on_compatible_env(name, env_id):
    testing.check_teacher(name, env_id)


def _costly_rows() -> list[tuple[str, str]]:
    """(teacher, env) for teachers that no fast env can host: the first medium-cost env of their family they run on
    (slow envs are left to their family's tests)."""
    import gymnasium as gym

    rows, built = [], {}
    for name in sorted(set(TEACHERS) - {t for t, _ in MATRIX}):
        family = teacher_meta(name).family
        for env_id in (e for e in env_ids() if env_meta(e).family == family and env_meta(e).cost == "medium"):
            if env_id not in built:
                built[env_id] = gym.make(env_id, **env_meta(env_id).smoke)
            if not compatibility(name, built[env_id]):
                rows.append((name, env_id))
                break
    for env in built.values():
        env.close()
    return rows


COSTLY_ROWS = _costly_rows()


@pytest.mark.parametrize("name, env_id", COSTLY_ROWS)
def test_teacher_without_a_fast_env_runs_on_its_family_env(name, env_id):
    """Teachers no fast env can host (data generation) complete a smoke run with valid lessons, deterministically."""
    first = teachgym.run(env_id, name, seed=0, **env_meta(env_id).smoke)
    again = teachgym.run(env_id, name, seed=0, **env_meta(env_id).smoke)
    assert first.steps == env_meta(env_id).smoke["n_steps"] and 0.0 <= first.score <= 100.0
    assert first == again


def test_incompatible_pairs_are_named_before_a_run():
    assert "supports action spaces Box" in compatibility("alp-gmm", "teachgym/ToyCurriculumDiscrete-v0")[0]
    assert "taxonomy" in compatibility("datagen-uniform", "teachgym/ToyCurriculum-v0")[0]


@pytest.mark.parametrize("name", TOY_TEACHERS)
def test_same_seed_same_run_and_seeds_differ(name):
    env_id = _env_for(name)
    first = teachgym.run(env_id, name, seed=5, n_steps=N_STEPS)
    second = teachgym.run(env_id, name, seed=5, n_steps=N_STEPS)
    other = teachgym.run(env_id, name, seed=6, n_steps=N_STEPS)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    np.testing.assert_array_equal(first.rewards, second.rewards)
    assert first.score == second.score
    assert not np.array_equal(first.lessons, other.lessons)


def test_the_kit_finds_a_teacher_that_remembers_the_previous_run():
    class Sticky(teachgym.Teacher):
        supported_spaces = (spaces.Discrete,)
        runs = 0

        def _setup(self):
            self.runs += 1  # state that reset() keeps

        def act(self, obs, info):
            return (self.runs + int(self.rng.integers(2))) % self.action_space.n

    with pytest.raises(testing.ConformanceError, match="reused after reset"):
        testing.check_teacher(Sticky(), "teachgym/ToyCurriculumDiscrete-v0")


def test_the_kit_finds_a_teacher_using_the_global_rng():
    class Sloppy(teachgym.Teacher):
        def act(self, obs, info):
            return int(np.random.randint(self.action_space.n))

    with pytest.raises(testing.ConformanceError, match="global RNG"):
        testing.check_teacher(Sloppy(), "teachgym/ToyCurriculumDiscrete-v0")


# Degenerate streams: NaN, infinities, huge and tiny values, constants.
OUTCOMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300, 1e-300, float("nan"), float("inf"), float("-inf")]),
)


def _box_space(dim: int) -> spaces.Box:
    return spaces.Box(np.zeros(dim, np.float32), np.ones(dim, np.float32), dtype=np.float32)


def _drive(teacher, action_space, outcomes, constant_task: bool):
    teacher.reset(action_space, None, seed=teacher_seed(0))
    if isinstance(action_space, spaces.Box):  # what an env publishes at reset
        schedule = {"easy": action_space.low.tolist(), "hard": action_space.high.tolist()}
    else:
        schedule = {"order": list(range(action_space.n))}
    info = {"episode_start": True, "budget_used": 0.0, "easy_to_hard": schedule}
    for i, outcome in enumerate(outcomes):
        action = teacher.act(None, info)
        assert action_space.contains(np.asarray(action, dtype=action_space.dtype) if isinstance(action_space, spaces.Box)
                                     else action), f"{teacher.name} gave invalid action {action!r}"
        task = np.zeros(action_space.shape) if constant_task and isinstance(action_space, spaces.Box) else action
        info = {"lesson": action, "task": task, "outcome": outcome, "budget_used": i / len(outcomes)}
        teacher.update(action, 0.0, None, info)


def _small_kwargs(name: str) -> dict:
    # Fit after a handful of points so that tiny histories (fewer points than components) are exercised.
    return {"fit_rate": 4} if name in ("alp-gmm", "covar-gmm") else {}


@pytest.mark.parametrize("name", TOY_TEACHERS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outcomes=st.lists(OUTCOMES, min_size=1, max_size=40), constant_task=st.booleans(),
       dim=st.integers(1, 3), n_arms=st.integers(1, 6))
def test_survives_degenerate_outcomes(name, outcomes, constant_task, dim, n_arms):
    teacher = teachgym.make_teacher(name, **_small_kwargs(name))
    if spaces.Box in teacher.supported_spaces:
        _drive(teacher, _box_space(dim), outcomes, constant_task)
    if spaces.Discrete in teacher.supported_spaces:
        _drive(teachgym.make_teacher(name, **_small_kwargs(name)), spaces.Discrete(n_arms), outcomes, constant_task)


@pytest.mark.parametrize("name", TOY_TEACHERS)
def test_constant_outcomes_for_long_still_give_valid_actions(name):
    teacher = teachgym.make_teacher(name, **_small_kwargs(name))
    space = _box_space(2) if spaces.Box in teacher.supported_spaces else spaces.Discrete(4)
    _drive(teacher, space, [0.5] * 600, constant_task=False)


def test_unsupported_action_space_is_refused_with_a_clear_error():
    teacher = teachgym.make_teacher("alp-gmm")
    with pytest.raises(teachgym.ConfigError, match="supports action spaces Box"):
        teacher.reset(spaces.Discrete(3), None, seed=0)


@pytest.mark.parametrize("name, kwargs, field", [
    ("alp-gmm", {"fit_rate": 1}, "fit_rate"),
    ("alp-gmm", {"random_task_ratio": 1.5}, "random_task_ratio"),
    ("alp-gmm", {"potential_ks": [0, 2]}, "potential_ks"),
    ("alp-gmm", {"criterion": "xyz"}, "criterion"),
    ("covar-gmm", {"random_task_ratio": -0.1}, "random_task_ratio"),
    ("easy-to-hard", {"window": "diagonal"}, "window"),
    ("easy-to-hard", {"width": 0.0}, "width"),
])
def test_invalid_hyperparameters_name_the_field(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        teachgym.make_teacher(name, **kwargs)


def test_declared_required_packages_name_real_extras_that_install_them():
    """Every ``required_packages`` entry names an extra of pyproject.toml whose requirements include the package."""
    import re
    import tomllib
    from pathlib import Path

    from teachgym.registry import teacher_meta, teacher_registry

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    declared = {name: teacher_meta(name).required_packages for name in teacher_registry.names()}
    assert declared["ppo-teacher"] and declared["goal-gan"]  # the check below has something to check
    for name, packages in declared.items():
        for package, extra in packages:
            assert extra in extras, (name, extra)
            requirements = {re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0].lower().replace("-", "_")
                            for requirement in extras[extra]}
            assert package.lower() in requirements, (name, package, extra)
