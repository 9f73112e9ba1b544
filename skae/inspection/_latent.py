"""LatentSpaceDisplay and LatentTraversalDisplay: where the code puts the data, and
what each of its dimensions draws."""

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_array

from skae._docstrings import DISPLAY_ENTRIES, fill_doc
from skae.inspection._base import (
    ImageGridMixin,
    check_fitted,
    check_labels,
    check_matplotlib_support,
    estimator_image_shape,
    is_integer_in,
)
from skae.metrics import is_labeled

# Dimensions a traversal shows by default, at most.
MAX_DEFAULT_DIMENSIONS = 8


class LatentSpaceDisplay:
    """Scatter plot of the codes of samples, coloured by class.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LatentSpaceDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The 2-D points: two code dimensions, or a projection of the codes.

    y : array-like of shape (n_samples,), default=None
        Class of each point, for colours and a legend; -1 marks an
        unlabeled point, drawn in gray. None draws every point alike.

    xlabel : str, default=None
        Label of the x axis.

    ylabel : str, default=None
        Label of the y axis.

    Attributes
    ----------
    scatter_ : list of matplotlib PathCollection
        One scatter per class, in the order of the legend (sorted classes,
        then "unlabeled" if any); a single one when ``y`` is None.

    ax_ : matplotlib Axes
        Axes with the scatter plot.

    figure_ : matplotlib Figure
        Figure containing the scatter plot.

    See Also
    --------
    LatentSpaceDisplay.from_estimator : Plot the codes of a fitted estimator.
    LatentTraversalDisplay : What moving along one code dimension draws.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.inspection import LatentSpaceDisplay
    >>> codes = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.0]])
    >>> disp = LatentSpaceDisplay(codes, y=[0, 1, 1], xlabel="dim 0", ylabel="dim 1").plot()
    >>> [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    ['0', '1']
    """

    def __init__(self, embedding, *, y=None, xlabel=None, ylabel=None):
        self.embedding = embedding
        self.y = y
        self.xlabel = xlabel
        self.ylabel = ylabel

    def plot(self, *, ax=None, scatter_kwargs=None):
        """Plot the points.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        scatter_kwargs : dict, default=None
            Keywords passed to :meth:`matplotlib.axes.Axes.scatter`, over
            the defaults ``s=8``, ``alpha=0.8`` and ``linewidths=0``.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            Object that stores the computed values and the axes drawn on.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib as mpl
        import matplotlib.pyplot as plt

        embedding = np.asarray(self.embedding)
        if embedding.ndim != 2 or embedding.shape[1] != 2:
            raise ValueError(f"embedding must have shape (n_samples, 2), got {embedding.shape}.")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5), layout="constrained")
        kwargs = {"s": 8, "alpha": 0.8, "linewidths": 0, **(scatter_kwargs or {})}
        if self.y is None:
            self.scatter_ = [ax.scatter(embedding[:, 0], embedding[:, 1], **kwargs)]
        else:
            y = check_labels(self.y, len(embedding))
            labeled = is_labeled(y)
            classes = np.unique(y[labeled])
            if len(classes) <= 10:
                colors = mpl.colormaps["tab10"](np.arange(len(classes)))
            else:
                colors = mpl.colormaps["viridis"](np.linspace(0, 1, len(classes)))
            self.scatter_ = []
            for label, color in zip(classes, colors, strict=True):
                rows = labeled & (y == label)
                self.scatter_.append(
                    ax.scatter(
                        embedding[rows, 0],
                        embedding[rows, 1],
                        **{"color": color, "label": str(label), **kwargs},
                    )  # fmt: skip
                )
            if not labeled.all():
                self.scatter_.append(
                    ax.scatter(
                        embedding[~labeled, 0],
                        embedding[~labeled, 1],
                        **{"color": "lightgray", "label": "unlabeled", "zorder": 0, **kwargs},
                    )  # fmt: skip
                )
            legend = ax.legend(
                title="class", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False,
                markerscale=2,
            )  # fmt: skip
            for handle in legend.legend_handles:
                handle.set_alpha(1)
        if self.xlabel is not None:
            ax.set_xlabel(self.xlabel)
        if self.ylabel is not None:
            ax.set_ylabel(self.ylabel)

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, reducer=None, ax=None, scatter_kwargs=None):
        """Plot the codes of X: two code dimensions, or a 2-D projection of them.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer whose ``transform`` gives the codes: a skae
            autoencoder or classifier, or any transformer (e.g.
            :class:`~sklearn.decomposition.PCA`, as a baseline).

        X : array-like of shape (n_samples, n_features)
            Samples to encode.

        y : array-like of shape (n_samples,), default=None
            Classes, for colours and a legend; -1 marks an unlabeled
            sample, drawn in gray.

        reducer : estimator, default=None
            A scikit-learn transformer that projects the codes to 2-D, such
            as ``PCA(2)`` or ``TSNE(2)``; it is cloned and its
            ``fit_transform`` applied to the codes. None plots the first
            two code dimensions (the code needs at least two).

        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        scatter_kwargs : dict, default=None
            Keywords passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : :class:`LatentSpaceDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        LatentTraversalDisplay.from_estimator : What each code dimension draws.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.decomposition import PCA
        >>> from skae import AutoencoderTransformer
        >>> from skae.inspection import LatentSpaceDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(
        ...     8, hidden_layer_sizes=(32,), max_iter=5, random_state=0
        ... ).fit(X / 16)
        >>> disp = LatentSpaceDisplay.from_estimator(ae, X / 16, y, reducer=PCA(2))
        >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
        ('PCA 1', 'PCA 2')
        >>> len(disp.scatter_)
        10
        """
        name = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(name)
        check_fitted(estimator, name, methods=("transform",))
        if y is not None:
            y = check_labels(y, len(X) if hasattr(X, "__len__") else None)
        codes = check_array(estimator.transform(X), input_name="codes")
        if reducer is None:
            if codes.shape[1] < 2:
                raise ValueError(
                    f"{name} plots the first two code dimensions, but the code has "
                    f"{codes.shape[1]}. Use a code of n_components >= 2."
                )
            embedding = codes[:, :2]
            xlabel, ylabel = "dim 0", "dim 1"
        else:
            embedding = check_array(clone(reducer).fit_transform(codes), input_name="embedding")
            if embedding.shape[1] != 2:
                raise ValueError(
                    f"reducer must project the codes to 2 dimensions; "
                    f"{type(reducer).__name__} gave {embedding.shape[1]}. Set its "
                    "n_components=2."
                )
            reducer_name = type(reducer).__name__
            xlabel, ylabel = f"{reducer_name} 1", f"{reducer_name} 2"
        display = cls(embedding, y=y, xlabel=xlabel, ylabel=ylabel)
        return display.plot(ax=ax, scatter_kwargs=scatter_kwargs)


class LatentTraversalDisplay(ImageGridMixin):
    """What the decoder draws as one code dimension moves and the others stay.

    Each row starts from the same code (one sample's) and sweeps one
    dimension over a range, decoding each step: a dimension that encodes
    stroke width, slant or class shows it as a gradual change along its
    row; a dimension the model does not use draws the same image throughout.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LatentTraversalDisplay`. All parameters are stored as
    attributes.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    images : ndarray of shape (n_dimensions, n_steps, n_features)
        The decoded images: ``images[i, j]`` is step ``j`` along dimension
        ``dimensions[i]``.

    dimensions : array-like of shape (n_dimensions,)
        The code dimension swept in each row, for the row labels.

    values : ndarray of shape (n_dimensions, n_steps)
        The value the swept dimension takes at each step.

    image_shape : tuple of int
        ``(height, width)`` for grayscale, or ``(channels, height, width)``.

    Attributes
    ----------
    images_ : ndarray of matplotlib AxesImage
        The images drawn, of the shape of ``axes_``.

    axes_ : ndarray of matplotlib Axes of shape (n_dimensions, n_steps)
        The axes of the images; the array of axes passed as ``ax``, if any.

    bounding_ax_ : matplotlib Axes or None
        The axes the grid was drawn in, switched off; None when ``ax`` was
        an array of axes.

    figure_ : matplotlib Figure
        Figure containing the images.

    See Also
    --------
    LatentTraversalDisplay.from_estimator : Traverse the code of a fitted estimator.
    LatentSpaceDisplay : Where the code puts the samples.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.inspection import LatentTraversalDisplay
    >>> images = np.linspace(0, 1, 2 * 3 * 4).reshape(2, 3, 4)  # 2 dims, 3 steps, 2x2 images
    >>> values = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]])
    >>> disp = LatentTraversalDisplay(
    ...     images, dimensions=[0, 3], values=values, image_shape=(2, 2)
    ... ).plot()
    >>> disp.axes_[1, 0].get_ylabel()
    'dim 3'
    """

    def __init__(self, images, *, dimensions, values, image_shape):
        self.images = images
        self.dimensions = dimensions
        self.values = values
        self.image_shape = image_shape

    def plot(self, *, ax=None, im_kw=None):
        """Plot one row of decoded images per dimension.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of matplotlib Axes, default=None
            - None: a new figure, sized to the grid.
            - One axes: a bounding box, switched off and filled with the
              grid of images.
            - An array-like of ``n_dimensions * n_steps`` axes: the images
              are drawn on them in row-major order.

        im_kw : dict, default=None
            Keywords passed to :meth:`matplotlib.axes.Axes.imshow`. The
            gray levels (``vmin``, ``vmax``) default to the minimum and
            maximum over all the images, shared by every image; colour
            images are rescaled from that range to [0, 1].

        Returns
        -------
        display : :class:`LatentTraversalDisplay`
            Object that stores the computed values and the axes drawn on.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        images = np.asarray(self.images)
        dimensions = list(np.atleast_1d(self.dimensions))
        if images.ndim != 3 or len(dimensions) != len(images):
            raise ValueError(
                "images must have shape (n_dimensions, n_steps, n_features), with one "
                f"entry of dimensions per row; got images of shape {images.shape} and "
                f"{len(dimensions)} dimensions."
            )
        return self._plot_images(
            images.reshape(-1, images.shape[2]),
            n_cols=images.shape[1],
            ax=ax,
            im_kw=im_kw,
            row_labels=[f"dim {dimension}" for dimension in dimensions],
            left=0.6,
        )

    @classmethod
    @fill_doc(entries=DISPLAY_ENTRIES)
    def from_estimator(
        cls, estimator, X, *, sample_index=0, dimensions=None, n_steps=7,
        percentiles=(5, 95), image_shape=None, ax=None, im_kw=None,
    ):  # fmt: skip
        """Sweep code dimensions of one sample's code and decode each step.

        The code of ``X[sample_index]`` is the starting point. For each
        dimension in ``dimensions``, ``n_steps`` codes are made that differ
        from it only in that dimension, evenly spaced between the
        ``percentiles`` of that dimension over the codes of ``X``, and
        decoded with ``inverse_transform``.

        Parameters
        ----------
        estimator : estimator instance
            Fitted transformer with ``transform`` and ``inverse_transform``,
            such as :class:`~skae.AutoencoderTransformer` or
            :class:`~skae.VariationalAutoencoder`.

        X : array-like of shape (n_samples, n_features)
            Samples whose codes set the range of each dimension.

        sample_index : int, default=0
            Row of ``X`` whose code is traversed.

        dimensions : int or array-like of int, default=None
            Code dimensions to sweep, one row each. None takes the
            ``min(8, n_components)`` dimensions whose codes vary most over
            ``X``, from the largest variance down: a dimension that hardly
            varies over the data (an unused, or in a variational
            autoencoder collapsed, dimension) draws nothing new, so the
            most active come first ("active units", Burda et al., 2016).

        n_steps : int, default=7
            Images per row; at least 2.

        percentiles : tuple of float, default=(5, 95)
            The range of each sweep: these percentiles of the dimension's
            values over the codes of ``X``, which keeps the decoder among
            codes it has seen.

        {{image_shape}}

        {{ax}}

        {{im_kw}}

        Returns
        -------
        display : :class:`LatentTraversalDisplay`
            Object that stores the computed values and the axes drawn on.

        See Also
        --------
        LatentSpaceDisplay.from_estimator : Where the code puts the samples.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import VariationalAutoencoder
        >>> from skae.inspection import LatentTraversalDisplay
        >>> X, _ = load_digits(return_X_y=True)
        >>> vae = VariationalAutoencoder(
        ...     4, image_shape=(8, 8), hidden_layer_sizes=(32,), max_iter=5, random_state=0
        ... ).fit(X / 16)
        >>> disp = LatentTraversalDisplay.from_estimator(vae, X / 16, n_steps=5)
        >>> disp.axes_.shape
        (4, 5)
        """
        name = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(name)
        check_fitted(estimator, name, methods=("transform", "inverse_transform"))
        image_shape = estimator_image_shape(estimator, image_shape, name)
        if not is_integer_in(n_steps, 2):
            raise ValueError(f"n_steps must be an integer of at least 2, got {n_steps!r}.")
        low, high = _check_percentiles(percentiles)
        codes = check_array(estimator.transform(X), input_name="codes")
        n_samples, n_components = codes.shape
        if not is_integer_in(sample_index, 0, n_samples):
            raise ValueError(
                f"sample_index must be a row of X, an integer in [0, {n_samples}); "
                f"got {sample_index!r}."
            )
        if dimensions is None:
            n_shown = min(MAX_DEFAULT_DIMENSIONS, n_components)
            dimensions = np.argsort(-codes.var(axis=0), kind="stable")[:n_shown]
        dimensions = _check_dimensions(dimensions, n_components)
        low_values = np.percentile(codes[:, dimensions], low, axis=0)
        high_values = np.percentile(codes[:, dimensions], high, axis=0)
        values = np.linspace(low_values, high_values, n_steps, axis=1)
        sweeps = np.repeat(codes[[sample_index]], len(dimensions) * n_steps, axis=0)
        sweeps = sweeps.reshape(len(dimensions), n_steps, n_components)
        for i, dimension in enumerate(dimensions):
            sweeps[i, :, dimension] = values[i]
        decoded = estimator.inverse_transform(sweeps.reshape(-1, n_components))
        images = np.asarray(decoded).reshape(len(dimensions), n_steps, -1)
        display = cls(
            images, dimensions=np.asarray(dimensions), values=values, image_shape=image_shape
        )
        return display.plot(ax=ax, im_kw=im_kw)


def _check_percentiles(percentiles):
    try:
        low, high = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        raise ValueError(f"percentiles must be a pair (low, high), got {percentiles!r}.") from None
    if not 0 <= low < high <= 100:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, got {percentiles!r}.")
    return low, high


def _check_dimensions(dimensions, n_components):
    dimensions = np.atleast_1d(np.asarray(dimensions, dtype=object))
    if dimensions.ndim != 1 or not len(dimensions):
        raise ValueError(f"dimensions must be one or more code dimensions, got {dimensions!r}.")
    for dimension in dimensions:
        if not is_integer_in(dimension, 0, n_components):
            raise ValueError(
                f"dimensions must be code dimensions, integers in [0, {n_components}) for "
                f"a code of n_components={n_components}; got {dimension!r}."
            )
    return [int(dimension) for dimension in dimensions]
