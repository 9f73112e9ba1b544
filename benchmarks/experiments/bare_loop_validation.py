"""Issue 38's bare PyTorch loop on the validation split, for the decision log.

``BareLoop`` of ``bench_time_to_accuracy.py`` (SGD with Nesterov momentum,
OneCycle to 0.1, batch 128, shifts and flips, float32) trained on the
50,000 images of ``bench_classifier_validation.py``'s split with every
label, for each of the epoch counts given, and scored on the 10,000 held
out, clean and at noise 0.1 and 0.2.

    .venv/bin/python benchmarks/experiments/bare_loop_validation.py 8   # ~10 min on 2 cores
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import EXPERIMENT_RESULTS_DIR, noisy_copies, write_results  # noqa: E402
from bench_time_to_accuracy import BareLoop  # noqa: E402

from skae.datasets import fetch_fashion_mnist  # noqa: E402


def main():
    train = fetch_fashion_mnist(subset="train", download_if_missing=False)
    X_train, X_val, y_train, y_val = train_test_split(
        train.data, train.target, test_size=10_000, stratify=train.target, random_state=0
    )
    runs = {}
    for epochs in map(int, sys.argv[1:] or ["8"]):
        start = time.perf_counter()
        model = BareLoop(epochs, seed=0).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = {
            str(level): float(np.mean(model.predict(X) == y_val))
            for level, X in noisy_copies(X_val).items()
        }
        runs[epochs] = {"seconds": seconds, "accuracy": accuracy}
        print(f"bare loop, {epochs} epochs: {accuracy}, {seconds:.0f} s", flush=True)
    write_results("bare_loop_validation", {"runs": runs}, EXPERIMENT_RESULTS_DIR)


if __name__ == "__main__":
    main()
