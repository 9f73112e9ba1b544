"""ONNX export of the pipelines the documentation shows: onnxruntime gives skae's answers.

Each case names where README.md, docs/ or examples/ show it; the settings are
shrunk (a few hundred digits, one or two epochs, small networks) so that the
whole file stays fast, but the structure (steps, "auto" sizes, labels, the
float64 X of ``X / 16``) is the documented one.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from google.protobuf.message import Message
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

import skae
from skae import (
    AugmentedClassifier,
    AutoencoderAugmenter,
    AutoencoderClassifier,
    AutoencoderTransformer,
    PretrainedClassifier,
    VariationalAutoencoder,
)

from ._helpers import VGGStyleEncoder

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
skl2onnx = pytest.importorskip("skl2onnx")

CPU = dict(random_state=0, device="cpu")
TINY = dict(max_iter=1, **CPU)


@pytest.fixture(scope="module")
def digits():
    """300 training and 100 test digits in [0, 1], float64 as ``X / 16`` gives; the
    training labels with every other one unlabeled (-1)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16
    y_semi = np.where(np.arange(300) % 2 == 0, y[:300], -1)
    return X[:300], y[:300], y_semi, X[300:400]


def _run(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _scores(estimator, X):
    method = "decision_function" if hasattr(estimator, "decision_function") else "predict_proba"
    return getattr(estimator, method)(X)


DOCUMENTED = {
    # README.md:75, docs/index.rst:26, docs/user_guide.rst:91, examples/plot_digits_pipeline.py:67
    "scaler-autoencoder-svc": lambda: Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("reduce", AutoencoderTransformer(n_components=32, **TINY)),
            ("clf", SVC()),
        ]
    ),
    # README.md:101 (conv, bce, denoising, n_components="auto"), examples/plot_save_and_export.py:44
    "images-auto-code": lambda: make_pipeline(
        AutoencoderTransformer(image_shape=(8, 8), conv_channels=(4, 8), **TINY),
        StandardScaler(),
        SVC(),
    ),
    # docs/scaling_out.rst:52 (dense, n_components="auto"), examples/plot_denoising.py:54
    "dense-auto-code": lambda: make_pipeline(
        AutoencoderTransformer(corruption="gaussian", corruption_level=0.3, **TINY),
        StandardScaler(),
        SVC(C=10),
    ),
    # examples/plot_custom_encoder.py:96 and :140, docs/user_guide.rst:529 and :578
    "custom-encoder": lambda: make_pipeline(
        AutoencoderTransformer(
            architecture="conv",
            image_shape=(8, 8),
            encoder=VGGStyleEncoder,
            encoder__channels=(4,),
            **TINY,
        ),
        StandardScaler(),
        SVC(C=10),
    ),
    # README.md:142, examples/plot_scarce_labels.py:66
    "pretrained": lambda: PretrainedClassifier(
        make_pipeline(AutoencoderTransformer(32, loss="bce", **TINY), StandardScaler()),
        SVC(C=10),
    ),
    # docs/user_guide.rst:693
    "pretrained-conv": lambda: PretrainedClassifier(
        make_pipeline(
            AutoencoderTransformer(
                16, architecture="conv", image_shape=(8, 8), conv_channels=(4,), loss="bce", **TINY
            ),
            StandardScaler(),
        ),
        SVC(C=10),
    ),
    # docs/user_guide.rst:1065: the augmentation is fit's only, so the graph is the SVC's
    "augmented": lambda: AugmentedClassifier(
        SVC(C=10),
        AutoencoderAugmenter(
            FrozenEstimator(_fitted_autoencoder()), n_per_sample=2, random_state=0
        ),
    ),
    # README.md:75-88, examples/plot_grid_search.py:45 and :62: the best pipeline predicts
    "grid-search": lambda: GridSearchCV(
        Pipeline(
            [
                ("scale", MinMaxScaler()),
                ("reduce", AutoencoderTransformer(**TINY)),
                ("clf", SVC()),
            ]
        ),
        {"reduce__n_components": [4, 8]},
        cv=2,
    ),
    # a fitted autoencoder kept as it is, as docs/user_guide.rst:1049 advises
    "frozen-autoencoder": lambda: make_pipeline(
        FrozenEstimator(_fitted_autoencoder()), StandardScaler(), SVC()
    ),
    # docs/user_guide.rst:459: the posterior mean "can feed a classifier like any other code"
    "variational-codes": lambda: make_pipeline(VariationalAutoencoder(8, **TINY), SVC()),
    # the classifier as a feature extractor: Pipeline calls its transform
    "classifier-mid-pipeline": lambda: make_pipeline(
        AutoencoderClassifier(8, precision="float32", pretrain_iter=1, **TINY),
        StandardScaler(),
        SVC(),
    ),
    "frozen-classifier-mid-pipeline": lambda: make_pipeline(
        FrozenEstimator(_fitted_classifier()), SVC()
    ),
}


