"""Why ``skae compare``'s fine-tuned rows on digits moved when they took the defaults.

The main job's split (``load_comparison_data("digits")``: 1347 training and 450
test images, every training image labeled) and its fine-tuned row
(``AutoencoderClassifier(16, architecture="conv", image_shape=(8, 8),
pretrain_iter=200, max_iter=30, precision="float32")``; ``--n-components``
sets the code size, ``--network dense`` the dense network on flat rows), with
the settings that differ between the recipe compare used before and the
defaults restored one by one. Rows:

- ``recipe``: ``FINETUNE_RECIPE`` as compare applied it to digits (no shifts,
  so no consistency; pseudo-labels and corrupted views, which without -1 rows
  leave only the corruption in pretraining: cutout squares on images, masking
  on flat rows), ``loss="bce"``, ``learning_rate="constant"``,
  ``augment_noise=0``, ``tol=0``;
- ``recipe-clean-pretraining``: the same, pretrained on clean rows;
- ``defaults``: the defaults, with the 30 fine-tuning epochs compare set
  until it took the classifier's own budget;
- ``defaults-constant``: the defaults with ``learning_rate="constant"``;
- ``defaults-corrupted-pretraining``: the defaults with the recipe's corruption
  in pretraining;
- ``defaults-tol-0``: the defaults with every epoch run (``tol=0``);
- ``defaults-own-budget``: the defaults with their own fine-tuning budget
  (``max_iter="auto"``): what compare builds now.

``--seeds N`` fits each row with ``random_state`` 0 to N-1 and prints the
mean and each seed's accuracy.

    .venv/bin/python benchmarks/experiments/bench_compare_finetuned.py --seeds 3 [--network dense]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderClassifier
from skae.cli import DEFAULT_EPOCHS
from skae.compare import load_comparison_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_classifier import FINETUNE_RECIPE  # noqa: E402

#: The corruption FINETUNE_RECIPE pretrained with: cutout views on images, masking on flat rows.
RECIPE_CORRUPTION = {
    "conv": {"corruption": "cutout", "corruption_level": 0.5},
    "dense": {"corruption": "masking", "corruption_level": 0.3},
}


def rows(network):
    """Each row's parameters on top of the network's, for ``--network``."""
    recipe = {
        **FINETUNE_RECIPE,
        **RECIPE_CORRUPTION[network],
        "augment_shift": 0,
        "augment_flip": False,
        "consistency_weight": 0.0,
        "loss": "bce",
        "learning_rate": "constant",
        "augment_noise": 0.0,
    }
    return {
        "recipe": recipe,
        "recipe-clean-pretraining": {**recipe, "corruption": None},
        "defaults": {},
        "defaults-constant": {"learning_rate": "constant"},
        "defaults-corrupted-pretraining": RECIPE_CORRUPTION[network],
        "defaults-tol-0": {"tol": 0.0},
        "defaults-own-budget": {"max_iter": "auto"},
    }


NETWORKS = {"conv": {"architecture": "conv", "image_shape": (8, 8)}, "dense": {}}
#: What compare set on every fine-tuned row of the digits job (its pretraining epochs and,
#: until it took the classifier's own budget, 30 fine-tuning epochs).
COMPARE = dict(
    pretrain_iter=DEFAULT_EPOCHS["digits"], max_iter=30, precision="float32", device="cpu"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=list(NETWORKS), default="conv")
    parser.add_argument("--rows", nargs="+", choices=list(rows("conv")), default=list(rows("conv")))
    parser.add_argument("--seeds", type=int, default=1, help="random_state 0, 1, ...")
    parser.add_argument("--n-components", type=int, default=16, help="the code size")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    data = load_comparison_data("digits")
    network_rows = rows(args.network)
    for row in args.rows:
        start = time.perf_counter()
        accuracies = []
        for seed in range(args.seeds):
            params = {**COMPARE, **NETWORKS[args.network], **network_rows[row]}
            classifier = AutoencoderClassifier(args.n_components, random_state=seed, **params)
            classifier.fit(data.X_train, data.y_train)
            accuracies.append(classifier.score(data.X_test, data.y_test))
        per_seed = " ".join(f"{a:.4f}" for a in accuracies)
        seconds = (time.perf_counter() - start) / args.seeds
        print(f"{row:<31} {np.mean(accuracies):.4f}  ({per_seed})  fit {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
