"""The Displays' doctests: off-screen, figures closed, skipped without matplotlib."""

import importlib.util

import pytest

if importlib.util.find_spec("matplotlib") is None:
    collect_ignore_glob = ["*.py"]
else:

    @pytest.fixture(autouse=True)
    def _agg_backend_and_close_figures():
        import matplotlib

        matplotlib.use("Agg")
        yield
        import matplotlib.pyplot as plt

        plt.close("all")
