"""The Displays of skae.inspection draw what the estimators compute."""

import copy
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.neural_network import MLPRegressor

from skae import (
    AutoencoderAugmenter,
    AutoencoderClassifier,
    AutoencoderTransformer,
    VariationalAutoencoder,
)
from skae.inspection import (
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SamplesDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FAST = dict(hidden_layer_sizes=(16,), max_iter=10, random_state=0, device="cpu")
DIGIT = (8, 8)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


@pytest.fixture(scope="module")
def ae(digits):
    """An image autoencoder with a validation curve."""
    X, _ = digits
    return AutoencoderTransformer(4, image_shape=DIGIT, early_stopping=True, **FAST).fit(X)


@pytest.fixture(scope="module")
def vae(digits):
    X, _ = digits
    return VariationalAutoencoder(3, image_shape=DIGIT, loss="bce", **FAST).fit(X)


def _pixels(image):
    return np.asarray(image.get_array())


# ------------------------------------------------------------- ReconstructionDisplay


def test_reconstruction_display_draws_originals_above_reconstructions(digits, ae):
    X, _ = digits
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=5)

    assert disp.axes_.shape == disp.images_.shape == (2, 5)
    assert len(disp.figure_.axes) == 1 + 10  # the bounding box and one axes per image
    assert not disp.bounding_ax_.axison
    reconstructions = ae.inverse_transform(ae.transform(X))
    for i in range(5):
        top, bottom = disp.axes_[0, i], disp.axes_[1, i]
        assert list(top.images) == [disp.images_[0, i]]
        assert list(bottom.images) == [disp.images_[1, i]]
        assert_array_equal(_pixels(disp.images_[0, i]), X[i].reshape(DIGIT))
        assert_allclose(
            _pixels(disp.images_[1, i]), reconstructions[i].reshape(DIGIT), rtol=1e-5, atol=1e-6
        )
        for ax in (top, bottom):
            assert ax.get_xticks().size == ax.get_yticks().size == 0
    assert disp.axes_[0, 0].get_ylabel() == "original"
    assert disp.axes_[1, 0].get_ylabel() == "reconstruction"
    image = disp.images_[1, 3]
    assert image.get_cmap().name == "gray" and image.origin == "upper"
    assert image.get_clim() == (X[:5].min(), X[:5].max())  # shared, from the originals


def test_reconstruction_display_from_predictions_takes_any_reconstruction(digits):
    X, _ = digits
    pca = PCA(8).fit(X)
    X_rec = pca.inverse_transform(pca.transform(X))
    disp = ReconstructionDisplay.from_predictions(X, X_rec, n_images=3, image_shape=DIGIT)
    assert disp.axes_.shape == (2, 3)
    assert_array_equal(_pixels(disp.images_[1, 2]), X_rec[2].reshape(DIGIT))
    # A baseline through from_estimator, with an explicit image_shape.
    disp = ReconstructionDisplay.from_estimator(pca, X, n_images=3, image_shape=DIGIT)
    assert_allclose(_pixels(disp.images_[1, 2]), X_rec[2].reshape(DIGIT))


def test_reconstruction_display_shows_at_most_the_rows_given(digits, ae):
    X, _ = digits
    disp = ReconstructionDisplay.from_estimator(ae, X[:3], n_images=8)
    assert disp.axes_.shape == (2, 3)


def test_colour_images_are_drawn_channels_last(digits):
    rng = np.random.default_rng(0)
    X = rng.random((20, 3 * 4 * 5))
    ae = AutoencoderTransformer(3, image_shape=(3, 4, 5), **FAST).fit(X)
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=2)
    low, high = X[:2].min(), X[:2].max()
    expected = (X[1].reshape(3, 4, 5).transpose(1, 2, 0) - low) / (high - low)
    assert_allclose(_pixels(disp.images_[0, 1]), expected)
    reconstructed = ae.inverse_transform(ae.transform(X[:2]))[1]
    expected = np.clip(
        (reconstructed.reshape(3, 4, 5).transpose(1, 2, 0) - low) / (high - low), 0, 1
    )
    assert_allclose(_pixels(disp.images_[1, 1]), expected)


