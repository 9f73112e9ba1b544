"""skae: pretrain an autoencoder, then classify, as a scikit-learn pipeline."""

from skae._augmenter import AugmentedClassifier, AutoencoderAugmenter
from skae._classifier import AutoencoderClassifier
from skae._onnx import register_onnx_converters, to_onnx
from skae._persistence._archive import get_untrusted_types, load, save
from skae._persistence._errors import ModelFileError, UntrustedTypeError
from skae._pretrained import PretrainedClassifier
from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder

__version__ = "0.1.0.dev0"

__all__ = [
    "AugmentedClassifier",
    "AutoencoderAugmenter",
    "AutoencoderClassifier",
    "AutoencoderTransformer",
    "ModelFileError",
    "PretrainedClassifier",
    "UntrustedTypeError",
    "VariationalAutoencoder",
    "__version__",
    "get_untrusted_types",
    "load",
    "register_onnx_converters",
    "save",
    "to_onnx",
]
