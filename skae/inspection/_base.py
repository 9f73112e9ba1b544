"""What the Displays share: the matplotlib check, the checks of their arguments and of a
fitted estimator, and the grid of images that three of them draw."""

import math
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skae._params import resolve_image_shape

# Inches per image, and around the grid, of a figure that a Display makes itself.
PANEL_SIZE = 0.9
MARGIN = 0.1
# Room above the grid of a figure a Display makes itself, for ``figure_.suptitle``.
TITLE_SPACE = 0.4


def check_matplotlib_support(caller_name):
    """Raise an ImportError naming skae's ``plotting`` extra if matplotlib is missing.

    The twin of :func:`sklearn.utils._optional_dependencies.check_matplotlib_support`,
    with skae's install command.

    Parameters
    ----------
    caller_name : str
        The Display's method that needs matplotlib, e.g.
        ``"ReconstructionDisplay.plot"``.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib. Install it with "
            "`pip install 'skae[plotting]'` (or `pip install matplotlib`)."
        ) from exc


def estimator_image_shape(estimator, image_shape, caller_name):
    """``image_shape`` if given, else the estimator's ``image_shape_``; raise if neither.

    The fitted ``image_shape_``, never the ``image_shape`` parameter, which
    ``set_params`` may have changed since ``fit``.
    """
    if image_shape is not None:
        return image_shape
    fitted = getattr(estimator, "image_shape_", None)
    if fitted is None:
        raise ValueError(
            f"{caller_name} draws rows as images, so it needs their shape: "
            f"{type(estimator).__name__} has no image_shape_ (it was fitted without "
            "image_shape). Pass image_shape=(height, width), or (channels, height, width) "
            "for colour images."
        )
    return fitted


def check_image_shape(image_shape, n_features, caller_name):
    """``(channels, height, width)`` of rows of ``n_features`` values; raise if undrawable."""
    if image_shape is None:
        raise ValueError(
            f"{caller_name} draws rows as images, so it needs their shape: pass "
            "image_shape=(height, width), or (channels, height, width) for colour images."
        )
    shape = resolve_image_shape(image_shape, n_features)
    if shape[0] not in (1, 3, 4):
        raise ValueError(
            f"{caller_name} draws grayscale (1 channel), RGB (3) or RGBA (4) images, but "
            f"image_shape {tuple(image_shape)!r} has {shape[0]} channels."
        )
    return shape


def check_fitted(estimator, caller_name, methods=()):
    """Raise unless the estimator is fitted and has every method of ``methods``.

    A Display reads only what ``fit`` stored: fitted attributes (ending in
    ``_``) and public methods, never the live constructor parameters, which
    ``set_params`` may have changed since.
    """
    check_is_fitted(estimator)
    missing = [method for method in methods if not hasattr(estimator, method)]
    if missing:
        raise ValueError(
            f"{caller_name} needs an estimator with {' and '.join(methods)}, such as "
            f"AutoencoderTransformer; {type(estimator).__name__} has no "
            f"{' or '.join(missing)}."
        )


def is_integer_in(value, low, high=None):
    """Whether ``value`` is an integer (not a bool) in ``[low, high)``; None: no ``high``."""
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and low <= value
        and (high is None or value < high)
    )


def check_labels(y, n_samples, what="samples"):
    """``y`` as a 1-D array of ``n_samples`` labels (any number if None); raise if not."""
    y = column_or_1d(y, warn=True)
    if n_samples is not None and len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels, but there are {n_samples} {what}.")
    return y


def value_range(images, im_kw):
    """``(vmin, vmax)``: those of ``im_kw`` where set, else the images' minimum and maximum."""
    im_kw = im_kw or {}
    images = np.asarray(images)
    vmin = im_kw.get("vmin", images.min() if images.size else 0.0)
    vmax = im_kw.get("vmax", images.max() if images.size else 1.0)
    return float(vmin), float(vmax)


def as_image(row, shape, vmin, vmax):
    """The array that ``imshow`` draws for one row of an image of ``shape`` (C, H, W).

    A grayscale image is ``(H, W)``, drawn through a colormap between
    ``vmin`` and ``vmax``. A colour image is transposed to ``(H, W, C)`` and
    rescaled from ``[vmin, vmax]`` to ``[0, 1]`` (clipped), the range
    ``imshow`` needs for RGB(A) floats.
    """
    image = np.asarray(row).reshape(shape)
    if shape[0] == 1:
        return image[0]
    scale = vmax - vmin if vmax > vmin else 1.0
    return np.clip((image.transpose(1, 2, 0) - vmin) / scale, 0.0, 1.0)