def test_reconstruction_display_errors(digits, ae):
    X, _ = digits
    no_shape = AutoencoderTransformer(4, **FAST).fit(X)
    with pytest.raises(ValueError, match="has no image_shape_"):
        ReconstructionDisplay.from_estimator(no_shape, X)
    with pytest.raises(ValueError, match="64 features per row, but image_shape"):
        ReconstructionDisplay.from_estimator(no_shape, X, image_shape=(7, 7))
    with pytest.raises(ValueError, match="image_shape"):
        ReconstructionDisplay.from_predictions(X, X)
    with pytest.raises(ValueError, match="2 channels"):
        ReconstructionDisplay.from_predictions(X, X, image_shape=(2, 4, 8))
    with pytest.raises(ValueError, match="same shape"):
        ReconstructionDisplay.from_predictions(X, X[:, :32], image_shape=DIGIT)
    with pytest.raises(ValueError, match="n_images"):
        ReconstructionDisplay.from_estimator(ae, X, n_images=0)
    with pytest.raises(ValueError, match="KMeans has no inverse_transform"):
        ReconstructionDisplay.from_estimator(KMeans(2, n_init=1).fit(X), X, image_shape=DIGIT)
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(AutoencoderTransformer(), X)


# ------------------------------------------------------------------------- ax=


def test_a_user_axes_is_the_bounding_box_of_the_grid(digits, ae):
    X, _ = digits
    fig, (left, right) = plt.subplots(1, 2)
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=4, ax=right)
    assert disp.bounding_ax_ is right and disp.figure_ is fig
    assert not right.axison and left.axison
    box = right.get_position()
    for ax in disp.axes_.ravel():
        assert ax.figure is fig
        inner = ax.get_position()
        assert box.x0 - 1e-9 <= inner.x0 and inner.x1 <= box.x1 + 1e-9
    assert not left.images
    with pytest.raises(ValueError, match="ax=display.axes_"):
        disp.plot(ax=right)  # the box is switched off: reuse would draw over it


def test_an_array_of_user_axes_is_drawn_on(digits, ae):
    X, _ = digits
    fig, axes = plt.subplots(2, 3)
    disp = ReconstructionDisplay.from_estimator(ae, X, n_images=3, ax=axes)
    assert disp.bounding_ax_ is None and disp.figure_ is fig
    assert disp.axes_ is not None and len(fig.axes) == 6
    assert_array_equal(_pixels(axes[0, 2].images[0]), X[2].reshape(DIGIT))
    assert axes[1, 0].get_ylabel() == "reconstruction"
    with pytest.raises(ValueError, match="hold 4 axes; got 6"):
        ReconstructionDisplay.from_estimator(ae, X, n_images=2, ax=axes)


def test_plot_draws_the_stored_values_on_a_user_axes(digits, ae):
    X, _ = digits
    codes = ae.transform(X)
    disp = LatentSpaceDisplay(codes[:, 1:3], xlabel="a", ylabel="b")
    assert disp.embedding is not None and disp.xlabel == "a"  # stored untouched
    _, ax = plt.subplots()
    assert disp.plot(ax=ax) is disp
    assert disp.ax_ is ax and disp.figure_ is ax.figure
    assert_allclose(ax.collections[0].get_offsets(), codes[:, 1:3])


# ------------------------------------------------------------------ LatentSpaceDisplay


def test_latent_space_display_scatters_the_first_two_code_dimensions(digits, ae):
    X, _ = digits
    disp = LatentSpaceDisplay.from_estimator(ae, X)
    codes = ae.transform(X)
    assert len(disp.scatter_) == 1 and disp.ax_.get_legend() is None
    assert_allclose(disp.scatter_[0].get_offsets(), codes[:, :2])
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("dim 0", "dim 1")


def test_latent_space_display_colours_by_class_with_a_legend(digits, ae):
    X, y = digits
    disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    codes = ae.transform(X)
    classes = np.unique(y)
    legend = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    assert legend == [str(c) for c in classes]
    for label, scatter in zip(classes, disp.scatter_, strict=True):
        assert_allclose(scatter.get_offsets(), codes[y == label, :2])
    colours = {tuple(scatter.get_facecolor()[0]) for scatter in disp.scatter_}
    assert len(colours) == len(classes)


def test_latent_space_display_draws_unlabeled_rows_apart(digits, ae):
    X, y = digits
    y = np.where(np.arange(len(y)) % 3 == 0, y, -1)
    disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    legend = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    assert legend[-1] == "unlabeled" and "-1" not in legend
    assert_allclose(disp.scatter_[-1].get_offsets(), ae.transform(X)[y == -1, :2])


def test_latent_space_display_projects_through_a_cloned_reducer(digits, ae):
    X, y = digits
    reducer = PCA(2)
    disp = LatentSpaceDisplay.from_estimator(ae, X, reducer=reducer)
    assert not hasattr(reducer, "components_")  # cloned, not fitted in place
    expected = PCA(2).fit_transform(ae.transform(X))
    assert_allclose(disp.scatter_[0].get_offsets(), expected, rtol=1e-5, atol=1e-6)
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("PCA 1", "PCA 2")


