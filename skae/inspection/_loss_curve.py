"""LossCurveDisplay: the training loss of each epoch, and the validation loss."""

import numpy as np

from skae._base import BaseAutoencoder
from skae.inspection._base import check_fitted, check_matplotlib_support


class LossCurveDisplay:
    """Training (and validation) loss against the epoch.

    Named so as not to clash with scikit-learn's
    :class:`~sklearn.model_selection.LearningCurveDisplay`, which plots
    scores against the training set size.

    It is recommended to use :meth:`from_estimator` to create a
    :class:`LossCurveDisplay`. All parameters are stored as attributes.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The training loss of each epoch (an estimator's ``loss_curve_``).

    validation_loss : array-like of shape (n_validated_epochs,), default=None
        The validation loss of each epoch, or of the last epochs (a
        warm-started fit validates only its own epochs, while its
        ``loss_curve_`` counts every fit's); None draws none.

    pretrain_loss_curve : array-like of shape (n_pretrain_epochs,), default=None
        The loss of each pretraining epoch, drawn before the training
        epochs (as :class:`~skae.AutoencoderClassifier` pretrains an
        autoencoder before fine-tuning); None or empty draws none.

    name : str, default=None
        Prefix of the legend's labels, to tell estimators apart on shared
        axes. None gives plain labels.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss curve.

    validation_line_ : matplotlib Line2D or None
        The validation loss curve; None without ``validation_loss``.

    pretrain_line_ : matplotlib Line2D or None
        The pretraining loss curve; None without ``pretrain_loss_curve``.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    LossCurveDisplay.from_estimator : Plot a fitted estimator's loss curves.
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        training set size.

    Examples
    --------
    >>> from skae.inspection import LossCurveDisplay
    >>> disp = LossCurveDisplay([0.9, 0.5, 0.4], validation_loss=[1.0, 0.7, 0.6]).plot()
    >>> [text.get_text() for text in disp.ax_.get_legend().get_texts()]
    ['training loss', 'validation loss']
    """

    def __init__(self, loss_curve, *, validation_loss=None, pretrain_loss_curve=None, name=None):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.pretrain_loss_curve = pretrain_loss_curve
        self.name = name

    def plot(self, *, ax=None, yscale=None):
        """Plot the loss curves.

        The epochs are numbered from 1; with a pretraining curve they
        continue after it, and a dotted vertical line marks where training
        (fine-tuning) starts.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        yscale : {"linear", "log"}, default=None
            Scale of the loss axis. None is "log" when a pretraining curve
            is drawn (a reconstruction loss and a classification loss lie
            orders of magnitude apart), else "linear".

        Returns
        -------
        display : :class:`LossCurveDisplay`
            Object that stores the computed values and the axes drawn on.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        loss_curve = np.asarray(self.loss_curve, dtype=float)
        pretrain = np.asarray(
            [] if self.pretrain_loss_curve is None else self.pretrain_loss_curve, dtype=float
        )
        if loss_curve.ndim != 1 or pretrain.ndim != 1:
            raise ValueError("loss_curve and pretrain_loss_curve must be 1-D.")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        prefix = "" if self.name is None else f"{self.name} "
        offset = len(pretrain)

        self.pretrain_line_ = None
        if offset:
            (self.pretrain_line_,) = ax.plot(
                np.arange(1, offset + 1), pretrain, label=f"{prefix}pretraining loss"
            )
            ax.axvline(offset + 0.5, color="gray", linestyle=":", linewidth=1)
        epochs = np.arange(offset + 1, offset + len(loss_curve) + 1)
        label = "fine-tuning loss" if offset else "training loss"
        (self.line_,) = ax.plot(epochs, loss_curve, label=f"{prefix}{label}")
        self.validation_line_ = None
        if self.validation_loss is not None:
            validation = np.asarray(self.validation_loss, dtype=float)
            if validation.ndim != 1 or len(validation) > len(loss_curve):
                raise ValueError(
                    f"validation_loss must be 1-D, of at most the {len(loss_curve)} epochs "
                    f"of loss_curve; got shape {validation.shape}."
                )
            (self.validation_line_,) = ax.plot(
                epochs[len(epochs) - len(validation) :],
                validation,
                label=f"{prefix}validation loss",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_yscale(yscale if yscale is not None else "log" if offset else "linear")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, yscale=None):
        """Plot a fitted estimator's loss of each epoch.

        Draws ``loss_curve_``; the validation loss ``-validation_scores_``
        of a skae estimator fitted with ``early_stopping=True``; and the
        ``pretrain_loss_curve_`` of an
        :class:`~skae.AutoencoderClassifier`, before its fine-tuning
        epochs. Other estimators with a ``loss_curve_`` (say
        :class:`~sklearn.neural_network.MLPRegressor`) show their training
        loss only, since their ``validation_scores_`` are not losses.

        Parameters
        ----------
        estimator : estimator instance
            Fitted estimator with a ``loss_curve_``.

        name : str, default=None
            Prefix of the legend's labels; see :class:`LossCurveDisplay`.

        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        yscale : {"linear", "log"}, default=None
            Scale of the loss axis; see :meth:`plot`.

        Returns
        -------
        display : :class:`LossCurveDisplay`
            Object that stores the computed values and the axes drawn on.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> from skae.inspection import LossCurveDisplay
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(
        ...     8, hidden_layer_sizes=(32,), max_iter=5, early_stopping=True, random_state=0
        ... ).fit(X / 16)
        >>> disp = LossCurveDisplay.from_estimator(ae)
        >>> len(disp.line_.get_xdata()), disp.ax_.get_xlabel()
        (5, 'epoch')
        """
        name_ = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(name_)
        check_fitted(estimator, name_)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{name_} needs an estimator that records its loss per epoch in "
                f"loss_curve_; {type(estimator).__name__} has none."
            )
        validation_loss = None
        if isinstance(estimator, BaseAutoencoder):
            scores = getattr(estimator, "validation_scores_", None)
            if scores is not None:
                validation_loss = -np.asarray(scores, dtype=float)
        display = cls(
            estimator.loss_curve_,
            validation_loss=validation_loss,
            pretrain_loss_curve=getattr(estimator, "pretrain_loss_curve_", None),
            name=name,
        )
        return display.plot(ax=ax, yscale=yscale)
