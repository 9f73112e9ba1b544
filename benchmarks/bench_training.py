"""Seconds per training epoch: skae vs a careful bare torch loop vs skorch.

All contenders train the same network (MSE, Adam with foreach=True, lr 1e-3,
no weight decay, batch 256, reshuffled every epoch) on Fashion-MNIST for
``--epochs`` epochs:

- ``--architecture dense`` (default): the 784-256-64-256-784 ReLU autoencoder;
- ``--architecture conv``: skae's default convolutional autoencoder on 28x28
  images (two stride-2 3x3 convolutions with 32 and 64 channels, a linear
  code of 64, the transposed mirror), written out by hand below; the bare
  loop also runs in channels-last memory format (``bare-channels-last``).

Each repeat runs every contender once, in an order rotated every repeat, so
machine noise hits all of them alike. Reported: median seconds per epoch
(whole ``fit`` wall time / epochs), the median of the per-repeat ratios to
the bare loop, and the final training loss.

    .venv/bin/python benchmarks/bench_training.py               # dense, defaults
    .venv/bin/python benchmarks/bench_training.py --architecture conv --epochs 1
    .venv/bin/python benchmarks/bench_training.py --epochs 1 --repeats 2 --n-samples 10000
"""

import argparse
import os
import statistics
import time
import warnings

import torch
from _data import (
    data_source,
    load_fashion_mnist_train,
    print_table,
    write_results,
)
from sklearn.exceptions import ConvergenceWarning
from torch import nn
from torch.nn import functional as F

from skae import AutoencoderTransformer


