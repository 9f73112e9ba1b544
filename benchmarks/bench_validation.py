"""Choosing the image recipe without the test set: a validation split of the training set.

Fashion-MNIST's 60,000 training images are split (stratified, seed 0) into
50,000 for the autoencoders, unlabeled, and 10,000 held out for validation;
the official test set is never loaded. Each autoencoder (latent size 64,
exactly ``--epochs`` epochs, seed 0) feeds an RBF SVC(C=10), with and without
a StandardScaler, trained on labeled images drawn from the 50,000: 100 per
class (seeds 0 and 1, averaged) and a stratified 10,000. Raw-pixel SVC is the
reference. The contenders are skae's own estimators, plain (``corruption=None``):

- dense, ``loss="mse"`` (the default) and ``loss="bce"`` (a sigmoid output);
- conv (``architecture="conv"``), ``loss="mse"`` and ``loss="bce"``.

These are the numbers behind the recipe in the user guide and the pipelines of
``skae compare``.

``--labeled-only`` measures what a pipeline user gets instead:
``make_pipeline(AutoencoderTransformer(image_shape=(28, 28), random_state=seed,
**params), StandardScaler(), SVC())`` fitted on the 1,000 labeled images of
each 100-per-class draw alone (a pipeline has no use for unlabeled rows), with
the JSON ``--params`` (none: the defaults), against raw-pixel ``SVC()`` and
``SVC(C=10)``, each scored on the held-out images clean and with Gaussian
noise of standard deviation 0.1 and 0.2 (clipped to [0, 1]). This chose
AutoencoderTransformer's defaults on images.

    .venv/bin/python benchmarks/bench_validation.py      # ~10 min on 2 cores
    .venv/bin/python benchmarks/bench_validation.py --labeled-only --params '{"n_components": 32}'
"""

import argparse
import json
import time
import warnings

import numpy as np
from _data import noisy_copies, print_table, transformer_pipeline, write_results
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


def labeled_only(X_train, X_val, y_train, y_val, params):
    """The pipelines fitted on each 100-per-class draw alone, scored clean and noisy."""
    models = {
        "raw SVC()": lambda seed: SVC(),
        "raw SVC(C=10)": lambda seed: SVC(C=10),
        "pipeline": lambda seed: transformer_pipeline(seed, **params),
    }
    noisy, sets = noisy_copies(X_val), labeled_sets(X_train, y_train)
    results, rows = {}, []
    for name, make in models.items():
        for seed in (0, 1):
            picks = sets[f"100/class seed {seed}"]
            start = time.perf_counter()
            model = make(seed).fit(X_train[picks], y_train[picks])
            seconds = time.perf_counter() - start
            scores = {
                str(level): float(np.mean(model.predict(X) == y_val)) for level, X in noisy.items()
            }
            results[f"{name} seed {seed}"] = {"seconds": seconds, **scores}
            print(name, seed, results[f"{name} seed {seed}"], flush=True)
        runs = [results[f"{name} seed {seed}"] for seed in (0, 1)]
        rows.append(
            [name]
            + [f"{np.mean([r[str(level)] for r in runs]):.4f}" for level in noisy]
            + [f"{np.median([r['seconds'] for r in runs]):.0f}"]
        )
    print()
    print_table(["model (2 draws)", "clean", "noise 0.1", "noise 0.2", "fit s"], rows)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--labeled-only", action="store_true")
    parser.add_argument("--params", default="{}", help="with --labeled-only: JSON parameters")
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True, download_if_missing=False)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    name = f"bench_validation_{args.tag}" if args.tag else "bench_validation"
    if args.labeled_only:
        results = labeled_only(X_train, X_val, y_train, y_val, json.loads(args.params))
        write_results(name, {"params": vars(args), "results": results})
        return
    sets = labeled_sets(X_train, y_train)
    results = {"raw pixels": {"seconds": 0.0, **accuracies(X_train, X_val, y_train, y_val, sets)}}
    print("raw pixels", results["raw pixels"], flush=True)
    for name, params in CONTENDERS.items():
        est = AutoencoderTransformer(
            64, corruption=None, max_iter=args.epochs, tol=0.0, random_state=0, **params
        )
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
    write_results(name, {"params": vars(args), "results": results})


if __name__ == "__main__":
    main()
