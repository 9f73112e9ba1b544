"""ONNX export of skae estimators, and their converters for skl2onnx.

:func:`to_onnx` exports what a fitted skae estimator computes (its
``transform``, ``inverse_transform``, whole reconstruction or
``predict_proba``) with :func:`torch.onnx.export`, in float32, with a
dynamic batch axis. :func:`register_onnx_converters` tells ``skl2onnx``
how to convert skae's estimators inside a scikit-learn pipeline: each
converter exports the estimator's network as above and splices that graph
into the pipeline's, so that the whole pipeline is one ONNX graph. Before
converting, :func:`to_onnx` checks that every step is fitted and convertible,
so that what cannot export fails at once with the step's name; after it, it
strips what would leak the exporting machine's paths and checks the model.
"""

import contextlib
import copy
import importlib
import io
import logging
import re
import warnings
from numbers import Integral

import numpy as np
import torch
from google.protobuf.message import Message
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._augmenter import AugmentedClassifier
from skae._base import BaseAutoencoder
from skae._classifier import AutoencoderClassifier
from skae._extras import import_extra
from skae._pretrained import PretrainedClassifier
from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder
from skae.nn._inference import InferenceModule

#: What :func:`to_onnx` exports of each kind of estimator: method -> what the graph computes.
METHODS = {
    "transformer": ("transform", "inverse_transform", "reconstruct"),
    "classifier": ("predict_proba", "transform"),
}
#: The lowest opset the exporter writes.
MIN_OPSET = 18
#: Meta-estimators, and the fitted estimators they apply, in order, at prediction.
META_STEPS = {
    PretrainedClassifier: ("transformer_", "classifier_"),
    AugmentedClassifier: ("classifier_",),
    FrozenEstimator: ("estimator",),
}
_CLASSIFIER_ALIAS = "SkaeAutoencoderClassifier"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def to_onnx(estimator, X, *, method=None, target_opset=None, options=None):
    """Export a fitted skae estimator, or a pipeline holding skae estimators, to ONNX.

    Named like :func:`skl2onnx.to_onnx`. For a skae estimator the graph
    computes one method, in float32, for any number of rows (a dynamic batch
    axis): its input is ``"X"`` and its output ``"Y"``. Any other
    scikit-learn object (a ``Pipeline`` of an
    :class:`~skae.AutoencoderTransformer`, a scaler and an SVC, a
    :class:`~skae.PretrainedClassifier`, say) goes to
    :func:`skl2onnx.to_onnx` with skae's converters registered. The graph's
    input is float32 whatever the dtype of ``X``: feed onnxruntime
    ``X.astype(np.float32)``. The model carries no doc strings and no
    ``metadata_props``: nothing of the exporting machine's paths or source.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skae.AutoencoderTransformer`,
        :class:`~skae.VariationalAutoencoder`,
        :class:`~skae.AutoencoderClassifier`, or a scikit-learn object
        holding them.
    X : array-like of shape (n_samples, n_features)
        A few rows of the input, which fix the number of features; float64
        rows are read as float32.
    method : str, default=None
        For a skae estimator: ``"transform"`` (the encoder; the default of
        the transformers), ``"inverse_transform"`` (the decoder, whose input
        is codes of ``n_components``), ``"reconstruct"`` (the whole
        autoencoder, ``inverse_transform(transform(X))``), or
        ``"predict_proba"`` (the default of the classifier). Must be None
        for other objects.
    target_opset : int, default=None
        The ONNX opset: from 18, the lowest torch's exporter writes, to the
        highest the installed ``onnx`` knows for a skae estimator, or to
        skl2onnx's latest tested opset for other objects. None: skl2onnx's
        latest tested opset (18 without skl2onnx).
    options : dict, default=None
        skl2onnx's converter options, such as ``{"zipmap": False}`` for a
        classifier's probabilities as one tensor. Must be None for a skae
        estimator.

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
    sklearn.exceptions.NotFittedError
        For an unfitted estimator, or a pipeline with an unfitted step.
    ValueError
        For an unknown method, a ``target_opset`` out of range, a step
        skl2onnx has no converter for, or a network torch cannot export:
        the message names the step and the reason. Also for a model that
        onnx's checker refuses: a defect, never returned.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.svm import SVC
    >>> from skae import AutoencoderTransformer, to_onnx
    >>> X = np.random.default_rng(0).random((40, 16))
    >>> pipe = make_pipeline(
    ...     AutoencoderTransformer(4, max_iter=1, random_state=0), SVC()
    ... ).fit(X, np.arange(40) % 2)
    >>> model = to_onnx(pipe, X[:1])
    >>> [(value.name, value.type.tensor_type.elem_type) for value in model.graph.input]
    [('X', 1)]
    """
    skae_estimator = isinstance(estimator, BaseAutoencoder)
    opset = _opset(target_opset, converter=not skae_estimator)
    if skae_estimator:
        if options is not None:
            raise ValueError("options apply to skl2onnx's conversion, not to skae estimators.")
        model = _export_estimator(estimator, X, method, opset)
    else:
        if method is not None:
            raise ValueError("method applies to skae estimators only; skl2onnx exports the rest.")
        model = _convert(estimator, X, opset, options)
    _strip_metadata(model)
    _check_model(model)
    return model


