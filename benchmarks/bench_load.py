"""What safe loading costs: skae.load against pickle, in seconds and peak memory.

A dense autoencoder with large hidden layers (its Adam state included, a
file of about 140 MB by default) is saved with ``skae.save`` and with
``pickle``; each repeat loads it once with each contender, in a fresh
process each time, in an order that alternates from repeat to repeat. Each
process reports the load's wall-clock seconds and its peak resident memory
above what the process held before the load (``VmHWM`` reset through
``/proc/self/clear_refs``, so Linux only), after torch's one-time import
of ``torch._dynamo`` that its first optimizer triggers. The table gives medians over the
repeats and the peak as a multiple of the file's size: the bound that
``docs/deploying.rst`` promises, whatever the bytes.

    .venv/bin/python benchmarks/bench_load.py                 # ~2 min on 2 cores
    .venv/bin/python benchmarks/bench_load.py --hidden 512 --repeats 3
"""

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

import skae

sys.path.insert(0, str(Path(__file__).parent))
from _data import print_table, write_results  # noqa: E402

CHILD = textwrap.dedent(
    """
    import json, pickle, sys, time, warnings
    import torch
    import skae
    warnings.simplefilter("ignore")
    # torch's first optimizer imports torch._dynamo (about 1.5 s): paid here, by every contender.
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])

    def peak_kib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

    kind, path = sys.argv[1:]
    load = {
        "skae.load": skae.load,
        "skae.get_untrusted_types": skae.get_untrusted_types,
        "pickle.load": lambda p: pickle.load(open(p, "rb")),
    }[kind]
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = peak_kib()
    start = time.perf_counter()
    model = load(path)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": (peak_kib() - before) / 1024}))
    """
)
CONTENDERS = ("skae.load", "pickle.load", "skae.get_untrusted_types")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=2048, help="width of both hidden layers")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    X = np.random.default_rng(0).random((256, 784)).astype(np.float32)
    model = skae.AutoencoderTransformer(
        64, hidden_layer_sizes=(args.hidden, args.hidden), max_iter=1, random_state=0
    ).fit(X)
    folder = Path(tempfile.mkdtemp())
    files = {"skae": skae.save(model, folder / "model.skae"), "pickle": folder / "model.pkl"}
    with open(files["pickle"], "wb") as file:
        pickle.dump(model, file)
    sizes = {kind: path.stat().st_size / 2**20 for kind, path in files.items()}

    runs = {kind: [] for kind in CONTENDERS}
    for repeat in range(args.repeats):
        order = CONTENDERS if repeat % 2 == 0 else CONTENDERS[::-1]
        for kind in order:
            path = files["pickle" if kind.startswith("pickle") else "skae"]
            out = subprocess.run(
                [sys.executable, "-c", CHILD, kind, str(path)],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            runs[kind].append(json.loads(out))

    rows = []
    for kind, measured in runs.items():
        size = sizes["pickle" if kind.startswith("pickle") else "skae"]
        seconds = statistics.median(r["seconds"] for r in measured)
        peak = statistics.median(r["peak_mib"] for r in measured)
        rows.append({"contender": kind, "file_mib": size, "seconds": seconds, "peak_mib": peak,
                     "peak_over_file": peak / size})  # fmt: skip
    print_table(
        ["contender", "file MiB", "seconds", "peak MiB", "peak / file"],
        [
            [r["contender"], f"{r['file_mib']:.1f}", f"{r['seconds']:.3f}",
             f"{r['peak_mib']:.1f}", f"{r['peak_over_file']:.2f}"]
            for r in rows
        ],
    )  # fmt: skip
    write_results("bench_load", {"parameters": vars(args), "rows": rows, "runs": runs})


if __name__ == "__main__":
    main()
