"""What the Displays share: the matplotlib check, image shapes, and grids of images."""

import math

import numpy as np

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
    """``image_shape`` if given, else the estimator's ``image_shape_``; raise if neither."""
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


def check_transformer(estimator, caller_name, methods=("transform", "inverse_transform")):
    """Raise a ValueError unless the estimator has every method of ``methods``."""
    missing = [method for method in methods if not hasattr(estimator, method)]
    if missing:
        raise ValueError(
            f"{caller_name} needs an estimator with {' and '.join(methods)}, such as "
            f"AutoencoderTransformer; {type(estimator).__name__} has no "
            f"{' or '.join(missing)}."
        )


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


def label_row(ax, label):
    """A horizontal row label left of ``ax``."""
    ax.set_ylabel(label, rotation=0, ha="right", va="center", labelpad=6)
