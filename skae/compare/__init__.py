"""The raw-pixel comparison behind ``skae compare``, as functions.

``load_comparison_data`` splits a data set, ``run_comparison`` fits every
reducer x classifier pipeline, ``format_table`` and ``write_report`` show and
save the results.
"""

from skae.compare._data import ComparisonData, load_comparison_data
from skae.compare._pipelines import make_classifier, make_reducer
from skae.compare._report import environment_info, format_table, plot_results, write_report
from skae.compare._runner import run_comparison

__all__ = [
    "ComparisonData",
    "environment_info",
    "format_table",
    "load_comparison_data",
    "make_classifier",
    "make_reducer",
    "plot_results",
    "run_comparison",
    "write_report",
]