def _fitted_classifier():
    X, y = load_digits(return_X_y=True)
    return AutoencoderClassifier(
        8, hidden_layer_sizes=(16,), precision="float32", pretrain_iter=1, **TINY
    ).fit(X[:300] / 16, y[:300])


def _fitted_autoencoder():
    X, _ = load_digits(return_X_y=True)
    return AutoencoderTransformer(
        16, architecture="conv", image_shape=(8, 8), conv_channels=(4,), loss="bce", **TINY
    ).fit(X[:300] / 16)


def _metadata(model):
    """The doc strings and metadata of every part of ``model``: torch writes its stack
    traces there, with this machine's paths and this file's name."""
    found = []

    def visit(message):
        for field, value in message.ListFields():
            if field.name == "doc_string":
                found.append(value)
            elif field.name == "metadata_props":
                found.extend(f"{entry.key}={entry.value}" for entry in value)
            elif field.message_type is not None:
                for item in [value] if isinstance(value, Message) else value:
                    visit(item)

    visit(model)
    return found


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_pipelines_match_onnxruntime(name, digits):
    X, y, y_semi, X_test = digits
    pipe = DOCUMENTED[name]().fit(X, y_semi if name.startswith("pretrained") else y)
    model = skae.to_onnx(pipe, X[:1], options={"zipmap": False})  # X: float64, as X / 16
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    default = skl2onnx.get_latest_tested_opset_version()
    assert [opset.version for opset in model.opset_import if opset.domain == ""] == [default]
    X_test = X_test.astype(np.float32)
    labels, scores = _run(model, X_test)
    assert_array_equal(labels, pipe.predict(X_test))
    # float32's own precision: 1e-5, or 1e-5 of a decision value of 7
    assert_allclose(scores, _scores(pipe, X_test), rtol=1e-5, atol=1e-5)
    assert _metadata(model) == []


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_documented_classifier_exports_its_probabilities(precision, digits):
    """README.md:121 and :278, docs/user_guide.rst:779, :993 and :1013,
    examples/plot_scarce_labels.py:73: the defaults on images with unlabeled rows, and the
    VGG recipe trained in bfloat16, exported in float32."""
    X, _, y_semi, X_test = digits
    clf = AutoencoderClassifier(
        image_shape=(8, 8), conv_channels=(4, 8), precision=precision, pretrain_iter=1, **TINY
    ).fit(X, y_semi)
    assert clf.architecture_ == "vgg"
    (probabilities,) = _run(skae.to_onnx(clf, X[:1]), X_test.astype(np.float32))
    assert_array_equal(clf.classes_[probabilities.argmax(axis=1)], clf.predict(X_test))
    atol = 1e-5 if precision == "float32" else 1e-2  # bfloat16 keeps 8 bits of mantissa
    assert_allclose(probabilities, clf.predict_proba(X_test), atol=atol)


def test_an_unsupervised_search_exports_its_best_autoencoder(digits):
    """docs/user_guide.rst:273: a grid search of the autoencoder alone, scored without y."""
    X, _, _, X_test = digits
    search = GridSearchCV(
        AutoencoderTransformer(4, **TINY), {"hidden_layer_sizes": [(16,), (32,)]}, cv=2
    ).fit(X)
    (codes,) = _run(skae.to_onnx(search, X[:1]), X_test.astype(np.float32))
    assert_allclose(codes, search.transform(X_test), atol=1e-5)


