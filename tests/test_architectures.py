"""Convolutional networks, image shapes, denoising and sparse codes."""

import re

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits

import skae.nn._losses as losses
from skae import AutoencoderTransformer
from skae import nn as engine
from skae.nn._losses import corrupt


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def _conv(**params):
    defaults = dict(
        n_components=16,
        architecture="conv",
        image_shape=(8, 8),
        conv_channels=(16, 32),
        max_iter=60,
        learning_rate_init=3e-3,
        random_state=0,
        device="cpu",
    )
    return AutoencoderTransformer(**{**defaults, **params})


def test_conv_reconstructs_digits_far_better_than_the_mean_image(digits):
    X, _ = digits
    est = _conv().fit(X)
    reconstruction = est.inverse_transform(est.transform(X))
    assert reconstruction.shape == X.shape
    mean_image_error = ((X - X.mean(axis=0)) ** 2).mean()
    assert ((reconstruction - X) ** 2).mean() < mean_image_error / 4


def test_conv_network_is_convolutional_and_follows_conv_channels(digits):
    X, _ = digits
    est = _conv(conv_channels=(4, 8, 16), max_iter=1).fit(X)
    convs = [m for m in est.module_.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in convs] == [4, 8, 16]
    assert all(m.stride == (2, 2) for m in convs)
    transposed = [m for m in est.module_.decoder if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [m.out_channels for m in transposed] == [8, 4, 1]
    assert est.image_shape_ == (1, 8, 8)


def test_vgg_reconstructs_digits_far_better_than_the_mean_image(digits):
    X, _ = digits
    est = _conv(architecture="vgg", max_iter=30).fit(X)
    reconstruction = est.inverse_transform(est.transform(X))
    mean_image_error = ((X - X.mean(axis=0)) ** 2).mean()
    # Over random_state 0-6 the ratio lies in [0.21, 0.31]; 1/4 was within that spread.
    assert ((reconstruction - X) ** 2).mean() < mean_image_error / 3


def test_vgg_encoder_stacks_normalised_conv_pairs_and_pools(digits):
    X, _ = digits
    est = _conv(architecture="vgg", conv_channels=(4, 8, 16), max_iter=1).fit(X)
    encoder = list(est.module_.encoder)
    convs = [m for m in encoder if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in convs] == [4, 4, 8, 8, 16, 16]
    assert all(m.stride == (1, 1) and m.kernel_size == (3, 3) for m in convs)
    norms = [m for m in encoder if isinstance(m, torch.nn.BatchNorm2d)]
    assert [m.num_features for m in norms] == [4, 4, 8, 8, 16, 16]
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in encoder) == 3
    # 8x8 pooled three times (rounding up) is 1x1: the decoder is the conv one's.
    assert encoder[-1].in_features == 16
    transposed = [m for m in est.module_.decoder if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [m.out_channels for m in transposed] == [8, 4, 1]


def test_vgg_inference_uses_running_statistics_not_the_batch(digits):
    X, _ = digits
    est = _conv(architecture="vgg", max_iter=2).fit(X)
    alone = np.vstack([est.transform(X[i : i + 1]) for i in range(5)])
    assert_allclose(alone, est.transform(X[:5]), rtol=1e-4, atol=1e-5)
    assert not est.module_.training


def test_cosine_learning_rate_ends_fit_at_a_small_rate(digits):
    X, _ = digits
    constant = _conv(max_iter=5, tol=0.0).fit(X)
    cosine = _conv(max_iter=5, tol=0.0, learning_rate="cosine").fit(X)
    last_rate = cosine.optimizer_.param_groups[0]["lr"]
    assert constant.optimizer_.param_groups[0]["lr"] == pytest.approx(3e-3)
    assert last_rate == pytest.approx(3e-3 * 0.5 * (1 + np.cos(np.pi * 4 / 5)))
    assert cosine.loss_curve_ != constant.loss_curve_
    # A continued fit starts again from learning_rate_init.
    cosine.set_params(warm_start=True, max_iter=1).fit(X)
    assert cosine.optimizer_.param_groups[0]["lr"] == pytest.approx(3e-3)


@pytest.mark.parametrize("image_shape", [(3, 6, 5), (7, 9), (1, 1, 12), (-1, 4)])
@pytest.mark.parametrize("architecture", ["conv", "vgg"])
def test_conv_handles_colour_and_odd_image_sizes(image_shape, architecture):
    n_features = 90 if image_shape[0] == 3 else 63 if image_shape == (7, 9) else 12
    if image_shape == (-1, 4):
        n_features = 20
    X = np.random.default_rng(0).random((30, n_features))
    est = _conv(
        architecture=architecture,
        image_shape=image_shape,
        n_components=4,
        max_iter=2,
        conv_channels=(4, 8),
    )
    est.fit(X)
    assert est.inverse_transform(est.transform(X)).shape == X.shape
    assert np.prod(est.image_shape_) == n_features


def test_channels_first_pixel_order():
    # Two channels: a constant first channel and a noisy second one. The
    # reconstruction error of a well-trained model is lowest on the constant
    # channel only if rows are read channels-first.
    rng = np.random.default_rng(0)
    constant = np.full((200, 16), 0.5)
    X = np.hstack([constant, rng.random((200, 16))])
    est = _conv(image_shape=(2, 4, 4), n_components=2, max_iter=150).fit(X)
    error = (est.inverse_transform(est.transform(X)) - X) ** 2
    assert error[:, :16].mean() < error[:, 16:].mean() / 10


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"image_shape": (28, 28)},
            "X has 64 features per row, but image_shape (28, 28) holds 784",
        ),
        (
            {"image_shape": (3, 8, 8)},
            "X has 64 features per row, but image_shape (3, 8, 8) holds 192",
        ),
        ({"image_shape": (-1, 5)}, "64 is not a multiple of 5"),
        ({"image_shape": (-1, -1)}, "image_shape may hold one -1"),
        (
            {"image_shape": (0, 8)},
            "image_shape must be (height, width) or (channels, height, width)",
        ),
        ({"image_shape": (64,)}, "image_shape must be (height, width)"),
        ({"image_shape": None}, "architecture='conv' needs image_shape"),
        ({"conv_channels": (8, 0)}, "conv_channels must hold positive integers, got (8, 0)"),
        ({"conv_channels": ()}, "conv_channels needs at least one stage"),
        ({"corruption": "masking", "corruption_level": 1.0}, "needs corruption_level < 1"),
        ({"corruption": "cutout", "corruption_level": 1.5}, "needs corruption_level <= 1"),
    ],
)
def test_image_shape_errors_name_both_numbers(digits, params, message):
    X, _ = digits
    with pytest.raises(ValueError, match=re.escape(message)):
        _conv(max_iter=1, **params).fit(X)


