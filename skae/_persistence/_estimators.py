"""A skae estimator as a JSON record and a dictionary of tensors, and back.

The record holds the type, the parameters and, once fitted, the fitted
attributes that each estimator declares (:func:`fitted_schema`: names and
the kind of value each holds) but the torch objects. The network is not
stored as code: loading rebuilds it from the fitted configuration alone (the
architecture record and its sizes, or the user's trusted modules with the
arguments they were built with), first without memory (on torch's ``meta``
device) to check that the file's weights are exactly its weights, then for
real, and loads the weights into it.

Reading is in two steps, so that a file can be reviewed before it is
trusted: :func:`read_record` checks everything and names the classes and
functions the record needs, importing nothing; :func:`build_estimator`
then makes the estimator, with those names resolved.
"""

import dataclasses
import functools
import math
import re
from numbers import Integral, Real

import numpy as np
import torch

from skae._classifier import AutoencoderClassifier
from skae._fitted import FittedConfig, Seeds
from skae._params import MODULE_PREFIXES
from skae._persistence import _tensors
from skae._persistence._codec import Named, decode, encode, review, string_budget
from skae._persistence._container import parse_json
from skae._persistence._errors import ModelFileError
from skae._training import make_optimizer
from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder
from skae.nn import ARCHITECTURES, NetworkSpec
from skae.nn._device import loadable_device
from skae.nn._modules import build_seeded
from skae.nn._precision import PRECISIONS, inference_precision

#: The estimators whose state a file holds as a record, by type name.
ESTIMATOR_TYPES = {
    cls.__name__: cls
    for cls in (AutoencoderTransformer, VariationalAutoencoder, AutoencoderClassifier)
}
_TORCH_ATTRIBUTES = ("module_", "optimizer_")
_WEIGHTS = "module_."
_DEVICE = re.compile(r"(cpu|cuda|mps|xpu)(:[0-9]{1,4})?")
_ADAM_STATE = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
#: Values one row may make in any layer, per input feature (VGG16 on 224x224 RGB makes 21).
_ACTIVATIONS_PER_FEATURE = 256


@dataclasses.dataclass
class Record:
    """A checked record, its names unresolved: what :func:`read_record` returns."""

    cls: type
    params: dict
    fitted: dict | None
    optimizer: dict | None
    weights: dict
    names: set


# ------------------------------------------------------------------- saving


def estimator_record(estimator):
    """``(record, tensors)`` of a skae estimator, fitted or not.

    ``checkpoint`` is saved as None: it is a path of the machine that
    fitted, which a loaded model must not write to.
    """
    tensors = {}
    params = {**estimator.get_params(deep=False), "checkpoint": None}
    record = {"type": type(estimator).__name__, "params": encode(params, tensors, "params")}
    if not hasattr(estimator, "module_"):
        return record, tensors
    skipped = {*estimator._get_param_names(), "_module_kwargs", *_TORCH_ATTRIBUTES}
    fitted = {name: value for name, value in vars(estimator).items() if name not in skipped}
    record["fitted"] = encode(fitted, tensors, "fitted")
    for name, weight in estimator.module_.state_dict().items():
        # A copy, so that no two saved tensors share memory (safetensors refuses that).
        tensors[_WEIGHTS + name] = (
            weight.detach().cpu().clone(memory_format=torch.contiguous_format)
        )
    record["optimizer"] = encode(estimator.optimizer_.state_dict(), tensors, "optimizer_")
    return record, tensors


# ------------------------------------------------------------------ reading


