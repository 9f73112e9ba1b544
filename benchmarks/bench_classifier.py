"""Classifying Fashion-MNIST with scarce labels: raw pixels vs unlabeled pretraining vs fine-tuning.

Label-scarce setting: 100 labeled images per class (1,000), the other 59,000
training images unlabeled (label -1), scored on the official 10,000 test
images; ``--seeds`` draws of the labeled subset (seed s also seeds every
model). Rows (``--rows`` picks some):

- ``defaults``: ``AutoencoderClassifier(image_shape=(28, 28), random_state=seed)``,
  nothing else set: the defaults, which resolve to ``vgg+recipe``'s network,
  signals and budget, with noisy views (``augment_noise``) and without flips
  (``--defaults-params`` sets JSON parameters on it, to try a new default);
- ``raw-svc``: SVC(C=10) on the 1,000 labeled images' pixels;
- ``raw-default-svc``: ``SVC()`` on the same pixels, the transformer pipeline's
  classifier without the transformer;
- ``transformer-pipeline``: ``make_pipeline(AutoencoderTransformer(image_shape=(28, 28),
  random_state=seed), StandardScaler(), SVC())``, the transformer's defaults, fitted on the
  labeled images only (a pipeline has no use for -1 rows);
- ``pca-svc``: ``PretrainedClassifier(PCA(64) + StandardScaler, SVC(C=10))``;
- ``conv-svc``: ``PretrainedClassifier(conv autoencoder + StandardScaler, SVC(C=10))``;
- ``augmented-svc``: ``conv-svc`` with ``AugmentedClassifier``: 4 synthetic
  images per labeled one, interpolated between same-class codes;
- ``finetuned``: ``AutoencoderClassifier`` (conv), supervised fine-tuning with
  shifts and flips only;
- ``finetuned+reconstruction``, ``+consistency``, ``+pseudo-labels``: one
  semi-supervised signal each;
- ``finetuned+recipe``: the recipe ``skae compare`` used before the defaults
  (``FINETUNE_RECIPE``);
- ``vgg+recipe``: the same signals on the VGG-style network with a cosine
  learning-rate schedule, in bfloat16 (``VGG_RECIPE``; its own epoch budget).

The autoencoders use ``loss="bce"`` and a code of 64, pretrained for
``--pretrain-epochs``; fine-tuning runs ``--finetune-epochs`` (passes over the
unlabeled images). ``--labels-per-class 0`` runs the rows on all 60,000 labels
instead (the seeds then only seed the models). ``--full-labels`` adds the
fine-tuned classifier on all 60,000 labeled images: ``AutoencoderClassifier(image_shape=(28, 28),
random_state=0)`` with the JSON ``--full-labels-params`` (none by default: the
defaults; ``FULL_LABELS_RECIPE`` with ``augment_flip=True`` is the recipe they
replace). Every model is scored on the clean test images and on copies with
Gaussian noise of standard deviation 0.1 and 0.2, clipped to [0, 1] and drawn
once (``noisy_copies`` of ``_data.py``).

    .venv/bin/python benchmarks/bench_classifier.py --seeds 3 --rows raw-svc defaults
    .venv/bin/python benchmarks/bench_classifier.py --labels-per-class 0 --seeds 1 \
        --rows raw-svc raw-default-svc transformer-pipeline --tag all-labels
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
from _data import NOISE_LEVELS, noisy_copies, print_table, transformer_pipeline, write_results
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import (
    AugmentedClassifier,
    AutoencoderAugmenter,
    AutoencoderClassifier,
    AutoencoderTransformer,
    PretrainedClassifier,
)
from skae.compare import load_comparison_data

# The fine-tuning recipe that skae compare used until the classifier's defaults took its place;
# the recorded finetuned+recipe rows, and bench_speed.py's classifier, train with it.
FINETUNE_RECIPE = dict(
    augment_shift=2,
    augment_flip=True,
    pseudo_label_threshold=0.95,
    corruption="cutout",
    corruption_level=0.5,
    consistency_weight=1.0,
    tol=0.0,
)
IMAGES = dict(architecture="conv", image_shape=(28, 28), loss="bce", n_components=64)
SHIFTS = dict(augment_shift=2, augment_flip=True)
# The VGG-style network with a cosine schedule, in bfloat16; with it, the recipes below were
# chosen on the validation split of bench_classifier_validation.py, never on the test set.
VGG = dict(architecture="vgg", n_components=128, learning_rate="cosine", precision="bfloat16")
# All labels (--labels-per-class 0): 0.9374 on the validation split; alpha as it was then (the
# default for images with every row labeled is 0.1 since 2026-12-05).
FULL_LABELS_RECIPE = dict(**VGG, batch_size=256, pretrain_iter=2, max_iter=30, alpha=1e-4)
# 100 labels per class, with FINETUNE_RECIPE's signals: 0.8882 on the validation split.
VGG_RECIPE = dict(**VGG, **FINETUNE_RECIPE, pretrain_iter=5, max_iter=30)


def conv_autoencoder(args, seed):
    return AutoencoderTransformer(
        max_iter=args.pretrain_epochs, tol=0.0, random_state=seed, corruption=None, **IMAGES
    )


def finetuned(args, seed, **params):
    """The fine-tuned classifier; ``params`` (signals, a recipe) override the defaults."""
    defaults = dict(
        pretrain_iter=args.pretrain_epochs,
        max_iter=args.finetune_epochs,
        random_state=seed,
        tol=0.0,
        **IMAGES,
    )
    return AutoencoderClassifier(**{**defaults, **params})


ROWS = {
    "defaults": lambda args, seed: AutoencoderClassifier(
        image_shape=(28, 28), random_state=seed, **json.loads(args.defaults_params)
    ),
    "raw-svc": None,  # fitted on the labeled rows only, in run_row
    "raw-default-svc": None,  # likewise
    "transformer-pipeline": None,  # likewise
    "pca-svc": lambda args, seed: PretrainedClassifier(
        make_pipeline(PCA(64, random_state=seed), StandardScaler()), SVC(C=10)
    ),
    "conv-svc": lambda args, seed: PretrainedClassifier(
        make_pipeline(conv_autoencoder(args, seed), StandardScaler()), SVC(C=10)
    ),
    "augmented-svc": None,  # built in run_row: it needs the fitted autoencoder
    "finetuned": lambda args, seed: finetuned(args, seed, **SHIFTS),
    "finetuned+reconstruction": lambda args, seed: finetuned(
        args, seed, reconstruction_weight=1.0, **SHIFTS
    ),
    "finetuned+consistency": lambda args, seed: finetuned(
        args, seed, consistency_weight=1.0, **SHIFTS
    ),
    "finetuned+pseudo-labels": lambda args, seed: finetuned(
        args, seed, pseudo_label_threshold=0.95, **SHIFTS
    ),
    "finetuned+recipe": lambda args, seed: finetuned(args, seed, **FINETUNE_RECIPE),
    "vgg+recipe": lambda args, seed: finetuned(args, seed, **VGG_RECIPE),
}


def run_row(name, args, data, seed):
    """Fit one row's model; returns (accuracy at each noise level, fit seconds)."""
    start = time.perf_counter()
    if name in ("raw-svc", "raw-default-svc"):
        model = SVC(C=10 if name == "raw-svc" else 1.0).fit(data.X_labeled, data.y_labeled)
    elif name == "transformer-pipeline":
        model = transformer_pipeline(seed).fit(data.X_labeled, data.y_labeled)
    elif name == "augmented-svc":
        autoencoder = conv_autoencoder(args, seed).fit(data.X_train)
        augmenter = AutoencoderAugmenter(
            FrozenEstimator(autoencoder), n_per_sample=4, random_state=seed
        )
        model = AugmentedClassifier(
            # Frozen: fitted once, on every training image, never refitted on the augmented rows.
            PretrainedClassifier(
                make_pipeline(FrozenEstimator(autoencoder), StandardScaler()), SVC(C=10)
            ),
            augmenter,
        )
        model.fit(data.X_labeled, data.y_labeled)
    else:
        model = ROWS[name](args, seed).fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    return noisy_accuracies(model, data), seconds