def test_image_shape_with_dense_architecture_keeps_dense_network(digits):
    X, _ = digits
    est = AutoencoderTransformer(
        4, architecture="dense", image_shape=(8, 8), max_iter=1, device="cpu"
    ).fit(X)
    assert not any(isinstance(m, torch.nn.Conv2d) for m in est.module_.modules())
    assert est.image_shape_ == (1, 8, 8)


def test_image_shape_alone_chooses_the_conv_network(digits):
    X, _ = digits
    est = AutoencoderTransformer(4, image_shape=(8, 8), max_iter=1, device="cpu").fit(X)
    assert est.architecture_ == "conv"
    assert any(isinstance(m, torch.nn.Conv2d) for m in est.module_.modules())


# ----------------------------------------------------------------- denoising


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_corruption_is_drawn_only_while_training(digits, kind, monkeypatch):
    X, _ = digits
    calls = []
    original = losses.corrupt

    def spy(x, *args):
        calls.append(len(x))
        return original(x, *args)

    monkeypatch.setattr(losses, "corrupt", spy)
    est = AutoencoderTransformer(
        8, corruption=kind, corruption_level=0.3, max_iter=2, batch_size=500, device="cpu"
    )
    est.fit(X)
    assert sum(calls) == 2 * len(X)  # every training row, every epoch
    calls.clear()
    codes = est.transform(X)
    est.inverse_transform(codes)
    est.score_samples(X)
    assert calls == []
    # transform is the clean encoder, exactly.
    with torch.inference_mode():
        clean = est.module_.encode(torch.from_numpy(X)).numpy()
    assert_array_equal(codes, clean)


