"""The user's own encoder and decoder: routing, building, searching, pickling."""

import pickle
import re

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer, VariationalAutoencoder

from ._helpers import MirrorDecoder, VGGStyleEncoder


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def _vgg(**params):
    defaults = dict(
        n_components=8,
        encoder=VGGStyleEncoder,
        encoder__channels=(8, 16),
        image_shape=(8, 8),
        max_iter=5,
        random_state=0,
        device="cpu",
    )
    return AutoencoderTransformer(**{**defaults, **params})


def test_vgg_style_backbone_is_the_encoder(digits):
    X, _ = digits
    est = _vgg().fit(X)
    backbone = est.module_.encoder[1]
    assert isinstance(backbone, VGGStyleEncoder)
    convs = [m for m in backbone.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in convs] == [8, 8, 16, 16]
    assert all(m.kernel_size == (3, 3) for m in convs)
    # 8x8 -> two poolings -> 2x2 with 16 channels, projected to the code.
    assert est.module_.encoder[-1].in_features == 16 * 2 * 2
    assert est.transform(X).shape == (len(X), 8)
    assert est.inverse_transform(est.transform(X)).shape == X.shape


def test_module_params_route_through_get_set_params_and_clone():
    est = _vgg(encoder__convs_per_stack=1)
    params = est.get_params()
    assert params["encoder__channels"] == (8, 16) and params["encoder__convs_per_stack"] == 1
    est.set_params(encoder__channels=(4,), decoder__hidden=7)
    assert est.get_params()["encoder__channels"] == (4,)
    assert est.get_params()["decoder__hidden"] == 7
    cloned = clone(est)
    assert cloned.get_params()["encoder__channels"] == (4,)
    assert "encoder__channels=(4,)" in repr(cloned)
    assert not any(name.startswith("encoder__") for name in vars(cloned))


def test_module_params_reach_the_module(digits):
    X, _ = digits
    est = _vgg(encoder__channels=(4,), encoder__convs_per_stack=3).fit(X)
    convs = [m for m in est.module_.encoder[1].modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in convs] == [4, 4, 4]


def test_decoder_gets_n_components_unless_given(digits):
    X, _ = digits
    est = _vgg(decoder=MirrorDecoder, decoder__n_features=64).fit(X)
    assert est.module_.decoder[0].net[0].in_features == 8
    assert est.set_params(n_components=5).fit(X).transform(X).shape == (len(X), 5)


def test_decoder_of_wrong_width_is_a_clear_error(digits):
    X, _ = digits
    est = _vgg(decoder=MirrorDecoder, decoder__n_features=60)
    with pytest.raises(
        ValueError, match="decoder MirrorDecoder outputs 60 values per sample, but X has 64"
    ):
        est.fit(X)


def test_encoder_that_cannot_take_the_images_is_a_clear_error(digits):
    X, _ = digits
    colour = np.hstack([X, X, X])
    with pytest.raises(
        ValueError,
        match=re.escape("encoder VGGStyleEncoder failed on a batch of shape (3, 3, 8, 8)"),
    ):
        _vgg(image_shape=(3, 8, 8)).fit(colour)  # the backbone expects 1 channel
    assert _vgg(image_shape=(3, 8, 8), encoder__in_channels=3).fit(colour).n_features_in_ == 192


def test_bad_module_arguments_are_named(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="encoder='VGGStyleEncoder' could not be built"):
        _vgg(encoder__width=3).fit(X)
    with pytest.raises(TypeError, match="unexpected keyword argument 'encoderr__width'"):
        _vgg(encoderr__width=3)


def test_custom_module_in_grid_search_with_two_jobs(digits):
    X, y = digits
    pipe = make_pipeline(_vgg(max_iter=3), StandardScaler(), SVC())
    grid = {"autoencodertransformer__encoder__channels": [(4,), (8, 16)]}
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X[:400], y[:400])
    assert search.best_params_["autoencodertransformer__encoder__channels"] in [(4,), (8, 16)]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_[0]
    channels = best.get_params()["encoder__channels"]
    assert best.module_.encoder[1].features[0].out_channels == channels[0]


def test_custom_module_pickles(digits):
    X, _ = digits
    est = _vgg(decoder=MirrorDecoder, decoder__n_features=64).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.transform(X), est.transform(X))
    assert loaded.get_params()["encoder__channels"] == (8, 16)


def test_custom_encoder_in_variational_autoencoder(digits):
    X, _ = digits
    est = VariationalAutoencoder(
        4, encoder=VGGStyleEncoder, image_shape=(8, 8), max_iter=3, random_state=0, device="cpu"
    ).fit(X)
    assert est.module_.encoder[-1].out_features == 8  # means and log-variances
    assert est.sample(2, random_state=0).shape == (2, 64)


def pretrained_backbone(path, **kwargs):
    """A factory that loads weights the user already has, as the user guide shows."""
    backbone = VGGStyleEncoder(**kwargs)
    backbone.load_state_dict(torch.load(path, weights_only=True))
    return backbone


def test_encoder_factory_loads_pretrained_weights(digits, tmp_path):
    X, _ = digits
    weights = VGGStyleEncoder(channels=(8,)).state_dict()
    weights = {name: torch.full_like(value, 0.01) for name, value in weights.items()}
    torch.save(weights, tmp_path / "backbone.pt")
    est = _vgg(
        encoder=pretrained_backbone,
        encoder__path=tmp_path / "backbone.pt",
        encoder__channels=(8,),
        max_iter=1,
        learning_rate_init=1e-9,
    ).fit(X)
    for name, value in est.module_.encoder[1].state_dict().items():
        assert_allclose(value.numpy(), weights[name].numpy(), atol=1e-6)


