"""Seconds per epoch at every precision and compile setting, with the test MSE beside each.

Contenders train the same network (MSE, Adam with foreach=True, lr 1e-3, no
weight decay, batch 256, reshuffled every epoch) on the 60,000 Fashion-MNIST
training images for ``--epochs`` epochs (``--architecture dense``: the
784-256-64-256-784 ReLU autoencoder; ``conv``: skae's default conv
autoencoder, both written out in ``bench_training.py``):

- ``bare``: the careful eager loop of ``bench_training.py`` (one shuffle per
  epoch into contiguous batches, foreach Adam): the baseline;
- ``bare-bf16-compiled``: the same loop with its loss compiled and under
  bfloat16 autocast (conv: in channels-last memory format), the best a
  hand-written loop does here;
- ``skae``: ``AutoencoderTransformer`` with its defaults for these settings
  (float32; the classifier's ``precision="auto"`` would pick bfloat16 on
  images where it is native, so ``skae`` and ``skae-compile`` set float32);
- ``skae-bf16``, ``skae-compile``, ``skae-bf16-compile``: with
  ``precision="bfloat16"`` and/or ``compile=True``;
- ``skorch``: ``NeuralNetRegressor`` on the same module.

Every round runs every contender once, in an order rotated every round, so
machine noise hits all alike. Reported: median seconds per epoch (the fit's
wall time, set-up included, over its epochs; compilation is left out and
reported on its own: the first fit's, in an untimed warm-up, and the median
of later fits', which find most graphs already compiled), the median of the
per-round ratios to ``bare``, and the MSE on the 10,000 test images after
training, so that speed is never bought with quality. ``--classifier`` times
instead fine-tuning epochs of ``AutoencoderClassifier`` (conv, or with
``--classifier vgg`` the VGG-style network; ``FINETUNE_RECIPE`` of ``bench_classifier.py``,
no pretraining, 100 labels per class, the other 59,000 images unlabeled) at
each setting, with its test accuracy, as ratios to skae's default.

``--device cuda`` runs the same table on a GPU: the bare loops keep the
training set on the GPU (as skae does when it fits), skorch is fitted on
numpy arrays, so its DataLoader copies every batch from host memory, and a
``skae-fp16`` contender (``precision="float16"``) joins.

    .venv/bin/python benchmarks/bench_speed.py                      # dense
    .venv/bin/python benchmarks/bench_speed.py --architecture conv --epochs 2 --rounds 3
    .venv/bin/python benchmarks/bench_speed.py --classifier --rounds 3
    .venv/bin/python benchmarks/bench_speed.py --classifier vgg --epochs 1 --rounds 3
    python3 benchmarks/bench_speed.py --device cuda                 # on a GPU machine
"""

import argparse
import contextlib
import dataclasses
import io
import re
import statistics
import time
import warnings

import numpy as np
import torch
from _data import print_table, write_results
from bench_classifier import FINETUNE_RECIPE
from bench_training import ConvAutoencoder, DenseAutoencoder, skae_estimator, skorch_net
from sklearn.exceptions import ConvergenceWarning
from torch.nn import functional as F

from skae import AutoencoderClassifier
from skae.compare import load_comparison_data

SETTINGS = {
    # float32 explicitly: the autoencoders' default, and the classifier's where bfloat16 is not
    # native ("auto" picks bfloat16 for its images where it is, which skae-bf16 times).
    "skae": {"precision": "float32"},
    "skae-bf16": {"precision": "bfloat16"},
    "skae-compile": {"precision": "float32", "compile": True},
    "skae-bf16-compile": {"precision": "bfloat16", "compile": True},
}
CUDA_SETTINGS = {"skae-fp16": {"precision": "float16"}}


def bare_network(args):
    if args.architecture == "conv":
        return ConvAutoencoder(args.n_components)
    return DenseAutoencoder(784, args.hidden, args.n_components)


