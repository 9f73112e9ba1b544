"""Saving and loading skae models without pickle: JSON, safetensors and skops.io."""

from skae._persistence._archive import get_untrusted_types, load, save
from skae._persistence._codec import UntrustedTypeError

__all__ = ["UntrustedTypeError", "get_untrusted_types", "load", "save"]
