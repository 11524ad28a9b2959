#!/usr/bin/env bash
# Set up a virtual environment and run the main job or the tests.
#   bash scripts/dev.sh main   # install teachgym, compare teachers on the curriculum envs
#   bash scripts/dev.sh test   # install teachgym with the test extras, run the test suite
# VENV (default .venv) and PYTHON (default python3) can be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
task=${1:-}
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }

install_browser() {
    # The leaderboard's HTML page is tested in Debian's headless Chromium (no browser download).
    if [ ! -x /usr/bin/chromium ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
        else
            echo "note: /usr/bin/chromium missing (apt-get install chromium); the HTML browser test will be skipped" >&2
        fi
    fi
}

install_torch() {
    # Without CUDA, take the pinned CPU wheel first: a bare `torch` requirement would pull a multi-GB CUDA build.
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        "$VENV/bin/python" -c "import torch" 2>/dev/null || pip install "torch==2.13.0"
    fi
}

case "$task" in
    main)
        pip install -e .
        "$VENV/bin/teachgym" leaderboard run --suite quick --html runs/leaderboard-html
        echo "open runs/leaderboard-html/index.html"
        ;;
    test)
        install_browser
        install_torch
        pip install -e ".[all,test]"
        "$VENV/bin/python" -m pytest -q
        ;;
    *)
        echo "usage: bash scripts/dev.sh main|test" >&2
        exit 2
        ;;
esac
