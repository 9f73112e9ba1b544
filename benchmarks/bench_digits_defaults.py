"""The quick check of the defaults: ``AutoencoderClassifier`` with nothing set, on digits.

``load_digits`` (pixels / 16), ``train_test_split(test_size=0.3, random_state=0,
stratify=y)``; from the training part, ``--labels-per-class`` labeled images per
class (label seeds ``0 .. --seeds - 1``), the rest marked -1; ``--labels-per-class 0``
keeps every label. Rows:

- ``raw-svc``: ``SVC()`` on the labeled rows' pixels;
- ``defaults``: ``AutoencoderClassifier(image_shape=(8, 8), random_state=seed)``;
- ``defaults-flat``: ``AutoencoderClassifier(random_state=seed)`` on flat rows.

Each model is scored on the clean test images and on copies with Gaussian noise
of standard deviation 0.1 and 0.2 (clipped to [0, 1], drawn once: ``noisy_copies``
of ``_data.py``). ``--params`` (JSON) overrides parameters of the skae
rows, to try a candidate default. A run takes a minute or two on 2 cores, which
is what it is for: a check to run while the defaults change, before the
Fashion-MNIST benchmarks.

    .venv/bin/python benchmarks/bench_digits_defaults.py --seeds 3
    .venv/bin/python benchmarks/bench_digits_defaults.py --seeds 1 --labels-per-class 0 \
        --rows defaults --params '{"architecture": "conv", "augment_shift": 2}'
"""

import argparse
import json
import time
import warnings

import numpy as np
from _data import NOISE_LEVELS, noisy_copies
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skae import AutoencoderClassifier

MODELS = {
    "raw-svc": None,
    "defaults": lambda seed, params: AutoencoderClassifier(
        image_shape=(8, 8), random_state=seed, **params
    ),
    "defaults-flat": lambda seed, params: AutoencoderClassifier(random_state=seed, **params),
}


def label_subset(y, per_class, seed):
    """Indices of ``per_class`` rows of each class, drawn with ``seed``; all rows for 0."""
    if per_class == 0:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == label), per_class, replace=False) for label in np.unique(y)]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labels-per-class", type=int, default=10)
    parser.add_argument("--rows", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--params", default="{}", help="JSON parameters of the skae rows")
    args = parser.parse_args()
    params = json.loads(args.params)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    tests = noisy_copies(X_test)
    noise_headers = " ".join(f"{f'noise {level}':>9}" for level in NOISE_LEVELS[1:])
    print(f"{'row':<15} {'seed':>4} {'clean':>9} {noise_headers} {'fit s':>7}")
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
                    model = MODELS[row](seed, params).fit(X_train, y_semi)
            seconds = time.perf_counter() - start
            accuracies = [model.score(tests[level], y_test) for level in NOISE_LEVELS]
            results[row].append(accuracies)
            print(
                f"{row:<15} {seed:>4} {' '.join(f'{a:>9.4f}' for a in accuracies)} {seconds:>7.1f}",
                flush=True,
            )
    for row, scores in results.items():
        means = " ".join(f"{m:.4f}" for m in np.mean(scores, axis=0))
        clean = " ".join(f"{s[0]:.3f}" for s in scores)
        print(f"{row:<15} mean (clean, 0.1, 0.2) {means}; clean per seed {clean}")


if __name__ == "__main__":
    main()
