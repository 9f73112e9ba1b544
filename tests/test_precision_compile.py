"""Mixed precision (bfloat16 autocast) and torch.compile on the CPU, every estimator."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

import skae.nn._compile as compile_module
from skae import AutoencoderClassifier, AutoencoderTransformer, VariationalAutoencoder
from skae.nn import CompileWarning

from ._helpers import blobs, fast_autoencoder


def _images(n_samples=300, seed=0):
    """Blurry 8x8 blobs: a problem where a conv network has something to learn."""
    X, y = blobs(n_samples=n_samples, n_features=64, seed=seed, dtype=np.float32)
    return X, y


def _relative_gap(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(
    "params",
    [dict(), dict(architecture="conv", image_shape=(8, 8), conv_channels=(4, 8))],
    ids=["dense", "conv"],
)
def test_bfloat16_learns_as_well_as_float32(params):
    X, _ = _images()
    full = fast_autoencoder(max_iter=30, batch_size=32, **params).fit(X)
    half = fast_autoencoder(max_iter=30, batch_size=32, precision="bfloat16", **params).fit(X)
    assert half.loss_curve_[-1] < 0.5 * half.loss_curve_[0]  # it trained
    # bfloat16 keeps about 3 significant digits, so the two trajectories drift apart
    # a little; the reconstruction error stays within 10% (0.01% to 9% over seeds).
    assert _relative_gap(half.score(X), full.score(X)) < 0.10
    # Inference runs in bfloat16 too: close to, but not bit-identical with, float32 math.
    codes = half.transform(X)
    assert codes.dtype == np.float32
    with torch.inference_mode():
        exact = half.module_.encode(torch.from_numpy(X)).numpy()
    assert not np.array_equal(codes, exact)
    assert_allclose(codes, exact, atol=0.05 * np.abs(exact).max())


def test_bfloat16_outputs_keep_the_input_dtype():
    X, _ = blobs()
    est = fast_autoencoder(precision="bfloat16").fit(X)
    assert est.transform(X).dtype == np.float64
    assert est.inverse_transform(est.transform(X)).dtype == np.float64
    assert est.score_samples(X).dtype == np.float64
    assert next(est.module_.parameters()).dtype == torch.float32  # float32 master weights


def test_bfloat16_classifier_and_variational_autoencoder():
    X, y = _images()
    classifier = AutoencoderClassifier(
        4, hidden_layer_sizes=(16,), pretrain_iter=3, max_iter=30, precision="bfloat16",
        random_state=0, device="cpu",
    ).fit(X, y)  # fmt: skip
    assert classifier.score(X, y) > 0.9
    assert classifier.predict_proba(X).dtype == np.float32
    assert_allclose(classifier.predict_proba(X).sum(axis=1), 1, rtol=1e-5)
    vae = VariationalAutoencoder(
        3, hidden_layer_sizes=(16,), max_iter=20, precision="bfloat16", random_state=0,
        device="cpu",
    ).fit(X)  # fmt: skip
    assert vae.sample(5, random_state=0).shape == (5, 64)
    assert np.isfinite(vae.score_samples(X)).all()


def test_float16_on_cpu_is_a_clear_error_that_keeps_the_fitted_model():
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    before = est.transform(X)
    est.set_params(precision="float16")
    with pytest.raises(ValueError, match=r"float16.*needs a CUDA device.*device is cpu"):
        est.fit(X)
    assert_array_equal(est.transform(X), before)
    with pytest.raises(ValueError, match="float16"):
        AutoencoderClassifier(precision="float16", device="cpu").fit(X, np.arange(len(X)) % 2)


def test_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="precision"):
        fast_autoencoder(precision="int8").fit(blobs()[0])


@pytest.fixture
def compile_counts():
    """TorchDynamo's count of compiled graphs, read before and after a block."""
    return lambda: torch._dynamo.utils.counters["stats"]["unique_graphs"]


