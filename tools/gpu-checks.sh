#!/usr/bin/env bash
# The CUDA checks, in one run on a machine with an NVIDIA GPU whose python3 has a CUDA torch:
# the CUDA tests, then benchmarks/bench_speed.py --device cuda for the dense and conv
# autoencoders and the classifier. Run from the repository root; logs and result JSONs go to
# $OUT (default gpu-results/). Not yet run on a GPU: time it there before relying on it.
#
# That machine cannot download. Before sending the working tree there, put beside it
#   .data/fashion-mnist/  the four Fashion-MNIST .gz files (e.g. from Debian's
#                         dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)
#   .whl/                 a skorch wheel, if that python3 lacks skorch:
#                         pip download --no-deps -d .whl skorch==1.4.0
# Both folders are git-ignored, so send them along explicitly.
set -euo pipefail

out=${OUT:-gpu-results}
mkdir -p "$out"
if ! python3 -c "import skorch" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/skorch-*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" SKAE_DATA="$PWD/.data" PYTHONUNBUFFERED=1
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())"

python3 -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py \
    tests/test_persistence.py::test_cuda_fitted_pickle_loads_in_a_process_without_cuda \
    2>&1 | tee "$out/test_cuda.log"

bench() { python3 benchmarks/bench_speed.py --device cuda "$@"; }
bench --rounds 5 2>&1 | tee "$out/bench_speed_dense_cuda.log"
bench --architecture conv --epochs 2 --rounds 3 2>&1 | tee "$out/bench_speed_conv_cuda.log"
bench --classifier --epochs 1 --rounds 3 2>&1 | tee "$out/bench_speed_classifier_cuda.log"
cp benchmarks/results/bench_speed_*_cuda.json "$out/"
