"""ReconstructionDisplay: images above their reconstructions."""

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples, check_array

from skae._docstrings import DISPLAY_ENTRIES, fill_doc
from skae.inspection._base import (
    ImageGridMixin,
    check_fitted,
    check_image_shape,
    check_matplotlib_support,
    estimator_image_shape,
    is_integer_in,
)


class ReconstructionDisplay(ImageGridMixin):
    """Images (top row) above their reconstructions (bottom row).

    It is recommended to use :meth:`from_estimator` or
    :meth:`from_predictions` to create a :class:`ReconstructionDisplay`. All
    parameters are stored as attributes.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    originals : ndarray of shape (n_images, n_features)
        The images, one per row, as the estimator sees them.

    reconstructions : ndarray of shape (n_images, n_features)
        Their reconstructions, ``inverse_transform(transform(originals))``.

    image_shape : tuple of int
        ``(height, width)`` for grayscale, or ``(channels, height, width)``
        (channels first, as in the estimators' ``image_shape``).

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage
        The images drawn, of the shape of ``axes_``: ``images_[0, i]`` is
        original ``i`` and ``images_[1, i]`` its reconstruction.

    axes_ : ndarray of matplotlib Axes of shape (2, n_images)
        The axes of the images; the array of axes passed as ``ax``, if any.

    bounding_ax_ : matplotlib Axes or None
        The axes the grid was drawn in, switched off; None when ``ax`` was
        an array of axes.

    figure_ : matplotlib Figure
        Figure containing the images.

    See Also
    --------
    ReconstructionDisplay.from_estimator : Reconstruct rows with a fitted estimator.
    ReconstructionDisplay.from_predictions : Plot given reconstructions.
    SamplesDisplay : A grid of images, such as new samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.inspection import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(
    ...     8, image_shape=(8, 8), hidden_layer_sizes=(32,), max_iter=5, random_state=0
    ... ).fit(X / 16)
    >>> X_rec = ae.inverse_transform(ae.transform(X[:4] / 16))
    >>> disp = ReconstructionDisplay(X[:4] / 16, X_rec, image_shape=(8, 8)).plot()
    >>> disp.axes_.shape
    (2, 4)
    """

    def __init__(self, originals, reconstructions, *, image_shape):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape

    def plot(self, *, ax=None, im_kw=None):
        """Plot the originals above their reconstructions.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of matplotlib Axes, default=None
            - None: a new figure, sized to the grid.
            - One axes: a bounding box, switched off and filled with the
              grid of images.
            - An array-like of ``2 * n_images`` axes: the images are drawn
              on them in row-major order, originals first.

        im_kw : dict, default=None
            Keywords passed to :meth:`matplotlib.axes.Axes.imshow`. The
            gray levels (``vmin``, ``vmax``) default to the originals'
            minimum and maximum, shared by every image so that the rows
            compare; colour images are rescaled from that range to [0, 1].

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            Object that stores the computed values and the axes drawn on.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        originals = np.asarray(self.originals)
        reconstructions = np.asarray(self.reconstructions)
        if originals.ndim != 2 or originals.shape != reconstructions.shape:
            raise ValueError(
                "originals and reconstructions must be 2-D arrays of the same shape, one "
                f"image per row; got shapes {originals.shape} and {reconstructions.shape}."
            )
        return self._plot_images(
            [*originals, *reconstructions],
            n_cols=len(originals),
            ax=ax,
            im_kw=im_kw,
            value_rows=originals,
            row_labels=["original", "reconstruction"],
            left=1.2,
        )

    @classmethod
    @fill_doc(entries=DISPLAY_ENTRIES)
    def from_estimator(cls, estimator, X, *, n_images=8, image_shape=None, ax=None, im_kw=None):
        """Plot the first rows of X above their reconstructions by a fitted estimator.

        Any fitted transformer with ``inverse_transform`` works: a skae
        autoencoder, or :class:`~sklearn.decomposition.PCA` as a baseline
        (with ``image_shape``). The reconstruction of ``X`` is
        ``estimator.inverse_transform(estimator.transform(X))``; give noisy
        rows to see how a denoising autoencoder cleans them.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer with ``transform`` and ``inverse_transform``.

        X : array-like of shape (n_samples, n_features)
            Rows to reconstruct, one image each.

        n_images : int, default=8
            How many rows, from the first, to show; at most ``n_samples``.

        {{image_shape}}

        {{ax}}

        {{im_kw}}

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        ReconstructionDisplay.from_predictions : Plot given reconstructions.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> from skae.inspection import ReconstructionDisplay
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(
        ...     8, image_shape=(8, 8), hidden_layer_sizes=(32,), max_iter=5, random_state=0
        ... ).fit(X / 16)
        >>> disp = ReconstructionDisplay.from_estimator(ae, X / 16, n_images=6)
        >>> disp.images_.shape
        (2, 6)
        >>> disp.axes_[1, 0].get_ylabel()
        'reconstruction'
        """
        name = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(name)
        check_fitted(estimator, name, methods=("transform", "inverse_transform"))
        image_shape = estimator_image_shape(estimator, image_shape, name)
        n_images = _check_n_images(n_images)
        rows = _safe_indexing(X, np.arange(min(n_images, _num_samples(X))))
        reconstructions = estimator.inverse_transform(estimator.transform(rows))
        return cls.from_predictions(
            rows, reconstructions, n_images=n_images, image_shape=image_shape, ax=ax,
            im_kw=im_kw,
        )  # fmt: skip

    @classmethod
    @fill_doc(entries=DISPLAY_ENTRIES)
    def from_predictions(
        cls, X, X_reconstructed, *, n_images=8, image_shape=None, ax=None, im_kw=None
    ):
        """Plot the first rows of X above the matching rows of X_reconstructed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows as the estimator saw them, one image each.

        X_reconstructed : array-like of shape (n_samples, n_features)
            Their reconstructions.

        n_images : int, default=8
            How many rows, from the first, to show; at most ``n_samples``.

        image_shape : tuple of int
            ``(height, width)`` or ``(channels, height, width)``; needed
            (None raises ``ValueError``).

        {{ax}}

        {{im_kw}}

        Returns
        -------
        display : :class:`ReconstructionDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        ReconstructionDisplay.from_estimator : Reconstruct rows with a fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.decomposition import PCA
        >>> from skae.inspection import ReconstructionDisplay
        >>> X, _ = load_digits(return_X_y=True)
        >>> pca = PCA(8).fit(X / 16)
        >>> X_rec = pca.inverse_transform(pca.transform(X[:5] / 16))
        >>> disp = ReconstructionDisplay.from_predictions(X[:5] / 16, X_rec, image_shape=(8, 8))
        >>> disp.axes_[0, 0].get_ylabel()
        'original'
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        n_images = _check_n_images(n_images)
        X = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        X_reconstructed = check_array(
            X_reconstructed, input_name="X_reconstructed", dtype=[np.float64, np.float32]
        )
        if X.shape != X_reconstructed.shape:
            raise ValueError(
                "X and X_reconstructed must have the same shape; got "
                f"{X.shape} and {X_reconstructed.shape}."
            )
        check_image_shape(image_shape, X.shape[1], cls.__name__)
        display = cls(X[:n_images], X_reconstructed[:n_images], image_shape=image_shape)
        return display.plot(ax=ax, im_kw=im_kw)


def _check_n_images(n_images):
    if not is_integer_in(n_images, 1):
        raise ValueError(f"n_images must be a positive integer, got {n_images!r}.")
    return int(n_images)
