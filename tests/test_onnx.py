"""ONNX export: onnxruntime computes what skae computes, for estimators and whole pipelines."""

import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import skae
from skae import AutoencoderClassifier, AutoencoderTransformer, VariationalAutoencoder

from ._helpers import VGGStyleEncoder

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
skl2onnx = pytest.importorskip("skl2onnx")

CPU = dict(random_state=0, device="cpu")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.random((150, 64)).astype(np.float32)
    return X[:100], np.arange(100) % 3, X[100:]


def _run(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


TRANSFORMERS = {
    "dense": lambda: AutoencoderTransformer(4, max_iter=2, **CPU),
    "conv": lambda: AutoencoderTransformer(
        4, image_shape=(8, 8), conv_channels=(4, 8), max_iter=2, **CPU
    ),
    "vgg": lambda: AutoencoderTransformer(
        4, architecture="vgg", image_shape=(8, 8), conv_channels=(4, 8), max_iter=2, **CPU
    ),
    "custom-encoder": lambda: AutoencoderTransformer(
        4, encoder=VGGStyleEncoder, encoder__channels=(4,), image_shape=(8, 8), max_iter=2, **CPU
    ),
    "variational": lambda: VariationalAutoencoder(4, max_iter=2, **CPU),
}


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_transformer_methods_match_onnxruntime(name, data):
    X, _, X_test = data
    model = TRANSFORMERS[name]().fit(X)
    codes = model.transform(X_test)
    expected = {
        "transform": (X_test, codes),
        "inverse_transform": (codes, model.inverse_transform(codes)),
        "reconstruct": (X_test, model.inverse_transform(codes)),
    }
    for method, (inputs, outputs) in expected.items():
        exported = skae.to_onnx(model, X[:1], method=method)
        (got,) = _run(exported, inputs)
        assert got.shape == outputs.shape  # 50 rows through a graph traced on 2: dynamic
        assert_allclose(got, outputs, atol=1e-5)
    assert [i.name for i in exported.graph.input] == ["X"]
    opsets = [opset.version for opset in exported.opset_import if opset.domain == ""]
    assert opsets == [skl2onnx.get_latest_tested_opset_version()]  # the default


def test_classifier_probabilities_match_onnxruntime(data):
    X, y, X_test = data
    model = AutoencoderClassifier(
        8, image_shape=(8, 8), precision="float32", pretrain_iter=1, max_iter=2, **CPU
    ).fit(X, y)
    (proba,) = _run(skae.to_onnx(model, X[:1]), X_test)
    assert_allclose(proba, model.predict_proba(X_test), atol=1e-5)
    (codes,) = _run(skae.to_onnx(model, X[:1], method="transform"), X_test)
    assert_allclose(codes, model.transform(X_test), atol=1e-5)


@pytest.mark.parametrize("final", ["svc", "logistic-regression"])
def test_a_whole_pipeline_is_one_onnx_graph(final, data):
    X, y, X_test = data
    classifier = SVC() if final == "svc" else LogisticRegression()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("reduce", AutoencoderTransformer(4, max_iter=2, **CPU)),
            ("clf", classifier),
        ]
    ).fit(X, y)
    skae.register_onnx_converters()
    with warnings.catch_warnings():
        # skl2onnx 1.20's SVC converter reads probA_, which scikit-learn 1.9 deprecates.
        warnings.simplefilter("ignore", FutureWarning)
        exported = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    labels, scores = _run(exported, X_test)
    assert_array_equal(labels, pipe.predict(X_test))
    expected = pipe.decision_function(X_test) if final == "svc" else pipe.predict_proba(X_test)
    assert_allclose(scores, expected, atol=1e-4)
    assert not any(node.op_type == "PythonOp" for node in exported.graph.node)


def test_a_pipeline_ending_in_the_classifier_exports_labels_and_probabilities(data):
    X, y, X_test = data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", AutoencoderClassifier(8, pretrain_iter=1, max_iter=2, **CPU)),
        ]
    ).fit(X, np.array(["cat", "dog", "owl"])[y])
    exported = skae.to_onnx(pipe, X[:1])
    labels, probabilities = _run(skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False}), X_test)
    assert_array_equal(labels, pipe.predict(X_test))
    assert_allclose(probabilities, pipe.predict_proba(X_test), atol=1e-4)
    assert [o.name for o in exported.graph.output] == ["output_label", "output_probability"]


def test_bad_requests_are_clear_errors(data):
    X, y, _ = data
    with pytest.raises(NotFittedError, match="not fitted"):
        skae.to_onnx(AutoencoderTransformer(), X[:1])
    model = TRANSFORMERS["dense"]().fit(X)
    with pytest.raises(ValueError, match="method='predict_proba' is not one of"):
        skae.to_onnx(model, X[:1], method="predict_proba")
    with pytest.raises(ValueError, match="X has 10 features"):
        skae.to_onnx(model, X[:1, :10])
    with pytest.raises(ValueError, match="target_opset must be an integer from 18"):
        skae.to_onnx(model, X[:1], target_opset=13)
    with pytest.raises(ValueError, match="options apply to skl2onnx's conversion"):
        skae.to_onnx(model, X[:1], options={"zipmap": False})
    pipe = Pipeline([("clf", LogisticRegression())]).fit(X, y)
    with pytest.raises(ValueError, match="method applies to skae estimators only"):
        skae.to_onnx(pipe, X[:1], method="transform")


class _DataDependent(torch.nn.Module):
    """An encoder whose control flow depends on the values: torch.export cannot trace it."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 8)

    def forward(self, x):
        if x.sum() > 0:
            return self.linear(x)
        return -self.linear(x)


def test_a_module_torch_cannot_export_is_a_clear_error(data):
    X, _, _ = data
    model = AutoencoderTransformer(4, encoder=_DataDependent, max_iter=1, **CPU).fit(X)
    with pytest.raises(
        ValueError, match=r"^torch could not export AutoencoderTransformer\.transform"
    ) as error:
        skae.to_onnx(model, X[:1])
    assert "GuardOnDataDependentSymNode" in str(error.value)  # torch's reason
    assert "\x1b[" not in str(error.value)  # without terminal colours
