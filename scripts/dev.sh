#!/usr/bin/env bash
# Set up a virtual environment and run the main job or the tests.
#   bash scripts/dev.sh main   # install teachgym, compare teachers on the curriculum envs
#   bash scripts/dev.sh test   # install teachgym with the test extras, run the test suite
# VENV (default .venv), PYTHON (default python3) and TORCH_INDEX_URL (where a GPU-less machine gets torch's CPU
# build; default PyTorch's CPU index, empty: only pip's configured indexes) can be overridden.
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
    # PyPI's Linux torch wheel is the CUDA build (several GB). Without a GPU, the CPU build is taken from
    # PyTorch's CPU index (TORCH_INDEX_URL; set it empty to use only the indexes pip is configured with).
    # With a GPU, or with torch already installed, nothing is installed here.
    if "$VENV/bin/python" -c "import torch" 2>/dev/null; then
        echo "keeping the installed torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')" >&2
        return
    fi
    if command -v nvidia-smi >/dev/null 2>&1; then
        echo "note: GPU found; torch comes from pip's configured index (PyPI: its CUDA build). For another CUDA" \
             "version install torch into $VENV first (https://pytorch.org/get-started/locally/), then rerun." >&2
        return
    fi
    local index=${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}
    if [ -n "$index" ]; then
        echo "no GPU: installing the CPU build of torch 2.13.0 (extra index $index)" >&2
        pip install --extra-index-url "$index" "torch==2.13.0"
    else
        echo "no GPU, TORCH_INDEX_URL empty: torch 2.13.0 from pip's configured indexes (on PyPI the CUDA build)" >&2
        pip install "torch==2.13.0"
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
