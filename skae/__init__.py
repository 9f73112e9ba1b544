"""skae: pretrain an autoencoder, then classify, as a scikit-learn pipeline.

The public names are imported when first used (PEP 562), so that importing
the engine, ``skae.nn``, imports neither scikit-learn nor the estimators.
"""

import importlib

__version__ = "0.1.0.dev0"

#: Each public name, and the module that defines it.
_MODULES = {
    "AugmentedClassifier": "skae._augmenter",
    "AutoencoderAugmenter": "skae._augmenter",
    "AutoencoderClassifier": "skae._classifier",
    "AutoencoderTransformer": "skae._transformer",
    "ModelFileError": "skae._persistence._errors",
    "PretrainedClassifier": "skae._pretrained",
    "UntrustedTypeError": "skae._persistence._errors",
    "VariationalAutoencoder": "skae._variational",
    "get_untrusted_types": "skae._persistence._archive",
    "load": "skae._persistence._archive",
    "register_onnx_converters": "skae._onnx",
    "save": "skae._persistence._archive",
    "to_onnx": "skae._onnx",
}

#: The public subpackages and modules, imported when first used as ``skae.<name>``.
_SUBMODULES = ("cli", "compare", "datasets", "inspection", "metrics", "nn")

__all__ = sorted([*_MODULES, "__version__"])


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"skae.{name}")
    if name not in _MODULES:
        raise AttributeError(f"module 'skae' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_MODULES, *_SUBMODULES})
