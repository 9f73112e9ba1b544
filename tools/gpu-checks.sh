#!/usr/bin/env bash
# The CUDA checks, in one run on a machine with an NVIDIA GPU whose python3 has a CUDA torch:
# the CUDA tests, the classifier's defaults on Fashion-MNIST (100 labels per class, label
# seed 0), then benchmarks/bench_speed.py --device cuda for the dense and conv autoencoders.
# Run from the repository root; logs and result JSONs go to $OUT (default gpu-results/),
# packed into gpu-results.tar.gz there. Each step has its own time limit, so that one slow
# step cannot take the others' results with it: about 9 minutes at most.
#
# That machine cannot download. Before sending the working tree there, put beside it
#   .data/fashion-mnist/  the four Fashion-MNIST .gz files (e.g. from Debian's
#                         dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)
#   .whl/                 a skorch wheel, if that python3 lacks skorch:
#                         pip download --no-deps -d .whl skorch==1.4.0
# Both folders are git-ignored, so send them along explicitly.
set -uo pipefail

out=${OUT:-gpu-results}
mkdir -p "$out"
if ! python3 -c "import skorch" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/skorch-*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" SKAE_DATA="$PWD/.data" PYTHONUNBUFFERED=1
python3 -c "import torch, sklearn; assert torch.cuda.is_available(), 'no CUDA device'
print('torch', torch.__version__, 'sklearn', sklearn.__version__, torch.cuda.get_device_name())" \
    2>&1 | tee "$out/device.log" || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >>"$out/device.log" 2>&1

step() {  # step SECONDS LOG COMMAND...: run COMMAND under a time limit, its output into LOG
    local limit=$1 log=$2
    shift 2
    timeout "$limit" "$@" 2>&1 | tee "$out/$log"
    echo "exit status $? after at most $limit s: $*" | tee -a "$out/$log"
}

step 150 test_cuda.log python3 -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py \
    tests/test_persistence.py::test_cuda_fitted_pickle_loads_in_a_process_without_cuda
step 200 classifier_defaults_cuda.log python3 benchmarks/bench_classifier.py \
    --seeds 1 --rows defaults --tag defaults_seed0_cuda
step 100 bench_speed_dense_cuda.log python3 benchmarks/bench_speed.py --device cuda \
    --epochs 2 --rounds 2
step 90 bench_speed_conv_cuda.log python3 benchmarks/bench_speed.py --device cuda \
    --architecture conv --epochs 1 --rounds 2
cp benchmarks/results/*_cuda.json "$out/" 2>/dev/null
tar -C "$out" -czf gpu-results.tar.gz . && mv gpu-results.tar.gz "$out/"
