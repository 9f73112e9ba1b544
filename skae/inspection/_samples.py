"""SamplesDisplay: a grid of images, such as a variational autoencoder's samples."""

import numpy as np
from sklearn.utils.validation import check_array

from skae._docstrings import DISPLAY_ENTRIES, fill_doc
from skae._variational import VariationalAutoencoder
from skae.inspection._base import (
    ImageGridMixin,
    check_fitted,
    check_image_shape,
    check_labels,
    check_matplotlib_support,
    estimator_image_shape,
    is_integer_in,
)


class SamplesDisplay(ImageGridMixin):
    """A grid of images, titled by class when labels are given.

    It is recommended to use :meth:`from_estimator` (new samples of a
    :class:`~skae.VariationalAutoencoder`) or :meth:`from_samples` (any
    rows, such as the synthetic rows of
    :meth:`~skae.AutoencoderAugmenter.fit_resample`) to create a
    :class:`SamplesDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    samples : ndarray of shape (n_images, n_features)
        The images, one per row.

    image_shape : tuple of int
        ``(height, width)`` for grayscale, or ``(channels, height, width)``.

    labels : array-like of shape (n_images,), default=None
        The class of each image, shown as its title; None shows no titles.

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage
        The images drawn, of the shape of ``axes_`` (None past the last
        image).

    axes_ : ndarray of matplotlib Axes of shape (n_rows, n_cols)
        The axes of the images, row by row, None past the last image; the
        array of axes passed as ``ax``, if any.

    bounding_ax_ : matplotlib Axes or None
        The axes the grid was drawn in, switched off; None when ``ax`` was
        an array of axes.

    figure_ : matplotlib Figure
        Figure containing the images.

    See Also
    --------
    SamplesDisplay.from_estimator : New samples of a variational autoencoder.
    SamplesDisplay.from_samples : Any rows, such as synthetic ones.
    ReconstructionDisplay : Images above their reconstructions.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.inspection import SamplesDisplay
    >>> rows = np.random.default_rng(0).random((6, 16))  # six 4x4 images
    >>> disp = SamplesDisplay(rows, image_shape=(4, 4)).plot(n_cols=3)
    >>> disp.axes_.shape
    (2, 3)
    """

    def __init__(self, samples, *, image_shape, labels=None):
        self.samples = samples
        self.image_shape = image_shape
        self.labels = labels

    def plot(self, *, n_cols=8, ax=None, im_kw=None):
        """Plot the images in a grid, row by row.

        Parameters
        ----------
        n_cols : int, default=8
            Images per row of the grid (fewer if there are fewer images).
            Unused when ``ax`` is an array of axes.

        ax : matplotlib Axes or array-like of matplotlib Axes, default=None
            - None: a new figure, sized to the grid.
            - One axes: a bounding box, switched off and filled with the
              grid of images.
            - An array-like of ``n_images`` axes: the images are drawn on
              them in row-major order.

        im_kw : dict, default=None
            Keywords passed to :meth:`matplotlib.axes.Axes.imshow`. The
            gray levels (``vmin``, ``vmax``) default to the minimum and
            maximum over all the images, shared by every image; colour
            images are rescaled from that range to [0, 1].

        Returns
        -------
        display : :class:`SamplesDisplay`
            Object that stores the computed values and the axes drawn on.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        samples = np.asarray(self.samples)
        if samples.ndim != 2 or not len(samples):
            raise ValueError(
                f"samples must be a 2-D array with one image per row, got shape {samples.shape}."
            )
        if not is_integer_in(n_cols, 1):
            raise ValueError(f"n_cols must be a positive integer, got {n_cols!r}.")
        labels = None
        if self.labels is not None:
            labels = check_labels(self.labels, len(samples), what="images")
        return self._plot_images(samples, n_cols=n_cols, ax=ax, im_kw=im_kw, titles=labels)

    @classmethod
    @fill_doc(entries=DISPLAY_ENTRIES)
    def from_estimator(
        cls, estimator, *, n_samples=16, random_state=None, image_shape=None, n_cols=8,
        ax=None, im_kw=None,
    ):  # fmt: skip
        """Plot new samples of a fitted variational autoencoder.

        The samples are ``estimator.sample(n_samples, random_state)``:
        codes drawn from the prior, decoded.

        Parameters
        ----------
        estimator : VariationalAutoencoder
            Fitted :class:`~skae.VariationalAutoencoder`.

        n_samples : int, default=16
            Number of samples to draw and show.

        random_state : int, RandomState instance or None, default=None
            Seeds the codes drawn, as in
            :meth:`~skae.VariationalAutoencoder.sample`.

        {{image_shape}}

        n_cols : int, default=8
            Images per row of the grid.

        {{ax}}

        {{im_kw}}

        Returns
        -------
        display : :class:`SamplesDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        SamplesDisplay.from_samples : Plot given rows.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import VariationalAutoencoder
        >>> from skae.inspection import SamplesDisplay
        >>> X, _ = load_digits(return_X_y=True)
        >>> vae = VariationalAutoencoder(
        ...     4, image_shape=(8, 8), loss="bce", hidden_layer_sizes=(32,), max_iter=5,
        ...     random_state=0,
        ... ).fit(X / 16)
        >>> disp = SamplesDisplay.from_estimator(vae, n_samples=12, random_state=0, n_cols=6)
        >>> disp.axes_.shape
        (2, 6)
        """
        name = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(name)
        if not isinstance(estimator, VariationalAutoencoder):
            raise ValueError(
                f"{name} draws new samples with VariationalAutoencoder.sample, so it needs a "
                f"VariationalAutoencoder; got {type(estimator).__name__}. To show rows you "
                "already have (say an AutoencoderAugmenter's), use "
                f"{cls.__name__}.from_samples."
            )
        check_fitted(estimator, name, methods=("sample",))
        image_shape = estimator_image_shape(estimator, image_shape, name)
        samples = estimator.sample(n_samples, random_state=random_state)
        return cls.from_samples(
            samples, image_shape=image_shape, n_images=None, n_cols=n_cols, ax=ax, im_kw=im_kw
        )

    @classmethod
    @fill_doc(entries=DISPLAY_ENTRIES)
    def from_samples(
        cls, X, y=None, *, image_shape=None, n_images=16, n_cols=8, ax=None, im_kw=None
    ):
        """Plot the first rows of X as images, titled by their class if y is given.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows, one image each.

        y : array-like of shape (n_samples,), default=None
            The class of each row, shown as its title.

        image_shape : tuple of int
            ``(height, width)`` or ``(channels, height, width)``; needed
            (None raises ``ValueError``).

        n_images : int or None, default=16
            How many rows, from the first, to show; None shows them all.

        n_cols : int, default=8
            Images per row of the grid.

        {{ax}}

        {{im_kw}}

        Returns
        -------
        display : :class:`SamplesDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        SamplesDisplay.from_estimator : New samples of a variational autoencoder.

        Examples
        --------
        The synthetic rows that an :class:`~skae.AutoencoderAugmenter` adds:

        >>> from sklearn.datasets import load_digits
        >>> from sklearn.frozen import FrozenEstimator
        >>> from skae import AutoencoderAugmenter, AutoencoderTransformer
        >>> from skae.inspection import SamplesDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(
        ...     8, hidden_layer_sizes=(32,), max_iter=5, random_state=0
        ... ).fit(X / 16)
        >>> augmenter = AutoencoderAugmenter(FrozenEstimator(ae), random_state=0)
        >>> X_aug, y_aug = augmenter.fit_resample(
        ...     X[:50] / 16, y[:50]
        ... )
        >>> disp = SamplesDisplay.from_samples(
        ...     X_aug[50:], y_aug[50:], image_shape=(8, 8), n_images=10, n_cols=5
        ... )
        >>> [ax.get_title() for ax in disp.axes_[0]]
        ['0', '1', '2', '3', '4']
        """
        check_matplotlib_support(f"{cls.__name__}.from_samples")
        X = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        if y is not None:
            y = check_labels(y, len(X), what="images")
        if n_images is not None:
            if not is_integer_in(n_images, 1):
                raise ValueError(f"n_images must be a positive integer or None, got {n_images!r}.")
            X = X[:n_images]
            y = None if y is None else y[:n_images]
        check_image_shape(image_shape, X.shape[1], cls.__name__)
        display = cls(X, image_shape=image_shape, labels=y)
        return display.plot(n_cols=n_cols, ax=ax, im_kw=im_kw)
