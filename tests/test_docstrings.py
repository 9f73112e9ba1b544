"""Every documented attribute exists after fit, and every fitted one is documented."""

import inspect
import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skae import (
    AugmentedClassifier,
    AutoencoderAugmenter,
    AutoencoderClassifier,
    AutoencoderTransformer,
    PretrainedClassifier,
    VariationalAutoencoder,
)
from skae.inspection import (
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SamplesDisplay,
)

from ._helpers import blobs


def _ae():
    return AutoencoderTransformer(3, hidden_layer_sizes=(16,), max_iter=3, device="cpu")


# Every public estimator, and how to fit it with every documented attribute set.
FITTED = {
    AutoencoderTransformer: lambda X, y: AutoencoderTransformer(
        3, hidden_layer_sizes=(16,), max_iter=3, early_stopping=True, device="cpu"
    ).fit(X),
    VariationalAutoencoder: lambda X, y: VariationalAutoencoder(
        3, hidden_layer_sizes=(16,), max_iter=3, early_stopping=True, device="cpu"
    ).fit(X),
    AutoencoderClassifier: lambda X, y: AutoencoderClassifier(
        3,
        hidden_layer_sizes=(16,),
        pretrain_iter=2,
        max_iter=3,
        early_stopping=True,
        device="cpu",
    ).fit(X, y),  # fmt: skip
    PretrainedClassifier: lambda X, y: PretrainedClassifier(_ae(), LogisticRegression()).fit(X, y),
    AugmentedClassifier: lambda X, y: AugmentedClassifier(
        LogisticRegression(), AutoencoderAugmenter(_ae())
    ).fit(X, y),
}
ESTIMATORS = [*FITTED, AutoencoderAugmenter]


def _documented(section, cls):
    doc = inspect.getdoc(cls)
    body = re.search(rf"^{section}\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M).group(1)
    return {match.group(1) for match in re.finditer(r"^\**(\w+) :", body, re.M)}


@pytest.mark.parametrize("cls", FITTED, ids=lambda cls: cls.__name__)
def test_documented_attributes_match_fitted_attributes(cls):
    pd = pytest.importorskip("pandas")
    X, y = blobs()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = FITTED[cls](frame, y)
    fitted = {name for name in vars(est) if name.endswith("_") and not name.startswith("_")}
    assert fitted == _documented("Attributes", cls)


def test_documented_augmenter_attributes_match_fitted_attributes():
    pd = pytest.importorskip("pandas")
    X, y = blobs()
    augmenter = AutoencoderAugmenter(_ae())
    augmenter.fit_resample(pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), y)
    fitted = {name for name in vars(augmenter) if name.endswith("_") and not name.startswith("_")}
    assert fitted == _documented("Attributes", AutoencoderAugmenter)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_documented_parameters_match_signature(cls):
    parameters = inspect.signature(cls).parameters
    assert _documented("Parameters", cls) == set(parameters)
    named = {name for name, p in parameters.items() if p.kind is not p.VAR_KEYWORD}
    assert set(cls._parameter_constraints) == named


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_shared_docstring_entries_are_all_filled(cls):
    assert "{{" not in cls.__doc__


DISPLAYS = [
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SamplesDisplay,
]


def _display_methods(cls):
    return [cls, cls.plot, *(getattr(cls, name) for name in dir(cls) if name.startswith("from_"))]


@pytest.mark.parametrize("cls", DISPLAYS, ids=lambda cls: cls.__name__)
def test_display_parameters_are_documented(cls):
    for method in _display_methods(cls):
        parameters = set(inspect.signature(method).parameters) - {"self"}
        assert _documented("Parameters", method) == parameters
        assert "Returns" in inspect.getdoc(method) or method is cls


def _small_display(cls):
    rng = np.random.default_rng(0)
    rows = rng.random((4, 4))
    return {
        LatentSpaceDisplay: lambda: cls(rows[:, :2], y=[0, 1, 0, 1]),
        LatentTraversalDisplay: lambda: cls(
            rows.reshape(2, 2, 4), dimensions=[0, 1], values=rows[:2, :2], image_shape=(2, 2)
        ),
        LossCurveDisplay: lambda: cls(rows[0], validation_loss=rows[1], pretrain_loss_curve=[2.0]),
        ReconstructionDisplay: lambda: cls(rows, rows, image_shape=(2, 2)),
        SamplesDisplay: lambda: cls(rows, image_shape=(2, 2)),
    }[cls]()


@pytest.mark.parametrize("cls", DISPLAYS, ids=lambda cls: cls.__name__)
def test_documented_display_attributes_match_plotted_attributes(cls):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = _small_display(cls).plot()
    try:
        plotted = {name for name in vars(display) if name.endswith("_")}
        assert plotted == _documented("Attributes", cls)
    finally:
        plt.close("all")
