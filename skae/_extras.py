"""Optional dependencies: imported when a feature needs them, named by their extra when missing."""

import importlib


def import_extra(module, extra, purpose):
    """Import ``module``, or raise an ImportError saying which skae extra installs it.

    ``purpose`` starts the message, e.g. ``"ONNX export"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs {module.split('.')[0]}: pip install skae[{extra}]"
        ) from exc
