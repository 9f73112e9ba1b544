"""Ctrl-C during fit, and torch's thread count under the caller's limits."""

import os
import signal

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_limits

import skae._training
import skae.nn._training as training

from ._helpers import blobs, fast_autoencoder


def _send_sigint_on_step(monkeypatch, step, times=1):
    """Make the ``step``-th training step (1-based) deliver SIGINT ``times`` times."""
    original = training.TrainStep.__call__
    calls = {"n": 0}

    def interrupting_step(self, batch):
        calls["n"] += 1
        loss = original(self, batch)
        if calls["n"] == step:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(training.TrainStep, "__call__", interrupting_step)
    return calls


def test_ctrl_c_stops_after_current_batch_and_keeps_weights(monkeypatch):
    X, _ = blobs(n_samples=200)
    handler_before = signal.getsignal(signal.SIGINT)
    calls = _send_sigint_on_step(monkeypatch, step=3)
    est = fast_autoencoder(batch_size=10, max_iter=50)
    with pytest.warns(UserWarning, match="interrupted by the user after 1 epoch"):
        est.fit(X)
    assert calls["n"] == 3  # the batch in flight finished, no further batch ran
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 1
    assert np.isfinite(est.transform(X)).all()
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_second_ctrl_c_aborts_and_keeps_previous_model(monkeypatch):
    X, _ = blobs(n_samples=200)
    est = fast_autoencoder(batch_size=10).fit(X)
    before = est.transform(X)
    _send_sigint_on_step(monkeypatch, step=2, times=2)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X + 0.1)
    assert_array_equal(est.transform(X), before)


def _record_threads(monkeypatch):
    seen = []
    original = skae._training.fit_loop

    def recording_fit_loop(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(skae._training, "fit_loop", recording_fit_loop)
    return seen


def test_fit_respects_the_callers_thread_limit(monkeypatch):
    # A network large enough that fit would use every thread it may.
    X = np.random.default_rng(0).random((64, 200))
    est = fast_autoencoder(hidden_layer_sizes=(2048,), max_iter=1, batch_size=64)
    seen = _record_threads(monkeypatch)
    torch_threads = torch.get_num_threads()
    est.fit(X)
    with threadpool_limits(limits=1, user_api="openmp"):
        est.fit(X)
    assert seen == [torch_threads, 1]
    assert torch.get_num_threads() == torch_threads


def test_small_fit_uses_one_thread(monkeypatch):
    X, _ = blobs()
    seen = _record_threads(monkeypatch)
    fast_autoencoder(max_iter=2).fit(X)
    assert seen == [1]


def test_parallel_workers_get_one_thread_each_on_two_cores():
    from joblib import Parallel, delayed

    def fit_and_count(seed):
        X, _ = blobs(seed=seed)
        seen = []
        original = skae._training.fit_loop

        def recording(*args, **kwargs):
            seen.append(torch.get_num_threads())
            return original(*args, **kwargs)

        skae._training.fit_loop = recording
        try:
            fast_autoencoder(max_iter=2).fit(X)
        finally:
            skae._training.fit_loop = original
        return seen[0]

    counts = Parallel(n_jobs=2)(delayed(fit_and_count)(seed) for seed in range(2))
    assert all(count <= max(1, os.cpu_count() // 2) for count in counts)
