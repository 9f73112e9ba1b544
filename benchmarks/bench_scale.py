"""One grid search three ways: n_jobs=1, loky with n_jobs=2, and a 2-worker Dask LocalCluster.

``GridSearchCV`` over a conv autoencoder pipeline (MinMaxScaler ->
AutoencoderTransformer(architecture="conv") -> SVC), a 3x3 grid
(``n_components`` x SVC's ``C``), 3 folds, on the first ``--n-samples``
Fashion-MNIST training images. The cluster's workers get the malloc settings of
the "Scaling out" page (``DASK_WORKER_MALLOC``). Each way runs once, after an untimed warm-up
that starts its workers; reported are the wall times, the speed-ups over
n_jobs=1, the cluster's time over loky's (its overhead: the goal is at most
1.15x on this 2-core machine) and whether the cross-validation scores are
identical.

    .venv/bin/python benchmarks/bench_scale.py                  # the issue's setting
    .venv/bin/python benchmarks/bench_scale.py --n-samples 1200 --max-iter 1
"""

import argparse
import os
import time
import warnings

import dask
import joblib
import numpy as np
from _data import (
    data_source,
    load_fashion_mnist_train,
    load_fashion_mnist_train_labels,
    print_table,
    write_results,
)
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer

GRID = {"reduce__n_components": [8, 16, 32], "clf__C": [1, 10, 100]}
#: The Dask set-up of the "Scaling out" page: Dask starts its workers with
#: MALLOC_TRIM_THRESHOLD_=65536, which also pins glibc's mmap threshold at 128 KB, so every
#: tensor of training is mapped and unmapped anew (2.5x slower here).
DASK_WORKER_MALLOC = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**26,
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 2**25,
}


def make_search(max_iter, n_jobs):
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            (
                "reduce",
                AutoencoderTransformer(
                    architecture="conv",
                    image_shape=(28, 28),
                    conv_channels=(16, 32),
                    corruption=None,
                    max_iter=max_iter,
                    random_state=0,
                ),
            ),
            ("clf", SVC()),
        ]
    )
    return GridSearchCV(pipe, GRID, cv=3, n_jobs=n_jobs)


def timed_search(X, y, max_iter, n_jobs, backend):
    """Wall seconds and cv_results_ of one search, under a joblib backend."""
    with warnings.catch_warnings(), joblib.parallel_backend(backend):
        warnings.simplefilter("ignore", ConvergenceWarning)
        make_search(1, n_jobs).fit(X[:300], y[:300])  # untimed: starts and warms the workers
        search = make_search(max_iter, n_jobs)
        start = time.perf_counter()
        search.fit(X, y)
        return time.perf_counter() - start, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=12000)
    parser.add_argument("--max-iter", type=int, default=2, help="autoencoder epochs (default 2)")
    args = parser.parse_args()
    X = load_fashion_mnist_train()[: args.n_samples]
    y = load_fashion_mnist_train_labels()[: args.n_samples]
    print(f"data: {data_source()} {X.shape}; cpu_count {os.cpu_count()}; grid {GRID}, cv=3")

    runs = {}
    runs["n_jobs=1"] = timed_search(X, y, args.max_iter, 1, "loky")
    print(f"n_jobs=1: {runs['n_jobs=1'][0]:.1f} s", flush=True)
    runs["loky n_jobs=2"] = timed_search(X, y, args.max_iter, 2, "loky")
    print(f"loky n_jobs=2: {runs['loky n_jobs=2'][0]:.1f} s", flush=True)
    with (
        dask.config.set(DASK_WORKER_MALLOC),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        runs["dask 2 workers"] = timed_search(X, y, args.max_iter, -1, "dask")
        threshold = set(client.run(lambda: os.environ.get("MALLOC_MMAP_THRESHOLD_")).values())
    print(f"dask 2 workers: {runs['dask 2 workers'][0]:.1f} s (MALLOC_MMAP_THRESHOLD_ {threshold})")

    base = runs["n_jobs=1"][0]
    loky = runs["loky n_jobs=2"][0]
    scores = {name: search.cv_results_["mean_test_score"] for name, (_, search) in runs.items()}
    rows, results = [], {}
    for name, (seconds, search) in runs.items():
        same = bool(np.array_equal(scores[name], scores["n_jobs=1"]))
        rows.append(
            [
                name,
                f"{seconds:.1f}",
                f"{base / seconds:.2f}",
                f"{seconds / loky:.2f}",
                f"{search.best_score_:.4f}",
                "yes" if same else "no",
            ]
        )
        results[name] = {
            "seconds": seconds,
            "speedup_vs_n_jobs_1": base / seconds,
            "time_vs_loky": seconds / loky,
            "best_params": search.best_params_,
            "best_score": float(search.best_score_),
            "mean_test_score": [float(s) for s in scores[name]],
            "mean_fit_time": [float(s) for s in search.cv_results_["mean_fit_time"]],
            "scores_equal_n_jobs_1": same,
        }
    print()
    print_table(
        ["run", "wall s", "speed-up", "time / loky", "best CV acc", "scores = n_jobs=1"], rows
    )
    print(
        "loky and dask scores identical:",
        bool(np.array_equal(scores["loky n_jobs=2"], scores["dask 2 workers"])),
    )
    write_results(
        "bench_scale",
        {"data": data_source(), "params": vars(args), "grid": GRID, "results": results},
    )


if __name__ == "__main__":
    main()