LABELS = {
    "int": lambda y: y,
    "float": lambda y: y.astype(np.float64),
    "str": lambda y: np.array([f"digit {label}" for label in range(10)])[y],
}


@pytest.mark.parametrize("kind", LABELS)
def test_classifier_labels_with_and_without_zipmap(kind, digits):
    X, y, _, X_test = digits
    pipe = make_pipeline(
        StandardScaler(),
        AutoencoderClassifier(
            8, hidden_layer_sizes=(16,), precision="float32", pretrain_iter=1, **TINY
        ),
    ).fit(X, LABELS[kind](y))
    X_test = X_test.astype(np.float32)
    keys = [int(c) if kind == "float" else c.item() for c in pipe.classes_]
    for zipmap in (False, True):
        labels, probabilities = _run(skae.to_onnx(pipe, X[:1], options={"zipmap": zipmap}), X_test)
        if zipmap:
            probabilities = np.array([[row[key] for key in keys] for row in probabilities])
        else:
            assert probabilities.dtype == np.float32
        assert_array_equal(labels, pipe.predict(X_test))
        assert labels.dtype == (object if kind == "str" else np.int64)  # floats: as int64
        assert_allclose(probabilities, pipe.predict_proba(X_test), atol=1e-5)


def test_float64_rows_give_a_float32_graph_or_are_cast_inside_it(digits):
    """skae.to_onnx reads float64 rows as float32; skl2onnx.to_onnx keeps a float64 input
    and skae's steps cast it."""
    X, y, _, X_test = digits
    pipe = make_pipeline(AutoencoderTransformer(8, **TINY), StandardScaler(), SVC()).fit(X, y)
    skae.register_onnx_converters()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # skl2onnx 1.20 reads SVC's probA_
        model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    labels, scores = _run(model, X_test)
    assert_array_equal(labels, pipe.predict(X_test))
    assert_allclose(scores, pipe.decision_function(X_test), atol=1e-5)


def test_an_unfitted_estimator_or_step_is_not_fitted_error(digits):
    X, y, _, _ = digits
    with pytest.raises(NotFittedError, match="This Pipeline instance is not fitted"):
        skae.to_onnx(make_pipeline(StandardScaler(), SVC()), X[:1])
    with pytest.raises(NotFittedError, match="PretrainedClassifier instance is not fitted"):
        skae.to_onnx(PretrainedClassifier(AutoencoderTransformer(), SVC()), X[:1])
    with pytest.raises(NotFittedError, match="AutoencoderTransformer instance is not fitted"):
        skae.to_onnx(AutoencoderTransformer(), X[:1])
    half = Pipeline([("reduce", AutoencoderTransformer()), ("clf", SVC().fit(X, y))])
    with pytest.raises(NotFittedError, match=r"Pipeline step 'reduce' \(AutoencoderTransformer\)"):
        skae.to_onnx(half, X[:1])


@pytest.mark.parametrize("target_opset", [17, "latest + 1", 99, "22", 22.0, True])
def test_a_target_opset_out_of_range_is_a_value_error(target_opset, digits):
    X, y, _, _ = digits
    latest = skl2onnx.get_latest_tested_opset_version()
    target_opset = latest + 1 if target_opset == "latest + 1" else target_opset
    pipe = make_pipeline(StandardScaler(), SVC()).fit(X, y)
    with pytest.raises(
        ValueError, match=rf"target_opset must be an integer from 18 .* to {latest} .*skl2onnx"
    ):
        skae.to_onnx(pipe, X[:1], target_opset=target_opset)


