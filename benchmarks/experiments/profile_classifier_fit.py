"""Where the classifier's fit spends its time, and what a smaller network would save.

Two measurements on real Fashion-MNIST images, for issue 38 ("Fast defaults"):

1. **The network's cost.** A training step (forward, cross-entropy, backward,
   Adam) of the VGG-style classifier network (per stage, two batch-normalised
   3x3 convolutions and 2x2 max pooling, then a code of 128 and a linear
   head), built here by hand, under bfloat16 autocast, batch 256, in the
   default (contiguous) layout and channels-last; for the default widths
   (32, 64) and smaller ones. Reported as seconds per epoch of 50,000 images.
2. **A default fit's profile.** ``torch.profiler`` over one fine-tuning epoch
   of ``AutoencoderClassifier(image_shape=(28, 28), pretrain_iter=0,
   max_iter=1, batch_size=256)`` on 12,800 labeled images (everything else
   the defaults: bfloat16, channels-last, shifts, noisy views): the
   operators with the most self time.

    .venv/bin/python benchmarks/experiments/profile_classifier_fit.py   # ~2 min on 2 cores
"""

import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import (  # noqa: E402
    EXPERIMENT_RESULTS_DIR,
    load_fashion_mnist_train,
    load_fashion_mnist_train_labels,
    write_results,
)

from skae import AutoencoderClassifier  # noqa: E402

#: name: (channels per stage, convolutions per stage)
NETWORKS = {
    "vgg (32, 64), the default": ((32, 64), (2, 2)),
    "vgg (24, 48)": ((24, 48), (2, 2)),
    "(32, 64), one convolution in the first stage": ((32, 64), (1, 2)),
    "(16, 64), one convolution in the first stage": ((16, 64), (1, 2)),
}


def network(channels, convolutions):
    layers, n_in = [], 1
    for n_out, n_conv in zip(channels, convolutions, strict=True):
        for _ in range(n_conv):
            layers += [
                nn.Conv2d(n_in, n_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(n_out),
                nn.ReLU(inplace=True),
            ]
            n_in = n_out
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(n_in * 49, 128), nn.ReLU(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def seconds_per_epoch(model, channels_last, batch=256, steps=20, warm_up=3):
    """Seconds per epoch of 50,000 images, from ``steps`` timed training steps."""
    torch.manual_seed(0)
    X, y = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        X = X.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    for step in range(warm_up + steps):
        if step == warm_up:
            start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps / batch * 50_000


def profile_default_fit(n_rows=12_800):
    X, y = load_fashion_mnist_train()[:n_rows], load_fashion_mnist_train_labels()[:n_rows]
    clf = AutoencoderClassifier(
        image_shape=(28, 28), random_state=0, pretrain_iter=0, max_iter=1, batch_size=256
    )
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    averages = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(event.self_cpu_time_total for event in averages)
    top = [
        {
            "operator": event.key,
            "self_seconds": event.self_cpu_time_total / 1e6,
            "self_percent": 100 * event.self_cpu_time_total / total,
            "calls": event.count,
        }
        for event in averages[:15]
    ]
    return seconds, top


def main():
    costs = {}
    for name, (channels, convolutions) in NETWORKS.items():
        for channels_last in (False, True):
            layout = "channels-last" if channels_last else "contiguous"
            seconds = seconds_per_epoch(network(channels, convolutions), channels_last)
            costs[f"{name}, {layout}"] = seconds
            print(f"{name}, {layout}: {seconds:.1f} s per epoch of 50,000", flush=True)
    fit_seconds, top = profile_default_fit()
    print(f"\none default fine-tuning epoch of 12,800 images, profiled: {fit_seconds:.1f} s")
    for row in top:
        print(f"{row['operator']:<45} {row['self_percent']:5.1f}%  {row['calls']:>6} calls")
    write_results(
        "profile_classifier_fit",
        {"seconds_per_epoch": costs, "profiled_fit_seconds": fit_seconds, "top": top},
        EXPERIMENT_RESULTS_DIR,
    )


if __name__ == "__main__":
    main()
