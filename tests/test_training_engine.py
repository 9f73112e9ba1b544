"""The torch engine on its own: batches, the loop's steps, stopping, devices."""

import ast
import math
import pathlib

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from skae import nn as engine
from skae.nn import _training
from skae.nn._device import (
    caller_thread_limit,
    forward_flops,
    resolve_device,
    thread_limit,
    training_threads,
)
from skae.nn._modules import build_seeded
from skae.nn._perturbations import random_flip, random_shift
from skae.nn._progress import EpochLogger
from skae.nn._training import (
    LEARNING_RATE_SCHEDULES,
    LabeledUnlabeledBatches,
    TrainStep,
    cosine_decay,
    evaluate,
    one_cycle,
)


def _toy_problem(n=64, d=6, seed=0):
    X = torch.rand(n, d, generator=torch.Generator().manual_seed(seed))
    model = build_seeded(
        lambda: _dense(d, 2, (8,)),
        seed=seed,
        device="cpu",
        dtype=torch.float32,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    return X, model, optimizer


def _dense(n_features, n_components, hidden, activation="relu"):
    spec = engine.NetworkSpec(
        n_features, n_components, hidden_layer_sizes=hidden, activation=activation
    )
    return engine.build_autoencoder(spec, "dense")


def _mse():
    return engine.AutoencoderObjective(engine.ReconstructionLoss("mse"))


def _batches(X, batch_size=16, shuffle=True, seed=0):
    return engine.InMemoryBatches(
        X, batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(seed)
    )


def test_in_memory_batches_cover_every_sample_once_per_epoch():
    X = torch.arange(50, dtype=torch.float32).reshape(25, 2)
    batches = _batches(X, batch_size=10)
    assert len(batches) == 3
    epoch = list(batches)
    assert [len(b) for b in epoch] == [10, 10, 5]
    assert all(b.is_contiguous() for b in epoch)
    rows = sorted(torch.cat(epoch)[:, 0].tolist())
    assert rows == X[:, 0].tolist()
    assert not torch.equal(torch.cat(epoch), X)  # shuffled
    assert not torch.equal(torch.cat(list(batches)), torch.cat(epoch))  # a new order each epoch


def test_in_memory_batches_without_shuffle_keep_order():
    X = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    assert torch.equal(torch.cat(list(_batches(X, 4, shuffle=False))), X)


def test_train_step_call_updates_parameters_and_returns_detached_loss():
    X, model, optimizer = _toy_problem()
    before = [p.detach().clone() for p in model.parameters()]
    loss = TrainStep(model, _mse(), optimizer)(X[:16])
    assert not loss.requires_grad and loss.ndim == 0
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_fit_loop_reduces_loss_and_records_history():
    X, model, optimizer = _toy_problem()
    history = engine.fit_loop(
        model,
        _mse(),
        optimizer,
        _batches(X),
        max_iter=30,
        tol=0.0,
        n_iter_no_change=100,
    )
    assert len(history.loss_curve) == 30
    assert history.stop_reason == "max_iter"
    assert history.loss_curve[-1] < history.loss_curve[0]
    assert history.validation_scores is None


def test_fit_loop_follows_the_learning_rate_schedule_from_the_initial_rates():
    X, model, optimizer = _toy_problem()
    optimizer.add_param_group({"params": [], "lr": 0.5})
    seen = []
    record = EpochLogger(verbose=0, max_iter=4)
    record.epoch_begin = lambda epoch, n: seen.append([g["lr"] for g in optimizer.param_groups])
    engine.fit_loop(
        model,
        _mse(),
        optimizer,
        _batches(X),
        max_iter=4,
        tol=0.0,
        n_iter_no_change=100,
        logger=record,
        learning_rate_schedule=cosine_decay,
    )
    initial = [seen[0][0], 0.5]
    factors = [0.5 * (1 + np.cos(np.pi * epoch / 4)) for epoch in range(4)]
    assert_allclose(seen, [[rate * f for rate in initial] for f in factors])
    assert factors[0] == 1 and 0 < factors[-1] < 0.2


def test_cosine_decay_falls_from_one_towards_zero():
    factors = [cosine_decay(epoch, 10) for epoch in range(10)]
    assert factors[0] == 1
    assert all(a > b > 0 for a, b in zip(factors, factors[1:], strict=False))
    assert LEARNING_RATE_SCHEDULES == {
        "constant": None, "cosine": cosine_decay, "one_cycle": one_cycle,
    }  # fmt: skip


def test_one_cycle_warms_up_then_anneals_at_every_step():
    budget = 8
    factors = [one_cycle(t / 10, budget) for t in range(0, 10 * budget)]
    peak = factors.index(max(factors))
    assert factors[0] == pytest.approx(_training.ONE_CYCLE_START)
    assert peak == 10 * _training.ONE_CYCLE_WARM_UP * budget and factors[peak] == 1
    assert all(a < b for a, b in zip(factors[:peak], factors[1 : peak + 1], strict=True))
    assert all(a > b for a, b in zip(factors[peak:], factors[peak + 1 :], strict=False))
    assert factors[-1] < 0.01
    # fit_loop sets it before every step, not once an epoch.
    X, model, optimizer = _toy_problem()
    seen = []
    step = TrainStep.__call__

    def recording(self, batch):
        seen.append(self.optimizer.param_groups[0]["lr"])
        return step(self, batch)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TrainStep, "__call__", recording)
        engine.fit_loop(
            model, engine.AutoencoderObjective(engine.ReconstructionLoss("mse")), optimizer,
            engine.InMemoryBatches(X, 10, shuffle=False, generator=None), max_iter=2, tol=0.0,
            n_iter_no_change=None, learning_rate_schedule=one_cycle,
        )  # fmt: skip
    assert len(set(seen)) == len(seen) > 2


