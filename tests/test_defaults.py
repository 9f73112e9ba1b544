"""The ``"auto"`` parameters: what they resolve to from the data, and how to switch each off."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderClassifier, AutoencoderTransformer, VariationalAutoencoder
from skae._defaults import CLASSIFIER_RULES, TRANSFORMER_RULES, DataTraits, resolve
from skae.nn import _precision
from skae.nn._training import ONE_CYCLE_START

from ._helpers import blobs

SEMI_SUPERVISED_SIGNALS = {
    "consistency_weight": 1.0,
    "pseudo_label_threshold": 0.95,
    "corruption": "cutout",
    "corruption_level": 0.5,
}
SIGNALS_OFF = {
    "consistency_weight": 0.0,
    "pseudo_label_threshold": None,
    "corruption": None,
    "corruption_level": 0.1,
}


def _images(n_samples=60, side=8, seed=0, scale=1.0):
    """Random images in [0, scale] of side x side pixels, three classes."""
    rng = np.random.default_rng(seed)
    X = scale * rng.random((n_samples, side * side))
    return X, np.arange(n_samples) % 3


def _semi(y, every=4):
    """y with every row but each ``every``-th labeled -1."""
    return np.where(np.arange(len(y)) % every == 0, y, -1)


def _quick(estimator_class, **params):
    """One epoch of each phase: the rules under test are the other parameters'."""
    epochs = {"max_iter": 1, "pretrain_iter": 1} if estimator_class is AutoencoderClassifier else {}
    return estimator_class(device="cpu", random_state=0, **{**epochs, **params})


def _fitted_choices(estimator):
    return {name: getattr(estimator, f"{name}_") for name in estimator._auto_rules}


def _traits(**kwargs):
    defaults = dict(
        n_samples=60000,
        n_unlabeled=0,
        image_shape=(1, 28, 28),
        in_unit_interval=True,
        native_bfloat16=True,
    )
    return DataTraits(**{**defaults, **kwargs})


def _resolve_classifier(traits, **params):
    return resolve(AutoencoderClassifier(**params).get_params(), CLASSIFIER_RULES, traits)


# --------------------------------------------------------------- the classifier


def test_flat_rows_keep_the_dense_classifier_without_signals():
    X, y = blobs()
    clf = _quick(AutoencoderClassifier, max_iter="auto", pretrain_iter="auto").fit(X, _semi(y))
    assert _fitted_choices(clf) == {
        "architecture": "dense",
        "n_components": 32,
        "loss": "bce",  # blobs lie in [0, 1]
        "learning_rate": "constant",
        "learning_rate_init": 1e-3,
        "precision": "float32",
        "augment_shift": 0,
        "augment_noise": 0.0,
        **SIGNALS_OFF,
        "alpha": 1e-4,
        "pretrain_iter": 20,
        "max_iter": 100,
        "batch_size": 64,  # labeled rows per step beside unlabeled ones
    }
    assert clf.n_iter_ <= 100


def test_values_outside_the_unit_interval_choose_the_squared_error():
    X, y = blobs()
    clf = _quick(AutoencoderClassifier).fit(4 * X - 2, y)
    transformer = _quick(AutoencoderTransformer, max_iter=1).fit(4 * X - 2)
    assert clf.loss_ == transformer.loss_ == "mse"
    assert transformer.transform(5 * X).shape == (len(X), 32)  # mse takes any range


def test_images_with_unlabeled_rows_get_the_validated_recipe(monkeypatch):
    monkeypatch.setattr(_precision, "_cpu_flags", lambda: frozenset({"avx512_bf16"}))
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8)).fit(X, _semi(y))
    assert _fitted_choices(clf) == {
        "architecture": "vgg",
        "n_components": 128,
        "loss": "bce",
        "learning_rate": "cosine",
        "learning_rate_init": 1e-3,
        "precision": "bfloat16",
        "augment_shift": 2,
        "augment_noise": 0.2,
        **SEMI_SUPERVISED_SIGNALS,
        "alpha": 1e-4,
        "pretrain_iter": 1,
        "max_iter": 1,
        "batch_size": 64,
    }
    assert clf.transform(X[:2]).shape == (2, 128)


def test_images_with_every_row_labeled_train_supervised():
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8)).fit(X, y)
    assert {name: getattr(clf, f"{name}_") for name in SIGNALS_OFF} == SIGNALS_OFF
    assert (clf.architecture_, clf.learning_rate_, clf.augment_shift_) == ("vgg", "cosine", 2)
    assert clf.alpha_ == 0.1


