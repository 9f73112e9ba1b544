#!/usr/bin/env bash
# Set up .venv and run the main job: `skae compare` on the embedded digits data set,
# raw pixels vs PCA vs the autoencoder in front of SVC, random forest and logistic
# regression. Prints the table and writes results.csv, results.json and
# comparison.png into skae-results/. Extra arguments go to `skae compare`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-venv.sh plotting
.venv/bin/skae compare --dataset digits --output skae-results "$@"