def test_fit_loop_stops_after_n_iter_no_change_without_improvement():
    X, model, optimizer = _toy_problem()
    for group in optimizer.param_groups:
        group["lr"] = 0.0  # nothing can improve
    history = engine.fit_loop(
        model,
        _mse(),
        optimizer,
        _batches(X),
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=3,
    )
    # Epoch 1 sets the best; as in MLPRegressor, training stops once more than
    # 3 epochs (2, 3, 4, 5) have failed to improve.
    assert history.stop_reason == "converged"
    assert len(history.loss_curve) == 5


def test_evaluate_is_gradient_free_and_weighted_by_batch():
    X, model, _ = _toy_problem(n=10)
    objective = _mse()
    loss = evaluate(model, objective, _batches(X, batch_size=3, shuffle=False))
    with torch.no_grad():
        expected = objective(model, X).item()
    assert loss == pytest.approx(expected, rel=1e-5)


def test_divergence_raises_with_learning_rate():
    X, model, optimizer = _toy_problem()
    with pytest.raises(engine.DivergenceError, match="loss became nan in epoch 1"):
        engine.fit_loop(
            model,
            lambda m, batch: m(batch).sum() * math.nan,
            optimizer,
            _batches(X),
            max_iter=3,
            tol=0.0,
            n_iter_no_change=10,
        )


def test_build_seeded_is_a_function_of_the_seed_and_keeps_global_rng():
    state = torch.get_rng_state()

    def build(seed):
        return build_seeded(
            lambda: _dense(5, 2, (4,), "tanh"),
            seed=seed,
            device="cpu",
            dtype=torch.float64,
        )

    a, b, c = build(1), build(1), build(2)
    assert torch.equal(torch.get_rng_state(), state)
    weights = [m.encoder[0].weight for m in (a, b, c)]
    assert weights[0].dtype == torch.float64
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])


def test_bce_objective_maps_logits_through_sigmoid():
    objective = engine.ReconstructionLoss("bce")
    logits = torch.tensor([[0.0, 100.0]])
    assert torch.allclose(objective.output_activation(logits), torch.tensor([[0.5, 1.0]]))
    target = torch.tensor([[0.5, 1.0]])
    assert objective.per_sample(logits, target).shape == (1,)
    with pytest.raises(ValueError, match="Unknown reconstruction loss 'l1'"):
        engine.ReconstructionLoss("l1")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="is not supported"):
        resolve_device("meta")