def noisy_accuracies(model, data):
    """``{noise level: accuracy}`` on the test images, clean and noisy."""
    return {
        level: float(np.mean(model.predict(X) == data.y_test))
        for level, X in noisy_copies(data.X_test).items()
    }


def describe(accuracies):
    return ", ".join(f"noise {level}: {a:.4f}" for level, a in accuracies.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--seeds", type=int, default=3, help="how many label seeds")
    parser.add_argument("--first-seed", type=int, default=0, help="the first label seed")
    parser.add_argument(
        "--labels-per-class", type=int, default=100, help="labeled images per class (0: all)"
    )
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--finetune-epochs", type=int, default=30)
    parser.add_argument("--full-labels", action="store_true")
    parser.add_argument(
        "--full-labels-params",
        default="{}",
        help="JSON parameters of the full-labels classifier (default: none, the defaults)",
    )
    parser.add_argument(
        "--defaults-params",
        default="{}",
        help="JSON parameters set on the 'defaults' row (default: none; to try a new default)",
    )
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        data = load_comparison_data(
            "fashion-mnist",
            labels_per_class=args.labels_per_class or None,
            random_state=seed,
            download_if_missing=False,
        )
        for name in args.rows:
            accuracies, seconds = run_row(name, args, data, seed)
            runs.append(
                {
                    "row": name,
                    "seed": seed,
                    "accuracy": accuracies[0.0],
                    "noisy_accuracy": {str(level): a for level, a in accuracies.items()},
                    "fit_seconds": seconds,
                }
            )
            print(f"seed {seed} {name}: {describe(accuracies)}, fit {seconds:.0f} s", flush=True)
    full = None
    if args.full_labels:
        data = load_comparison_data("fashion-mnist", download_if_missing=False)
        start = time.perf_counter()
        params = json.loads(args.full_labels_params)
        model = AutoencoderClassifier(image_shape=(28, 28), random_state=0, **params)
        model.fit(data.X_train, data.y_train)
        seconds = time.perf_counter() - start
        accuracies = noisy_accuracies(model, data)
        full = {
            "params": params,
            "accuracy": accuracies[0.0],
            "noisy_accuracy": {str(level): a for level, a in accuracies.items()},
            "fit_seconds": seconds,
        }
        print(f"full labels, fine-tuned: {full}", flush=True)

    table = []
    for name in args.rows if runs else []:
        picked = [r for r in runs if r["row"] == name]
        accuracies = [r["accuracy"] for r in picked]
        spread = f" ± {statistics.stdev(accuracies):.4f}" if len(picked) > 1 else ""
        noisy = [
            f"{statistics.mean(r['noisy_accuracy'][str(level)] for r in picked):.4f}"
            for level in NOISE_LEVELS[1:]
        ]
        table.append(
            [
                name,
                f"{statistics.mean(accuracies):.4f}{spread}",
                " ".join(f"{a:.4f}" for a in accuracies),
                *noisy,
                f"{statistics.median(r['fit_seconds'] for r in picked):.0f}",
            ]
        )
    print()
    noise_headers = [f"noise {level}" for level in NOISE_LEVELS[1:]]
    print_table(["row", "accuracy", "per seed", *noise_headers, "fit s (median)"], table)
    name = f"bench_classifier_{args.tag}" if args.tag else "bench_classifier"
    write_results(name, {"params": vars(args), "runs": runs, "full_labels": full})


if __name__ == "__main__":
    main()