def image_grid(ax, n_rows, n_cols, n_panels, caller_name, *, left, top, wspace, hspace):
    """The axes to draw a grid of ``n_panels`` images on, as PartialDependenceDisplay does.

    ``ax=None`` makes a figure sized to the grid (``left`` and ``top`` are
    its margins in inches, for labels and titles; ``TITLE_SPACE`` more on top
    leaves room for a figure title) and draws in it. A single
    axes is a bounding box: it is switched off and filled with a grid of
    ``n_rows`` x ``n_cols`` new axes. An array-like of ``n_panels`` axes is
    drawn on directly, in row-major order.

    Returns
    -------
    figure : matplotlib Figure or SubFigure
    bounding_ax : matplotlib Axes or None
    axes : ndarray of matplotlib Axes
        Of shape ``(n_rows, n_cols)`` with None past the last panel, or the
        user's array.
    """
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.gridspec import GridSpec, GridSpecFromSubplotSpec

    if ax is None:
        top += TITLE_SPACE
        width = left + n_cols * PANEL_SIZE + MARGIN
        height = top + n_rows * PANEL_SIZE + MARGIN
        figure = plt.figure(figsize=(width, height))
        figure.subplots_adjust(
            left=left / width,
            right=1 - MARGIN / width,
            bottom=MARGIN / height,
            top=1 - top / height,
        )
        ax = figure.add_subplot()
    if isinstance(ax, Axes):
        if not ax.axison:
            raise ValueError(
                "The ax was already used as the bounding box of a grid of images; to draw "
                "on the same images again, pass ax=display.axes_ instead."
            )
        ax.set_axis_off()
        figure = ax.figure
        spec = ax.get_subplotspec()
        if spec is not None:
            grid = GridSpecFromSubplotSpec(
                n_rows, n_cols, subplot_spec=spec, wspace=wspace, hspace=hspace
            )
        else:  # an axes placed by hand, e.g. figure.add_axes
            box = ax.get_position()
            grid = GridSpec(
                n_rows, n_cols, figure=figure, left=box.x0, right=box.x1, bottom=box.y0,
                top=box.y1, wspace=wspace, hspace=hspace,
            )  # fmt: skip
        axes = np.empty((n_rows, n_cols), dtype=object)
        for i in range(n_panels):
            axes[i // n_cols, i % n_cols] = figure.add_subplot(grid[i // n_cols, i % n_cols])
        return figure, ax, axes
    axes = np.asarray(ax, dtype=object)
    if axes.size != n_panels:
        raise ValueError(
            f"{caller_name} draws {n_panels} images, so ax must be one axes (a bounding "
            f"box) or hold {n_panels} axes; got {axes.size}."
        )
    return axes.flat[0].figure, None, axes


def grid_shape(n_panels, n_cols):
    """``(n_rows, n_cols)`` of a grid of ``n_panels`` filled row by row."""
    n_cols = max(1, min(n_cols, n_panels))
    return max(1, math.ceil(n_panels / n_cols)), n_cols


def draw_image(ax, image, im_kw, *, gray, vmin, vmax):
    """``ax.imshow(image)`` without ticks or frame; returns the AxesImage.

    The axis stays on so that a row label (``set_ylabel``) still shows.
    """
    kwargs = {"interpolation": "nearest"}
    if gray:
        kwargs.update(cmap="gray", vmin=vmin, vmax=vmax)
    kwargs.update({k: v for k, v in (im_kw or {}).items() if gray or k not in ("vmin", "vmax")})
    image = ax.imshow(image, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


class ImageGridMixin:
    """The grid of images of ReconstructionDisplay, LatentTraversalDisplay, SamplesDisplay.

    :meth:`_plot_images` lays out the axes (:func:`image_grid`), draws each
    image without ticks (:func:`draw_image`), labels the rows, titles the
    images and sets the Display's ``images_``, ``axes_``, ``bounding_ax_``
    and ``figure_``. A Display with this mixin stores its ``image_shape``.
    """

    def _plot_images(
        self, rows, *, n_cols, ax, im_kw, value_rows=None, row_labels=(), titles=None, left=0.1
    ):
        """Draw ``rows`` as images of ``self.image_shape``, ``n_cols`` to a row; return self.

        Parameters
        ----------
        rows : sequence of ndarray of shape (n_features,)
            The images, one per row, in row-major order of the grid; each
            keeps its dtype.

        n_cols : int
            Images per row of the grid (fewer if there are fewer images).

        ax : matplotlib Axes or array-like of matplotlib Axes or None
            Where to draw; see :func:`image_grid`.

        im_kw : dict or None
            Keywords passed to :meth:`matplotlib.axes.Axes.imshow`.

        value_rows : ndarray, default=None
            The values whose minimum and maximum are the gray levels of
            every image (unless ``im_kw`` sets them); None uses ``rows``.

        row_labels : sequence of str, default=()
            Labels of the rows of the grid, from the top, left of each row.

        titles : sequence, default=None
            The title of each image; None draws no titles.

        left : float, default=0.1
            Room, in inches, left of the grid of a figure the Display makes
            itself, for ``row_labels``.

        Returns
        -------
        self : Display
            The Display, with ``images_``, ``axes_``, ``bounding_ax_`` and
            ``figure_`` set.
        """
        name = type(self).__name__
        if not len(rows):
            raise ValueError(f"{name} has no images to draw.")
        shape = check_image_shape(self.image_shape, len(rows[0]), name)
        vmin, vmax = value_range(rows if value_rows is None else value_rows, im_kw)
        n_rows, n_cols = grid_shape(len(rows), n_cols)
        titled = titles is not None
        figure, bounding_ax, axes = image_grid(
            ax, n_rows, n_cols, len(rows), name,
            left=left, top=0.3 if titled else 0.1, wspace=0.05, hspace=0.35 if titled else 0.05,
        )  # fmt: skip
        panels = axes.reshape(-1)
        images = np.empty(axes.shape, dtype=object)
        for i, row in enumerate(rows):
            image = as_image(row, shape, vmin, vmax)
            images.flat[i] = draw_image(
                panels[i], image, im_kw, gray=shape[0] == 1, vmin=vmin, vmax=vmax
            )
            if titled:
                panels[i].set_title(str(titles[i]), fontsize="small", pad=3)
        for i, label in enumerate(row_labels):
            panels[i * n_cols].set_ylabel(label, rotation=0, ha="right", va="center", labelpad=6)

        self.images_ = images
        self.axes_ = axes
        self.bounding_ax_ = bounding_ax
        self.figure_ = figure
        return self