def test_a_float64_estimator_exports_in_float32_at_any_opset_onnx_knows(digits):
    X, _, _, X_test = digits
    model = AutoencoderTransformer(4, precision="float64", **TINY).fit(X)
    highest = onnx.defs.onnx_opset_version()
    with pytest.raises(ValueError, match=rf"to {highest} \(the highest the installed onnx"):
        skae.to_onnx(model, X[:1], target_opset=highest + 1)
    exported = skae.to_onnx(model, X[:1], target_opset=highest)
    assert [opset.version for opset in exported.opset_import if opset.domain == ""] == [highest]
    (codes,) = _run(exported, X_test.astype(np.float32))
    assert_allclose(codes, model.transform(X_test), atol=1e-5)


class _Doubler(TransformerMixin, BaseEstimator):
    """A user's transformer that skl2onnx has no converter for."""

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return 2 * X


def test_what_cannot_convert_is_a_value_error_naming_the_step(digits):
    X, y, _, _ = digits
    pipe = PretrainedClassifier(make_pipeline(_Doubler(), StandardScaler()), SVC()).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"PretrainedClassifier step 'transformer_/_doubler' \(_Doubler\): skl2onnx has no",
    ):
        skae.to_onnx(pipe, X[:1])
    union = make_pipeline(make_union(StandardScaler(), _Doubler()), SVC()).fit(X, y)
    with pytest.raises(ValueError, match=r"step 'featureunion/_doubler' \(_Doubler\)"):
        skae.to_onnx(union, X[:1])
    columns = make_pipeline(ColumnTransformer([("twice", _Doubler(), [0, 1])]), SVC()).fit(X, y)
    with pytest.raises(ValueError, match=r"step 'columntransformer/twice' \(_Doubler\)"):
        skae.to_onnx(columns, X[:1])


class _DataDependent(torch.nn.Module):
    """An encoder whose control flow depends on the values: torch.export cannot trace it."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 8)

    def forward(self, x):
        if x.sum() > 0:
            return self.linear(x)
        return -self.linear(x)


def test_a_module_torch_cannot_export_is_named_with_torchs_reason(digits):
    X, y, _, _ = digits
    pipe = make_pipeline(
        StandardScaler(), AutoencoderTransformer(4, encoder=_DataDependent, **TINY), SVC()
    ).fit(X, y)
    with pytest.raises(ValueError) as error:
        skae.to_onnx(pipe, X[:1])
    message = str(error.value)
    assert message.startswith(
        "Pipeline step 'autoencodertransformer' (AutoencoderTransformer): torch could not "
        "export AutoencoderTransformer.transform"
    )
    assert "GuardOnDataDependentSymNode: Could not guard on data-dependent expression" in message
    assert "if x.sum() > 0:" in message  # the user's line that torch blames
    assert "\x1b[" not in message and "step 1/3" not in message  # no colours, no banner


class _LocalEncoder(torch.nn.Module):
    """A user's encoder defined in this file: torch's stack traces would name it."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 8)

    def forward(self, x):
        return torch.relu(self.linear(x))


def test_the_model_carries_no_paths_or_source_lines(digits):
    X, _, _, _ = digits
    model = AutoencoderTransformer(4, encoder=_LocalEncoder, **TINY).fit(X)
    exported = skae.to_onnx(model, X[:1])
    assert _metadata(exported) == []
    serialized = exported.SerializeToString()
    for path in (Path(skae.__file__).parent, Path(__file__).parent, Path(torch.__file__).parent):
        assert str(path).encode() not in serialized
    assert Path(__file__).stem.encode() not in serialized
    assert b"stack_trace" not in serialized


def test_a_model_onnx_refuses_is_a_value_error(digits, monkeypatch):
    """The last guard: a converter's defect (here, labels of the wrong type) is refused."""
    X, y, _, _ = digits
    pipe = make_pipeline(
        AutoencoderClassifier(4, hidden_layer_sizes=(8,), pretrain_iter=1, **TINY)
    ).fit(X, y)
    strings = onnx.TensorProto.STRING, [10], [b"%d" % label for label in range(10)]
    monkeypatch.setattr("skae._onnx._labels", lambda classes: strings)
    with pytest.raises(ValueError, match="The exported model is not valid ONNX"):
        skae.to_onnx(pipe, X[:1], options={"zipmap": False})
