"""How AutoencoderClassifier trains: its data, its network and its two phases."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

from skae._defaults import RECONSTRUCTION_BATCH, trains_on_unlabeled
from skae._fitted import Labels, Phase
from skae._out_of_core import check_out_of_core, is_out_of_core
from skae._semi_supervised import label_array
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


class FineTuningMixin:
    """The training half of :class:`skae.AutoencoderClassifier`; not for direct use.

    Two phases run through the fit template of :class:`skae._base.BaseAutoencoder`:
    ``"pretraining"`` trains the autoencoder half on every row
    (``pretrain_iter`` epochs, on the first fit only), then ``"fine-tuning"``
    trains encoder and head on batches of labeled rows, each paired with
    ``unlabeled_ratio`` times as many unlabeled ones when a semi-supervised
    signal uses them.

    From an out-of-core X (see :mod:`skae._out_of_core`) pretraining reads
    chunks as they are drawn, and so does fine-tuning for the unlabeled rows
    (chunks of the rows labeled -1); the labeled rows are read into memory.
    """

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
        autoencoder = self._build_network(config)
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
