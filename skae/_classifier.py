"""AutoencoderClassifier: pretrain an autoencoder, then fine-tune its encoder to classify."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval

from skae._base import BaseAutoencoder
from skae._docstrings import fill_doc
from skae._fine_tuning import FineTuningMixin
from skae._semi_supervised import LabeledScoreMixin


@fill_doc
class AutoencoderClassifier(
    ClassNamePrefixFeaturesOutMixin,
    LabeledScoreMixin,
    TransformerMixin,
    FineTuningMixin,
    BaseAutoencoder,
):
    """Classifier that pretrains an autoencoder, then fine-tunes its encoder.

    ``fit`` first trains an autoencoder to reconstruct every row of ``X``
    (``pretrain_iter`` epochs), labeled or not, then trains its encoder
    together with a linear softmax head on the code to minimise the
    cross-entropy of the labeled rows (``max_iter`` epochs). Rows labeled -1
    are **unlabeled**, the convention of :mod:`sklearn.semi_supervised`: they
    join pretraining and the semi-supervised signals of fine-tuning, never the
    cross-entropy, and never appear in ``classes_``.

    Fine-tuning can learn from the unlabeled rows too, each signal switched
    on by its own parameter: reconstruction of every row
    (``reconstruction_weight``), consistency between two random perturbations
    of an unlabeled image (``consistency_weight``), and confident
    pseudo-labels (``pseudo_label_threshold``). The perturbations
    (``augment_*``) are drawn on the fly from the estimator's own generator
    while training, never at ``predict``.

    Read more in the :ref:`User Guide <autoencoder_classifier>`.

    Parameters
    ----------
    {{n_components}}

    {{architecture}}

    {{image_shape}}

    {{hidden_layer_sizes}}

    {{conv_channels}}

    {{activation}}

    {{encoder}}

    {{decoder}}

    {{loss}}

    corruption : {"gaussian", "masking", "cutout"}, default=None
        Corrupt the inputs of pretraining (a denoising autoencoder), and the
        second perturbation of each unlabeled row in fine-tuning, on which
        the pseudo-labels of the first are enforced (as FixMatch enforces
        them on a strongly augmented view). None corrupts nothing.

    {{corruption_level}}

    pretrain_iter : int, default=20
        Epochs of autoencoder pretraining on all rows before fine-tuning; 0
        skips pretraining. The ``tol`` / ``n_iter_no_change`` rule applies.

    reconstruction_weight : float, default=0.0
        Weight of the reconstruction loss of every row seen, labeled and
        unlabeled, kept as an auxiliary loss during fine-tuning; 0 turns it
        off.

    consistency_weight : float, default=0.0
        Weight of the squared distance between the class probabilities of
        two independent perturbations of each unlabeled row; 0 turns it off.
        Needs perturbations (``augment_*``) to be useful.

    pseudo_label_threshold : float, default=None
        When set, an unlabeled row whose predicted class probability (on its
        first perturbation) reaches this value is trained on as if labeled
        with that class (on its second, corrupted perturbation). None turns
        pseudo-labels off.

    unlabeled_ratio : int, default=4
        Unlabeled rows per labeled row in each fine-tuning step, when a
        semi-supervised signal uses them.

    augment_shift : int, default=0
        Largest random translation, in pixels, applied to the images seen in
        fine-tuning; needs ``image_shape``. 0 turns it off.

    augment_flip : bool, default=False
        Mirror the images seen in fine-tuning left-right with probability
        1/2; needs ``image_shape``.

    augment_noise : float, default=0.0
        Standard deviation of Gaussian noise added to the rows seen in
        fine-tuning; 0 turns it off.

    {{learning_rate}}
    {{learning_rate_init}}

    {{alpha}}

    batch_size : int or "auto", default="auto"
        Rows per pretraining step, and labeled rows per fine-tuning step.
        ``"auto"`` is ``min(256, n_samples)`` for pretraining and
        ``min(64, n_labeled)`` for fine-tuning.

    max_iter : int, default=100
        Maximum number of fine-tuning epochs. An epoch is a pass over the
        unlabeled rows when a semi-supervised signal uses them (the labeled
        rows are cycled as often as that takes), else over the labeled rows.

    {{shuffle}}

    {{tol}}

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the labeled rows
        (stratified), monitor their cross-entropy during fine-tuning, stop
        when it stops improving and restore the best epoch's weights.

    {{validation_fraction}}

    {{n_iter_no_change}}

    {{device}}

    {{precision}}

    {{compile}}

    {{random_state}}

    {{verbose}}

    warm_start : bool, default=False
        When True, ``fit`` continues fine-tuning the previous network
        without pretraining again. The network's structure and the classes
        cannot change then: a changed value raises ``ValueError``.

    {{module_params}}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, from the labeled rows.

    module_ : skae.nn.ClassifierNetwork
        The trained network: ``autoencoder`` (with ``encoder`` and
        ``decoder``) and the linear ``head``.

    optimizer_ : torch.optim.Adam
        The fine-tuning optimizer, whose state ``warm_start`` carries on.

    {{device_}}

    {{image_shape_}}

    pretrain_loss_curve_ : list of float
        Mean reconstruction loss of each pretraining epoch; empty without
        pretraining.

    n_iter_ : int
        Number of fine-tuning epochs run, counting warm-started fits.

    loss_curve_ : list of float
        Mean fine-tuning loss (cross-entropy plus the enabled signals) of
        each epoch.

    best_loss_ : float or None
        The lowest fine-tuning loss; None with ``early_stopping``.

    validation_scores_ : list of float or None
        Negative validation cross-entropy of each fine-tuning epoch (greater
        is better); None without ``early_stopping``.

    best_validation_score_ : float or None
        The best entry of ``validation_scores_``, whose weights were
        restored; None without ``early_stopping``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    AutoencoderTransformer : The autoencoder alone, as a transformer.
    PretrainedClassifier : Unlabeled pretraining for any scikit-learn classifier.
    sklearn.semi_supervised.SelfTrainingClassifier : Pseudo-labels for any classifier.

    Notes
    -----
    Unlabeled rows carry the label -1, the number or the string ``"-1"``,
    in every container (numpy arrays of numbers or strings, object arrays,
    lists, pandas Series of any dtype; see :func:`skae.metrics.is_labeled`),
    so class labels cannot include -1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> y_scarce = np.where(np.arange(len(y)) % 10 == 0, y, -1)  # 10% labeled
    >>> clf = AutoencoderClassifier(
    ...     16, pretrain_iter=5, max_iter=5, random_state=0
    ... ).fit(X / 16, y_scarce)
    >>> clf.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> clf.predict_proba(X[:2] / 16).shape
    (2, 10)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "pretrain_iter": [Interval(Integral, 0, None, closed="left")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "consistency_weight": [Interval(Real, 0, None, closed="left")],
        "pseudo_label_threshold": [None, Interval(Real, 0, 1, closed="right")],
        "unlabeled_ratio": [Interval(Integral, 1, None, closed="left")],
        "augment_shift": [Interval(Integral, 0, None, closed="left")],
        "augment_flip": ["boolean"],
        "augment_noise": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=32,
        *,
        architecture="dense",
        image_shape=None,
        hidden_layer_sizes=(256,),
        conv_channels=(32, 64),
        activation="relu",
        encoder=None,
        decoder=None,
        loss="mse",
        corruption=None,
        corruption_level=0.1,
        pretrain_iter=20,
        reconstruction_weight=0.0,
        consistency_weight=0.0,
        pseudo_label_threshold=None,
        unlabeled_ratio=4,
        augment_shift=0,
        augment_flip=False,
        augment_noise=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size="auto",
        max_iter=100,
        shuffle=True,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        warm_start=False,
        **module_params,
    ):
        self._store_params(locals())

    # --------------------------------------------------------------- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Pretrain the autoencoder on all rows, then fine-tune it to classify.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, labeled and unlabeled rows together.

        y : array-like of shape (n_samples,)
            Class labels; -1 marks an unlabeled row.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y)

    def _check_params(self):
        super()._check_params()
        if (self.augment_shift or self.augment_flip) and self.image_shape is None:
            raise ValueError(
                "augment_shift and augment_flip move pixels, so they need image_shape, "
                "e.g. image_shape=(28, 28)."
            )

    # ------------------------------------------------------------- inference

    def predict_proba(self, X):
        """Class probabilities of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes of ``classes_``, rows summing to 1.
        """
        X = self._validated(X)
        return self._map(lambda x: self.module_(x).softmax(dim=1), X)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``np.log(predict_proba(X))``, as in
            :class:`~sklearn.neural_network.MLPClassifier`.
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def transform(self, X):
        """The fine-tuned code of each row, for use as features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The code, with the dtype of X.
        """
        X = self._validated(X)
        return self._map(self.module_.encode, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
