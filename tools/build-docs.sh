#!/usr/bin/env bash
# Set up .venv and build the documentation site into docs/_build/html, running
# every gallery example; any Sphinx warning or failing example fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-venv.sh docs
MPLBACKEND=Agg .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
