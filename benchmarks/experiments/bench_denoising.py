"""Robustness to noisy test images: denoising vs plain conv autoencoder vs raw pixels.

Fashion-MNIST. Both autoencoders (skae's convolutional default, latent size 64,
exactly ``--epochs`` epochs) learn from all 60,000 training images, unlabeled;
the denoising one sees Gaussian noise of standard deviation ``--train-noise``
on its inputs while training. Each reducer then feeds an RBF SVC(C=10), with a
StandardScaler when cross-validation on the labeled rows prefers it (as in
``skae compare``); raw-pixel SVC is the baseline. The classifiers see the same
labeled images: 100 per class (seeds 0, 1, 2) and a stratified 10,000.

Every pipeline is scored on the official 10,000 test images, clean and with
Gaussian noise of standard deviation 0.1 and 0.2 added (then clipped to
[0, 1]); the noise is drawn once per level (seed 0), so all pipelines see the
same noisy images. Nothing is tuned on the test set.

    .venv/bin/python benchmarks/experiments/bench_denoising.py      # ~15 min on 2 cores
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae.compare import load_comparison_data, make_reducer
from skae.compare._pipelines import choose_scaling

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import (  # noqa: E402
    EXPERIMENT_RESULTS_DIR,
    NOISE_LEVELS,
    noisy_copies,
    print_table,
    write_results,
)


def fit_reducers(data, args):
    reducers = {"raw": None}
    for name, corruption in (("conv", None), ("denoising-conv", "gaussian")):
        est = make_reducer(
            "conv-autoencoder",
            args.n_components,
            epochs=args.epochs,
            device="auto",
            random_state=0,
            image_shape=data.image_shape,
        ).set_params(corruption=corruption, corruption_level=args.train_noise)
        start = time.perf_counter()
        est.fit(data.X_train)
        print(f"fitted {name} autoencoder in {time.perf_counter() - start:.0f} s", flush=True)
        reducers[name] = est
    return reducers


def score(reducer, X_labeled, y_labeled, test_sets, y_test, seed):
    """Accuracy at every noise level, and whether a scaler was used."""
    svc = SVC(C=10)
    features = X_labeled if reducer is None else reducer.transform(X_labeled)
    scaled = reducer is not None and choose_scaling(features, y_labeled, svc, random_state=seed)
    pipe = (make_pipeline(StandardScaler(), svc) if scaled else svc).fit(features, y_labeled)
    accuracies = {}
    for level, X in test_sets.items():
        test_features = X if reducer is None else reducer.transform(X)
        accuracies[level] = float(np.mean(pipe.predict(test_features) == y_test))
    return accuracies, scaled


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-components", type=int, default=64)
    parser.add_argument("--train-noise", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    full = load_comparison_data("fashion-mnist", download_if_missing=False)
    test_sets = noisy_copies(full.X_test)
    reducers = fit_reducers(full, args)
    budgets = [(f"100/class seed {s}", s, 100) for s in range(args.seeds)]
    budgets.append(("10000 labeled", 0, None))
    runs = []
    for budget, seed, per_class in budgets:
        if per_class is None:
            data = load_comparison_data("fashion-mnist", n_train=10_000, download_if_missing=False)
        else:
            data = load_comparison_data(
                "fashion-mnist", labels_per_class=per_class, random_state=seed,
                download_if_missing=False,
            )  # fmt: skip
        for name, reducer in reducers.items():
            accuracies, scaled = score(
                reducer, data.X_labeled, data.y_labeled, test_sets, full.y_test, seed
            )
            runs.append({"budget": budget, "reducer": name, "scaled": scaled, **{
                f"sigma_{level}": accuracies[level] for level in NOISE_LEVELS}})  # fmt: skip
            print(budget, name, accuracies, flush=True)

    rows = []
    for budget in ("100/class", "10000 labeled"):
        for name in reducers:
            picked = [r for r in runs if r["budget"].startswith(budget) and r["reducer"] == name]
            cells = []
            for level in NOISE_LEVELS:
                values = [r[f"sigma_{level}"] for r in picked]
                spread = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
                cells.append(f"{statistics.mean(values):.3f}{spread}")
            rows.append([budget, name, *cells])
    print()
    print_table(["labels", "features", *[f"test noise {level}" for level in NOISE_LEVELS]], rows)
    write_results("bench_denoising", {"params": vars(args), "runs": runs}, EXPERIMENT_RESULTS_DIR)


if __name__ == "__main__":
    main()