def test_compile_matches_eager_and_does_not_recompile_for_every_shape(compile_counts):
    X, _ = _images()
    eager = fast_autoencoder(max_iter=5, batch_size=64).fit(X)
    compiled = fast_autoencoder(max_iter=5, batch_size=64, compile=True).fit(X)
    # 300 rows in batches of 64: the last batch of each epoch has 44 rows.
    assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-3)
    assert_allclose(compiled.transform(X), eager.transform(X), rtol=1e-3, atol=1e-4)
    before = compile_counts()
    for n_rows in (7, 19, 33, 58, 101):
        assert compiled.transform(X[:n_rows]).shape == (n_rows, 3)
    assert compile_counts() - before <= 1  # one dynamic-shape graph at most, not one per size


def test_compile_time_is_reported_apart_from_epoch_times(capsys):
    X, _ = _images()
    fast_autoencoder(max_iter=2, compile=True, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("compiling (torch.compile) took") for line in lines)
    assert sum(line.startswith("epoch") for line in lines) == 2


def test_compiled_estimators_pickle_and_clone():
    X, y = _images()
    est = fast_autoencoder(max_iter=3, compile=True).fit(X)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.transform(X), est.transform(X))
    assert clone(est).get_params()["compile"] is True
    classifier = AutoencoderClassifier(
        3, hidden_layer_sizes=(16,), pretrain_iter=1, max_iter=3, compile=True,
        random_state=0, device="cpu",
    ).fit(X, y)  # fmt: skip
    assert_array_equal(pickle.loads(pickle.dumps(classifier)).predict(X), classifier.predict(X))


def _broken_compiler(monkeypatch):
    """Make torch.compile produce functions that fail, as without a C++ compiler."""

    def failing_compile(fn):
        def compiled(*args):
            raise RuntimeError("no working C++ compiler found")

        return compiled

    monkeypatch.setattr(compile_module.torch, "compile", failing_compile)
    monkeypatch.setattr(compile_module, "_fallback_warned", False)


def test_compile_falls_back_to_eager_with_one_warning(monkeypatch):
    X, y = _images()
    expected = fast_autoencoder(max_iter=3).fit(X).transform(X)
    _broken_compiler(monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = fast_autoencoder(max_iter=3, compile=True).fit(X)
        codes = est.transform(X)
        AutoencoderClassifier(
            3, hidden_layer_sizes=(16,), pretrain_iter=1, max_iter=2, compile=True,
            random_state=0, device="cpu",
        ).fit(X, y).predict(X)  # fmt: skip
    fallbacks = [w for w in caught if issubclass(w.category, CompileWarning)]
    assert len(fallbacks) == 1
    assert "no working C++ compiler" in str(fallbacks[0].message)
    assert_array_equal(codes, expected)  # the eager path, exactly


class _FailingEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 3)

    def forward(self, x):
        raise ValueError("the user's encoder rejects this batch")


def test_compile_does_not_swallow_errors_of_the_users_module(monkeypatch):
    X, _ = _images()
    monkeypatch.setattr(compile_module, "_fallback_warned", False)
    est = AutoencoderTransformer(3, encoder=_FailingEncoder, compile=True, max_iter=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="rejects this batch"):
            est.fit(X)
    assert not [w for w in caught if issubclass(w.category, CompileWarning)]


def _second_conv_weight(est):
    # The first convolution has one input channel: both layouts coincide there.
    return [m for m in est.module_.modules() if isinstance(m, torch.nn.Conv2d)][1].weight


def test_conv_networks_train_channels_last_under_bfloat16_only():
    X, _ = _images()
    conv = dict(architecture="conv", image_shape=(8, 8), conv_channels=(4, 8), max_iter=2)
    half = _second_conv_weight(fast_autoencoder(precision="bfloat16", **conv).fit(X))
    assert half.is_contiguous(memory_format=torch.channels_last) and not half.is_contiguous()
    assert _second_conv_weight(fast_autoencoder(**conv).fit(X)).is_contiguous()
