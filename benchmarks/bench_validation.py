"""Choosing the image recipe without the test set: a validation split of the training set.

Fashion-MNIST's 60,000 training images are split (stratified, seed 0) into
50,000 for the autoencoders, unlabeled, and 10,000 held out for validation;
the official test set is never loaded. Each autoencoder (latent size 64,
exactly ``--epochs`` epochs, seed 0) feeds an RBF SVC(C=10), with and without
a StandardScaler, trained on labeled images drawn from the 50,000: 100 per
class (seeds 0 and 1, averaged) and a stratified 10,000. Raw-pixel SVC is the
reference. The contenders are skae's own estimators:

- dense, ``loss="mse"`` (the default) and ``loss="bce"`` (a sigmoid output);
- conv (``architecture="conv"``), ``loss="mse"`` and ``loss="bce"``.

These are the numbers behind the recipe in the user guide and the pipelines of
``skae compare``.

    .venv/bin/python benchmarks/bench_validation.py      # ~10 min on 2 cores
"""

import argparse
import time
import warnings

import numpy as np
from _data import print_table, write_results
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer
from skae.datasets import fetch_fashion_mnist

CONTENDERS = {
    "dense, mse": {},
    "dense, bce": {"loss": "bce"},
    "conv, mse": {"architecture": "conv", "image_shape": (28, 28)},
    "conv, bce": {"architecture": "conv", "image_shape": (28, 28), "loss": "bce"},
}


def labeled_sets(X, y):
    """Two 100-per-class draws and one stratified 10,000, all from the pretraining images."""
    sets = {}
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        picks = np.concatenate(
            [rng.choice(np.flatnonzero(y == c), 100, replace=False) for c in range(10)]
        )
        sets[f"100/class seed {seed}"] = picks
    sets["10k"] = train_test_split(
        np.arange(len(y)), train_size=10_000, stratify=y, random_state=0
    )[0]
    return sets


def accuracies(train_features, val_features, y_train, y_val, sets):
    result = {}
    for scaled in (False, True):
        for name, rows in sets.items():
            svc = SVC(C=10)
            model = make_pipeline(StandardScaler(), svc) if scaled else svc
            model.fit(train_features[rows], y_train[rows])
            score = float(np.mean(model.predict(val_features) == y_val))
            result[f"{name}{' scaled' if scaled else ''}"] = score
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True, download_if_missing=False)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    sets = labeled_sets(X_train, y_train)
    results = {"raw pixels": {"seconds": 0.0, **accuracies(X_train, X_val, y_train, y_val, sets)}}
    print("raw pixels", results["raw pixels"], flush=True)
    for name, params in CONTENDERS.items():
        est = AutoencoderTransformer(64, max_iter=args.epochs, tol=0.0, random_state=0, **params)
        start = time.perf_counter()
        est.fit(X_train)
        seconds = time.perf_counter() - start
        features = est.transform(X_train), est.transform(X_val)
        results[name] = {
            "seconds": seconds,
            "final_loss": est.loss_curve_[-1],
            **accuracies(*features, y_train, y_val, sets),
        }
        print(name, results[name], flush=True)

    rows = []
    for name, r in results.items():
        scarce = np.mean([r["100/class seed 0"], r["100/class seed 1"]])
        scarce_scaled = np.mean([r["100/class seed 0 scaled"], r["100/class seed 1 scaled"]])
        rows.append(
            [
                name,
                f"{scarce:.4f}",
                f"{scarce_scaled:.4f}",
                f"{r['10k']:.4f}",
                f"{r['10k scaled']:.4f}",
                f"{r['seconds']:.0f}",
            ]
        )
    print()
    print_table(["features", "100/class", "100/class scaled", "10k", "10k scaled", "fit s"], rows)
    write_results("bench_validation", {"params": vars(args), "results": results})


if __name__ == "__main__":
    main()
