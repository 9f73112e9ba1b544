"""Averaged weights for the all-label defaults, on the validation split only.

One ``AutoencoderClassifier(image_shape=(28, 28), random_state=0)`` is
fitted, as ``bench_classifier_validation.py --labels-per-class 0 --defaults``
fits it, on 50,000 of Fashion-MNIST's training images (every one labeled);
while it fine-tunes, averages of its weights and batch-norm statistics are
kept beside it: exponential moving averages (with the warm-up of timm's
``ModelEmaV2``) and uniform averages of the last steps (stochastic weight
averaging). Averaging draws no random numbers, so training runs as without
it. After the fit each average is loaded into the network and scored on the
10,000 held-out images, clean and with Gaussian noise of standard deviation
0.1 and 0.2 (clipped to [0, 1]), beside the trained weights themselves.

    .venv/bin/python benchmarks/experiments/bench_weight_averaging.py
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import AutoencoderClassifier
from skae.datasets import fetch_fashion_mnist
from skae.nn import _training
from skae.nn._modules import ClassifierNetwork

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import (  # noqa: E402
    EXPERIMENT_RESULTS_DIR,
    NOISE_LEVELS,
    noisy_copies,
    print_table,
    write_results,
)

EMA_DECAYS = (0.999, 0.9995, 0.9998)
#: Uniform averages over the steps from these fractions of fine-tuning on.
SWA_STARTS = (0.5, 0.75)


class Averages:
    """The averaged state dicts of one fine-tuning, updated after each of its steps."""

    def __init__(self, total_steps):
        self.total_steps = total_steps
        self.steps = 0
        self.weights = {}
        self.counts = {}

    def update(self, model):
        self.steps += 1
        state = {
            name: value.detach().float() if value.is_floating_point() else value.detach()
            for name, value in model.state_dict().items()
        }
        for decay in EMA_DECAYS:
            rate = 1 - min(decay, (1 + self.steps) / (10 + self.steps))
            self._move(
                f"EMA {decay}", state, lambda average, value, r=rate: average.lerp_(value, r)
            )
        for start in SWA_STARTS:
            if self.steps >= start * self.total_steps:
                name = f"uniform, last {1 - start:.0%} of steps"
                n = self.counts.get(name, 0)
                self.counts[name] = n + 1
                self._move(name, state, lambda a, v, n=n: a.mul_(n / (n + 1)).add_(v / (n + 1)))

    def _move(self, name, state, step):
        if name not in self.weights:
            self.weights[name] = {key: value.clone() for key, value in state.items()}
            return
        for key, value in state.items():
            average = self.weights[name][key]
            if average.is_floating_point():
                step(average, value)
            else:  # the batch count of batch normalisation
                average.copy_(value)


def averaging_train_step(averages):
    """``TrainStep.__call__`` that also updates ``averages`` after each fine-tuning step."""
    plain = _training.TrainStep.__call__

    def call(step, batch):
        loss = plain(step, batch)
        if isinstance(step.model, ClassifierNetwork):  # fine-tuning, not pretraining
            averages.update(step.model)
        return loss

    return call


def main():
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = fetch_fashion_mnist(subset="train", return_X_y=True, download_if_missing=False)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=10_000, stratify=y, random_state=0
    )
    clf = AutoencoderClassifier(image_shape=(28, 28), random_state=0, verbose=1)
    # The defaults' supervised budget: 54 epochs of ceil(50,000 / 256) steps.
    averages = Averages(total_steps=54 * 196)
    _training.TrainStep.__call__ = averaging_train_step(averages)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    trained = {name: value.clone() for name, value in clf.module_.state_dict().items()}
    copies = noisy_copies(X_val)
    results = {}
    for name, weights in [("trained weights (the defaults)", trained), *averages.weights.items()]:
        clf.module_.load_state_dict(
            {key: value.to(trained[key].dtype) for key, value in weights.items()}
        )
        results[name] = {
            str(level): float(np.mean(clf.predict(Xn) == y_val)) for level, Xn in copies.items()
        }
    print_table(
        ["weights", *(f"noise {level}" for level in NOISE_LEVELS)],
        [[name, *(f"{a:.4f}" for a in row.values())] for name, row in results.items()],
    )
    print(f"fine-tuning steps {averages.steps}, fit {seconds:.0f} s")
    write_results(
        "weight_averaging_validation",
        {"validation_accuracy": results, "steps": averages.steps, "fit_seconds": seconds},
        EXPERIMENT_RESULTS_DIR,
    )


if __name__ == "__main__":
    main()