def _check_model(model):
    """Refuse a model that onnx's checker (with strict type and shape inference) refuses,
    as onnxruntime would."""
    onnx = _require("onnx")
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ValueError(f"The exported model is not valid ONNX: {exc}") from None


def _export_estimator(estimator, X, method, opset):
    """The ONNX model of ``method`` of a skae estimator, after checking the request."""
    check_is_fitted(estimator)
    kind = "classifier" if isinstance(estimator, AutoencoderClassifier) else "transformer"
    method = method or METHODS[kind][0]
    if method not in METHODS[kind]:
        raise ValueError(
            f"method={method!r} is not one of {METHODS[kind]} for {type(estimator).__name__}."
        )
    X = validate_data(estimator, X, dtype=np.float32, reset=False)
    return _export(estimator, method, X, opset)


def _convert(estimator, X, opset, options):
    """skl2onnx's model of a scikit-learn object, its steps checked first."""
    skl2onnx = _require("skl2onnx")
    register_onnx_converters()
    names = _check_steps(estimator)
    X = np.asarray(X)  # one input, "X", also for a DataFrame
    X = X.astype(np.float32) if X.dtype.kind == "f" else X
    try:
        with warnings.catch_warnings():
            # skl2onnx 1.20 reads SVC's probA_/probB_, which scikit-learn 1.9 deprecates.
            warnings.filterwarnings(
                "ignore", message="Attribute `prob[AB]_` was deprecated", category=FutureWarning
            )
            return skl2onnx.to_onnx(estimator, X, target_opset=opset, options=options)
    except _ExportError as exc:
        name = names.get(id(exc.estimator), type(exc.estimator).__name__)
        raise ValueError(f"{name}: {exc}") from None


def _check_steps(estimator):
    """Check every step of ``estimator`` can convert; return their names by ``id``."""
    skl2onnx = importlib.import_module("skl2onnx")
    names = {}
    for path, step in _steps(estimator):
        name = type(step).__name__
        if path:
            name = f"{type(estimator).__name__} step {'/'.join(path)!r} ({name})"
        try:
            check_is_fitted(step)
        except NotFittedError as exc:
            raise NotFittedError(f"{name}: {exc}") from None
        if not _children(step):
            try:
                skl2onnx.get_model_alias(type(step))
            except RuntimeError:
                raise ValueError(
                    f"{name}: skl2onnx has no converter for {type(step).__name__}."
                ) from None
        names[id(step)] = name
    return names


def _steps(estimator, path=()):
    """Yield ``(path, step)`` for ``estimator`` and each estimator it applies, parents first.

    Lazily: a caller that checks a parent is fitted before asking for the
    next step never makes this read an unfitted parent's fitted attributes.
    """
    yield path, estimator
    for name, step in _children(estimator):
        if not isinstance(step, str):  # "passthrough", "drop"
            yield from _steps(step, (*path, name))


def _children(estimator):
    """The named estimators that ``estimator`` applies, fitted, at prediction."""
    if isinstance(estimator, Pipeline):
        return estimator.steps
    if isinstance(estimator, FeatureUnion):
        return estimator.transformer_list
    if isinstance(estimator, ColumnTransformer):
        return [(name, step) for name, step, _ in estimator.transformers_]
    if isinstance(estimator, GridSearchCV):
        return [("best_estimator_", estimator.best_estimator_)]
    return [(name, getattr(estimator, name)) for name in META_STEPS.get(type(estimator), ())]


class _ExportError(ValueError):
    """torch could not export a network; ``estimator`` says whose."""

    def __init__(self, message, estimator):
        super().__init__(message)
        self.estimator = estimator


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
    module = InferenceModule(network, method, estimator._config.loss).eval()
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
        raise _ExportError(
            f"torch could not export {type(estimator).__name__}.{method} of its "
            f"{estimator._config.architecture!r} network (with the user's modules "
            f"{dict(estimator._config.modules) or 'none'}): {_reason(exc)}",
            estimator,
        ) from None
    return program.model_proto