def test_latent_space_display_errors(digits, ae):
    X, y = digits
    one_dim = AutoencoderTransformer(1, **FAST).fit(X)
    with pytest.raises(ValueError, match="first two code dimensions, but the code has 1"):
        LatentSpaceDisplay.from_estimator(one_dim, X)
    with pytest.raises(ValueError, match="2 dimensions; PCA gave 3"):
        LatentSpaceDisplay.from_estimator(ae, X, reducer=PCA(3))
    with pytest.raises(ValueError, match="y has 10 labels"):
        LatentSpaceDisplay.from_estimator(ae, X, y[:10])


# -------------------------------------------------------------- LatentTraversalDisplay


def test_traversal_rows_decode_codes_that_differ_in_one_dimension(digits, ae, monkeypatch):
    X, _ = digits
    decoded = []
    inverse_transform = ae.inverse_transform

    def spy(Z):
        decoded.append(np.array(Z))
        return inverse_transform(Z)

    monkeypatch.setattr(ae, "inverse_transform", spy)
    disp = LatentTraversalDisplay.from_estimator(
        ae, X, sample_index=5, dimensions=[2, 0], n_steps=4
    )
    assert disp.axes_.shape == disp.images_.shape == (2, 4)
    (Z,) = decoded
    Z = Z.reshape(2, 4, 4)
    codes = ae.transform(X)
    for row, dimension in enumerate([2, 0]):
        others = np.delete(np.arange(4), dimension)
        assert_array_equal(Z[row][:, others], np.tile(codes[5, others], (4, 1)))
        low, high = np.percentile(codes[:, dimension], [5, 95])
        assert_allclose(Z[row, :, dimension], np.linspace(low, high, 4), rtol=1e-6)
        assert_allclose(disp.values[row], np.linspace(low, high, 4), rtol=1e-6)
        assert disp.axes_[row, 0].get_ylabel() == f"dim {dimension}"
    images = inverse_transform(Z.reshape(-1, 4))
    for i, image in enumerate(disp.images_.ravel()):
        assert_allclose(_pixels(image), images[i].reshape(DIGIT))


def test_traversal_defaults_to_the_most_varying_dimensions(digits):
    X, _ = digits
    wide = AutoencoderTransformer(10, image_shape=DIGIT, **FAST).fit(X)
    disp = LatentTraversalDisplay.from_estimator(wide, X)
    variances = wide.transform(X).var(axis=0)
    expected = np.argsort(-variances, kind="stable")[:8]
    assert_array_equal(disp.dimensions, expected)
    assert disp.axes_.shape == (8, 7)
    assert [ax.get_ylabel() for ax in disp.axes_[:, 0]] == [f"dim {d}" for d in expected]


def test_traversal_errors(digits, ae):
    X, _ = digits
    with pytest.raises(ValueError, match=r"sample_index must be a row of X.*got 300"):
        LatentTraversalDisplay.from_estimator(ae, X, sample_index=300)
    with pytest.raises(ValueError, match=r"integers in \[0, 4\).*got 4"):
        LatentTraversalDisplay.from_estimator(ae, X, dimensions=[0, 4])
    with pytest.raises(ValueError, match="got -1"):
        LatentTraversalDisplay.from_estimator(ae, X, dimensions=-1)
    with pytest.raises(ValueError, match="n_steps"):
        LatentTraversalDisplay.from_estimator(ae, X, n_steps=1)
    with pytest.raises(ValueError, match="percentiles"):
        LatentTraversalDisplay.from_estimator(ae, X, percentiles=(95, 5))
    no_shape = AutoencoderTransformer(4, **FAST).fit(X)
    with pytest.raises(ValueError, match="has no image_shape_"):
        LatentTraversalDisplay.from_estimator(no_shape, X)


# ------------------------------------------------------------------- LossCurveDisplay


def test_loss_curve_display_draws_training_and_validation_loss(ae):
    disp = LossCurveDisplay.from_estimator(ae)
    epochs = np.arange(1, ae.n_iter_ + 1)
    assert_array_equal(disp.line_.get_xdata(), epochs)
    assert_allclose(disp.line_.get_ydata(), ae.loss_curve_)
    assert_array_equal(disp.validation_line_.get_xdata(), epochs)
    assert_allclose(disp.validation_line_.get_ydata(), -np.asarray(ae.validation_scores_))
    assert disp.pretrain_line_ is None
    legend = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    assert legend == ["training loss", "validation loss"]
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("epoch", "loss")
    assert disp.ax_.get_yscale() == "linear"