def _graphs_compiled():
    return torch._dynamo.utils.counters["stats"]["unique_graphs"]


def _settings(args):
    return {**SETTINGS, **(CUDA_SETTINGS if args.device == "cuda" else {})}


def _synchronize(device):
    """Wait for the GPU's queued work, so that wall times cover it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_bare(data, args, seed, fast=False):
    """The careful loop; with ``fast``, compiled, under bfloat16 autocast, conv channels-last.

    Returns (seconds without compilation, compile seconds, test MSE).
    """
    device = torch.device(args.device)
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = bare_network(args).to(device)
    if fast and args.architecture == "conv":
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    X = torch.from_numpy(data.X_train).to(device)
    generator = torch.Generator().manual_seed(seed)

    def loss_of(batch):
        return F.mse_loss(model(batch), batch)

    forward = torch.compile(loss_of) if fast else loss_of
    autocast = contextlib.nullcontext()
    if fast:
        autocast = torch.autocast(device.type, dtype=torch.bfloat16)
    compile_seconds = 0.0
    model.train()
    for _ in range(args.epochs):
        shuffled = X[torch.randperm(len(X), generator=generator).to(device)]
        for i in range(0, len(shuffled), args.batch_size):
            batch = shuffled[i : i + args.batch_size]
            graphs, step_start = _graphs_compiled(), time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = forward(batch)
            loss.backward()
            optimizer.step()
            if _graphs_compiled() != graphs:
                _synchronize(device)
                compile_seconds += time.perf_counter() - step_start
    _synchronize(device)
    seconds = time.perf_counter() - start - compile_seconds
    model.eval()
    X_test = torch.from_numpy(data.X_test).to(device)
    with torch.inference_mode():
        test_mse = F.mse_loss(model(X_test), X_test).item()
    return seconds, compile_seconds, test_mse


def run_bare_fast(data, args, seed):
    return run_bare(data, args, seed, fast=True)


def _timed_fit(est, *fit_args):
    """Fit ``est`` (verbose=1); return (seconds without compilation, compile seconds)."""
    log = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(*fit_args)
    seconds = time.perf_counter() - start
    compiled = re.findall(r"compiling \(torch.compile\) took ([0-9.]+)s", log.getvalue())
    compile_seconds = sum(map(float, compiled))
    return seconds - compile_seconds, compile_seconds


def skae_runner(setting):
    def run(data, args, seed):
        est = skae_estimator(args, seed, device=args.device, verbose=1, **_settings(args)[setting])
        seconds, compile_seconds = _timed_fit(est, data.X_train)
        reconstruction = est.inverse_transform(est.transform(data.X_test))
        return seconds, compile_seconds, float(np.mean((reconstruction - data.X_test) ** 2))

    return run


def run_skorch(data, args, seed):
    start = time.perf_counter()
    torch.manual_seed(seed)
    net = skorch_net(args, data.X_train.shape[1], device=args.device)
    net.fit(data.X_train, data.X_train)
    seconds = time.perf_counter() - start
    return seconds, 0.0, float(np.mean((net.predict(data.X_test) - data.X_test) ** 2))


def classifier_runner(setting):
    def run(data, args, seed):
        """Fine-tuning epochs only (no pretraining) of ``FINETUNE_RECIPE``."""
        est = AutoencoderClassifier(
            64,
            architecture=args.architecture,
            image_shape=(28, 28),
            loss="bce",
            pretrain_iter=0,
            max_iter=args.epochs,
            random_state=seed,
            device=args.device,
            verbose=1,
            **{**FINETUNE_RECIPE, **_settings(args)[setting]},
        )
        seconds, compile_seconds = _timed_fit(est, data.X_train, data.y_train)
        return seconds, compile_seconds, float(np.mean(est.predict(data.X_test) == data.y_test))

    return run


def contenders(args):
    if args.classifier:
        return {name: classifier_runner(name) for name in _settings(args)}
    return {
        "bare": run_bare,
        "bare-bf16-compiled": run_bare_fast,
        **{name: skae_runner(name) for name in _settings(args)},
        "skorch": run_skorch,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--architecture", choices=["dense", "conv"], default="dense")
    parser.add_argument(
        "--classifier",
        nargs="?",
        const="conv",
        choices=["conv", "vgg"],
        help="time AutoencoderClassifier, with this network (default conv)",
    )
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--n-components", type=int, default=64)
    parser.add_argument("--n-samples", type=int, default=60000, help="training rows (a smoke test)")
    args = parser.parse_args()
    if args.classifier:
        args.architecture = args.classifier

    data = load_comparison_data(
        "fashion-mnist", labels_per_class=100, random_state=0, download_if_missing=False
    )
    data = dataclasses.replace(
        data, X_train=data.X_train[: args.n_samples], y_train=data.y_train[: args.n_samples]
    )
    runners = contenders(args)
    names = list(runners)
    baseline = "skae" if args.classifier else "bare"
    quality = "test accuracy" if args.classifier else "test MSE"
    print(f"{'classifier ' if args.classifier else ''}{args.architecture} on {args.device}: "
          f"{args.epochs} epoch(s) per fit, {args.rounds} rounds, "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    # Warm-up, untimed: first-call costs (lazy imports, oneDNN kernels) and the first
    # compilation, whose time is reported on its own.
    warm_data = dataclasses.replace(data, X_train=data.X_train[:8192], y_train=data.y_train[:8192])
    warm_args = argparse.Namespace(**{**vars(args), "epochs": 1})
    first_compile = {name: runners[name](warm_data, warm_args, seed=0)[1] for name in names}
    seconds = {name: [] for name in names}
    compiling = {name: [] for name in names}
    scores = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            t, c, score = runners[name](data, args, seed=r)
            seconds[name].append(t / args.epochs)
            compiling[name].append(c)
            scores[name].append(score)
        print(
            f"round {r + 1}/{args.rounds}: "
            + "  ".join(f"{n} {seconds[n][-1]:.3f}s/ep" for n in names),
            flush=True,
        )

    results, rows = {}, []
    for name in names:
        ratios = [s / b for s, b in zip(seconds[name], seconds[baseline], strict=True)]
        results[name] = {
            "seconds_per_epoch": seconds[name],
            "median_seconds_per_epoch": statistics.median(seconds[name]),
            "ratio_to_baseline_per_round": ratios,
            "median_ratio_to_baseline": statistics.median(ratios),
            "first_compile_seconds": first_compile[name],
            "later_compile_seconds": compiling[name],
            "quality": scores[name],
            "median_quality": statistics.median(scores[name]),
        }
        rows.append(
            [
                name,
                f"{results[name]['median_seconds_per_epoch']:.3f}",
                f"{statistics.median(ratios):.3f}",
                f"{first_compile[name]:.1f} / {statistics.median(compiling[name]):.1f}",
                f"{statistics.median(scores[name]):.5f}",
            ]
        )
    print()
    print_table(
        [
            "contender",
            "median s/epoch",
            f"x {baseline} (median)",
            "compile s (first / later)",
            quality,
        ],
        rows,
    )
    if "skorch" in seconds:
        skorch_ratios = [s / b for s, b in zip(seconds["skorch"], seconds["skae"], strict=True)]
        results["skorch"]["median_ratio_to_skae_per_round"] = statistics.median(skorch_ratios)
        print(f"\nskorch / skae default, median of per-round ratios: "
              f"{statistics.median(skorch_ratios):.3f}")  # fmt: skip
    tag = {None: args.architecture, "conv": "classifier", "vgg": "classifier_vgg"}[args.classifier]
    tag += "_cuda" if args.device == "cuda" else ""
    write_results(
        f"bench_speed_{tag}",
        {"params": vars(args), "baseline": baseline, "quality": quality, "results": results},
    )


if __name__ == "__main__":
    main()