@pytest.mark.parametrize(
    ("unlabeled_every", "params", "alpha"),
    [
        (None, {}, 0.1),  # every row labeled
        (4, {}, 1e-4),  # the semi-supervised signals train on the -1 rows
        (4, {"consistency_weight": 0.0, "pseudo_label_threshold": None}, 0.1),  # labeled only
        (4, {**SIGNALS_OFF, "reconstruction_weight": 0.5}, 1e-4),  # reconstructs the -1 rows
        (None, {"alpha": 0.0}, 0.0),  # set by the user
    ],
)
def test_the_l2_penalty_is_stronger_when_images_are_fine_tuned_on_labels_only(
    unlabeled_every, params, alpha
):
    X, y = _images()
    y = y if unlabeled_every is None else _semi(y, unlabeled_every)
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8), **params).fit(X, y)
    assert clf.alpha_ == alpha
    # Fine-tuning's Adam gets MLPClassifier's alpha / batch size: 64 labeled rows a step.
    batch = min(64, np.count_nonzero(y != -1))
    assert clf.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(alpha / batch)


@pytest.mark.parametrize(
    ("params", "rate"),
    [
        ({"learning_rate": "constant"}, 1e-3),
        ({"learning_rate": "one_cycle"}, 3e-3),  # the warm-up lets a higher peak train
        ({"learning_rate": "one_cycle", "learning_rate_init": 5e-4}, 5e-4),  # set by the user
    ],
)
def test_one_cycle_peaks_at_a_higher_rate(params, rate):
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8), **params).fit(X, y)
    assert clf.learning_rate_init_ == rate
    assert clf.learning_rate_init == params.get("learning_rate_init", "auto")  # left untouched
    # The one step of this fit: at the rate, or where a cycle starts, a 25th of its peak.
    first = rate if params["learning_rate"] == "constant" else rate * ONE_CYCLE_START
    assert clf.n_iter_ == 1 and clf.optimizer_.param_groups[0]["lr"] == pytest.approx(first)


def test_bfloat16_only_where_the_device_computes_it_natively(monkeypatch):
    monkeypatch.setattr(_precision, "_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8)).fit(X, y)
    assert clf.precision_ == "float32"
    monkeypatch.setattr(_precision, "_cpu_flags", lambda: frozenset({"amx_bf16"}))
    assert clf.fit(X, y).precision_ == "bfloat16"


def test_images_outside_the_unit_interval_get_no_noise():
    X, y = _images(scale=255.0)
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8)).fit(X, _semi(y))
    assert (clf.loss_, clf.augment_noise_, clf.augment_shift_) == ("mse", 0.0, 2)


def test_images_smaller_than_eight_pixels_are_not_shifted():
    X, y = _images(side=6)
    assert _quick(AutoencoderClassifier, image_shape=(6, 6)).fit(X, _semi(y)).augment_shift_ == 0


@pytest.mark.parametrize(
    "architecture, side, shift",
    [("vgg", 8, 2), ("vgg", 28, 2), ("conv", 8, 0), ("conv", 14, 1), ("conv", 28, 2),
     ("dense", 56, 2)],
)  # fmt: skip
def test_networks_other_than_vgg_are_shifted_a_pixel_per_fourteen_of_the_side(
    architecture, side, shift
):
    traits = _traits(image_shape=(1, side, side), n_samples=2000, n_unlabeled=1900)
    assert _resolve_classifier(traits, architecture=architecture).augment_shift == shift


def test_the_conv_classifier_on_eight_pixel_images_is_not_shifted():
    X, y = _images()
    clf = _quick(AutoencoderClassifier, architecture="conv", image_shape=(8, 8))
    assert clf.fit(X, _semi(y)).augment_shift_ == 0


@pytest.mark.parametrize(
    "name, off",
    [
        ("consistency_weight", 0.0),
        ("pseudo_label_threshold", None),
        ("corruption", None),
        ("augment_shift", 0),
        ("augment_noise", 0.0),
        ("learning_rate", "constant"),
        ("precision", "float32"),
    ],
)
def test_each_default_signal_is_switched_off_by_its_parameter(name, off):
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8), **{name: off}).fit(X, _semi(y))
    assert getattr(clf, f"{name}_") == off
    assert clf.get_params()[name] == off
    unchanged = (name, "corruption_level")
    others = {n: v for n, v in SEMI_SUPERVISED_SIGNALS.items() if n not in unchanged}
    assert {n: getattr(clf, f"{n}_") for n in others} == others


