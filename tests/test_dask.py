"""Searches on a real ``dask.distributed`` cluster: results, threads and GPUs per worker.

One ``LocalCluster`` (2 worker processes of 1 thread, on loopback) is started
for the module and closed after it, so nothing is left running, and the
environment it changed is put back.
"""

import os
from types import SimpleNamespace
from unittest import mock

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV
from sklearn.pipeline import make_pipeline

from skae import AutoencoderClassifier, AutoencoderTransformer
from skae.nn import _device

distributed = pytest.importorskip("distributed", reason="needs the 'dask' extra")


@pytest.fixture(scope="module")
def client():
    # A nanny writes the workers' variables (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_)
    # into this process's environment before it spawns them (dask/distributed#6749), and
    # every subprocess started later by the suite would inherit them.
    environment = dict(os.environ)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    os.environ.clear()
    os.environ.update(environment)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:360] / 16).astype(np.float32), y[:360]


def _search(n_jobs):
    pipe = make_pipeline(
        AutoencoderTransformer(hidden_layer_sizes=(32,), max_iter=5, random_state=0, device="auto"),
        LogisticRegression(max_iter=500),
    )
    grid = {
        "autoencodertransformer__n_components": [4, 8],
        "autoencodertransformer__loss": ["mse", "bce"],
    }
    return GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs)


def test_grid_search_on_cluster_matches_n_jobs_1(client, digits):
    X, y = digits
    local = _search(n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = _search(n_jobs=-1).fit(X, y)
    for key in ("mean_test_score", *(f"split{i}_test_score" for i in range(3))):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    # The search really ran on the workers: each one ran tasks.
    executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(executed) == 2 and all(count > 0 for count in executed.values())


def test_torch_threads_follow_the_worker_not_the_machine(client):
    limits = [client.submit(_device.caller_thread_limit, pure=False) for _ in range(4)]
    assert client.gather(limits) == [1, 1, 1, 1]


@pytest.mark.parametrize(
    "nthreads, executing, expected", [(4, 1, 4), (4, 2, 2), (4, 3, 1), (1, 1, 1), (2, 4, 1)]
)
def test_worker_threads_are_shared_by_running_tasks(monkeypatch, nthreads, executing, expected):
    worker = SimpleNamespace(state=SimpleNamespace(nthreads=nthreads, executing_count=executing))
    monkeypatch.setattr(_device, "dask_worker", lambda: worker)
    assert _device.caller_thread_limit() == expected


def _auto_device_with_two_gpus():
    """``device="auto"`` on this worker, as if it saw two GPUs."""
    with (
        mock.patch("torch.cuda.is_available", return_value=True),
        mock.patch("torch.cuda.device_count", return_value=2),
    ):
        return str(_device.resolve_device("auto"))


def test_auto_device_spreads_workers_over_gpus(client):
    workers = sorted(client.scheduler_info()["workers"])
    devices = [
        client.submit(_auto_device_with_two_gpus, workers=[address], pure=False).result()
        for address in workers
    ]
    assert sorted(devices) == ["cuda:0", "cuda:1"]


@pytest.mark.parametrize(
    "name, visible, n_gpus, expected",
    [
        (0, None, 4, "cuda:0"),
        (5, None, 4, "cuda:1"),
        ("gpu-host-3", None, 4, "cuda:3"),
        ("tcp://10.0.0.2:4000", None, 4, "cuda"),
        (3, "2", 1, "cuda"),  # dask-cuda: the worker sees only its GPU
        (3, None, 1, "cuda"),
    ],
)
def test_worker_gpu_choice(monkeypatch, name, visible, n_gpus, expected):
    monkeypatch.setattr(_device, "dask_worker", lambda: SimpleNamespace(name=name))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: n_gpus)
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert _device.worker_gpu() == expected


def test_outside_a_worker_auto_is_the_first_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert _device.dask_worker() is None
    assert str(_device.resolve_device("auto")) == "cuda"


def test_a_model_fitted_on_a_second_gpu_loads_on_the_first(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert _device.loadable_device("cuda:1") == "cuda"
    assert _device.loadable_device("cuda:0") == "cuda:0"


def _halving(estimator, grid, n_jobs):
    return HalvingGridSearchCV(
        estimator,
        grid,
        resource="max_iter",
        min_resources=2,
        max_resources=8,
        factor=2,
        cv=3,
        n_jobs=n_jobs,
    )


@pytest.mark.parametrize("kind", ["classifier", "transformer"])
def test_successive_halving_over_epochs_on_cluster(client, digits, kind):
    X, y = digits
    if kind == "classifier":
        estimator = AutoencoderClassifier(
            n_components=8, hidden_layer_sizes=(32,), pretrain_iter=2, random_state=0
        )
        fit_args = (X, y)
    else:  # scored by its own score, without labels
        estimator = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(32,), random_state=0)
        fit_args = (X,)
    grid = {"learning_rate_init": [3e-4, 1e-3, 3e-3, 1e-2]}
    local = _halving(estimator, grid, n_jobs=1).fit(*fit_args)
    with joblib.parallel_backend("dask"):
        remote = _halving(estimator, grid, n_jobs=-1).fit(*fit_args)
    # 4 candidates trained 2 epochs, the best 2 of them 4 epochs, the best one 8.
    assert remote.n_resources_ == [2, 4, 8]
    assert remote.n_candidates_ == [4, 2, 1]
    assert remote.best_estimator_.n_iter_ == 8
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_


@pytest.mark.filterwarnings("ignore:The total space of parameters:UserWarning")
@pytest.mark.parametrize("kind", ["classifier", "transformer"])
def test_hyperband_over_epochs_with_partial_fit(client, digits, kind):
    model_selection = pytest.importorskip("dask_ml.model_selection", reason="needs 'dask-ml'")
    import dask.array as da

    X, y = digits
    if kind == "classifier":
        estimator = AutoencoderClassifier(
            n_components=8, hidden_layer_sizes=(32,), pretrain_iter=1, random_state=0
        )
        fit_params = {"classes": np.arange(10)}
    else:  # scored by its own score; dask-ml needs a y to split, which score ignores
        estimator = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(32,), random_state=0)
        y, fit_params = np.zeros(len(X)), {}
    search = model_selection.HyperbandSearchCV(
        estimator, {"learning_rate_init": [1e-4, 1e-3, 1e-2]}, max_iter=9, random_state=0
    )
    # dask-ml calls partial_fit on one block at a time: here the whole training split.
    search.fit(da.from_array(X, chunks=(-1, -1)), da.from_array(y, chunks=-1), **fit_params)
    calls = search.cv_results_["partial_fit_calls"]
    best = search.best_estimator_
    assert best.n_iter_ == calls[search.best_index_]
    assert max(calls) == 9  # the survivor of a bracket got the whole budget
    assert best.learning_rate_init != 1e-4  # the slowest learner never wins in 9 epochs
    if kind == "classifier":
        assert search.best_score_ > 0.6  # 10 classes: chance is 0.1
