"""Tuning AutoencoderClassifier with scarce labels, on a validation split only.

Fashion-MNIST's 60,000 training images split (stratified, seed 0) into
50,000 for training and 10,000 held out; the official test set is never
loaded. 100 images per class of the 50,000 keep their label (``--seed``
draws them; ``--labels-per-class`` changes the 100, 0 keeps every label),
the rest are unlabeled (-1). One ``AutoencoderClassifier``
(conv, ``loss="bce"``, a code of 64, plus the JSON ``--params``; with
``--defaults``, ``image_shape=(28, 28)`` and the seed plus ``--params``
only) is fitted and scored on the 10,000 held out, clean and with Gaussian
noise of standard deviation 0.1 and 0.2 (clipped to [0, 1]). This is how the
fine-tuning recipe of ``skae compare`` and the defaults are chosen;
``bench_classifier.py`` then measures them on the test set.

    .venv/bin/python benchmarks/bench_classifier_validation.py --tag pseudo-labels \\
        --params '{"pretrain_iter": 5, "max_iter": 15, "tol": 0, "augment_shift": 2,
                   "augment_flip": true, "pseudo_label_threshold": 0.95,
                   "corruption": "masking", "corruption_level": 0.3}'
"""

import argparse
import json
import time
import warnings

import numpy as np
from _data import NOISE_LEVELS, noisy_copies, write_results
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import AutoencoderClassifier
from skae.datasets import fetch_fashion_mnist


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", required=True, help="name of the run, in the JSON file name")
    parser.add_argument("--params", default="{}", help="AutoencoderClassifier parameters, JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--labels-per-class", type=int, default=100, help="0: every training image is labeled"
    )
    parser.add_argument(
        "--defaults", action="store_true", help="start from the defaults, not the conv network"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True, download_if_missing=False)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    rng = np.random.RandomState(args.seed)
    y_scarce = y_train
    if args.labels_per_class:
        labeled = np.concatenate(
            [
                rng.choice(np.flatnonzero(y_train == c), args.labels_per_class, replace=False)
                for c in range(10)
            ]
        )
        y_scarce = np.full(len(y_train), -1)
        y_scarce[labeled] = y_train[labeled]
    params = dict(image_shape=(28, 28), random_state=args.seed, verbose=1)
    if not args.defaults:
        params.update(n_components=64, architecture="conv", loss="bce")
    params.update(json.loads(args.params))
    start = time.perf_counter()
    clf = AutoencoderClassifier(**params).fit(X_train, y_scarce)
    seconds = time.perf_counter() - start
    accuracies = {
        level: float(np.mean(clf.predict(X) == y_val)) for level, X in noisy_copies(X_val).items()
    }
    accuracy = accuracies[NOISE_LEVELS[0]]
    noisy = ", ".join(f"noise {level}: {a:.4f}" for level, a in accuracies.items() if level)
    print(f"{args.tag}: validation accuracy {accuracy:.4f} ({noisy}), fit {seconds:.0f} s")
    write_results(
        f"classifier_validation_{args.tag}",
        {
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "seed": args.seed,
            "labels_per_class": args.labels_per_class,
            "validation_accuracy": accuracy,
            "noisy_validation_accuracy": {str(k): v for k, v in accuracies.items()},
            "fit_seconds": seconds,
            "n_iter": clf.n_iter_,
            "loss_curve": clf.loss_curve_,
            "pretrain_loss_curve": clf.pretrain_loss_curve_,
        },
    )


if __name__ == "__main__":
    main()
