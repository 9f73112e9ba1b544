"""Why ``skae compare``'s fine-tuned conv row on digits moved when it took the defaults.

The main job's split (``load_comparison_data("digits")``: 1347 training and 450
test images, every training image labeled) and its fine-tuned conv row
(``AutoencoderClassifier(16, architecture="conv", image_shape=(8, 8),
pretrain_iter=100, max_iter=30, precision="float32", random_state=0)``), with
the settings that differ between the recipe compare used before and the
defaults restored one by one. Rows:

- ``recipe``: ``FINETUNE_RECIPE`` as compare applied it to 8x8 digits (no
  shifts, so no consistency; pseudo-labels and cutout views, which without
  -1 rows leave only cutout corruption in pretraining), ``loss="bce"``,
  ``learning_rate="constant"``, ``augment_noise=0``, ``tol=0``;
- ``recipe-without-cutout``: the same, pretrained on clean images;
- ``defaults``: what compare builds now;
- ``defaults-constant``: the defaults with ``learning_rate="constant"``;
- ``defaults-with-cutout``: the defaults with cutout views (0.5) in pretraining.

    .venv/bin/python benchmarks/bench_compare_finetuned.py
"""

import argparse
import time
import warnings

from bench_classifier import FINETUNE_RECIPE
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderClassifier
from skae.compare import load_comparison_data

RECIPE = {
    **FINETUNE_RECIPE,
    "augment_shift": 0,
    "augment_flip": False,
    "consistency_weight": 0.0,
    "loss": "bce",
    "learning_rate": "constant",
    "augment_noise": 0.0,
}
CUTOUT = {"corruption": "cutout", "corruption_level": 0.5}
ROWS = {
    "recipe": RECIPE,
    "recipe-without-cutout": {**RECIPE, "corruption": None},
    "defaults": {},
    "defaults-constant": {"learning_rate": "constant"},
    "defaults-with-cutout": CUTOUT,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    data = load_comparison_data("digits")
    for row in args.rows:
        start = time.perf_counter()
        classifier = AutoencoderClassifier(
            16, architecture="conv", image_shape=(8, 8), pretrain_iter=100, max_iter=30,
            precision="float32", device="cpu", random_state=0, **ROWS[row],
        )  # fmt: skip
        classifier.fit(data.X_train, data.y_train)
        accuracy = classifier.score(data.X_test, data.y_test)
        print(f"{row:<22} {accuracy:.4f}  fit {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