# ----------------------------------------------- warm_start keeps structure


DENSE = dict(architecture="dense", image_shape=(8, 8))
CONV = dict(architecture="conv", image_shape=(8, 8), conv_channels=(4, 8))
CUSTOM = dict(encoder=VGGStyleEncoder, encoder__channels=(4,), image_shape=(8, 8))


@pytest.mark.parametrize(
    "fitted_with, change",
    [
        (DENSE, {"n_components": 5}),
        (DENSE, {"hidden_layer_sizes": (32,)}),
        (DENSE, {"architecture": "conv"}),
        (DENSE, {"activation": "tanh"}),
        (DENSE, {"encoder": VGGStyleEncoder}),
        (CONV, {"conv_channels": (4, 16)}),
        (CONV, {"image_shape": (4, 16)}),
        (DENSE, {"image_shape": (4, 16)}),  # structural for every architecture, as documented
        (CUSTOM, {"encoder__channels": (8,)}),
        (CUSTOM, {"image_shape": (4, 16)}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_structural_change_under_warm_start_or_partial_fit_raises(digits, fitted_with, change, how):
    X, _ = digits
    est = AutoencoderTransformer(
        8, max_iter=2, random_state=0, device="cpu", warm_start=True, **fitted_with
    ).fit(X)
    before = est.transform(X)
    name = next(iter(change))
    est.set_params(**change)
    advice = "call fit" if how == "partial_fit" else "set warm_start=False"
    with pytest.raises(ValueError, match=rf"{name}=.* differs from {name}=.*{how}.*{advice}"):
        est.fit(X) if how == "warm_start" else est.partial_fit(X)
    assert est.get_params()[name] == change[name]  # parameters untouched
    assert_array_equal(est.transform(X), before)  # the fitted model too
    assert est.get_feature_names_out().shape == (8,)


@pytest.mark.parametrize(
    "fitted_with, change",
    [
        (DENSE, {"conv_channels": (4, 16)}),  # not used by a dense network
        (CONV, {"hidden_layer_sizes": (32,)}),
        (DENSE, {"hidden_layer_sizes": [256]}),  # a list equal to the default tuple
        (CUSTOM, {"encoder__channels": [4]}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_unused_or_equal_structural_parameters_may_change(digits, fitted_with, change):
    X, _ = digits
    est = AutoencoderTransformer(
        8, max_iter=2, random_state=0, device="cpu", warm_start=True, **fitted_with
    ).fit(X)
    est.set_params(**change).fit(X)
    assert est.n_iter_ == 4


def test_module_instance_or_orphan_arguments_are_clear_errors(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="encoder must be a torch.nn.Module class or a factory"):
        _vgg(encoder=VGGStyleEncoder()).fit(X)
    with pytest.raises(ValueError, match="decoder__hidden is set, but decoder=None"):
        _vgg(decoder__hidden=3).fit(X)


def test_non_structural_change_under_warm_start_continues(digits):
    X, _ = digits
    est = AutoencoderTransformer(8, max_iter=2, random_state=0, device="cpu", warm_start=True)
    est.fit(X).set_params(learning_rate_init=1e-2, corruption="gaussian", sparsity=1e-3).fit(X)
    assert est.n_iter_ == 4


def test_structural_change_without_warm_start_builds_a_new_network(digits):
    X, _ = digits
    est = AutoencoderTransformer(8, max_iter=2, random_state=0, device="cpu").fit(X)
    assert est.set_params(n_components=5).fit(X).transform(X).shape == (len(X), 5)
    assert list(est.get_feature_names_out()) == [f"autoencodertransformer{i}" for i in range(5)]


def frozen_backbone(path, **kwargs):
    return pretrained_backbone(path, **kwargs).requires_grad_(False)


def test_frozen_pretrained_encoder_is_not_trained(digits, tmp_path):
    X, _ = digits
    weights = VGGStyleEncoder(channels=(8,)).state_dict()
    torch.save(weights, tmp_path / "backbone.pt")
    est = _vgg(
        encoder=frozen_backbone,
        encoder__path=tmp_path / "backbone.pt",
        encoder__channels=(8,),
        max_iter=3,
    ).fit(X)
    for name, value in est.module_.encoder[1].state_dict().items():
        assert torch.equal(value, weights[name])
    assert est.loss_curve_[-1] < est.loss_curve_[0]  # the projection and decoder still learn


def float64_backbone(**kwargs):
    return VGGStyleEncoder(**kwargs).double()


class KwargsDecoder(MirrorDecoder):
    """Forwards ``**kwargs``: it must not be handed an n_components it did not name."""

    def __init__(self, n_features, **kwargs):
        super().__init__(n_components=8, n_features=n_features, **kwargs)


def test_factories_in_float64_and_with_catch_all_kwargs(digits):
    X, _ = digits
    est = _vgg(encoder=float64_backbone, precision="float64").fit(X.astype(np.float64))
    assert est.transform(X).shape == (len(X), 8)
    est = _vgg(decoder=KwargsDecoder, decoder__n_features=64).fit(X)
    assert est.module_.decoder[0].net[0].in_features == 8


def test_same_value_compares_sequences_arrays_and_tensors():
    from skae._params import same_value

    assert same_value((1, 2), [1, 2])
    assert same_value(np.arange(3), np.arange(3)) and not same_value(np.arange(3), np.ones(3))
    assert same_value(torch.ones(2), torch.ones(2)) and not same_value(
        torch.ones(2), torch.zeros(2)
    )
    assert not same_value(np.arange(3), (0, 1, 2)) and not same_value(None, 0)
