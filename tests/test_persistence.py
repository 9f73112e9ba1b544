"""clone, pickle and joblib round trips; GPU-fitted models load on CPU."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from ._helpers import blobs, fast_autoencoder


def test_clone_copies_parameters_not_fit():
    X, _ = blobs()
    est = fast_autoencoder(n_components=4).fit(X)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert not hasattr(cloned, "module_")


def test_pickle_round_trip_gives_identical_outputs():
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.transform(X), est.transform(X))
    assert_array_equal(loaded.score_samples(X), est.score_samples(X))
    assert loaded.loss_curve_ == est.loss_curve_
    # Pickling does not strip the original of its network.
    assert hasattr(est, "module_") and hasattr(est, "optimizer_")


def test_joblib_round_trip(tmp_path):
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert_array_equal(loaded.transform(X), est.transform(X))


def test_unpickled_model_keeps_training_with_its_optimizer_state():
    X, _ = blobs()
    est = fast_autoencoder(max_iter=5, n_iter_no_change=100).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    est.partial_fit(X)
    loaded.partial_fit(X)
    assert loaded.n_iter_ == est.n_iter_ == 6
    # Same Adam moments and same next shuffle: the continued models agree.
    assert_allclose(loaded.transform(X), est.transform(X), rtol=1e-6)
    state = loaded.optimizer_.state_dict()["state"]
    # 120 samples fit in one batch: 6 epochs are 6 Adam steps.
    assert state and all(int(s["step"]) == 6 for s in state.values())


def test_unfitted_model_pickles():
    est = fast_autoencoder()
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()


def test_model_fitted_on_cuda_loads_on_cpu_only_machine(monkeypatch):
    """Simulates the pickle of a CUDA-fitted model arriving on a CPU-only machine."""
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    expected = est.transform(X)
    est.device_ = "cuda:0"  # as if fitted on a GPU
    data = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    seen = {}
    original_load = torch.load

    def spy_load(*args, **kwargs):
        seen["map_location"] = kwargs.get("map_location")
        return original_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy_load)
    with pytest.warns(UserWarning, match="fitted on cuda:0, which is not available"):
        loaded = pickle.loads(data)
    assert seen["map_location"] == "cpu"
    assert loaded.device_ == "cpu"
    assert_allclose(loaded.transform(X), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fitted_pickle_loads_in_a_process_without_cuda(tmp_path):
    import subprocess
    import sys

    X, _ = blobs()
    est = fast_autoencoder(device="cuda").fit(X)
    assert est.device_.startswith("cuda")
    joblib.dump(est, tmp_path / "gpu.joblib")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", est.transform(X))
    script = (
        "import joblib, numpy as np, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"est = joblib.load({str(tmp_path / 'gpu.joblib')!r})\n"
        "assert est.device_ == 'cpu', est.device_\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
        "np.testing.assert_allclose(est.transform(X), expected, rtol=1e-4, atol=1e-5)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_pickle_is_a_single_self_contained_blob():
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    buffer = io.BytesIO()
    pickle.dump(est, buffer)
    state = pickle.loads(buffer.getvalue()).__getstate__()
    assert "module_" not in state and "optimizer_" not in state
    assert isinstance(state["_torch_state"], bytes)
