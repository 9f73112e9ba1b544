"""Exported models: onnxruntime against skae, on 10,000 Fashion-MNIST test images.

Fits, on ``--n-train`` Fashion-MNIST training images (``--epochs`` epochs):

- ``encoder``: ``AutoencoderTransformer(image_shape=(28, 28))`` (the
  defaults: the conv network, ``loss="bce"``, a code of 32), timed as
  ``transform`` and as the ONNX graph of ``skae.to_onnx(est, X)``;
- ``pipeline``: that autoencoder + ``StandardScaler`` + ``SVC()`` fitted on
  1,000 labeled images' codes, timed as ``predict`` and as the one ONNX graph
  of ``skae.to_onnx(pipe, X)`` (skl2onnx with skae's converters).

Each is timed ``--repeats`` times, interleaved, on the official 10,000 test
images (float32); reported: the median seconds, the median of the per-repeat
ratios ONNX/skae, the largest output difference, and the sizes of the ONNX
files and of the ``skae.save`` file. onnxruntime runs with as many intra-op
threads as torch (``torch.get_num_threads()``).

    .venv/bin/python benchmarks/bench_onnx.py --repeats 5
"""

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from _data import print_table, write_results
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import skae
from skae.compare import load_comparison_data


def session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)  # skl2onnx reads SVC.probA_
    data = load_comparison_data(
        "fashion-mnist", labels_per_class=100, random_state=0, download_if_missing=False
    )
    X_train, X_test = data.X_train[: args.n_train], data.X_test.astype(np.float32)
    encoder = skae.AutoencoderTransformer(
        image_shape=(28, 28), max_iter=args.epochs, random_state=0
    ).fit(X_train)
    # The autoencoder learns from every training image, the scaler and the SVC from the
    # labeled ones (what PretrainedClassifier does), assembled as one fitted pipeline.
    codes = encoder.transform(data.X_labeled)
    scaler = StandardScaler().fit(codes)
    svc = SVC().fit(scaler.transform(codes), data.y_labeled)
    pipe = make_pipeline(encoder, scaler, svc)
    exported = {
        "encoder": skae.to_onnx(encoder, X_test[:1]),
        "pipeline": skae.to_onnx(pipe, X_test[:1]),
    }
    sessions = {name: session(model) for name, model in exported.items()}

    def onnx_run(name):
        return lambda: sessions[name].run(None, {"X": X_test})[0]

    runs = {
        "encoder": (lambda: encoder.transform(X_test), onnx_run("encoder")),
        "pipeline": (lambda: pipe.predict(X_test), onnx_run("pipeline")),
    }
    times = {name: {"skae": [], "onnx": []} for name in runs}
    differences = {}
    for repeat in range(args.repeats):
        for name, (skae_run, onnx_run) in runs.items():
            order = [("skae", skae_run), ("onnx", onnx_run)][:: 1 if repeat % 2 else -1]
            outputs = {}
            for kind, run in order:
                seconds, outputs[kind] = timed(run)
                times[name][kind].append(seconds)
            if name == "encoder":
                differences[name] = float(np.abs(outputs["skae"] - outputs["onnx"]).max())
            else:
                differences[name] = int(np.sum(outputs["skae"] != outputs["onnx"]))
    folder = Path(tempfile.mkdtemp())
    sizes = {name: len(model.SerializeToString()) for name, model in exported.items()}
    sizes["skae.save(pipeline)"] = skae.save(pipe, folder / "pipe.skae").stat().st_size
    rows, results = [], {}
    for name, kinds in times.items():
        ratio = statistics.median(o / s for o, s in zip(kinds["onnx"], kinds["skae"], strict=True))
        results[name] = {
            "skae_seconds": statistics.median(kinds["skae"]),
            "onnx_seconds": statistics.median(kinds["onnx"]),
            "onnx_over_skae": ratio,
            "difference": differences[name],
            "onnx_bytes": sizes[name],
        }
        rows.append(
            [
                name,
                f"{results[name]['skae_seconds']:.3f}",
                f"{results[name]['onnx_seconds']:.3f}",
                f"{ratio:.2f}",
                str(differences[name]),
                f"{sizes[name] / 1e6:.2f}",
            ]
        )
    print(f"{len(X_test)} test images, {torch.get_num_threads()} threads, {args.repeats} repeats")
    print_table(
        ["model", "skae s", "onnxruntime s", "onnx/skae", "max diff / labels differing", "MB"],
        rows,
    )
    print(f"skae.save file of the pipeline: {sizes['skae.save(pipeline)'] / 1e6:.2f} MB")
    write_results("bench_onnx", {"params": vars(args), "results": results, "sizes": sizes})


if __name__ == "__main__":
    main()
