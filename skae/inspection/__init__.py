"""Displays that show what a fitted autoencoder learned, in scikit-learn's style.

Each Display follows :class:`sklearn.metrics.ConfusionMatrixDisplay` and
:class:`sklearn.inspection.DecisionBoundaryDisplay`: ``__init__`` stores
values already computed, a classmethod ``from_estimator`` computes them from
a fitted estimator and calls ``plot``, and ``plot`` draws, sets ``figure_``
and the axes it drew on, and returns the Display. matplotlib is imported
only inside the Displays' methods, so ``import skae`` never needs it; a
missing matplotlib raises an ``ImportError`` that names the ``plotting``
extra (``pip install 'skae[plotting]'``).

Why ``skae.inspection``: scikit-learn files a Display next to what it shows.
Displays of scores live in :mod:`sklearn.metrics`; those that look inside a
fitted model (:class:`~sklearn.inspection.DecisionBoundaryDisplay`,
:class:`~sklearn.inspection.PartialDependenceDisplay`) live in
:mod:`sklearn.inspection`. Every Display here looks inside a fitted
autoencoder: what it reconstructs, where its code puts the data, what each
code dimension encodes, how training went and what it generates. So a
scikit-learn user finds them where they would look, and reads
``from skae.inspection import ReconstructionDisplay`` as they read
``from sklearn.inspection import DecisionBoundaryDisplay``. A private
``skae/_plot/`` would still need a public home, and the top-level ``skae``
namespace stays the estimators' alone, as ``sklearn``'s does. The name is
the purpose ("inspect a model"), not the tool ("plotting"), and the package
is also where the optional matplotlib dependency stays, as
imbalanced-learn isolates its optional backends.

The Displays that draw a grid of images (reconstructions, traversals,
samples) draw one axes per image and follow
:class:`~sklearn.inspection.PartialDependenceDisplay` for ``ax``: a single
axes is a bounding box that the grid fills (``bounding_ax_``), an array of
axes is drawn into directly, and the axes drawn on are ``axes_``. They share
one helper for that grid, ``skae.inspection._base.ImageGridMixin``.

A Display's ``from_estimator`` reads only what ``fit`` stored: fitted
attributes (``image_shape_``, ``loss_curve_``, ``validation_scores_``,
``pretrain_loss_curve_``) and public methods (``transform``,
``inverse_transform``, ``sample``), never the constructor parameters, which
``set_params`` may have changed since.
"""

from skae.inspection._latent import LatentSpaceDisplay, LatentTraversalDisplay
from skae.inspection._loss_curve import LossCurveDisplay
from skae.inspection._reconstruction import ReconstructionDisplay
from skae.inspection._samples import SamplesDisplay

__all__ = [
    "LatentSpaceDisplay",
    "LatentTraversalDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "SamplesDisplay",
]