def read_record(record_bytes, tensor_bytes, where, budget):
    """The checked :class:`Record` of an estimator's two parts, importing nothing.

    ``budget`` is the file's :class:`~skae._persistence._container.JsonBudget`.

    Raises
    ------
    ModelFileError
        For anything :func:`estimator_record` never writes: an unknown type,
        a parameter or a fitted attribute the estimator does not have, a
        value of the wrong kind, a tensor nothing uses, ...
    """
    record = parse_json(record_bytes, where, budget)
    if not isinstance(record, dict) or record.get("type") not in ESTIMATOR_TYPES:
        kind = record.get("type") if isinstance(record, dict) else None
        raise ModelFileError(
            f"{where}: an estimator of unknown type {str(kind)[:60]!r}; this version of skae "
            f"loads {sorted(ESTIMATOR_TYPES)}."
        )
    fitted = "fitted" in record
    if set(record) != {"type", "params", *(("fitted", "optimizer") if fitted else ())}:
        raise ModelFileError(f"{where}: the record's fields are not an estimator's.")
    cls = ESTIMATOR_TYPES[record["type"]]
    entries = _tensors.header(tensor_bytes, f"{where} (tensors)", budget)
    weights = {name for name in entries if fitted and name.startswith(_WEIGHTS)}
    unused = sorted(set(entries) - weights - _tensor_references(record))
    if unused:
        raise ModelFileError(f"{where}: tensors that nothing uses: {unused[:5]}.")
    tensors = _tensors.loads(tensor_bytes, entries)
    strings = string_budget(len(record_bytes))
    values = {
        field: decode(record[field], tensors, review, f"{where}: {field}", string_budget=strings)
        for field in ("params", "fitted", "optimizer")
        if field in record
    }
    params = _checked_params(cls, values["params"], where)
    if fitted:
        _check_fitted(cls, values["fitted"], where)
    return Record(
        cls=cls,
        params=params,
        fitted=values.get("fitted"),
        optimizer=values.get("optimizer"),
        weights={name[len(_WEIGHTS) :]: tensors[name] for name in weights},
        names={named.name for named in _named_in([params, values.get("fitted")])},
    )


def build_estimator(record, resolve, where):
    """The estimator of a :class:`Record`, complete or not at all.

    ``resolve(name)`` gives the class or function of each name in
    ``record.names``, all of which the caller has trusted.
    """
    params = bind(record.params, resolve)
    estimator = record.cls(**params)
    _validate(estimator, where)
    if record.fitted is None:
        return estimator
    for name, value in bind(record.fitted, resolve).items():
        setattr(estimator, name, value)
    network = _rebuilt_network(estimator, record.weights, where)
    device = loadable_device(estimator.device_)
    # The layout training left (channels-last under autocast), whose kernels round alike.
    layout = inference_precision(estimator._config.precision, device).memory_format(network)
    network.to(device=device, memory_format=layout).eval()
    # Any rate: the file's optimizer state, checked below, brings the rates it trained with.
    optimizer = make_optimizer(network, 0.0, 1e-3)
    _check_optimizer_state(record.optimizer, optimizer, where)
    optimizer.load_state_dict(record.optimizer)
    estimator.module_, estimator.optimizer_, estimator.device_ = network, optimizer, device
    return estimator


def _validate(estimator, where):
    try:
        estimator._validate_params()
        estimator._check_extra_params()
    except ValueError as exc:
        raise ModelFileError(f"{where}: its parameters are invalid: {exc}") from None


def _checked_params(cls, params, where):
    names = set(cls._get_param_names())
    if not isinstance(params, dict) or not all(
        isinstance(name, str) and (name in names or name.startswith(MODULE_PREFIXES))
        for name in params
    ):
        raise ModelFileError(f"{where}: parameters that {cls.__name__} does not have.")
    if params.get("checkpoint") is not None:
        raise ModelFileError(f"{where}: a checkpoint path, which skae never saves.")
    _validate(cls(**params), where)
    return params


def _rebuilt_network(estimator, weights, where):
    """The network the fitted configuration describes, with ``weights`` loaded into it.

    The network is first built on torch's ``meta`` device, which allocates
    nothing: sizes in the file that disagree with its weights (names,
    shapes, dtypes), or that would make one row's activations huge, are
    refused before any memory is taken for them.
    """
    floating = [w.dtype for w in weights.values() if w.is_floating_point()]
    build = functools.partial(
        build_seeded,
        functools.partial(
            estimator._new_network, estimator._config, getattr(estimator, "classes_", None)
        ),
        seed=0,
        dtype=floating[0] if floating else torch.float32,
    )
    found = {name: (tuple(w.shape), w.dtype) for name, w in weights.items()}
    try:
        with torch.device("meta"):
            meta = build(device="meta")
            expected = {name: (tuple(w.shape), w.dtype) for name, w in meta.state_dict().items()}
            largest = _largest_activation(meta, estimator._config.spec)
    except Exception:
        if not estimator._config.modules:
            raise
        # The user's trusted code that does not build on "meta": load_state_dict checks.
        expected, largest = found, 0
    if expected != found:
        differ = sorted(set(expected.items()) ^ set(found.items()), key=str)[:4]
        raise ModelFileError(
            f"{where}: its weights do not fit the network its configuration describes "
            f"(architecture {estimator._config.architecture!r}; differing: {differ})."
        )
    spec = estimator._config.spec
    if largest > _ACTIVATIONS_PER_FEATURE * spec.n_features + 2**20:
        raise ModelFileError(
            f"{where}: its network computes {largest} values for one row of "
            f"{spec.n_features} features: its sizes were crafted."
        )
    network = build(device="cpu")
    network.load_state_dict(weights, strict=True)
    return network


