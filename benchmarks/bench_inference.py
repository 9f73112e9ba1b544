"""transform throughput: AutoencoderTransformer.transform vs the bare fitted encoder.

An AutoencoderTransformer (784-256-64 encoder) is fitted for ``--fit-epochs``
epoch(s) on Fashion-MNIST; then, interleaved over ``--repeats`` repeats (order
alternating), we time ``est.transform(X)`` and the bare
``with torch.inference_mode(): est.module_.encoder(torch.from_numpy(X)).numpy()``
on the same float32 array. Reported: median samples/s and the median of the
per-repeat time ratios skae/bare.

A breakdown of where ``transform``'s time goes (``validate_data``'s checks, the
chunked ``map_batches`` evaluation, one-shot vs chunked bare encoder) follows.

    .venv/bin/python benchmarks/bench_inference.py              # defaults
    .venv/bin/python benchmarks/bench_inference.py --repeats 3 --n-samples 10000
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from _data import data_source, load_fashion_mnist_train, print_table, write_results
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import validate_data

from skae import AutoencoderTransformer
from skae.nn._inference import INFERENCE_BATCH_SIZE, map_batches
from skae.nn._precision import resolve_precision


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bare_transform(encoder, X):
    with torch.inference_mode():
        return encoder(torch.from_numpy(X)).numpy()


def bare_transform_chunked(encoder, X, batch_size):
    with torch.inference_mode():
        X_t = torch.from_numpy(X)
        chunks = [encoder(X_t[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        return torch.cat(chunks).numpy()


def breakdown(est, X, repeats):
    """Median seconds of the pieces of ``transform`` (and of bare variants)."""
    encoder = est.module_.encoder
    dtype = resolve_precision(est.precision, "cpu").dtype
    pieces = {
        "skae transform (total)": lambda: est.transform(X),
        "  validate_data (incl. finiteness check)": lambda: validate_data(
            est, X, dtype=[np.float64, np.float32], reset=False
        ),
        f"  map_batches(encoder), INFERENCE_BATCH_SIZE={INFERENCE_BATCH_SIZE}": lambda: map_batches(
            encoder, X, device="cpu", dtype=dtype
        ),
        "bare encoder, one call": lambda: bare_transform(encoder, X),
        f"bare encoder, chunks of {INFERENCE_BATCH_SIZE}": lambda: bare_transform_chunked(
            encoder, X, INFERENCE_BATCH_SIZE
        ),
        "np.isfinite(X).all() alone": lambda: np.isfinite(X).all(),
    }
    times = {name: [] for name in pieces}
    for _ in range(repeats):
        for name, fn in pieces.items():
            times[name].append(timed(fn)[0])
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repeats (default 7)")
    parser.add_argument("--n-samples", type=int, default=60000, help="rows (max 60000)")
    parser.add_argument("--n-components", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--fit-epochs", type=int, default=1)
    args = parser.parse_args()

    X = load_fashion_mnist_train()[: args.n_samples]
    source = data_source()
    print(f"data: {source} {X.shape} {X.dtype}; torch threads: {torch.get_num_threads()}")

    est = AutoencoderTransformer(
        args.n_components,
        hidden_layer_sizes=(args.hidden,),
        max_iter=args.fit_epochs,
        n_iter_no_change=args.fit_epochs,
        device="cpu",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    encoder = est.module_.encoder.eval()

    contenders = {"skae": lambda: est.transform(X), "bare": lambda: bare_transform(encoder, X)}
    # warm-up, and check both compute the same thing
    np.testing.assert_allclose(contenders["skae"](), contenders["bare"](), rtol=1e-4, atol=1e-5)

    seconds = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(args.repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            seconds[name].append(timed(contenders[name])[0])
        print(
            f"repeat {r + 1}/{args.repeats}: "
            + "  ".join(f"{n} {seconds[n][-1] * 1e3:.1f} ms" for n in names),
            flush=True,
        )

    ratios = [s / b for s, b in zip(seconds["skae"], seconds["bare"], strict=True)]
    results = {}
    rows = []
    for name in names:
        median = statistics.median(seconds[name])
        results[name] = {
            "seconds": seconds[name],
            "median_seconds": median,
            "median_samples_per_second": len(X) / median,
        }
        rows.append(
            [
                name,
                f"{median * 1e3:.1f}",
                f"{len(X) / median:,.0f}",
                f"{statistics.median(ratios):.3f}" if name == "skae" else "1.000",
            ]
        )
    results["skae"]["time_ratio_per_repeat"] = ratios
    results["skae"]["median_time_ratio_to_bare"] = statistics.median(ratios)
    print()
    print_table(["contender", "median ms", "samples/s", "time ratio to bare"], rows)
    ratio = statistics.median(ratios)
    print(f"\nskae/bare = {ratio:.3f} (target <= 1.10: {'met' if ratio <= 1.10 else 'MISSED'})")

    print("\nwhere transform's time goes (median ms over the repeats):")
    parts = breakdown(est, X, args.repeats)
    print_table(["piece", "median ms"], [[k, f"{v * 1e3:.1f}"] for k, v in parts.items()])

    write_results(
        "bench_inference",
        {
            "data": source,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "params": vars(args),
            "encoder": f"{X.shape[1]}-{args.hidden}-{args.n_components}",
            "results": results,
            "breakdown_median_seconds": parts,
        },
    )


if __name__ == "__main__":
    main()
