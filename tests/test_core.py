"""Core: registries, the run loop, validation and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.cli import main, parse_kwargs
from teachgym.lessons import BoxLessons, RegionLessons
from teachgym.registry import Registry


class FixedTeacher(teachgym.Teacher):
    """Always teaches the origin task (an outside teacher, loaded by import path)."""

    def act(self, obs, info):
        if isinstance(self.action_space, gym.spaces.Discrete):
            return 0
        return np.zeros(self.action_space.shape, dtype=np.float32)


def test_import_teachgym_loads_no_family_and_no_heavy_library():
    code = ("import sys, teachgym; bad = [m for m in sys.modules if m.startswith(('torch', 'stable_baselines3', "
            "'trl', 'sklearn', 'teachgym.envs.curriculum', 'teachgym.teachers.', 'teachgym.students.'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_registry_names_import_paths_and_errors():
    assert {"random", "alp-gmm", "covar-gmm", "riac", "easy-to-hard", "tscl-window", "tscl-sampling",
            "exp3", "ucb", "thompson"} <= set(teachgym.teacher_registry.names())
    assert {"competence-grid", "tabular-q"} <= set(teachgym.student_registry.names())
    teacher = teachgym.make_teacher("tests.test_core:FixedTeacher")
    assert isinstance(teacher, FixedTeacher)
    with pytest.raises(KeyError, match="unknown teacher 'nope'.*alp-gmm"):
        teachgym.make_teacher("nope")
    registry = Registry("thing", "teachgym", "teachgym.none")
    registry.register("a", FixedTeacher)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", FixedTeacher)


def test_run_result_records_everything_and_serialises():
    result = teachgym.run("teachgym/ToyCurriculum-v0", "tests.test_core:FixedTeacher", seed=0, n_steps=100,
                          score_every=50)
    assert result.steps == 100 and result.lessons.shape == (100, 2) and result.tasks.shape == (100, 2)
    assert [step for step, _ in result.curve] == [0, 50, 100]
    assert result.score == 1.0  # the origin cell mastered after 76 episodes: 1 % of 100 cells
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["score"] == 1.0 and len(payload["rewards"]) == 100


def test_run_accepts_an_env_instance_and_a_teacher_instance():
    import gymnasium as gym

    env = gym.make("teachgym/ToyCurriculumDiscrete-v0", n_steps=30)
    result = teachgym.run(env, teachgym.make_teacher("random"), seed=0)
    assert result.steps == 30 and result.env_id == "teachgym/ToyCurriculumDiscrete-v0"


def test_lesson_spaces_validate():
    with pytest.raises(teachgym.ConfigError, match="lower bound"):
        BoxLessons([0.0, 1.0], [1.0, 1.0])
    regions = RegionLessons.grid([0, 0], [1, 2], [2, 4])
    assert regions.n_arms == 8
    np.testing.assert_allclose(regions.region_high[-1], [1.0, 2.0])
    with pytest.raises(teachgym.InvalidLessonError, match=r"\[0, 7\]"):
        regions.to_task(8, np.random.default_rng(0))


def test_box_lessons_accept_every_point_of_their_float32_space():
    # float32 rounds 0.02 down and 0.3 and 2.2 up: those edges of the Box lie outside the exact bounds.
    lessons = BoxLessons([0.02, 0.1, -1.0], [0.3, 2.2, 1.0])
    space, rng = lessons.action_space, np.random.default_rng(0)
    space.seed(0)
    for point in [space.low, space.high, *(space.sample() for _ in range(200))]:
        assert space.contains(point)
        task = lessons.to_task(point, rng)
        assert np.all(lessons.low <= task) and np.all(task <= lessons.high), (point, task)
        np.testing.assert_allclose(task, point, rtol=1e-6)
    assert lessons.to_task(space.low, rng)[0] == 0.02  # snapped to the exact bounds
    np.testing.assert_array_equal(lessons.to_task(space.high, rng), [0.3, 2.2, 1.0])
    below = np.nextafter(space.low, np.float32(-np.inf))  # one float32 step outside the space
    with pytest.raises(teachgym.InvalidLessonError, match=r"action\[0\]"):
        lessons.to_task(below, rng)
    action = np.array([0.02, 0.1, 0.5], dtype=np.float32).astype(np.float64)
    lessons.to_task(action, rng)
    assert action[0] < 0.02  # the caller's action is never written to


def test_cli_list_run_and_compare_resume(tmp_path, capsys):
    assert main(["list", "teachers"]) == 0
    assert "alp-gmm" in capsys.readouterr().out
    out = tmp_path / "run.json"
    assert main(["run", "--env", "teachgym/ToyCurriculum-v0", "--teacher", "random", "--seed", "3",
                 "--env-kwarg", "n_steps=200", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    record = json.loads(out.read_text())
    assert record["seed"] == 3 and record["steps"] == 200 and record["env_kwargs"] == {"n_steps": 200}

    args = ["compare", "--env", "teachgym/ToyCurriculumDiscrete-v0", "--teachers", "random,ucb", "--seeds", "2",
            "--env-kwarg", "n_steps=300", "--out-dir", str(tmp_path / "runs"), "--markdown", "--no-progress"]
    assert main(args) == 0
    first = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(files) == 4 and all(f.endswith(".json") for f in files)
    (tmp_path / "runs" / files[0]).unlink()  # as if the sweep died before this run
    assert main(args) == 0
    scores = lambda text: re.findall(r"score +[\d.]+ ± +[\d.]+", text)  # noqa: E731
    assert scores(capsys.readouterr().out) == scores(first) and len(scores(first)) == 2  # resumed: same table
    assert len(list((tmp_path / "runs").iterdir())) == 4


def test_cli_bad_input_is_a_clear_error(capsys):
    assert main(["run", "--env", "teachgym/ToyCurriculum-v0", "--teacher", "nope", "--no-progress"]) == 2
    assert "unknown teacher 'nope'" in capsys.readouterr().err
    assert main(["run", "--env", "teachgym/ToyCurriculum-v0", "--teacher", "random",
                 "--env-kwarg", "n_cells=0", "--no-progress"]) == 2
    assert "n_cells must be an integer in [1, 1000], got 0" in capsys.readouterr().err
    with pytest.raises(teachgym.ConfigError, match="key=value"):
        parse_kwargs(["n_steps"], "--env-kwarg")
