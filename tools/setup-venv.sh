#!/usr/bin/env bash
# Create .venv (if missing) and install skae with the extras named in $1.
# torch is pinned to the CPU build that lies on this machine's disk; any other
# spec would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