def _reason(exc):
    """The first line of the innermost cause of ``exc``, without terminal colour codes,
    and the user's line that raised it when torch names one."""
    text = _ANSI.sub("", str(exc))
    while exc.__cause__ is not None:
        exc = exc.__cause__
    lines = _ANSI.sub("", str(exc)).strip().splitlines()
    reason = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    call = re.search(r"The following call raised this error:\n\s*(.+)\n\s*(.+)", text)
    return f"{reason} (at {call[1].strip()}: {call[2].strip()})" if call else reason


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's progress lines, its graph dumps and log lines, and the
    deprecation warnings torch's exporter raises about its own internals (torch 2.13)."""
    loggers = [logging.getLogger(name) for name in ("torch", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
        ):
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _opset(target_opset, converter):
    """The opset to write: ``target_opset`` checked, or by default skl2onnx's latest tested.

    torch's exporter writes any opset the installed onnx knows; skl2onnx
    (``converter=True``) one up to its latest tested.
    """
    if converter:
        highest, by = _require("skl2onnx").get_latest_tested_opset_version(), "skl2onnx"
    else:
        highest, by = _require("onnx").defs.onnx_opset_version(), "onnx"
    if target_opset is None:
        return max(MIN_OPSET, min(_latest_opset(), highest))
    if (
        not isinstance(target_opset, Integral)
        or isinstance(target_opset, bool)
        or not MIN_OPSET <= target_opset <= highest
    ):
        raise ValueError(
            f"target_opset must be an integer from {MIN_OPSET} (the lowest torch's exporter "
            f"writes) to {highest} (the highest the installed {by} writes), got {target_opset!r}."
        )
    return int(target_opset)


def _latest_opset():
    try:
        return importlib.import_module("skl2onnx").get_latest_tested_opset_version()
    except ImportError:
        return MIN_OPSET


def _require(module):
    return import_extra(module, "onnx", "ONNX export")


def _strip_metadata(message):
    """Clear every ``doc_string`` and ``metadata_props`` in an ONNX message, recursively.

    torch's exporter writes the source lines and absolute paths of every
    module it traced there (``pkg.torch.onnx.stack_trace``).
    """
    for field, value in message.ListFields():
        if field.name in ("doc_string", "metadata_props"):
            message.ClearField(field.name)
        elif field.message_type is not None:
            for item in (value,) if isinstance(value, Message) else value:
                _strip_metadata(item)


# ------------------------------------------------------------------ skl2onnx


def register_onnx_converters():
    """Register skae's estimators with ``skl2onnx``, so that pipelines holding them convert.

    After it, :func:`skl2onnx.to_onnx` converts a ``Pipeline`` (or any
    composite skl2onnx knows) with skae's transformers and classifiers inside
    into one ONNX graph; :func:`to_onnx` calls it for you. A transformer's
    output is ``transform``'s code; a classifier's outputs are skl2onnx's
    ``label`` and ``probabilities`` (with its ``zipmap`` option), or its
    code where a ``Pipeline`` uses it before its last step, as ``Pipeline``
    does (for that, skae's parser for ``Pipeline`` replaces skl2onnx's). A
    :class:`~skae.PretrainedClassifier` or :class:`~skae.AugmentedClassifier`
    converts as what it applies at prediction: its fitted transformer (for
    the first), then its fitted classifier; a
    :class:`~sklearn.frozen.FrozenEstimator` as the estimator it holds.
    """
    skl2onnx = _require("skl2onnx")
    for cls in (AutoencoderTransformer, VariationalAutoencoder):
        skl2onnx.update_registered_converter(
            cls, f"Skae{cls.__name__}", _transformer_shape, _transformer_converter
        )
    skl2onnx.update_registered_converter(
        AutoencoderClassifier,
        _CLASSIFIER_ALIAS,
        _classifier_shape,
        _classifier_converter,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    for cls in META_STEPS:
        skl2onnx.update_registered_parser(cls, _parse_meta)
    skl2onnx.update_registered_parser(Pipeline, _parse_pipeline)


def _parse_pipeline(scope, model, inputs, custom_parsers=None):
    """Parse a Pipeline's steps as ``Pipeline`` applies them."""
    steps = [step for _, step in model.steps]
    return _parse_chain(scope, model, steps, inputs, custom_parsers)


def _parse_meta(scope, model, inputs, custom_parsers=None):
    """Parse a meta-estimator as the fitted estimators it applies at prediction."""
    steps = [getattr(model, name) for name in META_STEPS[type(model)]]
    return _parse_chain(scope, model, steps, inputs, custom_parsers)


def _parse_chain(scope, owner, steps, inputs, custom_parsers):
    """Parse ``steps`` in turn, as skl2onnx parses a Pipeline, except that a skae classifier
    before the last step (frozen or not) gives its code (``transform``), as ``Pipeline``
    uses it; the last step, a classifier, takes the ``zipmap`` option of ``owner``."""
    parse = importlib.import_module("skl2onnx._parse")
    *head, last = steps
    for step in head:
        while isinstance(step, FrozenEstimator):
            step = step.estimator
        if isinstance(step, AutoencoderClassifier):
            inputs = _parse_codes(scope, step, inputs)
        else:
            inputs = parse._parse_sklearn(scope, step, inputs, custom_parsers=custom_parsers)
    options = scope.options or {}
    if is_classifier(last) and id(last) not in options and type(last) not in options:
        # Read, not get_options: skl2onnx only knows the options of registered converters.
        zipmap = {**options.get(type(owner), {}), **options.get(id(owner), {})}.get("zipmap", True)
        scope.add_options(id(last), {"zipmap": zipmap})
    return parse._parse_sklearn(scope, last, inputs, custom_parsers=custom_parsers)


def _parse_codes(scope, classifier, inputs):
    """Declare a skae classifier's operator with one output: its code."""
    data_types = importlib.import_module("skl2onnx.common.data_types")
    operator = scope.declare_local_operator(_CLASSIFIER_ALIAS, classifier)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("codes", data_types.FloatTensorType()))
    return operator.outputs


def _transformer_shape(operator):
    data_types = importlib.import_module("skl2onnx.common.data_types")
    estimator = operator.raw_operator
    check_is_fitted(estimator)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = data_types.FloatTensorType([n_rows, estimator._n_features_out])


def _classifier_shape(operator):
    if len(operator.outputs) == 1:  # used for its code, before a Pipeline's last step
        _transformer_shape(operator)
        return
    check_is_fitted(operator.raw_operator)
    importlib.import_module(
        "skl2onnx.common.shape_calculator"
    ).calculate_linear_classifier_output_shapes(operator)
    data_types = importlib.import_module("skl2onnx.common.data_types")
    operator.outputs[1].type = data_types.FloatTensorType(operator.outputs[1].type.shape)


def _transformer_converter(scope, operator, container):
    _splice(scope, operator, container, "transform", operator.outputs[0].full_name)


def _classifier_converter(scope, operator, container):
    if len(operator.outputs) == 1:
        _transformer_converter(scope, operator, container)
        return
    probabilities = operator.outputs[1].full_name
    _splice(scope, operator, container, "predict_proba", probabilities)
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
    utils = importlib.import_module("skl2onnx.common.utils_classifier")
    labels = utils.get_label_classes(scope, operator.raw_operator)  # 0, 1, ... with nocl
    container.add_initializer(classes, *_labels(labels))
    container.add_node(
        "Gather",
        [classes, index],
        [operator.outputs[0].full_name],
        axis=0,
        name=scope.get_unique_operator_name("Gather"),
    )


def _labels(classes):
    """Class labels as an ONNX initializer's type, shape and values: int64 for integer and
    float labels (scikit-learn's classifiers take only whole numbers), as skl2onnx types
    them, else strings."""
    onnx = importlib.import_module("onnx")
    if classes.dtype.kind in "iubf":
        return onnx.TensorProto.INT64, [len(classes)], classes.astype(np.int64)
    return onnx.TensorProto.STRING, [len(classes)], [str(c).encode() for c in classes]


def _splice(scope, operator, container, method, output):
    """Copy the exported graph of ``method`` into skl2onnx's, between the operator's variables."""
    onnx = importlib.import_module("onnx")
    estimator = operator.raw_operator
    model = _export(
        estimator,
        method,
        np.zeros((2, estimator.n_features_in_), np.float32),
        container.target_opset,
    )
    model = importlib.import_module("onnx.inliner").inline_local_functions(model)
    graph = model.graph
    prefix = scope.get_unique_variable_name(f"skae_{type(estimator).__name__}") + "_"
    names = {
        graph.input[0].name: _float_input(scope, operator, container),
        graph.output[0].name: output,
    }

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


def _float_input(scope, operator, container):
    """The operator's input as float32, the network's type: cast when it is not."""
    data_types = importlib.import_module("skl2onnx.common.data_types")
    variable = operator.inputs[0]
    if isinstance(variable.type, data_types.FloatTensorType):
        return variable.full_name
    cast = scope.get_unique_variable_name("skae_float_input")
    container.add_node(
        "Cast",
        [variable.full_name],
        [cast],
        to=importlib.import_module("onnx").TensorProto.FLOAT,
        name=scope.get_unique_operator_name("Cast"),
    )
    return cast
