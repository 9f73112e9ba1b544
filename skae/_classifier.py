"""AutoencoderClassifier: pretrain an autoencoder, then fine-tune its encoder to classify."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

from skae._base import BaseAutoencoder
from skae._defaults import CLASSIFIER_RULES, RECONSTRUCTION_BATCH, trains_on_unlabeled
from skae._docstrings import fill_doc
from skae._fitted import Labels, Phase
from skae._out_of_core import check_out_of_core, is_out_of_core
from skae._params import allow_auto
from skae._semi_supervised import LabeledScoreMixin, label_array
from skae._training import PhaseData
from skae.metrics import is_labeled
from skae.nn import (
    AutoencoderObjective,
    ClassifierNetwork,
    ClassifierObjective,
    ReconstructionLoss,
)
from skae.nn._perturbations import WeakPerturbation
from skae.nn._training import History


@fill_doc
class AutoencoderClassifier(
    ClassNamePrefixFeaturesOutMixin,
    LabeledScoreMixin,
    TransformerMixin,
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

    Fine-tuning can learn from the unlabeled rows too, each signal set by
    its own parameter: reconstruction of every row
    (``reconstruction_weight``), consistency between two random perturbations
    of an unlabeled image (``consistency_weight``), and confident
    pseudo-labels (``pseudo_label_threshold``). The perturbations
    (``augment_*``) are drawn on the fly from the estimator's own generator
    while training, never at ``predict``.

    The parameters whose default is ``"auto"`` are chosen at ``fit`` from
    the data, the choices validated on Fashion-MNIST. On images
    (``image_shape`` given): the VGG-style network with a code of 128, a
    cosine learning-rate schedule, shifts of 2 pixels, noisy views for
    pixel intensities in [0, 1], bfloat16 where the hardware computes it
    natively, and, when some rows are labeled -1, the semi-supervised
    signals (consistency, pseudo-labels on cutout views). On flat rows: the
    dense network with a code of 32, without them. Each choice is the
    fitted attribute of the parameter's name with a trailing underscore
    (``architecture_``, ``max_iter_``, ...); setting a parameter overrides
    its rule. See :ref:`the user guide <auto_defaults>`.

    Read more in the :ref:`User Guide <autoencoder_classifier>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code, the number of features ``transform`` returns.
        ``"auto"`` is 128 on images, 32 on flat rows.

    {{architecture}}

    {{image_shape}}

    {{hidden_layer_sizes}}

    {{conv_channels}}

    {{activation}}

    {{encoder}}

    {{decoder}}

    {{loss}}

    corruption : {"auto", "gaussian", "masking", "cutout"} or None, default="auto"
        Corrupt the inputs of pretraining (a denoising autoencoder), and the
        second perturbation of each unlabeled row in fine-tuning, on which
        the pseudo-labels of the first are enforced (as FixMatch enforces
        them on a strongly augmented view). None corrupts nothing;
        ``"auto"`` is ``"cutout"`` on images with unlabeled rows, else None.

    corruption_level : float or "auto", default="auto"
        The noise's standard deviation (``"gaussian"``), the masked fraction
        (``"masking"``) or the square's relative side (``"cutout"``).
        ``"auto"`` is 0.5 for ``"cutout"``, else 0.1.

    pretrain_iter : int or "auto", default="auto"
        Epochs of autoencoder pretraining on all rows before fine-tuning; 0
        skips pretraining. The ``tol`` / ``n_iter_no_change`` rule applies.
        ``"auto"`` is 20 on flat rows; on images, the epochs of about 1200
        steps of 256 rows with unlabeled rows and 480 without (5 and 2
        epochs of Fashion-MNIST's 60,000 images), between 2 and 50.

    reconstruction_weight : float, default=0.0
        Weight of the reconstruction loss of every row seen, labeled and
        unlabeled, kept as an auxiliary loss during fine-tuning; 0 turns it
        off.

    consistency_weight : float or "auto", default="auto"
        Weight of the squared distance between the class probabilities of
        two independent perturbations of each unlabeled row, the first of
        which is the target (no gradient flows through it); 0 turns it off.
        Needs perturbations (``augment_*``) to be useful. ``"auto"`` is 1.0
        on images with unlabeled rows, else 0.

    pseudo_label_threshold : float, None or "auto", default="auto"
        When set, an unlabeled row whose predicted class probability (on its
        first perturbation) reaches this value is trained on as if labeled
        with that class (on its second, corrupted perturbation). None turns
        pseudo-labels off; ``"auto"`` is 0.95 on images with unlabeled rows,
        else None.

    unlabeled_ratio : int, default=4
        Unlabeled rows per labeled row in each fine-tuning step, when a
        semi-supervised signal uses them.

    augment_shift : int or "auto", default="auto"
        Largest random translation, in pixels, applied to the images seen in
        fine-tuning; needs ``image_shape``. 0 turns it off; ``"auto"`` is,
        for the VGG-style network, 2 on images of at least 8 pixels a side,
        else 0; for any other network a pixel per 14 of the image's side, at
        most 2 (none below 14x14: the stride-2 conv network does not learn
        8x8 digits shifted by 2 pixels).

    augment_flip : bool, default=False
        Mirror the images seen in fine-tuning left-right with probability
        1/2; needs ``image_shape``. Off by default, because it is safe only
        where a mirrored image shows the same class: turn it on for clothes
        or natural images, never for digits or text.

    augment_noise : float or "auto", default="auto"
        Largest standard deviation of Gaussian noise added in fine-tuning to
        the second view of each unlabeled row (never to the first, which the
        semi-supervised targets come from), or, without those views (every
        row labeled, or no semi-supervised signal), to half the labeled rows
        (each with probability 1/2; the others stay clean): each noisy row
        draws its own, uniformly between 0 and this value; 0 turns it off.
        When every training value lies in [0, 1] (pixel intensities), the
        noisy pixels are clipped to [0, 1], as a sensor's saturate.
        ``"auto"`` is 0.2 on images whose values lie in [0, 1], else 0:
        without it, a classifier trained on clean images loses much of its
        accuracy on images with mild sensor noise (see the user guide).

    learning_rate : {"auto", "constant", "cosine", "one_cycle"}, default="auto"
        The learning rate's schedule over the epochs of each phase.
        ``"constant"`` keeps ``learning_rate_init``; ``"cosine"`` decays it
        along a half cosine towards 0 over the phase's epochs, set at each
        epoch; ``"one_cycle"`` sets it at every step, rising from a 25th of
        ``learning_rate_init`` to it over the first quarter of the epochs,
        then falling along a half cosine. With either schedule all of the
        phase's epochs run (without ``early_stopping``, no ``tol`` stop and
        no ``ConvergenceWarning``). ``"auto"`` is ``"cosine"`` on images,
        else ``"constant"``.

    learning_rate_init : float or "auto", default="auto"
        Adam's learning rate (the peak of ``"one_cycle"``). ``"auto"`` is
        3e-3 with ``learning_rate="one_cycle"``, whose warm-up lets a higher
        rate train, else 1e-3 (scikit-learn's).

    alpha : float or "auto", default="auto"
        Strength of the L2 penalty on the weights. In pretraining it is
        scaled as in :class:`~sklearn.neural_network.MLPRegressor` (Adam's
        ``weight_decay`` is ``2 * alpha / (batch_size * n_features)``), in
        fine-tuning as in :class:`~sklearn.neural_network.MLPClassifier`
        (``alpha / batch_size``). ``"auto"`` is 0.1 when images are
        fine-tuned on labeled rows only (every row labeled, or no
        semi-supervised signal), else 1e-4.

    batch_size : int or "auto", default="auto"
        Rows per pretraining step, and labeled rows per fine-tuning step.
        ``"auto"`` is ``min(256, n_samples)`` for pretraining; for
        fine-tuning, 64 labeled rows (at most ``n_labeled``), and when
        images are fine-tuned on labeled rows only, one hundredth of them
        between 64 and 256.

    max_iter : int or "auto", default="auto"
        Maximum number of fine-tuning epochs. An epoch is a pass over the
        unlabeled rows when a semi-supervised signal uses them (the labeled
        rows are cycled as often as that takes), else over the labeled rows.
        ``"auto"`` is 100 on flat rows; on images, the epochs of about 7000
        steps with unlabeled rows and 10500 without (30 and 45 epochs of
        Fashion-MNIST's 60,000 images), between 30 and 150.

    {{shuffle}}

    {{shuffle_window}}

    {{tol}}

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the labeled rows
        (stratified), monitor their cross-entropy during fine-tuning, stop
        when it stops improving and restore the best epoch's weights.

    {{validation_fraction}}

    {{n_iter_no_change}}

    {{device}}

    precision : {"auto", "float32", "float64", "bfloat16", "float16"}, default="auto"
        Floating-point type of the network's computation, as in
        :class:`AutoencoderTransformer`. ``"auto"`` is ``"bfloat16"`` on
        images where the training device computes it natively (CUDA GPUs
        that support it, CPUs with AVX-512 BF16 or AMX), else
        ``"float32"``: the same call then gives slightly different numbers on
        machines with and without native bfloat16.

    {{compile}}

    {{random_state}}

    {{verbose}}

    warm_start : bool, default=False
        When True, ``fit`` continues fine-tuning the previous network
        without pretraining again. The network's structure and the classes
        cannot change then: a changed value raises ``ValueError``.

    {{checkpoint}}

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

    n_components_ : int
        The size of the code trained with, ``n_components`` resolved.

    architecture_ : str
        The architecture trained with, ``architecture`` resolved.

    loss_ : str
        The reconstruction loss trained with, ``loss`` resolved.

    learning_rate_ : str
        The learning-rate schedule trained with, ``learning_rate`` resolved.

    learning_rate_init_ : float
        Adam's learning rate trained with, ``learning_rate_init`` resolved.

    precision_ : str
        The precision trained and inferred in, ``precision`` resolved.

    augment_shift_ : int
        The largest shift trained with, ``augment_shift`` resolved.

    augment_noise_ : float
        The noise of the fine-tuning views, ``augment_noise`` resolved.

    consistency_weight_ : float
        The consistency weight trained with, ``consistency_weight`` resolved.

    pseudo_label_threshold_ : float or None
        The pseudo-label threshold trained with, ``pseudo_label_threshold``
        resolved.

    corruption_ : str or None
        The corruption trained with, ``corruption`` resolved.

    corruption_level_ : float
        The corruption level trained with, ``corruption_level`` resolved.

    alpha_ : float
        The L2 penalty trained with, ``alpha`` resolved.

    pretrain_iter_ : int
        The pretraining budget in epochs, ``pretrain_iter`` resolved.

    max_iter_ : int
        The fine-tuning budget in epochs, ``max_iter`` resolved.

    batch_size_ : int
        Labeled rows per fine-tuning step, ``batch_size`` resolved: 64, or
        for supervised fine-tuning on images a hundredth of the labeled rows
        left to train on, between 64 and 256. Pretraining takes 256 rows a
        step under ``"auto"``; fewer rows than that make one batch.

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
    >>> clf.architecture_, clf.loss_  # flat rows in [0, 1]
    ('dense', 'bce')
    >>> clf.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> clf.predict_proba(X[:2] / 16).shape
    (2, 10)
    """

    _parameter_constraints: dict = allow_auto(
        {
            **BaseAutoencoder._parameter_constraints,
            "pretrain_iter": [Interval(Integral, 0, None, closed="left")],
            "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
            "consistency_weight": [Interval(Real, 0, None, closed="left")],
            "pseudo_label_threshold": [None, Interval(Real, 0, 1, closed="right")],
            "unlabeled_ratio": [Interval(Integral, 1, None, closed="left")],
            "augment_shift": [Interval(Integral, 0, None, closed="left")],
            "augment_flip": ["boolean"],
            "augment_noise": [Interval(Real, 0, None, closed="left")],
        },
        CLASSIFIER_RULES,
    )
    _auto_rules = CLASSIFIER_RULES

    def __init__(
        self,
        n_components="auto",
        *,
        architecture="auto",
        image_shape=None,
        hidden_layer_sizes=(256,),
        conv_channels=(32, 64),
        activation="relu",
        encoder=None,
        decoder=None,
        loss="auto",
        corruption="auto",
        corruption_level="auto",
        pretrain_iter="auto",
        reconstruction_weight=0.0,
        consistency_weight="auto",
        pseudo_label_threshold="auto",
        unlabeled_ratio=4,
        augment_shift="auto",
        augment_flip=False,
        augment_noise="auto",
        learning_rate="auto",
        learning_rate_init="auto",
        alpha="auto",
        batch_size="auto",
        max_iter="auto",
        shuffle=True,
        shuffle_window=64,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        precision="auto",
        compile=False,
        random_state=None,
        verbose=0,
        warm_start=False,
        checkpoint=None,
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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Fine-tune for one epoch on X, keeping the network of previous calls.

        As :meth:`sklearn.neural_network.MLPClassifier.partial_fit`: the first
        call needs every class in ``classes``, since a chunk of data may hold
        only some; it builds the network and pretrains it on X
        (``pretrain_iter`` epochs, none with ``pretrain_iter=0``). Every call
        then fine-tunes for one epoch on its labeled rows; a chunk without a
        labeled row fine-tunes nothing (the first call still pretrains on
        it), so that mostly unlabeled data can stream in pieces.
        ``early_stopping`` and ``max_iter`` do not apply, and the network's
        structure cannot change between calls.
        This is what successive halving over epochs calls (see the
        :ref:`scaling-out guide <scaling_out>`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data, labeled and unlabeled rows together.

        y : array-like of shape (n_samples,)
            Class labels from ``classes``; -1 marks an unlabeled row.

        classes : array-like of shape (n_classes,), default=None
            Every class the model will know. Needed on the first call;
            later calls may leave it out, or must give the same classes.

        Returns
        -------
        self : object
            The updated classifier.
        """
        first_call = not hasattr(self, "module_")
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if is_labeled(classes).sum() < len(classes):
                raise ValueError(
                    f"classes={classes.tolist()} holds -1, which marks an unlabeled row, "
                    "not a class."
                )
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first_call and classes is not None and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()} is not the classes of the first call to "
                f"partial_fit, {self.classes_.tolist()}."
            )
        return self._fit(
            X, y, incremental=True, classes=self.classes_ if classes is None else classes
        )

    def _check_params(self, params):
        super()._check_params(params)
        if (params.augment_shift or params.augment_flip) and self.image_shape is None:
            raise ValueError(
                "augment_shift and augment_flip move pixels, so they need image_shape, "
                "e.g. image_shape=(28, 28)."
            )

    # -------------------------------------------------------------- training
    #
    # Two phases run through the fit template of skae._base.BaseAutoencoder:
    # "pretraining" trains the autoencoder half on every row (pretrain_iter
    # epochs, on the first fit only), then "fine-tuning" trains encoder and
    # head on batches of labeled rows, each paired with unlabeled_ratio times
    # as many unlabeled ones when a semi-supervised signal uses them. From an
    # out-of-core X both read chunks as they are drawn (the labeled rows are
    # read into memory).

    _main_phase = "fine-tuning"

    def _validate_training_data(self, X, y, *, reset, classes=None):
        """X, and the labeled mask, class indices and classes of y.

        ``classes`` (from ``partial_fit``) are all the classes of the model,
        of which y may hold some; without them they are y's own.
        """
        if is_out_of_core(X):
            X = check_out_of_core(self, X, reset=reset)
            y = column_or_1d(y, warn=True)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], reset=reset)
        y = label_array(y)
        labeled = is_labeled(y)
        check_classification_targets(y[labeled])
        if classes is None:
            classes, y_index = np.unique(y[labeled], return_inverse=True)
        else:
            unknown = np.setdiff1d(y[labeled], classes)
            if unknown.size:
                raise ValueError(
                    f"y has labels that are not in classes={classes.tolist()}: {unknown.tolist()}."
                )
            y_index = np.searchsorted(classes, y[labeled])
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs labeled rows of at least 2 classes; "
                f"got {len(classes)} class(es) among {labeled.sum()} labeled rows."
            )
        if not reset and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the first fit, "
                f"{self.classes_.tolist()}; got {classes.tolist()}."
            )
        return X, Labels(labeled=labeled, y_index=y_index, classes=classes)

    def _new_network(self, config, classes=None):
        autoencoder = config.build_network()
        return ClassifierNetwork(autoencoder, config.spec.n_components, len(classes))

    def _phases(self, X, labels, config, context):
        return [
            self._pretraining_phase(X, config, context),
            self._fine_tuning_phase(X, labels, config, context),
        ]

    def _pretraining_phase(self, X, config, context):
        """Reconstruct every row, on the first fit only; ``batch_size="auto"``: 256 rows."""
        params = context.params
        return Phase(
            "pretraining",
            max_iter=params.pretrain_iter if context.first_pass else 0,
            objective=lambda generator: AutoencoderObjective(
                ReconstructionLoss(config.loss),
                corruption=params.corruption,
                corruption_level=params.corruption_level,
                generator=generator,
                image_shape=config.spec.image_shape,
            ),
            data=PhaseData(X),
            batch_size=params.batch_size if context.batch_size_given else RECONSTRUCTION_BATCH,
            submodule="autoencoder",
            keeps_optimizer=False,
        )

    def _fine_tuning_phase(self, X, labels, config, context):
        """Classify the labeled rows, beside unlabeled ones when a semi-supervised signal uses them.

        A ``partial_fit`` chunk without a labeled row fine-tunes nothing.
        """
        params = context.params
        uses_unlabeled = trains_on_unlabeled(params, int(np.count_nonzero(~labels.labeled)))
        return Phase(
            "fine-tuning",
            max_iter=(1 if context.incremental else params.max_iter) if labels.labeled.any() else 0,
            objective=lambda generator: self._fine_tuning_objective(
                config, params, generator, clips_noise=context.in_unit_interval
            ),
            data=PhaseData(
                X,
                labeled=labels.labeled,
                y=labels.y_index,
                unlabeled=~labels.labeled if uses_unlabeled else None,
            ),
            batch_size=params.batch_size,
            holds_out=params.early_stopping and not context.incremental,
        )

    def _fine_tuning_objective(self, config, params, generator, *, clips_noise):
        """The fine-tuning loss; ``clips_noise``: noisy pixels stay in [0, 1], as the data."""
        image_shape = config.spec.image_shape
        perturb = None
        if params.augment_shift or params.augment_flip:
            perturb = WeakPerturbation(
                image_shape, max_shift=params.augment_shift, flip=params.augment_flip
            )
        return ClassifierObjective(
            ReconstructionLoss(config.loss),
            reconstruction_weight=params.reconstruction_weight,
            consistency_weight=params.consistency_weight,
            pseudo_label_threshold=params.pseudo_label_threshold,
            perturb=perturb,
            noise=params.augment_noise,
            noise_range=(0.0, 1.0) if clips_noise else None,
            corruption=params.corruption,
            corruption_level=params.corruption_level,
            generator=generator,
            image_shape=image_shape,
        )

    def _store_fit(self, network, optimizer, config, device, histories, first_pass, labels):
        super()._store_fit(network, optimizer, config, device, histories, first_pass, labels)
        self.classes_ = labels.classes
        if first_pass:
            self.pretrain_loss_curve_ = histories.get("pretraining", History()).loss_curve

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
        return self._inference("predict_proba", X)

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
        return self._inference("transform", X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
