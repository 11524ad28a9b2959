"""A newcomer's first hour: import paths, one-line errors, checks before running, plots, scripts' help."""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.cli import main

REPO = Path(__file__).resolve().parents[1]
TEACHGYM = Path(sys.executable).parent / "teachgym"  # the console script: no '' on its sys.path

MY_TEACHER = '''
import numpy as np
import teachgym


class MyTeacher(teachgym.Teacher):
    def act(self, obs, info):
        return np.full(self.action_space.shape, 0.5, dtype=np.float32)
'''


class NamedTeacher(teachgym.Teacher):
    """A teacher whose option is called ``name`` (as the registry's own argument used to be)."""

    def __init__(self, name: str = "anonymous"):
        super().__init__()
        self.label = name

    def act(self, obs, info):
        return self.random_action()


def _teachgym(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    if not TEACHGYM.exists():
        pytest.skip("the teachgym console script is not installed next to this Python")
    return subprocess.run([str(TEACHGYM), *args], capture_output=True, text=True, cwd=cwd)


def test_an_import_path_teacher_is_found_in_the_current_directory(tmp_path):
    (tmp_path / "mymod.py").write_text(MY_TEACHER)
    out = _teachgym("run", "--env", "teachgym/ToyCurriculum-v0", "--teacher", "mymod:MyTeacher", "--env-kwarg",
                    "n_steps=50", "--no-progress", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "mymod:MyTeacher on teachgym/ToyCurriculum-v0 (seed 0): score" in out.stdout


def test_an_import_error_is_one_line_and_debug_gives_the_traceback(tmp_path):
    (tmp_path / "brokenmod.py").write_text("import not_a_module_anywhere\n" + MY_TEACHER)
    args = ["run", "--env", "teachgym/ToyCurriculum-v0", "--teacher", "brokenmod:MyTeacher", "--no-progress"]
    out = _teachgym(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr, out.stderr
    assert "'brokenmod'" in out.stderr and "No module named 'not_a_module_anywhere'" in out.stderr
    debug = _teachgym(*args, "--debug", cwd=tmp_path)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "brokenmod.py" in debug.stderr


def test_compare_checks_every_teacher_before_running_any(capsys):
    env = ["--env", "teachgym/ToyCurriculum-v0", "--env-kwarg", "n_steps=50", "--seeds", "1", "--no-progress"]
    assert main(["compare", *env, "--teachers", "random,alp-gmn"]) == 2
    out = capsys.readouterr()
    assert "did you mean 'alp-gmm'" in out.err and "random" not in out.out
    assert main(["compare", *env, "--teachers", "random,round-robin"]) == 2  # a Discrete-only tutor on a Box env
    out = capsys.readouterr()
    assert "'round-robin' supports action spaces Discrete" in out.err and "score" not in out.out


def test_a_teacher_option_called_name_reaches_the_teacher():
    teacher = teachgym.make_teacher("tests.test_hardening_cli:NamedTeacher", name="Ms Frizzle")
    assert teacher.label == "Ms Frizzle"
    result = teachgym.run("teachgym/ToyCurriculumDiscrete-v0", "tests.test_hardening_cli:NamedTeacher", 0,
                          teacher_kwargs={"name": "x"}, n_steps=20)
    assert result.teacher_kwargs == {"name": "x"} and result.steps == 20


def test_run_results_compare_by_content_not_wall_time():
    first = teachgym.run("teachgym/ToyCurriculum-v0", "random", 3, n_steps=200)
    again = teachgym.run("teachgym/ToyCurriculum-v0", "random", 3, n_steps=200)
    assert first == again
    assert first != teachgym.run("teachgym/ToyCurriculum-v0", "random", 4, n_steps=200)
    changed = teachgym.run("teachgym/ToyCurriculum-v0", "random", 3, n_steps=200)
    changed.outcomes = changed.outcomes.copy()
    changed.outcomes[5] += 1.0
    assert first != changed and first != "a result"


def test_a_time_limit_before_the_budget_still_reports_the_final_score():
    env = gym.make("teachgym/ToyCurriculum-v0", max_episode_steps=5, n_steps=100, score_every=1000)
    result = teachgym.run(env, "random", 0)
    assert result.steps == 5
    assert np.isfinite(result.score) and result.score == env.unwrapped.score()
    assert result.curve[-1] == (5, result.score)


def test_run_and_compare_write_the_leaderboard_plots(tmp_path):
    import matplotlib.image

    env = ["--env", "teachgym/ToyCurriculum-v0", "--env-kwarg", "n_steps=300", "--no-progress"]
    assert main(["run", *env, "--teacher", "random", "--plot", str(tmp_path / "one")]) == 0
    assert main(["compare", *env, "--teachers", "random,alp-gmm", "--seeds", "2", "--plot", str(tmp_path / "two")]) == 0
    for folder in ("one", "two"):
        names = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert names == ["teachgym-ToyCurriculum-v0__curriculum.png", "teachgym-ToyCurriculum-v0__curves.png"]
        for path in (tmp_path / folder).iterdir():
            image = matplotlib.image.imread(path)
            assert image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0


def test_train_rl_tutor_help_documents_every_option():
    text = subprocess.run([sys.executable, str(REPO / "scripts/train_rl_tutor.py"), "--help"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    tree = ast.parse((REPO / "scripts/train_rl_tutor.py").read_text())
    args = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Args")
    fields = [n.target.id for n in args.body if isinstance(n, ast.AnnAssign)]
    assert len(fields) >= 20
    docs = {a.target.id: " ".join(b.value.value.split()) for a, b in zip(args.body, args.body[1:])
            if isinstance(a, ast.AnnAssign) and isinstance(b, ast.Expr)}
    assert set(docs) == set(fields)
    for name in fields:
        assert "--" + name.replace("_", "-") in text
        assert " ".join(docs[name].split()[:4]) in flat, name


def test_train_ppo_teacher_prints_a_run_line_with_its_env_settings(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import train_ppo_teacher
    finally:
        sys.path.remove(str(REPO / "scripts"))
    assert train_ppo_teacher.main(["--env-id", "teachgym/ToyCurriculumDiscrete-v0", "--algo", "ppo",
                                   "--total-timesteps", "64", "--env-kwargs", "n_steps=40", "reward_mode=outcome",
                                   "--eval-freq", "0", "--no-tensorboard", "--out-dir", str(tmp_path),
                                   "--run-name", "r", "--algo-kwargs", '{"n_steps": 32, "batch_size": 32}']) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("run it: "))
    words = shlex.split(line.removeprefix("run it: "))
    assert words[:2] == ["teachgym", "run"]
    assert "n_steps=40" in words and "reward_mode=outcome" in words
    assert main(words[1:] + ["--no-progress", "--out", str(tmp_path / "run.json")]) == 0  # the line runs as printed
    import json

    record = json.loads((tmp_path / "run.json").read_text())
    assert record["steps"] == 40 and record["env_kwargs"] == {"n_steps": 40, "reward_mode": "outcome"}


def test_building_the_tiny_grpo_student_says_what_it_builds(tmp_path, capsys):
    pytest.importorskip("transformers")
    from teachgym.students.grpo.tiny import TinyLMConfig, build_tiny_model

    config = TinyLMConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, warmup_steps=3,
                          warmup_batch_size=4)
    path = build_tiny_model(config, "0123456789+= ", [("1+1=", "2"), ("2+3=", "5")], cache_dir=tmp_path)
    err = capsys.readouterr().err
    assert "building the tiny GRPO student" in err and str(path) in err and "3 SFT warm-up steps" in err
    build_tiny_model(config, "0123456789+= ", [("1+1=", "2"), ("2+3=", "5")], cache_dir=tmp_path)
    assert "building" not in capsys.readouterr().err  # a cached student is loaded quietly


def test_the_readme_env_table_names_every_registered_env():
    import itertools
    import re

    from teachgym.registry import ENV_META, env_meta

    env_meta("teachgym/ToyCurriculum-v0")  # fills ENV_META
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## What is here"):]
    table = table[: table.index("\n## ", 1)]
    named = set()
    for token in re.findall(r"`(teachgym/[^`]+)`", table):  # brace groups expand: a-{x,y}-v0 -> a-x-v0, a-y-v0
        pieces = re.split(r"\{([^}]*)\}", token)
        choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(pieces)]
        named |= {"".join(combo) for combo in itertools.product(*choices)}
    assert sorted(set(ENV_META) - named) == []


def test_python_spellings_of_true_false_none_are_what_they_spell():
    """``--env-kwarg oracle=False`` must turn oracle mode off, not pass the truthy text "False"."""
    from teachgym.cli import parse_kwargs
    from teachgym.leaderboard.sweep import parse_teacher_spec

    assert parse_kwargs(["oracle=False", "x=True", "y=None", "z=false", "w=text"], "--env-kwarg") == \
        {"oracle": False, "x": True, "y": None, "z": False, "w": "text"}
    assert parse_teacher_spec("alp-gmm(warm_start=False, fit_rate=100)") == \
        ("alp-gmm", {"warm_start": False, "fit_rate": 100})


def test_the_readme_names_every_registered_teacher():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## What is here"):]
    section = section[: section.index("\n## ", 1)]
    missing = [name for name in teachgym.teacher_registry.names() if f"`{name}`" not in section]
    assert missing == [], f"README's 'What is here' does not name these registered teachers: {missing}"