def test_loss_curve_display_puts_pretraining_before_fine_tuning(digits):
    X, y = digits
    clf = AutoencoderClassifier(4, pretrain_iter=3, **{**FAST, "max_iter": 5}).fit(X, y)
    disp = LossCurveDisplay.from_estimator(clf, name="clf")
    assert_array_equal(disp.pretrain_line_.get_xdata(), [1, 2, 3])
    assert_allclose(disp.pretrain_line_.get_ydata(), clf.pretrain_loss_curve_)
    assert_array_equal(disp.line_.get_xdata(), [4, 5, 6, 7, 8])
    assert_allclose(disp.line_.get_ydata(), clf.loss_curve_)
    assert disp.validation_line_ is None
    legend = [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    assert legend == ["clf pretraining loss", "clf fine-tuning loss"]
    assert disp.ax_.get_yscale() == "log"


def test_validation_loss_of_a_warm_started_fit_covers_its_last_epochs():
    disp = LossCurveDisplay([4.0, 3.0, 2.0, 1.0], validation_loss=[2.5, 1.5]).plot()
    assert_array_equal(disp.validation_line_.get_xdata(), [3, 4])


def test_loss_curve_display_reads_other_estimators_training_loss_only(digits):
    X, _ = digits
    mlp = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        mlp.fit(X, X[:, 0])
    disp = LossCurveDisplay.from_estimator(mlp)
    assert_allclose(disp.line_.get_ydata(), mlp.loss_curve_)
    assert disp.validation_line_ is None  # an R² score is not a loss
    with pytest.raises(ValueError, match="PCA has none"):
        LossCurveDisplay.from_estimator(PCA(2).fit(X))
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(AutoencoderTransformer())


# -------------------------------------------------------------------- SamplesDisplay


def test_samples_display_draws_the_vae_samples(vae):
    disp = SamplesDisplay.from_estimator(vae, n_samples=10, random_state=0, n_cols=4)
    samples = vae.sample(10, random_state=0)
    assert disp.axes_.shape == (3, 4)
    assert disp.axes_[2, 2] is None and disp.axes_[2, 3] is None  # no empty axes
    assert len(disp.figure_.axes) == 1 + 10
    for i, image in enumerate(disp.images_.ravel()[:10]):
        assert_array_equal(_pixels(image), samples[i].reshape(DIGIT))
        assert disp.axes_.ravel()[i].get_title() == ""


def test_samples_display_titles_given_rows_by_class(digits, ae):
    X, y = digits
    augmenter = AutoencoderAugmenter(FrozenEstimator(ae), random_state=0)
    X_aug, y_aug = augmenter.fit_resample(X[:40], y[:40])
    disp = SamplesDisplay.from_samples(X_aug[40:], y_aug[40:], image_shape=DIGIT, n_images=12)
    assert disp.axes_.shape == (2, 8)
    for i in range(12):
        ax = disp.axes_.ravel()[i]
        assert ax.get_title() == str(y_aug[40 + i])
        assert_array_equal(_pixels(ax.images[0]), X_aug[40 + i].reshape(DIGIT))
    everything = SamplesDisplay.from_samples(X_aug[40:50], image_shape=DIGIT, n_images=None)
    assert len(everything.figure_.axes) == 1 + 10


def test_samples_display_errors(digits, ae, vae):
    X, y = digits
    with pytest.raises(ValueError, match="needs a VariationalAutoencoder; got Autoencoder"):
        SamplesDisplay.from_estimator(ae)
    with pytest.raises(NotFittedError):
        SamplesDisplay.from_estimator(VariationalAutoencoder())
    with pytest.raises(ValueError, match="needs their shape"):
        SamplesDisplay.from_samples(X)
    with pytest.raises(ValueError, match="holds 49 pixels"):
        SamplesDisplay.from_samples(X, image_shape=(7, 7))
    with pytest.raises(ValueError, match="y has 5 labels"):
        SamplesDisplay.from_samples(X, y[:5], image_shape=DIGIT)
    with pytest.raises(ValueError, match="n_cols"):
        SamplesDisplay.from_estimator(vae, n_cols=0)


# ------------------------------------------------------- what fit stored, and only that

DRAW_IMAGES = {
    "reconstruction": lambda est, X: ReconstructionDisplay.from_estimator(est, X, n_images=3),
    "traversal": lambda est, X: LatentTraversalDisplay.from_estimator(est, X, n_steps=3),
    "samples": lambda est, X: SamplesDisplay.from_estimator(est, n_samples=3, random_state=0),
}


@pytest.mark.parametrize("image_shape", [(4, 16), None])
@pytest.mark.parametrize("draw", DRAW_IMAGES.values(), ids=DRAW_IMAGES.keys())
def test_image_displays_use_the_fitted_image_shape_after_set_params(digits, vae, draw, image_shape):
    X, _ = digits
    est = copy.deepcopy(vae)  # a transformer that also samples
    est.set_params(image_shape=image_shape)  # not refitted: image_shape_ is still (1, 8, 8)
    disp = draw(est, X)
    drawn = [image for image in disp.images_.ravel() if image is not None]
    assert len(drawn) >= 3
    for image in drawn:
        assert _pixels(image).shape == DIGIT


def test_loss_curve_display_draws_the_fitted_validation_loss_after_set_params(ae):
    est = copy.deepcopy(ae)
    est.set_params(early_stopping=False, max_iter=1)
    disp = LossCurveDisplay.from_estimator(est)
    assert_allclose(disp.validation_line_.get_ydata(), -np.asarray(ae.validation_scores_))
    assert len(disp.line_.get_xdata()) == ae.n_iter_


def _reads_by_displays(estimator):
    """A copy of ``estimator`` that records the attributes skae.inspection reads on it."""
    reads = set()
    fitted_class = type(estimator)

    class Recording(fitted_class):
        def __getattribute__(self, name):
            if sys._getframe(1).f_globals.get("__name__", "").startswith("skae.inspection"):
                reads.add(name)
            return super().__getattribute__(name)

    Recording.__name__ = Recording.__qualname__ = fitted_class.__name__
    recording = copy.deepcopy(estimator)
    recording.__class__ = Recording
    return recording, reads


@pytest.mark.parametrize(
    "draw, expected",
    [
        (lambda est, X, y: ReconstructionDisplay.from_estimator(est, X), {"image_shape_"}),
        (lambda est, X, y: LatentSpaceDisplay.from_estimator(est, X, y), {"transform"}),
        (lambda est, X, y: LatentTraversalDisplay.from_estimator(est, X), {"inverse_transform"}),
        (lambda est, X, y: LossCurveDisplay.from_estimator(est), {"validation_scores_"}),
        (lambda est, X, y: SamplesDisplay.from_estimator(est), {"sample", "image_shape_"}),
    ],
    ids=["reconstruction", "latent-space", "traversal", "loss-curve", "samples"],
)
def test_displays_read_only_fitted_attributes_and_public_methods(digits, vae, draw, expected):
    X, y = digits
    est, reads = _reads_by_displays(vae)
    draw(est, X, y)
    assert expected <= reads  # the recording sees what the Display reads
    public = {name for name in reads if not name.startswith("__")}
    fitted = {name for name in public if name.endswith("_") and not name.startswith("_")}
    methods = {"transform", "inverse_transform", "sample"}
    assert public - fitted - methods == set()


def test_an_image_display_with_no_images_raises():
    empty = np.empty((0, 64))
    with pytest.raises(ValueError, match="ReconstructionDisplay has no images to draw"):
        ReconstructionDisplay(empty, empty, image_shape=DIGIT).plot()
    with pytest.raises(ValueError, match="LatentTraversalDisplay has no images to draw"):
        LatentTraversalDisplay(
            np.empty((0, 3, 64)), dimensions=[], values=np.empty((0, 3)), image_shape=DIGIT
        ).plot()


# ---------------------------------------------------------------- without matplotlib


@pytest.mark.parametrize(
    "draw",
    [
        lambda X, ae, vae: ReconstructionDisplay.from_estimator(ae, X),
        lambda X, ae, vae: LatentSpaceDisplay.from_estimator(ae, X),
        lambda X, ae, vae: LatentTraversalDisplay.from_estimator(ae, X),
        lambda X, ae, vae: LossCurveDisplay.from_estimator(ae),
        lambda X, ae, vae: SamplesDisplay.from_estimator(vae),
        lambda X, ae, vae: SamplesDisplay.from_samples(X, image_shape=DIGIT),
        lambda X, ae, vae: LossCurveDisplay([1.0, 0.5]).plot(),
    ],
    ids=[
        "reconstruction",
        "latent-space",
        "traversal",
        "loss-curve",
        "samples",
        "from-samples",
        "plot",
    ],
)
def test_missing_matplotlib_names_the_plotting_extra(digits, ae, vae, monkeypatch, draw):
    X, _ = digits
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    with pytest.raises(ImportError, match=r"requires matplotlib.*skae\[plotting\]"):
        draw(X, ae, vae)


def test_importing_skae_inspection_does_not_import_matplotlib():
    code = "import sys; sys.modules['matplotlib'] = None; import skae.inspection; print('ok')"
    root = pathlib.Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.stdout.strip() == "ok", result.stderr
