"""ONNX export of skae estimators, and their converters for skl2onnx.

:func:`to_onnx` exports what a fitted skae estimator computes (its
``transform``, ``inverse_transform``, whole reconstruction or
``predict_proba``) with :func:`torch.onnx.export`, in float32, with a
dynamic batch axis. :func:`register_onnx_converters` tells ``skl2onnx``
how to convert skae's estimators inside a scikit-learn pipeline: each
converter exports the estimator's network as above and splices that graph
into the pipeline's, so that the whole pipeline is one ONNX graph.
"""

import contextlib
import copy
import importlib
import io
import logging
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._base import BaseAutoencoder
from skae._classifier import AutoencoderClassifier
from skae._extras import import_extra
from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder
from skae.nn import ReconstructionLoss

#: What :func:`to_onnx` exports of each kind of estimator: method -> what the graph computes.
METHODS = {
    "transformer": ("transform", "inverse_transform", "reconstruct"),
    "classifier": ("predict_proba", "transform"),
}
#: The lowest opset the exporter writes.
MIN_OPSET = 18


def to_onnx(estimator, X, *, method=None, target_opset=None):
    """Export a fitted skae estimator, or a pipeline holding skae estimators, to ONNX.

    Named like :func:`skl2onnx.to_onnx`. For a skae estimator the graph
    computes one method, in float32, for any number of rows (a dynamic batch
    axis): its input is ``"X"`` and its output ``"Y"``. Any other
    scikit-learn object (a ``Pipeline`` of a scaler, an
    :class:`~skae.AutoencoderTransformer` and an SVC, say) goes to
    :func:`skl2onnx.to_onnx` with skae's converters registered.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skae.AutoencoderTransformer`,
        :class:`~skae.VariationalAutoencoder`,
        :class:`~skae.AutoencoderClassifier`, or a scikit-learn object
        holding them.
    X : array-like of shape (n_samples, n_features)
        A few rows of the input, which fix the number of features (and, for
        skl2onnx, the input's type: pass float32).
    method : str, default=None
        For a skae estimator: ``"transform"`` (the encoder; the default of
        the transformers), ``"inverse_transform"`` (the decoder, whose input
        is codes of ``n_components``), ``"reconstruct"`` (the whole
        autoencoder, ``inverse_transform(transform(X))``), or
        ``"predict_proba"`` (the default of the classifier). Must be None
        for other objects.
    target_opset : int, default=None
        The ONNX opset; at least 18, the lowest torch's exporter writes.

    Returns
    -------
    onnx.ModelProto
        The model; ``model.SerializeToString()`` is what
        ``onnxruntime.InferenceSession`` takes.

    Raises
    ------
    ImportError
        Without ``onnx`` and ``onnxscript`` (or ``skl2onnx`` for a pipeline):
        ``pip install skae[onnx]``.
    ValueError
        For an unfitted estimator, an unknown method, or a network torch
        cannot export (the message says which and why).
    """
    if not isinstance(estimator, BaseAutoencoder):
        if method is not None:
            raise ValueError("method applies to skae estimators only; skl2onnx exports the rest.")
        register_onnx_converters()
        skl2onnx = _require("skl2onnx")
        with warnings.catch_warnings():
            # skl2onnx 1.20 reads SVC's probA_/probB_, which scikit-learn 1.9 deprecates.
            warnings.filterwarnings(
                "ignore", message="Attribute `prob[AB]_` was deprecated", category=FutureWarning
            )
            return skl2onnx.to_onnx(estimator, X, target_opset=_opset(target_opset))
    check_is_fitted(estimator)
    kind = "classifier" if isinstance(estimator, AutoencoderClassifier) else "transformer"
    method = method or METHODS[kind][0]
    if method not in METHODS[kind]:
        raise ValueError(
            f"method={method!r} is not one of {METHODS[kind]} for {type(estimator).__name__}."
        )
    X = validate_data(estimator, X, dtype=np.float32, reset=False)
    return _export(estimator, method, X, _opset(target_opset))


class _Method(torch.nn.Module):
    """A fitted network's method as a module's ``forward``, for the exporter."""

    def __init__(self, network, method, loss):
        super().__init__()
        self.network, self.method = network, method
        self.output = ReconstructionLoss(loss).output_activation

    def forward(self, x):
        if self.method == "transform":
            return self.network.encode(x)
        if self.method == "predict_proba":
            return self.network(x).softmax(dim=1)
        if self.method == "inverse_transform":
            return self.output(self.network.decoder(x))
        return self.output(self.network.decoder(self.network.encode(x)))