def test_corrupt_gaussian_and_masking_levels():
    x = torch.full((200, 500), 0.5)
    generator = torch.Generator().manual_seed(0)
    noisy = corrupt(x, "gaussian", 0.2, generator)
    assert (noisy - x).std().item() == pytest.approx(0.2, rel=0.02)
    masked = corrupt(x, "masking", 0.3, generator)
    assert (masked == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert set(masked.unique().tolist()) == {0.0, 0.5}


def test_denoising_is_reproducible_and_differs_from_plain(digits):
    X, _ = digits
    params = dict(max_iter=3, random_state=0, device="cpu", corruption="masking")
    a = AutoencoderTransformer(8, **params).fit(X)
    b = AutoencoderTransformer(8, **params).fit(X)
    plain = AutoencoderTransformer(8, **{**params, "corruption": None}).fit(X)
    assert_array_equal(a.transform(X), b.transform(X))
    assert not np.allclose(a.transform(X), plain.transform(X))


def test_denoising_autoencoder_removes_noise_better(digits):
    # A code as wide as the input lets a plain autoencoder learn the identity and
    # keep the noise; a denoising one has to learn to remove it.
    X, _ = digits
    noisy = (X + np.random.default_rng(1).normal(0, 0.3, X.shape)).astype(np.float32)
    params = dict(n_components=64, loss="mse", max_iter=60, random_state=0, device="cpu")
    plain = AutoencoderTransformer(**params).fit(X)
    denoising = AutoencoderTransformer(corruption="gaussian", corruption_level=0.3, **params)
    denoising.fit(X)

    def error(est):
        return ((est.inverse_transform(est.transform(noisy)) - X) ** 2).mean()

    assert error(denoising) < 0.7 * error(plain)


# -------------------------------------------------------------------- sparse


def _hoyer_sparsity(codes):
    """Hoyer's measure, 0 (all equal) to 1 (one non-zero value), averaged over rows: scale-free."""
    n = codes.shape[1]
    ratio = np.abs(codes).sum(axis=1) / np.sqrt((codes**2).sum(axis=1))
    return float(np.mean((np.sqrt(n) - ratio) / (np.sqrt(n) - 1)))


def test_sparsity_makes_codes_sparse_and_zero_is_plain(digits):
    X, _ = digits
    params = dict(max_iter=60, random_state=0, device="cpu", tol=0.0)
    plain = AutoencoderTransformer(16, **params).fit(X)
    zero = AutoencoderTransformer(16, sparsity=0.0, **params).fit(X)
    sparse = AutoencoderTransformer(16, sparsity=0.1, **params).fit(X)
    assert_array_equal(zero.transform(X), plain.transform(X))
    # Sparser by a measure that rescaling the code cannot fake.
    assert _hoyer_sparsity(sparse.transform(X)) > _hoyer_sparsity(plain.transform(X)) + 0.05


def test_sparsity_penalty_is_the_mean_absolute_code():
    model = engine.build_autoencoder(engine.NetworkSpec(6, 3, hidden_layer_sizes=(4,)), "dense")
    x = torch.rand(5, 6)
    reconstruction = engine.ReconstructionLoss("mse")
    plain = engine.AutoencoderObjective(reconstruction)(model, x)
    sparse = engine.AutoencoderObjective(reconstruction, sparsity=0.5)(model, x)
    expected = plain + 0.5 * model.encode(x).abs().mean()
    assert torch.allclose(sparse, expected)
    # Evaluation (the validation loss) is the reconstruction error alone, like score.
    model.eval()
    assert torch.allclose(
        engine.AutoencoderObjective(reconstruction, sparsity=0.5)(model, x), plain
    )


# ------------------------------------------------- float32 batch invariance


@pytest.mark.parametrize("architecture", ["dense", "conv", "vgg"])
def test_one_row_and_a_batch_agree_to_float32_rounding(architecture):
    X = np.random.default_rng(0).random((20, 64))
    est = AutoencoderTransformer(
        architecture=architecture, image_shape=(8, 8), max_iter=3, device="cpu"
    )
    est.fit(X)
    batch = est.transform(X)
    rows = np.vstack([est.transform(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(rows, batch, rtol=1e-5, atol=1e-6)
    est64 = est.set_params(precision="float64")
    est64.fit(X)
    rows = np.vstack([est64.transform(X[i : i + 1]) for i in range(len(X))])
    assert_allclose(rows, est64.transform(X), rtol=1e-12, atol=1e-12)


def test_cutout_zeroes_one_square_per_image():
    x = torch.ones(500, 1 * 10 * 10)
    cut = corrupt(x, "cutout", 0.4, torch.Generator().manual_seed(0), (1, 10, 10))
    images = cut.reshape(500, 10, 10)
    zeros = (images == 0).sum(dim=(1, 2))
    assert zeros.max() == 16 and zeros.min() >= 4  # a 4x4 square, clipped at the border
    for image in images[:50]:
        rows, cols = torch.nonzero(image == 0, as_tuple=True)
        # The zeros form one axis-aligned rectangle.
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    with pytest.raises(ValueError, match="cutout' needs image_shape"):
        corrupt(x, "cutout", 0.4, torch.Generator())


def test_cutout_denoising_needs_image_shape(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="corruption='cutout' cuts squares out of images"):
        AutoencoderTransformer(4, corruption="cutout", max_iter=1, device="cpu").fit(X)
    est = _conv(corruption="cutout", corruption_level=0.5, max_iter=2).fit(X)
    assert est.transform(X).shape == (len(X), 16)


def test_inference_uses_the_fitted_network_not_changed_parameters(digits):
    X, _ = digits
    est = AutoencoderTransformer(8, loss="bce", max_iter=2, random_state=0, device="cpu").fit(X)
    codes, reconstruction = est.transform(X), est.inverse_transform(est.transform(X))
    scores = est.score_samples(X)
    est.set_params(precision="float64", loss="mse", n_components=5)
    assert_array_equal(est.transform(X), codes)
    assert_array_equal(est.inverse_transform(codes), reconstruction)
    assert_array_equal(est.score_samples(X), scores)
    with pytest.raises(ValueError, match="codes of n_components=8"):
        est.inverse_transform(codes[:, :5])


def test_weight_decay_spares_biases():
    X = np.random.default_rng(0).random((50, 6))
    est = AutoencoderTransformer(2, hidden_layer_sizes=(4,), alpha=1.0, max_iter=1, device="cpu")
    groups = est.fit(X).optimizer_.param_groups
    assert groups[0]["weight_decay"] > 0 and all(p.ndim == 2 for p in groups[0]["params"])
    assert groups[1]["weight_decay"] == 0 and all(p.ndim == 1 for p in groups[1]["params"])