def test_explicit_corruption_keeps_its_own_level_default():
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8), corruption="gaussian")
    assert clf.fit(X, _semi(y)).corruption_level_ == 0.1


def test_the_constructor_stores_auto_untouched_and_fit_does_not_change_it():
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8))
    before = clf.get_params()
    clf.fit(X, _semi(y))
    assert clf.get_params() == before
    assert clf.architecture == clf.corruption == clf.precision == "auto"


# ------------------------------------------------------------------- the budgets


def test_budgets_on_fashion_mnist_sizes_are_the_validated_ones():
    semi = _resolve_classifier(_traits(n_unlabeled=59000))
    full = _resolve_classifier(_traits())
    validation = _resolve_classifier(_traits(n_samples=50000))
    # VGG_RECIPE: pretrain_iter=5, max_iter=30; FULL_LABELS_RECIPE: pretrain_iter=2, and
    # 54 fine-tuning epochs on the validation split's 50,000 images (45 on 60,000).
    assert (semi.pretrain_iter, semi.max_iter) == (5, 30)
    assert (full.pretrain_iter, full.max_iter) == (2, 45)
    assert validation.max_iter == 54


def test_budgets_of_small_image_sets_are_clipped():
    small = _resolve_classifier(_traits(n_samples=1257, n_unlabeled=1157, image_shape=(1, 8, 8)))
    assert small.max_iter == 150
    assert small.pretrain_iter == 50


def test_budgets_follow_an_explicit_batch_size():
    default = _resolve_classifier(_traits(n_samples=20000))
    smaller = _resolve_classifier(_traits(n_samples=20000), batch_size=32)
    assert smaller.max_iter < default.max_iter
    assert smaller.pretrain_iter <= default.pretrain_iter


