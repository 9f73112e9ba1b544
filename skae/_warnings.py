"""Warnings that point at the user's line, not at skae's or scikit-learn's."""

import sys
import warnings


def warn_at_caller(message, category):
    """Warn at the caller's line: the first frame outside skae and scikit-learn."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in (
        "skae",
        "sklearn",
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
