#!/usr/bin/env bash
# Set up .venv and run the whole test suite: ruff, then pytest (tests, doctests,
# and the documentation build with every gallery example, tests/test_docs.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-venv.sh test,plotting,docs,persistence,onnx,dask,dask-ml
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
