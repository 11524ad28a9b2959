"""Both install modes put envs/, teachers/, students/ under teachgym.* and never at top level."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

import teachgym

REPO = Path(__file__).resolve().parents[1]

SMOKE = textwrap.dedent("""
    import importlib.util, sys, teachgym
    import teachgym.envs.curriculum.toy, teachgym.teachers.curriculum.alp_gmm, teachgym.students.curriculum.competence_grid
    assert importlib.util.find_spec("envs") is None, "top-level 'envs' must not be installed"
    assert importlib.util.find_spec("teachers") is None and importlib.util.find_spec("students") is None
    result = teachgym.run("teachgym/ToyCurriculum-v0", "alp-gmm", seed=0, n_steps=600)
    print(teachgym.__file__, result.steps)
""")


def test_editable_install_maps_the_root_folders_into_teachgym():
    import teachgym.envs
    import teachgym.students
    import teachgym.teachers

    assert Path(teachgym.envs.__file__).resolve() == REPO / "envs" / "__init__.py"
    assert Path(teachgym.teachers.__file__).resolve() == REPO / "teachers" / "__init__.py"
    assert Path(teachgym.students.__file__).resolve() == REPO / "students" / "__init__.py"


@pytest.mark.skipif(sys.platform == "win32", reason="venv layout")
def test_built_wheel_installs_into_a_fresh_venv_and_works(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(REPO)], check=True)
    (wheel,) = (tmp_path / "dist").glob("teachgym-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"teachgym", f"{wheel.name.split('-')[0]}-{teachgym.__version__}.dist-info"}
    assert "teachgym/envs/curriculum/toy.py" in names and "teachgym/teachers/curriculum/alp_gmm.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True)
    # Dependencies (numpy, gymnasium, ...) come from this test's environment, appended *after* the
    # fresh venv's site-packages; a plain path line does not load the editable install's finder.
    fresh_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True).stdout.strip()
    Path(fresh_site, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(python), "-c", SMOKE], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    installed_at, steps = out.stdout.split()
    assert Path(installed_at).is_relative_to(venv) and steps == "600"


def test_every_package_folder_is_listed_in_pyproject():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    roots = {"envs": "teachgym.envs", "teachers": "teachgym.teachers", "students": "teachgym.students",
             "teachgym": "teachgym"}
    found = set()
    for folder, package in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((package, *relative)))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
