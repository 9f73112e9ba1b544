"""The order of the gallery's examples: from the first pipeline to the details.

sphinx-gallery imports :class:`ExampleOrder` by name (``within_subsection_order``
in ``conf.py``). An example missing from ``EXAMPLES`` comes last, by file name.
"""

from pathlib import Path

EXAMPLES = (
    "plot_digits_pipeline.py",
    "plot_grid_search.py",
    "plot_compare.py",
    "plot_scarce_labels.py",
    "plot_denoising.py",
    "plot_latent_space.py",
    "plot_variational.py",
    "plot_anomaly_detection.py",
    "plot_custom_encoder.py",
    "plot_save_and_export.py",
)


class ExampleOrder:
    """Sort key of an example's file name: its place in ``EXAMPLES``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        return (EXAMPLES.index(name) if name in EXAMPLES else len(EXAMPLES), name)

    def __repr__(self):
        # sphinx-gallery compares the configuration between builds by its repr.
        return f"<{type(self).__name__}: {', '.join(EXAMPLES)}>"
