"""Seconds per training epoch: skae vs a careful bare torch loop vs skorch.

All three train the same 784-256-64-256-784 ReLU autoencoder (MSE, Adam with
foreach=True, lr 1e-3, no weight decay, batch 256, reshuffled every epoch) on
Fashion-MNIST for ``--epochs`` epochs. Each repeat runs every contender once,
in an order rotated every repeat, so machine noise hits all of them alike.
Reported: median seconds per epoch (whole ``fit`` wall time / epochs), the
median of the per-repeat ratios to the bare loop, and the final training loss.

    .venv/bin/python benchmarks/bench_training.py               # defaults
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

    Built like skae's ``build_dense_autoencoder``: encoder then decoder, each an
    ``nn.Sequential`` of ``nn.Linear`` layers with torch's default initialisation.
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


def run_bare(X, args, seed):
    """A careful hand-written loop; returns (seconds, final epoch's mean loss)."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = DenseAutoencoder(X.shape[1], args.hidden, args.n_components)
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


def run_skae(X, args, seed):
    est = AutoencoderTransformer(
        args.n_components,
        hidden_layer_sizes=(args.hidden,),
        alpha=0.0,
        batch_size=args.batch_size,
        max_iter=args.epochs,
        n_iter_no_change=args.epochs,
        device="cpu",
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    seconds = time.perf_counter() - start
    assert est.n_iter_ == args.epochs, est.n_iter_
    return seconds, est.loss_curve_[-1]


def run_skorch(X, args, seed):
    from skorch import NeuralNetRegressor

    start = time.perf_counter()
    torch.manual_seed(seed)
    net = NeuralNetRegressor(
        DenseAutoencoder,
        module__n_features=X.shape[1],
        module__hidden=args.hidden,
        module__n_components=args.n_components,
        criterion=nn.MSELoss,
        optimizer=torch.optim.Adam,
        optimizer__foreach=True,
        lr=1e-3,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        iterator_train__shuffle=True,
        train_split=None,
        device="cpu",
        verbose=0,
    )
    net.fit(X, X)
    return time.perf_counter() - start, float(net.history[-1, "train_loss"])


CONTENDERS = {"bare": run_bare, "skae": run_skae, "skorch": run_skorch}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    parser.add_argument("--n-samples", type=int, default=60000, help="training rows (max 60000)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--n-components", type=int, default=64)
    parser.add_argument(
        "--contenders", nargs="+", default=list(CONTENDERS), choices=list(CONTENDERS)
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up")
    args = parser.parse_args()
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

    write_results(
        "bench_training",
        {
            "data": source,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "params": vars(args),
            "network": f"{X.shape[1]}-{args.hidden}-{args.n_components}-{args.hidden}-{X.shape[1]}",
            "results": results,
            "load_average_after_each_repeat": loadavg,
            "note": "seconds_per_epoch = whole fit wall time / epochs; "
            "final_train_loss = mean MSE over the last epoch's batches",
        },
    )


if __name__ == "__main__":
    main()
