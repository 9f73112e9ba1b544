"""The one fit sequence and its fitted configuration: behaviour that every estimator shares.

Each test here reproduces a defect found by trying skae as a new user would
(digits, small networks, every public class), so it failed before the fix.
"""

import os
import signal

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler

import skae.nn._training as training
from skae import AutoencoderClassifier, AutoencoderTransformer, VariationalAutoencoder
from skae.nn import DivergenceError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


def small(cls, **params):
    defaults = dict(n_components=4, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    if cls is AutoencoderClassifier:
        defaults["pretrain_iter"] = 2
    return cls(**{**defaults, **params})


# ----------------------------------------------------------- the bce range


@pytest.mark.parametrize("cls", [AutoencoderTransformer, VariationalAutoencoder])
@pytest.mark.parametrize("method", ["score_samples", "score"])
def test_bce_refuses_to_score_unscaled_rows(digits, cls, method):
    X, _ = digits
    est = small(cls, loss="bce").fit(X[:300] / 16)
    with pytest.raises(ValueError, match=r"loss='bce' needs X scaled to \[0, 1\]"):
        getattr(est, method)(X[300:600])
    assert np.all(np.isfinite(getattr(est, method)(X[300:600] / 16)))


def test_bce_models_encode_and_classify_rows_a_scaler_left_outside_the_range(digits):
    X, y = digits
    scaled = X / 16
    outside = scaled[300:400] * 1.1 - 0.05  # test rows of a scaler fitted on other rows
    est = small(AutoencoderTransformer, loss="bce").fit(scaled[:300])
    vae = small(VariationalAutoencoder, loss="bce").fit(scaled[:300])
    clf = small(AutoencoderClassifier, loss="bce").fit(scaled[:300], y[:300])
    assert np.all(np.isfinite(est.transform(outside)))
    assert np.all(np.isfinite(vae.posterior(outside)[0]))
    assert np.all(np.isfinite(clf.predict_proba(outside)))
    assert clf.predict(outside).shape == (100,)


def test_bce_models_encode_what_a_scaler_fitted_on_other_rows_leaves_far_outside(digits):
    """A pixel nearly constant in the training rows scales far beyond 1 in test rows: the
    README's grid search (MinMaxScaler, then the autoencoder) meets such rows in its folds."""
    X, y = digits
    scaler = MinMaxScaler().fit(X[:100])
    outside = scaler.transform(X[100:400])
    assert outside.max() > 2
    est = small(AutoencoderTransformer, loss="bce").fit(scaler.transform(X[:100]))
    clf = small(AutoencoderClassifier, loss="bce").fit(scaler.transform(X[:100]), y[:100])
    assert np.all(np.isfinite(est.transform(outside)))
    assert clf.predict(outside).shape == (300,)
    with pytest.raises(ValueError, match=r"needs X scaled to \[0, 1\]"):
        est.score_samples(outside)  # a score compares with the reconstruction: [0, 1] only


# ------------------------------------------------------ Ctrl-C in any phase


def _interrupt_on_first_step(monkeypatch):
    original = training.TrainStep.__call__
    calls = {"n": 0}

    def interrupting_step(self, batch):
        calls["n"] += 1
        loss = original(self, batch)
        if calls["n"] == 1:
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(training.TrainStep, "__call__", interrupting_step)
    return calls


def test_ctrl_c_in_pretraining_stops_the_whole_classifier_fit(digits, monkeypatch):
    X, y = digits
    calls = _interrupt_on_first_step(monkeypatch)
    clf = small(AutoencoderClassifier, pretrain_iter=5, max_iter=50, batch_size=32)
    with pytest.warns(UserWarning, match="interrupted by the user after 1 epoch.* pretraining"):
        clf.fit(X[:300] / 16, y[:300])
    assert calls["n"] == 1  # no further step, fine-tuning did not run
    assert len(clf.pretrain_loss_curve_) == 1
    assert clf.n_iter_ == 0 and clf.loss_curve_ == []
    assert clf.predict(X[:5] / 16).shape == (5,)


# ---------------------------------------------------------------- divergence


def test_finite_divergence_is_an_error_that_keeps_the_previous_model(digits):
    X, _ = digits
    est = AutoencoderTransformer(4, hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    est.fit(X[:300] / 16)
    before = est.transform(X[:10] / 16)
    est.set_params(learning_rate_init=1e3)
    with pytest.raises(DivergenceError, match=r"learning rate \(1000\)"):
        est.fit(X[:300])
    np.testing.assert_array_equal(est.transform(X[:10] / 16), before)
    assert est.learning_rate_init == 1e3  # the parameter is the user's, the model the old one


def test_finite_divergence_of_the_classifier_is_an_error(digits):
    X, y = digits
    clf = AutoencoderClassifier(
        4, hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=1e3, random_state=0
    )
    with pytest.raises(DivergenceError, match="times the untrained network's"):
        clf.fit(X[:300] / 16, y[:300])
    assert not hasattr(clf, "module_")


def test_a_loss_that_grows_within_bounds_is_not_a_divergence():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    training._check_divergence(900.0, 0.1, 3, optimizer)  # 9000x: still training
    with pytest.raises(DivergenceError):
        training._check_divergence(1001.0, 0.1, 3, optimizer)
    with pytest.raises(DivergenceError, match="became nan"):
        training._check_divergence(float("nan"), 0.1, 1, optimizer)


# --------------------------------------------------- the user's encoder output


class _Returns(torch.nn.Module):
    def __init__(self, kind="mean"):
        super().__init__()
        self.kind = kind
        self.linear = torch.nn.Linear(64, 8)

    def forward(self, x):
        out = self.linear(x)
        return {
            "mean": lambda: out.mean(0, keepdim=True),
            "scalar": lambda: out.sum(),
            "transposed": lambda: out.T,
            "tuple": lambda: (out, out),
            "numpy": lambda: out.detach().numpy(),
        }[self.kind]()


@pytest.mark.parametrize(
    "kind, error, message",
    [
        ("mean", ValueError, r"encoder _Returns returned shape \(1, 8\).*one row per input row"),
        ("scalar", ValueError, r"encoder _Returns returned shape \(\)"),
        ("transposed", ValueError, r"encoder _Returns returned shape \(8, 3\)"),
        ("tuple", TypeError, "encoder _Returns returned a tuple.*one torch.Tensor"),
        ("numpy", TypeError, "encoder _Returns returned a ndarray"),
    ],
)
def test_user_encoder_output_is_checked(digits, kind, error, message):
    X, _ = digits
    est = AutoencoderTransformer(4, encoder=_Returns, encoder__kind=kind, max_iter=1)
    with pytest.raises(error, match=message):
        est.fit(X[:50] / 16)


def test_user_decoder_output_is_checked(digits):
    X, _ = digits

    def decoder(n_components):
        return torch.nn.Sequential(torch.nn.Linear(n_components, 64), _BatchMean())

    with pytest.raises(ValueError, match=r"decoder Sequential returned shape \(1, 64\)"):
        AutoencoderTransformer(4, decoder=decoder, max_iter=1).fit(X[:50] / 16)


class _BatchMean(torch.nn.Module):
    def forward(self, x):
        return x.mean(0, keepdim=True)


# ------------------------------------------------------------- batch norm


def test_vgg_trains_when_the_last_batch_would_have_one_row(digits):
    X, _ = digits
    est = AutoencoderTransformer(
        4, architecture="vgg", image_shape=(8, 8), conv_channels=(4, 4, 4, 4), max_iter=2
    )
    est.fit(X[:257] / 16)  # 257 = 256 + 1
    assert est.n_iter_ == 2 and np.isfinite(est.loss_curve_).all()


def test_batches_never_end_with_fewer_rows_than_asked():
    batches = training.InMemoryBatches(
        torch.arange(9.0)[:, None], 4, shuffle=False, generator=None, min_batch_size=2
    )
    assert [len(batch) for batch in batches] == [4, 5] and len(batches) == 2
    assert torch.equal(torch.cat(list(batches)), torch.arange(9.0)[:, None])


def test_vgg_cannot_fit_one_row(digits):
    X, _ = digits
    est = AutoencoderTransformer(
        4, architecture="vgg", image_shape=(8, 8), conv_channels=(4, 4, 4, 4)
    )
    with pytest.raises(ValueError, match="batch normalisation.*at least 2 rows per batch"):
        est.fit(X[:1] / 16)


def test_vgg_classifier_trains_with_a_labeled_batch_of_one_left_over(digits):
    X, y = digits
    clf = AutoencoderClassifier(
        4, architecture="vgg", image_shape=(8, 8), conv_channels=(4, 4, 4, 4), pretrain_iter=1,
        max_iter=2, batch_size=8, random_state=0,
    )  # fmt: skip
    # 17 labeled rows = 2 * 8 + 1; the last stage normalises 1x1 images, one value a row.
    clf.fit(X[:17] / 16, y[:17] % 2)
    assert clf.n_iter_ == 2


# ----------------------------------------- inference reads the fitted record

NON_STRUCTURAL = {
    "loss": "bce",
    "corruption": "gaussian",
    "corruption_level": 0.3,
    "learning_rate": "cosine",
    "learning_rate_init": 0.05,
    "alpha": 0.5,
    "batch_size": 7,
    "max_iter": 9,
    "shuffle": False,
    "tol": 0.5,
    "early_stopping": True,
    "validation_fraction": 0.5,
    "n_iter_no_change": 2,
    "device": "cpu",
    "precision": "bfloat16",
    "compile": True,
    "random_state": 7,
    "verbose": 1,
    "warm_start": True,
}
OWN = {
    AutoencoderTransformer: {"sparsity": 3.0},
    VariationalAutoencoder: {"beta": 100.0},
    AutoencoderClassifier: {
        "pretrain_iter": 0,
        "reconstruction_weight": 2.0,
        "consistency_weight": 2.0,
        "pseudo_label_threshold": 0.5,
        "unlabeled_ratio": 2,
        "augment_noise": 0.3,
    },
}


def _outputs(est, X, y):
    methods = {
        "transform": lambda: est.transform(X),
        "score": lambda: est.score(X, y) if y is not None else est.score(X),
    }
    if hasattr(est, "inverse_transform"):
        methods["inverse_transform"] = lambda: est.inverse_transform(est.transform(X))
        methods["score_samples"] = lambda: est.score_samples(X)
    if hasattr(est, "predict_proba"):
        methods["predict_proba"] = lambda: est.predict_proba(X)
        methods["predict"] = lambda: est.predict(X)
    if hasattr(est, "posterior"):
        methods["posterior"] = lambda: np.hstack(est.posterior(X))
    return {name: method() for name, method in methods.items()}


@pytest.mark.parametrize("cls", list(OWN))
def test_set_params_after_fit_changes_no_output(digits, cls):
    X, y = digits
    X = X[:200] / 16
    y = y[:200] if cls is AutoencoderClassifier else None
    est = small(cls).fit(X, y)
    before = _outputs(est, X, y)
    est.set_params(**NON_STRUCTURAL, **OWN[cls])
    after = _outputs(est, X, y)
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_set_params_after_fit_changes_no_sample(digits):
    X, _ = digits
    vae = small(VariationalAutoencoder).fit(X[:200] / 16)
    before = vae.sample(5, random_state=0)
    vae.set_params(**NON_STRUCTURAL, beta=100.0)
    np.testing.assert_array_equal(vae.sample(5, random_state=0), before)


# --------------------------------------------------------------- structure


def test_dense_warm_start_refuses_a_new_image_shape(digits):
    X, _ = digits
    est = small(AutoencoderTransformer, image_shape=(8, 8), warm_start=True).fit(X[:100] / 16)
    est.set_params(image_shape=(4, 16))
    with pytest.raises(ValueError, match=r"image_shape=\(1, 4, 16\) differs"):
        est.fit(X[:100] / 16)


def test_warm_start_new_classes_message_shows_plain_labels(digits):
    X, y = digits
    clf = small(AutoencoderClassifier, warm_start=True).fit(X[:100] / 16, y[:100] % 2)
    with pytest.raises(ValueError, match=r"classes of the first fit, \[0, 1\]; got \[0, 1, 2\]"):
        clf.fit(X[:100] / 16, y[:100] % 3)


# ------------------------------------------------------------- construction


@pytest.mark.parametrize("cls", list(OWN))
def test_unknown_keyword_is_a_type_error_at_construction(cls):
    with pytest.raises(TypeError, match="'n_componets'. Did you mean 'n_components'"):
        cls(n_componets=3)


@pytest.mark.parametrize("cls", list(OWN))
@pytest.mark.parametrize("value", [-1, 3.0, "helloworld", np.array([1.0, 4.0]), [1], {}, []])
def test_construction_and_set_params_store_any_parameter_value(cls, value):
    # scikit-learn's check_do_not_raise_errors_in_init_or_set_params, on the real parameters.
    names = cls._get_param_names()
    est = cls(**{name: value for name in names})
    est.set_params(**{name: value for name in names})
    assert all(getattr(est, name) is value for name in names)


def test_module_arguments_are_still_accepted_and_cloned():
    est = AutoencoderTransformer(encoder=_Returns, encoder__kind="mean")
    assert clone(est).get_params()["encoder__kind"] == "mean"


# ------------------------------------------------------------------ seeding


def test_phases_draw_from_one_seed_sequence(digits):
    X, y = digits
    first = small(AutoencoderClassifier).fit(X[:200] / 16, y[:200])
    again = small(AutoencoderClassifier).fit(X[:200] / 16, y[:200])
    np.testing.assert_array_equal(
        first.predict_proba(X[:50] / 16), again.predict_proba(X[:50] / 16)
    )
    other = small(AutoencoderClassifier, random_state=1).fit(X[:200] / 16, y[:200])
    assert not np.array_equal(first.pretrain_loss_curve_, other.pretrain_loss_curve_)


def test_partial_fit_calls_draw_new_numbers_but_replay_alike(digits):
    X, _ = digits
    a = small(AutoencoderTransformer, shuffle=True, corruption="gaussian")
    b = clone(a)
    for est in (a, b):
        est.partial_fit(X[:200] / 16)
        est.partial_fit(X[:200] / 16)
    np.testing.assert_array_equal(a.transform(X[:20] / 16), b.transform(X[:20] / 16))
    assert a._seeds.n_calls == 2


# ---------------------------------------------------------- review findings


def test_warm_start_after_an_interrupted_pretraining(digits, monkeypatch):
    X, y = digits
    _interrupt_on_first_step(monkeypatch)
    clf = small(AutoencoderClassifier, pretrain_iter=3, batch_size=32)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X[:200] / 16, y[:200])
    monkeypatch.undo()
    clf.set_params(warm_start=True).fit(X[:200] / 16, y[:200])
    assert clf.n_iter_ == 3 and clf.optimizer_.state_dict()["state"]


def test_partial_fit_watches_growth_against_the_first_call(digits):
    X, _ = digits
    est = AutoencoderTransformer(
        4, hidden_layer_sizes=(16,), learning_rate_init=1e3, random_state=0
    )
    with pytest.raises(DivergenceError):
        for _ in range(20):  # one batch per call: each call alone looks flat
            est.partial_fit(X[:200])


def test_warnings_point_at_the_callers_line(digits):
    X, y = digits
    with pytest.warns(UserWarning) as records:
        small(AutoencoderClassifier, batch_size=500).fit(X[:100] / 16, y[:100])
    clipped = [r for r in records if "batch_size=500" in str(r.message)]
    assert len(clipped) == 2  # pretraining's rows and fine-tuning's labeled rows, once each
    assert all(r.filename == __file__ for r in records)


def test_a_partial_with_other_arguments_is_another_encoder(digits):
    import functools

    X, _ = digits
    est = AutoencoderTransformer(
        4, encoder=functools.partial(_Returns, kind="mean"), max_iter=1, warm_start=True
    )

    def config():
        traits = est._data_traits(X, None, "cpu")
        return est._make_config(64, est._resolved_params(traits, first_pass=True))

    before = config()
    est.set_params(encoder=functools.partial(_Returns, kind="tuple"))
    assert dict(before.modules)["encoder"] != dict(config().modules)["encoder"]
