"""Time to accuracy: test accuracy against fit seconds, skae's defaults beside the baselines.

Fashion-MNIST's official split. With ``--labels-per-class N`` (0: every
label), N training images per class keep their label (drawn with the
seed) and the others are -1. Every contender is fitted and timed in one run
on the same machine, then scored on the 10,000 test images, clean and with
Gaussian noise of standard deviation 0.1 and 0.2 (clipped to [0, 1]):

- ``skae``: ``AutoencoderClassifier(image_shape=(28, 28), random_state=seed)``
  at each budget of ``--budgets`` (a JSON list of parameter dicts; ``{}`` is
  the defaults);
- ``bare``: a hand-written PyTorch loop (two blocks of two 3x3 convolutions
  with batch normalisation, 32 and 64 channels; SGD with Nesterov momentum,
  OneCycle to a rate of 0.1, batch 128; random shifts of 2 pixels and
  horizontal flips; float32) on the labeled images, at each of ``--epochs``;
- ``raw-svc``: ``SVC(C=10)`` on the labeled images' pixels;
- ``pca-svc``: ``PCA(64)``, a ``StandardScaler`` and ``SVC(C=10)``, PCA fitted
  on every training image.

Each contender runs ``--repeats`` times (seeds 0, 1, ...), in an order that
rotates from repeat to repeat; the table gives the median seconds and
accuracies, the JSON every run, and ``--plot`` draws accuracy against
seconds (the figure of the docs' "How fast is it?").

    .venv/bin/python benchmarks/bench_time_to_accuracy.py --labels-per-class 0 \\
        --budgets '[{}, {"max_iter": 15}]' --epochs 4 8 --repeats 3 --plot
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
import torch
from _data import NOISE_LEVELS, noisy_copies, print_table, write_results
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderClassifier, PretrainedClassifier
from skae.datasets import fetch_fashion_mnist


def labels(y, per_class, seed):
    """y with all but ``per_class`` labels per class set to -1 (0 keeps every label)."""
    if not per_class:
        return y
    rng = np.random.RandomState(seed)
    kept = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(10)]
    )
    scarce = np.full(len(y), -1)
    scarce[kept] = y[kept]
    return scarce


def bare_network():
    def block(c_in, c_out):
        return [
            torch.nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(c_out),
            torch.nn.ReLU(),
            torch.nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            torch.nn.BatchNorm2d(c_out),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
        ]

    return torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, 28, 28)),
        *block(1, 32),
        *block(32, 64),
        torch.nn.Flatten(),
        torch.nn.Linear(64 * 7 * 7, 10),
    )


class BareLoop:
    """The hand-written loop of the module docstring, fitted for ``epochs`` epochs."""

    def __init__(self, epochs, seed):
        self.epochs, self.seed = epochs, seed

    def fit(self, X, y):
        generator = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        mask = y != -1
        X, y = torch.from_numpy(X[mask]), torch.from_numpy(y[mask]).long()
        self.model = bare_network()
        steps = self.epochs * -(-len(X) // 128)
        optimizer = torch.optim.SGD(
            self.model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=steps)
        self.model.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(X), generator=generator)
            for start in range(0, len(X), 128):
                index = order[start : start + 128]
                images = _shift_and_flip(X[index].view(-1, 28, 28), generator).view(-1, 784)
                loss = torch.nn.functional.cross_entropy(self.model(images), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
        self.model.eval()
        return self

    def predict(self, X):
        with torch.inference_mode():
            return torch.cat(
                [
                    self.model(torch.from_numpy(X[i : i + 4096])).argmax(1)
                    for i in range(0, len(X), 4096)
                ]
            ).numpy()


def _shift_and_flip(images, generator):
    """Each image shifted by up to 2 pixels each way (zero padding) and flipped half the time."""
    n = len(images)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    dx, dy = (torch.randint(0, 5, (n,), generator=generator) for _ in range(2))
    rows = (dy[:, None] + torch.arange(28))[:, :, None]
    cols = (dx[:, None] + torch.arange(28))[:, None, :]
    shifted = padded[torch.arange(n)[:, None, None], rows, cols]
    flip = torch.rand(n, generator=generator) < 0.5
    shifted[flip] = shifted[flip].flip(-1)
    return shifted


def contenders(args, seed):
    """``{name: factory}`` of every model this run times."""
    models = {
        f"skae {json.dumps(budget)}": (
            lambda budget=budget: AutoencoderClassifier(
                image_shape=(28, 28), random_state=seed, **budget
            )
        )
        for budget in args.budgets
    }
    models |= {f"bare {e} epochs": (lambda e=e: BareLoop(e, seed)) for e in args.epochs}
    if not args.skip_svc:
        models["raw-svc"] = lambda: _Labeled(SVC(C=10))
        models["pca-svc"] = lambda: PretrainedClassifier(
            make_pipeline(PCA(64, random_state=seed), StandardScaler()), SVC(C=10)
        )
    return models


class _Labeled:
    """A classifier fitted on the labeled rows only (raw pixels know nothing of -1)."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.model.fit(X[y != -1], y[y != -1])
        return self

    def predict(self, X):
        return self.model.predict(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels-per-class", type=int, default=0, help="0: every label")
    parser.add_argument("--budgets", default="[{}]", help="JSON list of skae parameter dicts")
    parser.add_argument("--epochs", type=int, nargs="*", default=[8], help="the bare loop's")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-svc", action="store_true", help="leave out raw-svc and pca-svc")
    parser.add_argument("--plot", action="store_true", help="write the figure of the docs")
    parser.add_argument("--tag", default="", help="added to the JSON's name")
    args = parser.parse_args()
    args.budgets = json.loads(args.budgets)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    train = fetch_fashion_mnist(subset="train", download_if_missing=False)
    test = fetch_fashion_mnist(subset="test", download_if_missing=False)
    tests = noisy_copies(test.data)
    runs = {}
    for repeat in range(args.repeats):
        y = labels(train.target, args.labels_per_class, seed=repeat)
        models = list(contenders(args, seed=repeat).items())
        shift = repeat % len(models)
        for name, make in models[shift:] + models[:shift]:
            start = time.perf_counter()
            model = make().fit(train.data, y)
            seconds = time.perf_counter() - start
            accuracy = {
                str(level): float(np.mean(model.predict(X) == test.target))
                for level, X in tests.items()
            }
            runs.setdefault(name, []).append({"seconds": seconds, "accuracy": accuracy})
            print(f"repeat {repeat + 1}: {name}: {seconds:.0f} s, {accuracy}", flush=True)
    rows = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in measured),
            **{
                f"accuracy {level}": statistics.median(r["accuracy"][str(level)] for r in measured)
                for level in NOISE_LEVELS
            },
        }
        for name, measured in runs.items()
    }
    print_table(
        ["contender", "fit s", *(f"noise {level}" for level in NOISE_LEVELS)],
        [
            [
                name,
                f"{row['seconds']:.0f}",
                *(f"{row[f'accuracy {level}']:.4f}" for level in NOISE_LEVELS),
            ]
            for name, row in rows.items()
        ],
    )
    setting = f"labels{args.labels_per_class or 'all'}"
    name = f"bench_time_to_accuracy_{setting}{'_' + args.tag if args.tag else ''}"
    write_results(name, {"parameters": vars(args), "rows": rows, "runs": runs})
    if args.plot:
        plot(rows, setting)