def _largest_activation(network, spec):
    """The most values any module of ``network`` (on ``meta``) outputs for one row."""
    sizes = [0]

    def record(module, inputs, output):
        outputs = output if isinstance(output, tuple | list) else (output,)
        sizes.append(sum(t.numel() for t in outputs if isinstance(t, torch.Tensor)))

    autoencoder = getattr(network, "autoencoder", network)
    handles = [m.register_forward_hook(record) for m in autoencoder.modules()]
    try:
        with torch.no_grad():
            autoencoder.encoder(torch.empty(1, spec.n_features))
            autoencoder.decoder(torch.empty(1, spec.n_components))
    finally:
        for handle in handles:
            handle.remove()
    return max(sizes)


def _check_optimizer_state(state, optimizer, where):
    """Refuse Adam state that does not fit ``optimizer``'s parameters."""
    fresh = optimizer.state_dict()
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    if not (
        isinstance(state, dict)
        and set(state) == {"state", "param_groups"}
        and isinstance(state["param_groups"], list)
        and len(state["param_groups"]) == len(fresh["param_groups"])
        and all(
            isinstance(group, dict)
            and set(group) == set(expected)
            and group["params"] == expected["params"]
            and all(type(group[k]) is type(v) for k, v in expected.items())
            for group, expected in zip(state["param_groups"], fresh["param_groups"], strict=True)
        )
        and isinstance(state["state"], dict)
        and all(
            isinstance(index, int)
            and 0 <= index < len(parameters)
            and isinstance(moments, dict)
            and set(moments) <= _ADAM_STATE
            and all(isinstance(t, torch.Tensor) for t in moments.values())
            and all(_fits(key, t, parameters[index]) for key, t in moments.items())
            for index, moments in state["state"].items()
        )
    ):
        raise ModelFileError(f"{where}: its optimizer state does not fit its network.")


def _fits(key, tensor, parameter):
    """Whether Adam's ``key`` state ``tensor`` fits ``parameter``: a float step, else its twin."""
    if key == "step":
        return tensor.shape == () and tensor.dtype in (torch.float32, torch.float64)
    return tensor.shape == parameter.shape and tensor.dtype == parameter.dtype


# ------------------------------------------------------------------- schema


def fitted_schema(cls):
    """``{name: (check, required)}``: the fitted attributes an estimator of ``cls`` writes.

    ``check(value)`` says whether a value is of the kind the attribute holds.
    """
    schema = {
        "n_features_in_": (_count, True),
        "feature_names_in_": (_strings_array, False),
        "loss_curve_": (_floats, True),
        "n_iter_": (_count, True),
        "_reference_losses": (_dict_of(_optional(_float)), True),
        "_config": (_fitted_config, True),
        "image_shape_": (_optional(_sizes(3)), True),
        "device_": (lambda v: isinstance(v, str) and bool(_DEVICE.fullmatch(v)), True),
        "_n_features_out": (_count, True),
        "validation_scores_": (_optional(_floats), True),
        "best_validation_score_": (_optional(_float), True),
        "best_loss_": (_optional(_float), True),
        "_resolved_auto": (_dict_of(_scalar), True),
        "_seeds": (_seeds, True),
        "_sklearn_output_config": (_dict_of(lambda v: isinstance(v, str)), False),
        **{f"{name}_": (_scalar, False) for name in cls._auto_rules},
    }
    if issubclass(cls, AutoencoderClassifier):
        schema["classes_"] = (_classes, True)
        schema["pretrain_loss_curve_"] = (_floats, True)
    return schema