class DenseAutoencoder(nn.Module):
    """n_features -> hidden -> code -> hidden -> n_features, ReLU after hidden layers.

    Built like skae's dense architecture (``skae.nn.dense_encoder`` and
    ``dense_decoder``): encoder then decoder, each an ``nn.Sequential`` of
    ``nn.Linear`` layers with torch's default initialisation.
    """

    def __init__(self, n_features=784, hidden=256, n_components=64):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, n_components)
        )
        self.decoder = nn.Sequential(
            nn.Linear(n_components, hidden), nn.ReLU(), nn.Linear(hidden, n_features)
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ConvAutoencoder(nn.Module):
    """28x28 -> conv 3x3/2 (32) -> conv 3x3/2 (64) -> linear code, and the transposed mirror.

    The same layers as skae's ``architecture="conv"`` with ``conv_channels=(32, 64)``
    on 28x28 images, where no cropping is needed.
    """

    def __init__(self, n_components=64, channels=(32, 64)):
        super().__init__()
        first, second = channels
        self.encoder = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, first, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(first, second, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(second * 7 * 7, n_components),
        )
        self.decoder = nn.Sequential(
            nn.Linear(n_components, second * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (second, 7, 7)),
            nn.ConvTranspose2d(second, first, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(first, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Flatten(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def bare_network(args):
    if args.architecture == "conv":
        return ConvAutoencoder(args.n_components)
    return DenseAutoencoder(784, args.hidden, args.n_components)


def run_bare(X, args, seed, channels_last=False):
    """A careful hand-written loop; returns (seconds, final epoch's mean loss)."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = bare_network(args)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    X_t = torch.from_numpy(X)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(args.epochs):
        shuffled = X_t[torch.randperm(len(X_t), generator=generator)]
        loss_sum = torch.zeros(())
        for i in range(0, len(shuffled), args.batch_size):
            batch = shuffled[i : i + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(batch), batch)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(batch)
        final_loss = loss_sum.item() / len(shuffled)
    return time.perf_counter() - start, final_loss


def run_bare_channels_last(X, args, seed):
    return run_bare(X, args, seed, channels_last=True)


def skae_estimator(args, seed, device="cpu", **params):
    """skae's AutoencoderTransformer with the contenders' network and settings."""
    return AutoencoderTransformer(
        args.n_components,
        architecture=args.architecture,
        image_shape=(28, 28) if args.architecture == "conv" else None,
        corruption=None,  # the bare torch loops train on clean images, with the MSE
        loss="mse",
        hidden_layer_sizes=(args.hidden,),
        alpha=0.0,
        batch_size=args.batch_size,
        max_iter=args.epochs,
        n_iter_no_change=args.epochs,
        device=device,
        random_state=seed,
        **params,
    )


def run_skae(X, args, seed):
    est = skae_estimator(args, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    seconds = time.perf_counter() - start
    assert est.n_iter_ == args.epochs, est.n_iter_
    return seconds, est.loss_curve_[-1]


def skorch_net(args, n_features, device="cpu"):
    """skorch's NeuralNetRegressor on the same module, loss and optimizer.

    It is fitted on numpy arrays, so on a GPU its DataLoader copies every
    batch from host memory: skorch's usual data path.
    """
    from skorch import NeuralNetRegressor

    module = {"conv": ConvAutoencoder, "dense": DenseAutoencoder}[args.architecture]
    module_params = {"module__n_components": args.n_components}
    if args.architecture == "dense":
        module_params.update(module__n_features=n_features, module__hidden=args.hidden)
    return NeuralNetRegressor(
        module,
        **module_params,
        criterion=nn.MSELoss,
        optimizer=torch.optim.Adam,
        optimizer__foreach=True,
        lr=1e-3,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        iterator_train__shuffle=True,
        train_split=None,
        device=device,
        verbose=0,
    )


def run_skorch(X, args, seed):
    start = time.perf_counter()
    torch.manual_seed(seed)
    net = skorch_net(args, X.shape[1]).fit(X, X)
    return time.perf_counter() - start, float(net.history[-1, "train_loss"])


CONTENDERS = {
    "bare": run_bare,
    "bare-channels-last": run_bare_channels_last,
    "skae": run_skae,
    "skorch": run_skorch,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    parser.add_argument("--n-samples", type=int, default=60000, help="training rows (max 60000)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--n-components", type=int, default=64)
    parser.add_argument("--architecture", choices=["dense", "conv"], default="dense")
    parser.add_argument(
        "--contenders",
        nargs="+",
        choices=list(CONTENDERS),
        help="default: bare, skae, skorch; conv adds bare-channels-last",
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up")
    args = parser.parse_args()
    if args.contenders is None:
        args.contenders = ["bare", "skae", "skorch"]
        if args.architecture == "conv":
            args.contenders.insert(1, "bare-channels-last")
    if "bare" not in args.contenders:
        parser.error("the bare loop is the baseline; keep it in --contenders")

    X = load_fashion_mnist_train()[: args.n_samples]
    source = data_source()
    print(f"data: {source} {X.shape} {X.dtype}; torch threads: {torch.get_num_threads()}")
    print(f"{args.epochs} epoch(s) per run, {args.repeats} repeats, batch {args.batch_size}")

    if not args.no_warmup:  # first-call costs (lazy imports, oneDNN kernels) are not timed
        warm = argparse.Namespace(**{**vars(args), "epochs": 1})
        for name in args.contenders:
            CONTENDERS[name](X[:8192], warm, seed=0)

    names = args.contenders
    seconds = {name: [] for name in names}
    losses = {name: [] for name in names}
    cpu = {name: [] for name in names}  # process CPU seconds per epoch (all threads)
    loadavg = []  # 1-minute load average after each repeat, to spot machine noise
    for r in range(args.repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            cpu_start = time.process_time()
            t, loss = CONTENDERS[name](X, args, seed=r)
            cpu[name].append((time.process_time() - cpu_start) / args.epochs)
            seconds[name].append(t / args.epochs)
            losses[name].append(loss)
        loadavg.append(os.getloadavg()[0])
        print(
            f"repeat {r + 1}/{args.repeats} ({' -> '.join(order)}): "
            + "  ".join(f"{n} {seconds[n][-1]:.3f}s/ep" for n in names)
            + f"  (load avg {loadavg[-1]:.2f})",
            flush=True,
        )

    results = {}
    rows = []
    for name in names:
        ratios = [s / b for s, b in zip(seconds[name], seconds["bare"], strict=True)]
        results[name] = {
            "seconds_per_epoch": seconds[name],
            "cpu_seconds_per_epoch": cpu[name],
            "median_seconds_per_epoch": statistics.median(seconds[name]),
            "ratio_to_bare_per_repeat": ratios,
            "median_ratio_to_bare": statistics.median(ratios),
            "min_seconds_per_epoch": min(seconds[name]),
            "ratio_of_mins_to_bare": min(seconds[name]) / min(seconds["bare"]),
            "final_train_loss": losses[name],
            "median_final_train_loss": statistics.median(losses[name]),
        }
        rows.append(
            [
                name,
                f"{results[name]['median_seconds_per_epoch']:.3f}",
                f"{min(seconds[name]):.3f}-{max(seconds[name]):.3f}",
                f"{results[name]['median_ratio_to_bare']:.3f}",
                f"{results[name]['ratio_of_mins_to_bare']:.3f}",
                f"{results[name]['median_final_train_loss']:.5f}",
            ]
        )
    print()
    print_table(
        [
            "contender",
            "median s/epoch",
            "range",
            "ratio to bare (median)",
            "ratio of mins",
            "final train loss",
        ],
        rows,
    )
    if "skae" in results:
        ratio = results["skae"]["median_ratio_to_bare"]
        print(f"\nskae/bare = {ratio:.3f} (target <= 1.10: {'met' if ratio <= 1.10 else 'MISSED'})")
    if "skae" in results and "skorch" in results:
        faster = (
            results["skorch"]["median_seconds_per_epoch"]
            > (results["skae"]["median_seconds_per_epoch"])
        )
        print(f"skorch slower than skae: {'yes' if faster else 'NO'}")

    network = f"{X.shape[1]}-{args.hidden}-{args.n_components}-{args.hidden}-{X.shape[1]}"
    if args.architecture == "conv":
        network = f"conv 1x28x28 -(32)-(64)-{args.n_components} and mirror"
    write_results(
        "bench_training" if args.architecture == "dense" else "bench_training_conv",
        {
            "data": source,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "params": vars(args),
            "network": network,
            "results": results,
            "load_average_after_each_repeat": loadavg,
            "note": "seconds_per_epoch = whole fit wall time / epochs; "
            "final_train_loss = mean MSE over the last epoch's batches",
        },
    )


if __name__ == "__main__":
    main()
