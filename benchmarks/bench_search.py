"""Grid-search wall time: MinMaxScaler -> AutoencoderTransformer -> SVC, n_jobs=1 vs 2.

``GridSearchCV`` over ``reduce__n_components in [16, 32, 64]`` with cv=3 (9 fits
plus the refit) on the first ``--n-samples`` Fashion-MNIST training images and
their labels; the autoencoder trains ``--max-iter`` epochs. n_jobs=1 and
n_jobs=2 alternate over ``--repeats`` repeats; reported are the median wall
times and the speedup (median n_jobs=1 time / median n_jobs=2 time).

A joblib probe then asks each loky worker how many threads torch would use, and
how many skae's ``fit`` allows itself (``skae.nn._device.caller_thread_limit``), to show
that workers do not oversubscribe the cores (cpu_count // n_jobs each).

    .venv/bin/python benchmarks/bench_search.py                 # defaults
    .venv/bin/python benchmarks/bench_search.py --repeats 1 --n-samples 1500 --max-iter 2
"""

import argparse
import os
import statistics
import time
import warnings

import torch
from _data import (
    data_source,
    load_fashion_mnist_train,
    load_fashion_mnist_train_labels,
    print_table,
    write_results,
)
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer

GRID = {"reduce__n_components": [16, 32, 64]}


def make_search(max_iter, n_jobs):
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("reduce", AutoencoderTransformer(max_iter=max_iter, random_state=0)),
            ("clf", SVC()),
        ]
    )
    return GridSearchCV(pipe, GRID, cv=3, n_jobs=n_jobs)


def thread_probe():
    """What a worker's torch and skae's fit would use, and joblib's OpenMP limit."""
    import time

    from threadpoolctl import threadpool_info

    from skae.nn._device import caller_thread_limit

    time.sleep(0.2)  # keep the worker busy so the other tasks land on other workers
    openmp = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"]
    return {
        "pid": os.getpid(),
        "torch_get_num_threads": torch.get_num_threads(),
        "skae_fit_thread_limit": caller_thread_limit(),
        "openmp_num_threads": openmp,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--n-samples", type=int, default=6000, help="subset size (default 6000)")
    parser.add_argument("--max-iter", type=int, default=5, help="autoencoder epochs (default 5)")
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--no-warmup", action="store_true", help="time the worker start-up in the first run too"
    )
    args = parser.parse_args()
    if 1 not in args.n_jobs:
        parser.error("--n-jobs must include 1, the baseline of the speedup")

    X = load_fashion_mnist_train()[: args.n_samples]
    y = load_fashion_mnist_train_labels()[: args.n_samples]
    source = data_source()
    print(
        f"data: {source} {X.shape}; cpu_count {os.cpu_count()}; main torch threads "
        f"{torch.get_num_threads()}"
    )
    print(f"grid {GRID}, cv=3, max_iter={args.max_iter}, repeats {args.repeats}")

    if not args.no_warmup:
        # Untimed: a small search per n_jobs starts the loky workers and imports torch,
        # skae and sklearn there (seconds, paid once: the pool is reused afterwards).
        for n_jobs in args.n_jobs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                make_search(1, n_jobs).fit(X[:600], y[:600])

    seconds = {j: [] for j in args.n_jobs}
    tasks = {j: [] for j in args.n_jobs}  # summed fit+score time of the 9 CV tasks
    refits = {j: [] for j in args.n_jobs}  # the final refit, always in the main process
    scores = {}
    for r in range(args.repeats):
        order = args.n_jobs if r % 2 == 0 else args.n_jobs[::-1]
        for n_jobs in order:
            search = make_search(args.max_iter, n_jobs)
            start = time.perf_counter()
            with warnings.catch_warnings():
                # ConvergenceWarning reaches the main process only with n_jobs=1;
                # ignoring it everywhere keeps both runs doing the same work.
                warnings.simplefilter("ignore", ConvergenceWarning)
                search.fit(X, y)
            seconds[n_jobs].append(time.perf_counter() - start)
            cv = search.cv_results_
            task_seconds = 3 * float(sum(cv["mean_fit_time"]) + sum(cv["mean_score_time"]))
            tasks[n_jobs].append(task_seconds)
            refits[n_jobs].append(float(search.refit_time_))
            scores[n_jobs] = {
                "best_params": search.best_params_,
                "best_score": float(search.best_score_),
                "mean_test_score": [float(s) for s in search.cv_results_["mean_test_score"]],
            }
        print(
            f"repeat {r + 1}/{args.repeats}: "
            + "  ".join(f"n_jobs={j} {seconds[j][-1]:.2f}s" for j in args.n_jobs),
            flush=True,
        )

    probes = {}  # after the timed runs, from the same (reused) loky workers
    for n_jobs in args.n_jobs:
        if n_jobs == 1:
            probes[1] = [thread_probe()]
        else:
            probes[n_jobs] = Parallel(n_jobs=n_jobs)(
                delayed(thread_probe)() for _ in range(2 * n_jobs)
            )

    base = statistics.median(seconds[1])
    results = {}
    rows = []
    for n_jobs in args.n_jobs:
        median = statistics.median(seconds[n_jobs])
        per_worker = sorted({(p["pid"], p["torch_get_num_threads"]) for p in probes[n_jobs]})
        results[n_jobs] = {
            "seconds": seconds[n_jobs],
            "median_seconds": median,
            "speedup_vs_n_jobs_1": base / median,
            "cv_task_seconds": tasks[n_jobs],
            "median_cv_task_seconds": statistics.median(tasks[n_jobs]),
            "refit_seconds": refits[n_jobs],
            "median_refit_seconds": statistics.median(refits[n_jobs]),
            "thread_probe": probes[n_jobs],
            **scores[n_jobs],
        }
        rows.append(
            [
                n_jobs,
                f"{median:.2f}",
                f"{min(seconds[n_jobs]):.2f}-{max(seconds[n_jobs]):.2f}",
                f"{base / median:.2f}",
                f"{statistics.median(tasks[n_jobs]):.2f}",
                f"{statistics.median(refits[n_jobs]):.2f}",
                ", ".join(f"pid {pid}: {t}" for pid, t in per_worker),
                f"{scores[n_jobs]['best_score']:.4f}",
            ]
        )
    print()
    print_table(
        [
            "n_jobs",
            "median s",
            "range",
            "speedup",
            "sum of 9 CV tasks s",
            "refit s",
            "torch threads per process",
            "best CV acc",
        ],
        rows,
    )
    print(f"best params: {scores[1]['best_params']}")
    oversubscribed = any(
        n_jobs * p["skae_fit_thread_limit"] > os.cpu_count()
        for n_jobs in args.n_jobs
        if n_jobs > 1
        for p in probes[n_jobs]
    )
    print(f"oversubscription in workers (n_jobs x threads > cpu_count): {oversubscribed}")

    write_results(
        "bench_search",
        {
            "data": source,
            "n_samples": int(X.shape[0]),
            "params": vars(args),
            "grid": GRID,
            "results": {str(k): v for k, v in results.items()},
            "oversubscribed": oversubscribed,
        },
    )


if __name__ == "__main__":
    main()
