"""Local seeding: same random_state, same model; global RNGs untouched."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.base import clone

from ._helpers import blobs, fast_autoencoder


def test_same_random_state_gives_identical_transform():
    X, _ = blobs()
    first = fast_autoencoder(random_state=7, early_stopping=True).fit(X)
    second = fast_autoencoder(random_state=7, early_stopping=True).fit(X)
    assert_array_equal(first.transform(X), second.transform(X))
    assert first.loss_curve_ == second.loss_curve_


def test_clone_reproduces_the_model():
    X, _ = blobs()
    est = fast_autoencoder(random_state=3).fit(X)
    assert_array_equal(clone(est).fit(X).transform(X), est.transform(X))


def test_refit_reproduces_the_model():
    X, _ = blobs()
    est = fast_autoencoder(random_state=3)
    first = est.fit(X).transform(X)
    assert_array_equal(est.fit(X).transform(X), first)


def test_different_random_states_differ():
    X, _ = blobs()
    a = fast_autoencoder(random_state=0).fit(X).transform(X)
    b = fast_autoencoder(random_state=1).fit(X).transform(X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("random_state", [None, 0, "instance"])
def test_fit_leaves_global_random_state_unchanged(random_state):
    if random_state == "instance":
        random_state = np.random.RandomState(0)
    X, _ = blobs()
    torch.manual_seed(123)
    np.random.seed(123)
    torch_before = torch.get_rng_state()
    numpy_before = np.random.get_state()[1].copy()
    est = fast_autoencoder(random_state=random_state, early_stopping=True).fit(X)
    est.partial_fit(X)
    est.transform(X)
    assert torch.equal(torch.get_rng_state(), torch_before)
    assert_array_equal(np.random.get_state()[1], numpy_before)


def test_random_state_instance_is_advanced_by_fit():
    X, _ = blobs()
    rng = np.random.RandomState(0)
    a = fast_autoencoder(random_state=rng).fit(X).transform(X)
    b = fast_autoencoder(random_state=rng).fit(X).transform(X)
    assert not np.allclose(a, b)
