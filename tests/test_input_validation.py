"""Bad input and faults: clear errors, and a fitted model that survives them."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from skae import AutoencoderTransformer

from ._helpers import blobs, fast_autoencoder


@pytest.fixture
def fitted():
    X, _ = blobs()
    return fast_autoencoder().fit(X), X


@pytest.mark.parametrize("bad_value, name", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_nan_or_inf_in_fit_is_rejected(bad_value, name):
    X, _ = blobs()
    X[3, 2] = bad_value
    with pytest.raises(ValueError, match=f"Input X contains {name}"):
        fast_autoencoder().fit(X)


@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
def test_nan_in_transform_is_rejected(fitted, method):
    est, X = fitted
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(est, method)(X)


def test_one_dimensional_input_is_rejected(fitted):
    est, X = fitted
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        fast_autoencoder().fit(X[0])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.transform(X[0])


def test_three_dimensional_input_is_rejected():
    with pytest.raises(ValueError, match="Found array with dim 3"):
        fast_autoencoder().fit(np.zeros((4, 3, 2)))


def test_wrong_feature_count_at_transform(fitted):
    est, X = fitted
    with pytest.raises(
        ValueError, match="X has 9 features, but AutoencoderTransformer is expecting 10"
    ):
        est.transform(X[:, :9])


def test_wrong_code_width_at_inverse_transform(fitted):
    est, X = fitted
    with pytest.raises(ValueError, match="expects codes of n_components=3 features"):
        est.inverse_transform(np.zeros((2, 4)))


def test_empty_input_is_rejected():
    with pytest.raises(ValueError, match="Found array with 0 sample"):
        fast_autoencoder().fit(np.zeros((0, 5)))
    with pytest.raises(ValueError, match="Found array with 0 feature"):
        fast_autoencoder().fit(np.zeros((5, 0)))


def test_strings_are_rejected():
    X = np.array([["a", "b"], ["c", "d"]], dtype=object)
    with pytest.raises(ValueError, match="could not convert string to float"):
        fast_autoencoder().fit(X)


def test_sparse_input_raises_type_error():
    X = sp.random(20, 5, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        fast_autoencoder().fit(X)


def test_bce_requires_unit_interval():
    X, _ = blobs()
    with pytest.raises(ValueError, match=re.escape("loss='bce' needs X scaled to [0, 1]")):
        fast_autoencoder(loss="bce").fit(X * 3)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "'n_components' parameter of AutoencoderTransformer must be"),
        ({"activation": "gelu"}, "'activation' parameter"),
        ({"loss": "l1"}, "'loss' parameter"),
        ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter"),
        ({"learning_rate": "adaptive"}, "'learning_rate' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"device": 3}, "'device' parameter"),
        ({"precision": "int8"}, "'precision' parameter"),
    ],
)
def test_invalid_parameters_are_named(params, message):
    X, _ = blobs()
    with pytest.raises(ValueError, match=re.escape(message)):
        fast_autoencoder(**params).fit(X)


def test_non_positive_hidden_layer_size():
    X, _ = blobs()
    with pytest.raises(
        ValueError, match=re.escape("hidden_layer_sizes must hold positive integers, got (8, 0)")
    ):
        fast_autoencoder(hidden_layer_sizes=(8, 0)).fit(X)


def test_unknown_device_string():
    X, _ = blobs()
    with pytest.raises(ValueError, match="device='gpu0' is not a valid device"):
        fast_autoencoder(device="gpu0").fit(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_cuda():
    X, _ = blobs()
    with pytest.raises(ValueError, match="CUDA is not available"):
        fast_autoencoder(device="cuda").fit(X)


def test_early_stopping_needs_training_samples():
    with pytest.raises(ValueError, match="early_stopping needs at least one training"):
        fast_autoencoder(early_stopping=True).fit(np.zeros((1, 4)))


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score", "score_samples"])
def test_unfitted_model_raises_not_fitted(method):
    with pytest.raises(NotFittedError):
        getattr(AutoencoderTransformer(), method)(np.zeros((2, 3)))


def test_diverging_loss_names_the_learning_rate():
    X, _ = blobs()
    with pytest.raises(FloatingPointError, match=r"learning rate \(1e\+10\)"):
        fast_autoencoder(learning_rate_init=1e10, activation="identity").fit(X * 1e6)


@pytest.mark.parametrize(
    "bad_refit",
    [
        lambda est, X: est.fit(np.full_like(X, np.nan)),
        lambda est, X: est.set_params(learning_rate_init=1e10, activation="identity").fit(X * 1e6),
        lambda est, X: est.set_params(warm_start=True).fit(X[:, :5]),
        lambda est, X: est.partial_fit(X[:, :5]),
    ],
    ids=["nan", "diverging", "warm-start-features", "partial-fit-features"],
)
def test_failed_refit_leaves_fitted_model_intact(fitted, bad_refit):
    est, X = fitted
    before = est.transform(X)
    fitted_state = {k: v for k, v in vars(est).items() if k.endswith("_")}
    with pytest.raises((ValueError, FloatingPointError)):
        bad_refit(est, X)
    assert est.n_features_in_ == X.shape[1]
    assert {k: v for k, v in vars(est).items() if k.endswith("_")} == fitted_state
    assert_array_equal(est.transform(X), before)