def test_a_cosine_schedule_runs_its_whole_budget_without_a_convergence_warning():
    X, y = blobs()
    clf = _quick(
        AutoencoderClassifier, learning_rate="cosine", tol=10.0, n_iter_no_change=1, max_iter=6
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 6
    constant = _quick(
        AutoencoderClassifier, learning_rate="constant", tol=10.0, n_iter_no_change=1, max_iter=6
    ).fit(X, y)
    assert constant.n_iter_ < 6


# --------------------------------------------------------------- the transformers


@pytest.mark.parametrize("estimator_class", [AutoencoderTransformer, VariationalAutoencoder])
def test_transformers_choose_the_network_from_image_shape(estimator_class):
    X, _ = _images()
    flat = _quick(estimator_class, max_iter=1).fit(X)
    images = _quick(estimator_class, max_iter=1, image_shape=(8, 8)).fit(X)
    assert (flat.architecture_, flat.loss_) == ("dense", "bce")
    assert (images.architecture_, images.loss_) == ("conv", "bce")
    assert set(TRANSFORMER_RULES) == {"architecture", "loss", "batch_size"}
    assert flat.batch_size_ == images.batch_size_ == 256  # asked for; 60 rows make one batch


def test_the_autoencoder_on_pixel_images_gets_a_wide_code_and_denoising():
    X, _ = _images()
    flat = _quick(AutoencoderTransformer, max_iter=1).fit(X)
    pixels = _quick(AutoencoderTransformer, max_iter=1, image_shape=(8, 8)).fit(X)
    unscaled = _quick(AutoencoderTransformer, max_iter=1, image_shape=(8, 8)).fit(X * 3)
    assert _fitted_choices(flat) == {
        "architecture": "dense", "loss": "bce", "batch_size": 256,
        "n_components": 32, "corruption": None, "corruption_level": 0.1,
    }  # fmt: skip
    assert _fitted_choices(pixels) == {
        "architecture": "conv", "loss": "bce", "batch_size": 256,
        "n_components": 128, "corruption": "gaussian", "corruption_level": 0.2,
    }  # fmt: skip
    assert (unscaled.n_components_, unscaled.corruption_) == (128, None)
    assert pixels.transform(X).shape == (60, 128)
    assert len(pixels.get_feature_names_out()) == 128
    # The variational autoencoder keeps its code of 32 and trains on clean images.
    vae = _quick(VariationalAutoencoder, max_iter=1, image_shape=(8, 8)).fit(X)
    assert (vae.n_components, vae.corruption, vae.transform(X).shape) == (32, None, (60, 32))


def test_the_autoencoders_denoising_and_code_size_can_be_set():
    X, _ = _images()
    kwargs = dict(max_iter=1, image_shape=(8, 8))
    plain = _quick(AutoencoderTransformer, corruption=None, n_components=32, **kwargs).fit(X)
    assert (plain.corruption_, plain.n_components_) == (None, 32)
    assert plain.transform(X).shape == (60, 32)
    masking = _quick(AutoencoderTransformer, corruption="masking", **kwargs).fit(X)
    assert (masking.corruption_, masking.corruption_level_) == ("masking", 0.1)
    level = _quick(AutoencoderTransformer, corruption_level=0.05, **kwargs).fit(X)
    assert (level.corruption_, level.corruption_level_) == ("gaussian", 0.05)
    # The denoising default changes the training, not the code's meaning: scoring is clean.
    denoising = _quick(AutoencoderTransformer, n_components=32, **kwargs).fit(X)
    assert not np.allclose(denoising.transform(X), plain.transform(X))
    assert denoising.score(X) == pytest.approx(denoising.score(X))


def test_a_continued_fit_keeps_the_choices_of_the_first():
    X, _ = _images()
    transformer = _quick(AutoencoderTransformer, max_iter=1)
    transformer.partial_fit(X)
    with pytest.raises(ValueError, match=r"loss='bce' needs X scaled to \[0, 1\]"):
        transformer.partial_fit(X * 3)  # trains on the loss chosen by the first call
    assert transformer.loss_ == "bce"
    refitted = _quick(AutoencoderTransformer, max_iter=1).fit(X * 3)
    assert refitted.loss_ == "mse"


def test_a_continued_fit_resolves_a_parameter_its_first_fit_had_no_rule_for():
    X, y = _images()
    clf = _quick(AutoencoderClassifier, image_shape=(8, 8)).fit(X, y)
    del clf._resolved_auto["alpha"]  # as fitted by a skae whose alpha was not "auto"
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.alpha_ == 0.1


@pytest.mark.parametrize("estimator_class", [AutoencoderTransformer, VariationalAutoencoder])
def test_only_the_classifier_resolves_alpha(estimator_class):
    X, _ = _images()
    with pytest.raises(ValueError, match="'alpha' parameter"):
        _quick(estimator_class, alpha="auto", max_iter=1).fit(X)


def test_supervised_batches_on_images_grow_with_the_labeled_rows():
    from skae._defaults import auto_labeled_batch

    assert auto_labeled_batch(400, trains_on_unlabeled=False, images=True) == 64
    assert auto_labeled_batch(12800, trains_on_unlabeled=False, images=True) == 128
    assert auto_labeled_batch(60000, trains_on_unlabeled=False, images=True) == 256
    assert auto_labeled_batch(60000, trains_on_unlabeled=True, images=True) == 64
    assert auto_labeled_batch(60000, trains_on_unlabeled=False, images=False) == 64


def test_each_image_draws_its_own_noise_level():
    import torch

    from skae.nn._perturbations import random_noise

    x = torch.zeros(400, 64)
    noise = random_noise(x, 0.2, torch.Generator().manual_seed(0))
    levels = noise.std(dim=1)
    assert levels.min() < 0.03 and 0.17 < levels.max() < 0.23  # clean to noisy in one batch
    assert abs(levels.mean().item() - 0.1) < 0.01  # uniform on [0, 0.2]


@pytest.mark.parametrize("clean_fraction", [0.0, 0.5, 0.8])
def test_noise_leaves_the_clean_fraction_of_images_clean(clean_fraction):
    import torch

    from skae.nn._perturbations import random_noise

    x = torch.rand(1000, 16)
    noisy = random_noise(x, 0.2, torch.Generator().manual_seed(0), clean_fraction=clean_fraction)
    clean = (noisy == x).all(dim=1)
    assert abs(clean.float().mean().item() - clean_fraction) < 0.05
    assert (noisy[~clean] != x[~clean]).all(dim=1).all()  # the others are noisy in every pixel


def test_noise_with_a_value_range_stays_in_it():
    import torch

    from skae.nn._perturbations import random_noise

    x = torch.full((200, 64), 0.5)
    generator = torch.Generator().manual_seed(0)
    assert random_noise(x, 2.0, generator).abs().max() > 1.5  # unclipped, the noise leaves [0, 1]
    clipped = random_noise(x, 2.0, generator, value_range=(0.0, 1.0))
    assert clipped.min() == 0.0 and clipped.max() == 1.0