def _family(name):
    """The line a contender is drawn on: its name without its budget of epochs."""
    if name.startswith("skae "):
        params = {k: v for k, v in json.loads(name[5:]).items() if k != "max_iter"}
        return f"skae {json.dumps(params)}" if params else "skae defaults"
    return name.split(" ")[0]


def plot(rows, setting):
    """Accuracy (clean and at noise 0.2) against fit seconds, to docs/_static."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    families = {}
    for name, row in rows.items():
        families.setdefault(_family(name), []).append(row)
    for color, (family, points) in enumerate(families.items()):
        points = sorted(points, key=lambda row: row["seconds"])
        seconds = [p["seconds"] for p in points]
        for level, style, shown in (("0.0", "-o", "clean"), ("0.2", ":x", "noise 0.2")):
            accuracy = [p[f"accuracy {level}"] for p in points]
            ax.plot(seconds, accuracy, style, color=f"C{color}", label=f"{family}, {shown}")
    ax.set_xscale("log")
    ax.set_xlabel("fit seconds (2 CPU cores)")
    ax.set_ylabel("test accuracy")
    labels = (
        "every label" if setting == "labelsall" else setting.replace("labels", "labels per class: ")
    )
    ax.set_title(f"Fashion-MNIST test set, {labels}: time to accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    path = (
        Path(__file__).resolve().parents[1] / "docs" / "_static" / f"time_to_accuracy_{setting}.png"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
