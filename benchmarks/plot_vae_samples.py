"""Samples of a convolutional VariationalAutoencoder trained on Fashion-MNIST.

Trains ``VariationalAutoencoder(16, architecture="conv", image_shape=(28, 28),
loss="bce")`` on all 60,000 training images for ``--epochs`` epochs, then
draws ``--rows x --columns`` samples from the prior with ``random_state=0``
and saves them as an image grid, beside a grid of real training images for
comparison, in ``docs/_static/vae_samples.png``. The settings, the loss curve
and the time go to ``benchmarks/results/vae_samples.json``.

    .venv/bin/python benchmarks/plot_vae_samples.py      # ~5 min on 2 cores
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _data import load_fashion_mnist_train, write_results
from sklearn.exceptions import ConvergenceWarning

from skae import VariationalAutoencoder

FIGURE = Path(__file__).resolve().parents[1] / "docs" / "_static" / "vae_samples.png"


def image_grid(ax, images, columns, title):
    rows = len(images) // columns
    grid = images.reshape(rows, columns, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, -1)
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--columns", type=int, default=8)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    X = load_fashion_mnist_train()
    vae = VariationalAutoencoder(
        args.n_components,
        architecture="conv",
        image_shape=(28, 28),
        loss="bce",
        max_iter=args.epochs,
        tol=0.0,
        random_state=0,
        verbose=1,
    )
    start = time.perf_counter()
    vae.fit(X)
    seconds = time.perf_counter() - start
    n_images = args.rows * args.columns
    samples = vae.sample(n_images, random_state=0)
    real = X[np.random.default_rng(0).choice(len(X), n_images, replace=False)]

    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    image_grid(left, real, args.columns, "training images")
    image_grid(right, samples, args.columns, f"VAE samples (prior draws, {args.epochs} epochs)")
    FIGURE.parent.mkdir(exist_ok=True)
    fig.savefig(FIGURE, dpi=100)
    print(f"wrote {FIGURE}")
    write_results(
        "vae_samples",
        {
            "params": vars(args),
            "fit_seconds": seconds,
            "loss_curve": vae.loss_curve_,
            "figure": str(FIGURE.relative_to(FIGURE.parents[2])),
        },
    )


if __name__ == "__main__":
    main()
