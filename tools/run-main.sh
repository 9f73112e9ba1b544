#!/usr/bin/env bash
# Set up .venv and run the main job: raw-pixel SVC vs PCA + SVC vs
# AutoencoderTransformer + SVC on sklearn's digits, printing accuracy and time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-venv.sh plotting
.venv/bin/python examples/plot_digits_pipeline.py
