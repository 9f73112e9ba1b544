"""The quick check of the defaults: ``AutoencoderClassifier`` with nothing set, on digits.

``load_digits`` (pixels / 16), ``train_test_split(test_size=0.3, random_state=0,
stratify=y)``; from the training part, ``--labels-per-class`` labeled images per
class (label seeds ``0 .. --seeds - 1``), the rest marked -1. Rows:

- ``raw-svc``: ``SVC()`` on the labeled rows' pixels;
- ``defaults``: ``AutoencoderClassifier(image_shape=(8, 8), random_state=seed)``;
- ``defaults-flat``: ``AutoencoderClassifier(random_state=seed)`` on flat rows.

A run takes a minute or two on 2 cores, which is what it is for: a check to run
while the defaults change, before the Fashion-MNIST benchmarks.

    .venv/bin/python benchmarks/bench_digits_defaults.py --seeds 3
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skae import AutoencoderClassifier

MODELS = {
    "raw-svc": None,
    "defaults": lambda seed: AutoencoderClassifier(image_shape=(8, 8), random_state=seed),
    "defaults-flat": lambda seed: AutoencoderClassifier(random_state=seed),
}


def label_subset(y, per_class, seed):
    """Indices of ``per_class`` rows of each class, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == label), per_class, replace=False) for label in np.unique(y)]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labels-per-class", type=int, default=10)
    parser.add_argument("--rows", nargs="+", choices=list(MODELS), default=list(MODELS))
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    print(f"{'row':<15} {'seed':>4} {'accuracy':>9} {'fit s':>7}")
    results = {row: [] for row in args.rows}
    for seed in range(args.seeds):
        labeled = label_subset(y_train, args.labels_per_class, seed)
        y_semi = np.full(len(y_train), -1)
        y_semi[labeled] = y_train[labeled]
        for row in args.rows:
            start = time.perf_counter()
            if row == "raw-svc":
                model = SVC().fit(X_train[labeled], y_train[labeled])
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model = MODELS[row](seed).fit(X_train, y_semi)
            seconds = time.perf_counter() - start
            accuracy = model.score(X_test, y_test)
            results[row].append(accuracy)
            print(f"{row:<15} {seed:>4} {accuracy:>9.4f} {seconds:>7.1f}", flush=True)
    for row, scores in results.items():
        print(
            f"{row:<15} mean {np.mean(scores):.4f}  per seed {' '.join(f'{s:.3f}' for s in scores)}"
        )


if __name__ == "__main__":
    main()
