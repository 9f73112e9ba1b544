"""A skae estimator as a JSON record and a dictionary of tensors, and back.

The record holds the type, the parameters and, once fitted, every fitted
attribute but the torch objects. The network is not stored as code: loading
rebuilds it from the fitted configuration (the architecture record and its
sizes, or the user's trusted modules) and loads the weights into it, so that
a weight of the wrong shape, a missing or an extra one is an error.
"""

import functools

import torch

from skae._classifier import AutoencoderClassifier
from skae._persistence._codec import decode, encode
from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder
from skae.nn._device import loadable_device
from skae.nn._modules import build_seeded
from skae.nn._precision import inference_precision

#: The estimators whose state a file holds as a record, by type name.
ESTIMATOR_TYPES = {
    cls.__name__: cls
    for cls in (AutoencoderTransformer, VariationalAutoencoder, AutoencoderClassifier)
}
_TORCH_ATTRIBUTES = ("module_", "optimizer_")
_WEIGHTS = "module_."


def estimator_record(estimator):
    """``(record, tensors)`` of a skae estimator, fitted or not."""
    tensors = {}
    params = estimator.get_params(deep=False)
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


def estimator_from_record(record, tensors, trusted):
    """The estimator of :func:`estimator_record`'s output, complete or not at all."""
    if record.get("type") not in ESTIMATOR_TYPES:
        raise ValueError(
            f"The file holds an estimator of unknown type {record.get('type')!r}; this "
            f"version of skae loads {sorted(ESTIMATOR_TYPES)}."
        )
    estimator = ESTIMATOR_TYPES[record["type"]](**decode(record["params"], tensors, trusted))
    if "fitted" not in record:
        return estimator
    estimator.__dict__.update(decode(record["fitted"], tensors, trusted))
    weights = {
        name[len(_WEIGHTS) :]: tensor
        for name, tensor in tensors.items()
        if name.startswith(_WEIGHTS)
    }
    network = _rebuilt_network(estimator, weights)
    device = loadable_device(estimator.device_)
    # The layout training left (channels-last under autocast), whose kernels round alike.
    layout = inference_precision(estimator._config.precision, device).memory_format(network)
    network.to(device=device, memory_format=layout).eval()
    optimizer = estimator._make_optimizer(network, weight_decay=0.0)
    try:
        optimizer.load_state_dict(decode(record["optimizer"], tensors, trusted))
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"The file's optimizer state does not fit its network: {exc}") from None
    estimator.module_, estimator.optimizer_, estimator.device_ = network, optimizer, device
    return estimator


def _rebuilt_network(estimator, weights):
    """The network the fitted configuration describes, with ``weights`` loaded into it."""
    classes = getattr(estimator, "classes_", None)
    floating = [w.dtype for w in weights.values() if w.is_floating_point()]
    network = build_seeded(
        functools.partial(estimator._new_network, estimator._config, {"classes": classes}),
        seed=0,
        device="cpu",
        dtype=floating[0] if floating else torch.float32,
    )
    try:
        network.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            "The file's weights do not fit the network its configuration describes "
            f"(architecture {estimator._config.architecture!r}): {' '.join(str(exc).split())}"
        ) from None
    return network
