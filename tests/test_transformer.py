"""Behaviour of AutoencoderTransformer: fit, transform, scores, output, stopping."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer

from ._helpers import blobs, fast_autoencoder


def test_constructor_stores_parameters_untouched():
    hidden = [32, 8]
    est = AutoencoderTransformer(5, hidden_layer_sizes=hidden, device="cpu")
    assert est.hidden_layer_sizes is hidden
    assert est.get_params()["n_components"] == 5
    assert not any(name.endswith("_") for name in vars(est))


def test_fit_returns_self_and_sets_fitted_attributes():
    X, _ = blobs()
    est = fast_autoencoder()
    assert est.fit(X) is est
    assert est.n_features_in_ == X.shape[1]
    assert est.device_ == "cpu"
    assert est.n_iter_ == len(est.loss_curve_) >= 1
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None and est.best_validation_score_ is None


def test_network_shape_follows_parameters():
    X, _ = blobs(n_features=10)
    est = fast_autoencoder(n_components=4, hidden_layer_sizes=(12, 6), max_iter=1).fit(X)
    encoder_sizes = [m.out_features for m in est.module_.encoder if hasattr(m, "out_features")]
    decoder_sizes = [m.out_features for m in est.module_.decoder if hasattr(m, "out_features")]
    assert encoder_sizes == [12, 6, 4]
    assert decoder_sizes == [6, 12, 10]


@pytest.mark.parametrize("hidden", [7, ()])
def test_hidden_layer_sizes_as_int_or_empty(hidden):
    X, _ = blobs()
    est = fast_autoencoder(hidden_layer_sizes=hidden, max_iter=2).fit(X)
    n_linear = sum(1 for m in est.module_.encoder if hasattr(m, "out_features"))
    assert n_linear == (1 if hidden == () else 2)


def test_transform_and_inverse_transform_shapes():
    X, _ = blobs(n_samples=50, n_features=10)
    est = fast_autoencoder(n_components=3).fit(X)
    codes = est.transform(X)
    assert codes.shape == (50, 3)
    assert est.inverse_transform(codes).shape == (50, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_output_dtype_follows_input(dtype, precision):
    X, _ = blobs(dtype=dtype)
    est = fast_autoencoder(precision=precision, max_iter=2).fit(X)
    assert est.transform(X).dtype == dtype
    assert est.inverse_transform(est.transform(X)).dtype == dtype
    assert next(est.module_.parameters()).dtype == getattr(__import__("torch"), precision)


def test_training_reduces_reconstruction_error():
    X, _ = blobs()
    untrained = fast_autoencoder(max_iter=1, learning_rate_init=1e-6).fit(X)
    trained = fast_autoencoder(max_iter=200, learning_rate_init=1e-2).fit(X)
    assert trained.score(X) > untrained.score(X)
    assert trained.loss_curve_[-1] < trained.loss_curve_[0] / 5


def test_score_is_mean_of_score_samples_and_matches_reconstruction():
    X, _ = blobs()
    est = fast_autoencoder().fit(X)
    samples = est.score_samples(X)
    assert samples.shape == (len(X),)
    assert np.all(samples <= 0)
    assert est.score(X) == pytest.approx(samples.mean(), rel=1e-6)
    reconstruction = est.inverse_transform(est.transform(X))
    assert_allclose(-samples, ((reconstruction - X) ** 2).mean(axis=1), rtol=1e-4, atol=1e-7)


def test_score_samples_flags_anomalies():
    X, _ = blobs(n_samples=300)
    est = fast_autoencoder(max_iter=300, learning_rate_init=1e-2).fit(X)
    outliers = np.random.default_rng(1).random((10, X.shape[1]))
    assert est.score_samples(outliers).max() < np.median(est.score_samples(X))


def test_bce_loss_gives_outputs_in_unit_interval():
    X, _ = blobs()
    est = fast_autoencoder(loss="bce").fit(X)
    reconstruction = est.inverse_transform(est.transform(X))
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1
    assert np.abs(reconstruction - X).mean() < np.abs(X.mean(axis=0) - X).mean() * 2


def test_get_feature_names_out_and_pandas_output():
    pd = pytest.importorskip("pandas")
    X, _ = blobs()
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    est = fast_autoencoder(n_components=3).set_output(transform="pandas")
    codes = est.fit_transform(frame)
    names = ["autoencodertransformer0", "autoencodertransformer1", "autoencodertransformer2"]
    assert list(est.get_feature_names_out()) == names
    assert list(codes.columns) == names
    assert list(est.feature_names_in_) == list(frame.columns)


def test_fit_transform_equals_fit_then_transform():
    X, _ = blobs()
    assert_allclose(fast_autoencoder().fit_transform(X), fast_autoencoder().fit(X).transform(X))


def test_stops_when_training_loss_plateaus():
    X, _ = blobs()
    est = fast_autoencoder(max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X)
    assert est.n_iter_ < 500
    # MLPRegressor's rule: more than n_iter_no_change epochs without tol improvement.
    best_epoch = int(np.argmin(est.loss_curve_))
    assert est.n_iter_ - best_epoch - 1 <= 4


def test_convergence_warning_at_max_iter():
    X, _ = blobs()
    with pytest.warns(ConvergenceWarning, match="maximum iterations \\(2\\)"):
        fast_autoencoder(max_iter=2).fit(X)


def test_early_stopping_stops_and_restores_best_weights():
    X, _ = blobs(n_samples=200)
    est = fast_autoencoder(
        early_stopping=True, max_iter=1000, n_iter_no_change=5, tol=0.0, learning_rate_init=1e-2
    ).fit(X)
    assert est.n_iter_ < 1000
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_loss_ is None
    assert est.best_validation_score_ == max(est.validation_scores_)
    best_epoch = int(np.argmax(est.validation_scores_))
    assert best_epoch < est.n_iter_ - 1  # later epochs were run, then rolled back
    # The restored weights are those of the best epoch: rerunning to it matches.
    rerun = fast_autoencoder(
        early_stopping=True,
        max_iter=best_epoch + 1,
        n_iter_no_change=10_000,
        tol=0.0,
        learning_rate_init=1e-2,
    )
    with pytest.warns(ConvergenceWarning):
        rerun.fit(X)
    assert_allclose(rerun.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)


def test_partial_fit_runs_one_epoch_per_call_and_keeps_learning():
    X, _ = blobs()
    est = fast_autoencoder(learning_rate_init=1e-2)
    for _ in range(30):
        assert est.partial_fit(X) is est
    assert est.n_iter_ == 30 == len(est.loss_curve_)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_partial_fit_continues_from_fit():
    X, _ = blobs()
    est = fast_autoencoder(max_iter=5, n_iter_no_change=100)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    weights = est.module_.encoder[0].weight.detach().clone()
    est.partial_fit(X)
    assert est.n_iter_ == 6
    assert not np.allclose(weights.numpy(), est.module_.encoder[0].weight.detach().numpy())


def test_warm_start_appends_to_validation_scores_as_to_the_loss_curve():
    X, _ = blobs(200)
    est = fast_autoencoder(max_iter=3, early_stopping=True, n_iter_no_change=100, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    first = list(est.validation_scores_)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    assert len(est.loss_curve_) == len(est.validation_scores_) == 6
    assert est.validation_scores_[:3] == first
    assert est.best_validation_score_ == max(est.validation_scores_)
    est.set_params(early_stopping=False)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    assert est.validation_scores_ is None and est.best_validation_score_ is None


def test_warm_start_continues_training():
    X, _ = blobs()
    params = dict(max_iter=10, n_iter_no_change=100)
    est = fast_autoencoder(warm_start=True, **params)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    first_module = est.module_
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    assert est.n_iter_ == 20 == len(est.loss_curve_)
    assert est.module_ is not first_module  # trained on a copy, swapped in on success
    cold = fast_autoencoder(**params)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X)
    assert cold.n_iter_ == 10
    assert est.loss_curve_[-1] < cold.loss_curve_[-1]


def test_verbose_one_prints_a_line_per_epoch(capsys):
    X, _ = blobs()
    est = fast_autoencoder(verbose=1, max_iter=3, early_stopping=True, n_iter_no_change=100)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch    1/3  train_loss ")
    assert "valid_loss" in lines[0] and lines[0].endswith("s")


def test_verbose_zero_is_silent(capsys):
    X, _ = blobs()
    fast_autoencoder(verbose=0).fit(X)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_two_shows_a_progress_bar(capsys):
    X, _ = blobs()
    est = fast_autoencoder(verbose=2, max_iter=2, n_iter_no_change=100, batch_size=10)
    with pytest.warns(ConvergenceWarning):
        est.fit(X)
    captured = capsys.readouterr()
    # One bar per epoch, sized to the 12 batches of 120 samples in batches of 10.
    assert "epoch 1/2" in captured.err and "epoch 2/2" in captured.err
    assert "/12 [" in captured.err
    assert len(captured.out.strip().splitlines()) == 2


def test_batch_size_larger_than_data_is_clipped_with_warning():
    X, _ = blobs(n_samples=20)
    with pytest.warns(UserWarning, match="batch_size=64 larger than the 20"):
        fast_autoencoder(batch_size=64, max_iter=2, n_iter_no_change=100).fit(X)


def test_alpha_is_scaled_like_mlp_regressor():
    X, _ = blobs(n_samples=120, n_features=10)
    est = fast_autoencoder(alpha=0.3, batch_size=40, max_iter=2).fit(X)
    # MLPRegressor: (sum over outputs of the squared error + alpha * ||W||^2) / batch_size;
    # skae's loss averages over the 10 outputs too, hence 2 * alpha / (40 * 10).
    assert est.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(2 * 0.3 / 400)
    est.set_params(warm_start=True, alpha=0.6, batch_size=60).fit(X)
    assert est.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(2 * 0.6 / 600)


def test_a_large_alpha_shrinks_weights():
    X, _ = blobs(n_samples=300, n_features=20)
    params = dict(max_iter=100, tol=0.0, learning_rate_init=1e-2)

    def fitted(alpha):
        return fast_autoencoder(alpha=alpha, **params).fit(X)

    free, strong = fitted(0.0), fitted(300.0)

    def weight_norm(est):
        return sum(float(p.detach().square().sum()) for p in est.module_.parameters())

    assert weight_norm(strong) < weight_norm(free) / 2
