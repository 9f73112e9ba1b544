"""Where a training step of the conv autoencoder spends its time, eager and compiled.

The network and the careful loop's step of ``bench_training.py``
(``ConvAutoencoder``, MSE, foreach Adam, batch 256) on real Fashion-MNIST
images. First the step time of each variant, interleaved over ``--rounds``
rounds of ``--steps`` steps (medians): eager and compiled, float32 and
bfloat16 autocast, channels-last, and compiled without inductor's layout
optimisation. Then, for eager float32, eager bfloat16 and compiled bfloat16,
the operators with the most self time per step (torch.profiler, grouped by
input shapes; a compiled step's generated kernels are named ``graph_*_cpp_*``).
This is how the conv rows of ``bench_speed.py`` are explained in
``benchmarks/DECISIONS.md`` ("bfloat16 where it is native; compile off").

    .venv/bin/python benchmarks/experiments/profile_conv_step.py    # ~1 min on 2 cores
"""

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch
import torch._inductor.config as inductor_config
from torch.nn import functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import load_fashion_mnist_train  # noqa: E402
from bench_training import ConvAutoencoder  # noqa: E402

VARIANTS = {  # name: (compiled, bfloat16, channels-last, inductor layout optimisation)
    "eager float32": (False, False, False, True),
    "eager bfloat16": (False, True, False, True),
    "eager bfloat16 channels-last": (False, True, True, True),
    "compiled float32": (True, False, False, True),
    "compiled bfloat16": (True, True, False, True),
    "compiled bfloat16, no layout optimisation": (True, True, False, False),
}
PROFILED = ("eager float32", "eager bfloat16", "compiled bfloat16")


def make_step(compiled, bfloat16, channels_last):
    """A training step of a fresh, seeded network; a compiled one compiles on its first call."""
    torch.manual_seed(0)
    model = ConvAutoencoder(64)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)

    def loss_of(batch):
        return F.mse_loss(model(batch), batch)

    if compiled:
        loss_of = torch.compile(loss_of)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bfloat16 else None

    def step(batch):
        optimizer.zero_grad(set_to_none=True)
        with autocast or contextlib.nullcontext():
            loss = loss_of(batch)
        loss.backward()
        optimizer.step()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per round (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args()
    X = torch.from_numpy(load_fashion_mnist_train()[: 256 * args.steps])
    batches = list(torch.split(X, 256))
    steps = {}
    for name, (*options, layout_optimization) in VARIANTS.items():
        steps[name] = make_step(*options)
        # Compiles (each variant its own graphs; the layout setting is read then) and warms up.
        with inductor_config.patch(layout_optimization=layout_optimization):
            for batch in batches[:5]:
                steps[name](batch)
    times = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for batch in batches:
                step(batch)
            times[name].append((time.perf_counter() - start) / len(batches) * 1000)
    baseline = statistics.median(times["eager float32"])
    print(f"step times, median of {args.rounds} rounds of {len(batches)} steps")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:44s} {median:6.2f} ms  x eager float32 {median / baseline:.3f}")
    for name in PROFILED:
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for batch in batches:
                steps[name](batch)
        events = prof.key_averages(group_by_input_shape=True)
        total = sum(event.self_cpu_time_total for event in events) / len(batches) / 1000
        generated = sum(e.self_cpu_time_total for e in events if e.key.startswith("graph_"))
        generated = generated / len(batches) / 1000
        print(f"\n{name}: self time per step {total:.2f} ms (profiled), of which "
              f"{generated:.2f} ms in generated kernels; top operators:")  # fmt: skip
        for event in sorted(events, key=lambda e: -e.self_cpu_time_total)[:8]:
            per_step = event.self_cpu_time_total / len(batches) / 1000
            shapes = str(event.input_shapes[:3]) if event.input_shapes else ""
            print(f"  {per_step:6.2f} ms  {event.key[:48]:48s} {shapes}")


if __name__ == "__main__":
    inductor_config.cpp.enable_kernel_profile = True  # names the generated kernels
    main()