def test_small_batches_train_on_one_thread():
    small = _dense(64, 8, (32,))
    large = _dense(784, 64, (256,))
    assert training_threads(small, 64, 256, limit=2) == 1
    assert training_threads(large, 784, 256, limit=2) == 2
    assert training_threads(large, 784, 256, limit=1) == 1


def test_thread_choice_counts_operations_not_parameters():
    # A conv net has few weights but reuses each at every pixel: 2 threads pay off.
    spec = engine.NetworkSpec(784, 16, image_shape=(1, 28, 28), conv_channels=(32, 64))
    conv = engine.build_autoencoder(spec, "conv")
    n_parameters = sum(p.numel() for p in conv.parameters())
    assert forward_flops(conv, 784) > 4 * n_parameters
    assert training_threads(conv, 784, 64, limit=2) == 2
    dense = _dense(784, 16, (256,))
    assert forward_flops(dense, 784) == 2 * sum(
        m.weight.numel() for m in dense.modules() if isinstance(m, torch.nn.Linear)
    )


def test_thread_limit_follows_caller_and_restores():
    before = torch.get_num_threads()
    with threadpool_limits(limits=1, user_api="openmp"):
        assert caller_thread_limit() == 1
    with thread_limit(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_engine_never_imports_sklearn():
    package = pathlib.Path(engine.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.startswith("sklearn") for name in names), path.name


def test_labeled_unlabeled_batches_pass_over_unlabeled_and_cycle_labeled():
    X_labeled = torch.arange(10, dtype=torch.float32)[:, None]
    y_labeled = torch.arange(10)
    X_unlabeled = 100 + torch.arange(25, dtype=torch.float32)[:, None]
    batches = LabeledUnlabeledBatches(
        X_labeled, y_labeled, X_unlabeled, labeled_batch_size=4, unlabeled_batch_size=8,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    epoch = list(batches)
    assert len(epoch) == len(batches) == 4
    unlabeled_seen = torch.cat([u for _, _, u in epoch]).flatten().tolist()
    assert sorted(unlabeled_seen) == X_unlabeled.flatten().tolist()  # each once
    for x, y, _ in epoch:
        assert torch.equal(x.flatten().long(), y)  # rows and labels shuffled together
    assert set(torch.cat([y for _, y, _ in epoch]).tolist()) == set(range(10))


def test_labeled_unlabeled_batches_without_unlabeled_rows_pass_over_labeled():
    batches = LabeledUnlabeledBatches(
        torch.rand(10, 2), torch.zeros(10, dtype=torch.long), torch.rand(0, 2),
        labeled_batch_size=4, unlabeled_batch_size=16, generator=torch.Generator(),
    )  # fmt: skip
    epoch = list(batches)
    assert [len(x) for x, _, _ in epoch] == [4, 4, 2]
    assert all(len(u) == 0 for _, _, u in epoch)


def test_random_shift_translates_with_zero_fill():
    image = torch.arange(1, 17, dtype=torch.float32).reshape(1, 16)
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(random_shift(image, (1, 4, 4), 0, generator), image)
    for _ in range(20):
        shifted = random_shift(image, (1, 4, 4), 1, generator).reshape(4, 4)
        original = image.reshape(4, 4)
        nonzero = shifted[shifted != 0]
        # A translation keeps neighbouring differences: rows differ by 4, columns by 1.
        assert set(nonzero.tolist()) <= set(original.flatten().tolist())
        assert len(nonzero) >= 9  # at most one row and one column fall off
        rows, cols = torch.nonzero(shifted, as_tuple=True)
        r, c = rows[0], cols[0]
        assert all(
            shifted[i, j] == shifted[r, c] + 4 * (i - r) + (j - c)
            for i, j in zip(rows, cols, strict=True)
        )


def test_random_flip_mirrors_about_half_of_the_images():
    images = torch.arange(16, dtype=torch.float32).repeat(400, 1)
    flipped = random_flip(images, (1, 4, 4), torch.Generator().manual_seed(0))
    mirrored = images[0].reshape(4, 4).flip(-1).flatten()
    is_mirrored = (flipped == mirrored).all(dim=1)
    is_same = (flipped == images[0]).all(dim=1)
    assert (is_mirrored | is_same).all()
    assert 0.4 < is_mirrored.float().mean() < 0.6
