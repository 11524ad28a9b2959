"""scripts/dev.sh, the README's setup command: which torch it installs with and without a GPU.

The script runs with a stand-in virtualenv python that logs every call (and pretends torch is or is not
importable) and a PATH holding only what the script needs, plus a stand-in ``nvidia-smi`` for the GPU case,
so nothing is installed and no network is used.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dev.sh"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"

FAKE_PYTHON = """#!{bash}
echo "$*" >> "{log}"
if [ "$1" = "-c" ]; then
    case "$2" in
        *"print(torch.__version__)"*) echo 2.13.0 ;;
        *"import torch"*) [ -e "{torch_marker}" ] || exit 1 ;;
    esac
fi
exit 0
"""


def _setup(tmp_path: Path, *, gpu: bool, torch_installed: bool) -> tuple[dict, Path]:
    venv, tools, log = tmp_path / "venv", tmp_path / "bin", tmp_path / "calls.log"
    (venv / "bin").mkdir(parents=True)
    tools.mkdir()
    marker = tmp_path / "torch-installed"
    if torch_installed:
        marker.touch()
    python = venv / "bin" / "python"
    python.write_text(FAKE_PYTHON.format(bash=shutil.which("bash"), log=log, torch_marker=marker))
    python.chmod(0o755)
    for tool in ("dirname", "id"):
        (tools / tool).symlink_to(shutil.which(tool))
    # apt-get would run only where /usr/bin/chromium is missing and we are root: a stand-in that does nothing.
    (tools / "apt-get").write_text(f"#!{shutil.which('bash')}\nexit 0\n")
    (tools / "apt-get").chmod(0o755)
    if gpu:
        (tools / "nvidia-smi").write_text(f"#!{shutil.which('bash')}\nexit 0\n")
        (tools / "nvidia-smi").chmod(0o755)
    env = {"PATH": str(tools), "VENV": str(venv), "HOME": str(tmp_path)}
    return env, log


def _run(env: dict, log: Path, **extra: str) -> tuple[list[str], str]:
    out = subprocess.run([shutil.which("bash"), str(SCRIPT), "test"], env={**env, **extra}, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return log.read_text().splitlines(), out.stderr


def _torch_installs(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("-m pip") and "torch==" in c]


def test_without_a_gpu_torch_comes_from_the_cpu_index(tmp_path):
    env, log = _setup(tmp_path, gpu=False, torch_installed=False)
    calls, stderr = _run(env, log)
    assert _torch_installs(calls) == [f"-m pip --disable-pip-version-check -q install --extra-index-url {CPU_INDEX} "
                                      f"torch==2.13.0"]
    assert "CPU build" in stderr
    assert calls[-2].endswith('install -e .[all,test]') and calls[-1] == "-m pytest -q"


def test_an_empty_index_uses_only_the_configured_indexes(tmp_path):
    env, log = _setup(tmp_path, gpu=False, torch_installed=False)
    calls, stderr = _run(env, log, TORCH_INDEX_URL="")
    assert _torch_installs(calls) == ["-m pip --disable-pip-version-check -q install torch==2.13.0"]
    assert "TORCH_INDEX_URL empty" in stderr


@pytest.mark.parametrize("gpu, torch_installed", [(True, False), (False, True), (True, True)])
def test_a_gpu_or_an_installed_torch_installs_no_torch(tmp_path, gpu, torch_installed):
    env, log = _setup(tmp_path, gpu=gpu, torch_installed=torch_installed)
    calls, stderr = _run(env, log)
    assert _torch_installs(calls) == []
    assert ("keeping the installed torch 2.13.0" in stderr) == torch_installed
    assert ("GPU found" in stderr) == (gpu and not torch_installed)
    assert calls[-2].endswith('install -e .[all,test]') and calls[-1] == "-m pytest -q"


def test_an_unknown_task_prints_the_usage(tmp_path):
    env, _ = _setup(tmp_path, gpu=False, torch_installed=True)
    out = subprocess.run([shutil.which("bash"), str(SCRIPT), "nope"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "usage: bash scripts/dev.sh main|test" in out.stderr

