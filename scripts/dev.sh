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

install_torch() {
    # Without CUDA, take the pinned CPU wheel first: a bare `torch` requirement would pull a multi-GB CUDA build.
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        "$VENV/bin/python" -c "import torch" 2>/dev/null || pip install "torch==2.13.0"
    fi
}

case "$task" in
    main)
        pip install -e .
        "$VENV/bin/teachgym" compare --env teachgym/ToyCurriculum-v0 --env teachgym/GridworldCurriculum-v0 \
            --teachers random,easy-to-hard,alp-gmm,covar-gmm,riac --seeds 2 --out-dir runs/main --markdown
        "$VENV/bin/teachgym" compare --env teachgym/ToyCurriculumDiscrete-v0 --env teachgym/GridworldCurriculumDiscrete-v0 \
            --teachers random,easy-to-hard,tscl-window,tscl-sampling,exp3,ucb,thompson --seeds 2 --out-dir runs/main --markdown
        ;;
    test)
        install_torch
        pip install -e ".[all,test]"
        "$VENV/bin/python" -m pytest -q
        ;;
    *)
        echo "usage: bash scripts/dev.sh main|test" >&2
        exit 2
        ;;
esac