def _export(estimator, method, X, opset):
    """The ONNX model of ``method`` of a fitted skae estimator, traced on rows of X."""
    _require("onnx")
    _require("onnxscript")
    network = copy.deepcopy(estimator.module_).to(device="cpu", dtype=torch.float32)
    network = network.to(memory_format=torch.contiguous_format).eval()
    sample = torch.from_numpy(np.resize(X, (2, X.shape[1])))
    if method == "inverse_transform":
        with torch.inference_mode():
            sample = network.encode(sample).clone()
    module = _Method(network, method, estimator._config.loss).eval()
    try:
        with _quiet_exporter():
            program = torch.onnx.export(
                module,
                (sample,),
                dynamo=True,
                input_names=["X"],
                output_names=["Y"],
                dynamic_shapes={"x": {0: torch.export.Dim("batch")}},
                opset_version=opset,
                optimize=True,
                verbose=False,
            )
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"torch could not export {type(estimator).__name__}.{method} of its "
            f"{estimator._config.architecture!r} network (with the user's modules "
            f"{dict(estimator._config.modules) or 'none'}): {type(exc).__name__}: {reason}"
        ) from None
    return program.model_proto


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's progress lines, its notes about torchvision, and the
    deprecation warnings torch's exporter raises about its own internals (torch 2.13)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category)
            yield
    finally:
        logger.setLevel(level)


def _opset(target_opset):
    if target_opset is None:
        return max(MIN_OPSET, _latest_opset())
    if target_opset < MIN_OPSET:
        raise ValueError(f"target_opset must be at least {MIN_OPSET}, got {target_opset}.")
    return target_opset


def _latest_opset():
    try:
        return importlib.import_module("skl2onnx").get_latest_tested_opset_version()
    except ImportError:
        return MIN_OPSET


def _require(module):
    return import_extra(module, "onnx", "ONNX export")


# ------------------------------------------------------------------ skl2onnx


def register_onnx_converters():
    """Register skae's estimators with ``skl2onnx``, so that pipelines holding them convert.

    After it, :func:`skl2onnx.to_onnx` converts a ``Pipeline`` (or any
    composite skl2onnx knows) with skae's transformers and classifiers inside
    into one ONNX graph; :func:`to_onnx` calls it for you. A transformer's
    output is ``transform``'s code; a classifier's outputs are skl2onnx's
    ``label`` and ``probabilities`` (with its ``zipmap`` option).
    """
    skl2onnx = _require("skl2onnx")
    shapes = importlib.import_module("skl2onnx.common.shape_calculator")
    for cls in (AutoencoderTransformer, VariationalAutoencoder):
        skl2onnx.update_registered_converter(
            cls, f"Skae{cls.__name__}", _transformer_shape, _transformer_converter
        )
    skl2onnx.update_registered_converter(
        AutoencoderClassifier,
        "SkaeAutoencoderClassifier",
        shapes.calculate_linear_classifier_output_shapes,
        _classifier_converter,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )


def _transformer_shape(operator):
    data_types = importlib.import_module("skl2onnx.common.data_types")
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = data_types.FloatTensorType(
        [n_rows, operator.raw_operator.n_components]
    )


def _transformer_converter(scope, operator, container):
    _splice(scope, operator, container, "transform", operator.outputs[0].full_name)


def _classifier_converter(scope, operator, container):
    estimator = operator.raw_operator
    probabilities = operator.outputs[1].full_name
    _splice(scope, operator, container, "predict_proba", probabilities)
    onnx = importlib.import_module("onnx")
    index = scope.get_unique_variable_name("skae_class_index")
    container.add_node(
        "ArgMax",
        [probabilities],
        [index],
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    classes = scope.get_unique_variable_name("skae_classes")
    if estimator.classes_.dtype.kind in "iub":
        container.add_initializer(
            classes,
            onnx.TensorProto.INT64,
            [len(estimator.classes_)],
            estimator.classes_.astype(np.int64),
        )
    else:
        container.add_initializer(
            classes,
            onnx.TensorProto.STRING,
            [len(estimator.classes_)],
            [str(c).encode() for c in estimator.classes_],
        )
    container.add_node(
        "Gather",
        [classes, index],
        [operator.outputs[0].full_name],
        axis=0,
        name=scope.get_unique_operator_name("Gather"),
    )


def _splice(scope, operator, container, method, output):
    """Copy the exported graph of ``method`` into skl2onnx's, between the operator's variables."""
    onnx = importlib.import_module("onnx")
    estimator = operator.raw_operator
    n_features = estimator.n_features_in_
    model = _export(
        estimator, method, np.zeros((2, n_features), np.float32), container.target_opset
    )
    model = importlib.import_module("onnx.inliner").inline_local_functions(model)
    graph = model.graph
    prefix = scope.get_unique_variable_name(f"skae_{type(estimator).__name__}") + "_"
    names = {graph.input[0].name: operator.inputs[0].full_name, graph.output[0].name: output}

    def name(value):
        return names.get(value, prefix + value) if value else value

    for initializer in graph.initializer:
        array = onnx.numpy_helper.to_array(initializer)
        container.add_initializer(
            name(initializer.name),
            initializer.data_type,
            list(array.shape),
            onnx.numpy_helper.from_array(array),
        )
    for node in graph.node:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            [name(i) for i in node.input],
            [name(o) for o in node.output],
            op_domain=node.domain,
            op_version=container.target_opset if node.domain in ("", "ai.onnx") else 1,
            name=prefix + (node.name or node.op_type),
            **attributes,
        )