def _check_fitted(cls, fitted, where):
    schema = fitted_schema(cls)
    if not isinstance(fitted, dict):
        raise ModelFileError(f"{where}: malformed fitted attributes.")
    unknown = sorted(str(name)[:60] for name in fitted if name not in schema)
    if unknown:
        raise ModelFileError(
            f"{where}: attributes that a fitted {cls.__name__} does not have: {unknown[:5]}."
        )
    missing = sorted(name for name, (_, required) in schema.items() if required)
    missing = [name for name in missing if name not in fitted]
    if missing:
        raise ModelFileError(f"{where}: it lacks the fitted attributes {missing}.")
    wrong = [name for name, value in fitted.items() if not schema[name][0](value)]
    if wrong:
        raise ModelFileError(f"{where}: fitted attributes of the wrong kind: {sorted(wrong)}.")
    if not set(fitted["_resolved_auto"]) <= set(cls._auto_rules):
        raise ModelFileError(f"{where}: _resolved_auto names parameters that are not 'auto'.")


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _count(value):
    return _is_int(value) and value >= 0


def _float(value):
    return isinstance(value, Real) and not isinstance(value, bool)


def _floats(value):
    return isinstance(value, list) and all(_float(v) for v in value)


def _optional(check):
    return lambda value: value is None or check(value)


def _sizes(length=None):
    return lambda value: (
        isinstance(value, tuple)
        and (length is None or len(value) == length)
        and all(_is_int(v) and v > 0 for v in value)
    )


def _scalar(value):
    if isinstance(value, tuple):
        return all(_scalar(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def _dict_of(check):
    return lambda value: (
        isinstance(value, dict) and all(isinstance(k, str) and check(v) for k, v in value.items())
    )


def _strings_array(value):
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "UO"


def _classes(value):
    return (
        isinstance(value, np.ndarray)
        and value.ndim == 1
        and (value.dtype.kind in "biuf" or _strings_array(value))
    )


def _seeds(value):
    return isinstance(value, Seeds) and _count(value.entropy) and _count(value.n_calls)


def _fitted_config(value):
    return (
        isinstance(value, FittedConfig)
        and value.architecture in ARCHITECTURES
        and _network_spec(value.spec)
        and _modules(value.modules)
        and value.loss in ("mse", "bce")
        and isinstance(value.objective, tuple)
        and all(
            isinstance(term, tuple)
            and len(term) == 2
            and isinstance(term[0], str)
            and _float(term[1])
            for term in value.objective
        )
        and value.precision in PRECISIONS
        and isinstance(value.compile, bool)
    )


def _network_spec(spec):
    return (
        isinstance(spec, NetworkSpec)
        and _is_int(spec.n_features)
        and spec.n_features > 0
        and _is_int(spec.n_components)
        and spec.n_components > 0
        and _optional(_sizes(3))(spec.image_shape)
        and (spec.image_shape is None or math.prod(spec.image_shape) == spec.n_features)
        and _sizes()(spec.hidden_layer_sizes)
        and _sizes()(spec.conv_channels)
        and isinstance(spec.activation, str)
    )


def _modules(modules):
    """The user's factories by role and their ``encoder__*`` / ``decoder__*`` arguments."""
    return isinstance(modules, tuple) and all(
        isinstance(item, tuple)
        and len(item) == 2
        and (
            item[0] in ("encoder", "decoder")
            and callable(item[1])
            or isinstance(item[0], str)
            and item[0].startswith(MODULE_PREFIXES)
        )
        for item in modules
    )


# -------------------------------------------------------------------- names


def _tensor_references(data):
    """The tensor names raw record JSON refers to, found before any tensor is made."""
    found, stack = set(), [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("__tensor__", "__ndarray__"):
                if isinstance(item.get(key), str):
                    found.add(item[key])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _named_in(value):
    """Every :class:`Named` in a decoded value."""
    if isinstance(value, Named):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _named_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _named_in(item)
    elif isinstance(value, functools.partial):
        yield from _named_in([value.func, value.args, value.keywords])
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from _named_in([getattr(value, f.name) for f in dataclasses.fields(value)])


def bind(value, resolve):
    """``value`` with every :class:`Named` replaced by ``resolve(name)``."""
    if isinstance(value, Named):
        return resolve(value.name)
    if isinstance(value, list):
        return [bind(item, resolve) for item in value]
    if isinstance(value, tuple):
        return tuple(bind(item, resolve) for item in value)
    if isinstance(value, dict):
        return {key: bind(item, resolve) for key, item in value.items()}
    if isinstance(value, functools.partial):
        return functools.partial(
            bind(value.func, resolve),
            *bind(value.args, resolve),
            **bind(value.keywords, resolve),
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: bind(getattr(value, f.name), resolve) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    return value
