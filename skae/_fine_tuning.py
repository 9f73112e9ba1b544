"""How AutoencoderClassifier trains: its data, its network and its two phases."""

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

from skae._defaults import auto_labeled_batch, trains_on_unlabeled
from skae._fitted import Phase
from skae._out_of_core import OutOfCoreData, check_out_of_core, is_out_of_core
from skae._semi_supervised import label_array
from skae.metrics import is_labeled
from skae.nn import (
    AutoencoderObjective,
    ChunkedBatches,
    ClassifierNetwork,
    ClassifierObjective,
    ReconstructionLoss,
)
from skae.nn._chunked import RowSubset
from skae.nn._device import as_tensor
from skae.nn._perturbations import WeakPerturbation
from skae.nn._training import History, LabeledUnlabeledBatches


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
        return X, {"labeled": labeled, "y_index": y_index, "classes": classes}

    def _new_network(self, config, targets):
        autoencoder = self._build_network(config)
        return ClassifierNetwork(autoencoder, config.spec.n_components, len(targets["classes"]))

    def _phases(self, X, targets, config, context):
        return [
            self._pretraining_phase(X, config, context),
            self._fine_tuning_phase(X, targets, config, context),
        ]

    def _n_unlabeled(self, targets):
        return int(np.count_nonzero(~targets["labeled"]))

    def _pretraining_phase(self, X, config, context):
        params = context.params
        runs = context.first_pass and params.pretrain_iter > 0
        batch_size = self._batch_size(len(X)) if runs else 1
        return Phase(
            "pretraining",
            max_iter=params.pretrain_iter if runs else 0,
            objective=lambda generator: AutoencoderObjective(
                ReconstructionLoss(config.loss),
                corruption=params.corruption,
                corruption_level=params.corruption_level,
                generator=generator,
                image_shape=config.spec.image_shape,
            ),
            batches=self._epoch_batches(X if runs else X[:0], batch_size, context),
            weight_decay=self._weight_decay("reconstruction", params.alpha, batch_size, X.shape[1]),
            batch_size=batch_size,
            rows_per_step=batch_size,
            submodule="autoencoder",
            keeps_optimizer=False,
        )

    def _fine_tuning_phase(self, X, targets, config, context):
        params = context.params
        if not targets["labeled"].any():  # a partial_fit chunk of unlabeled rows only
            return Phase("fine-tuning", 0, None, None, 0.0, batch_size=1, rows_per_step=1)
        X_labeled, y_labeled = X[targets["labeled"]], targets["y_index"]
        validation_batches = None
        if params.early_stopping and not context.incremental:
            X_labeled, X_val, y_labeled, y_val = self._validation_split_labeled(
                X_labeled, y_labeled, context.split_seed
            )
            validation_batches = self._held_out_batches(
                (as_tensor(X_val, dtype=context.dtype, device="cpu"), torch.as_tensor(y_val)),
                context,
            )
        uses_unlabeled = trains_on_unlabeled(params, self._n_unlabeled(targets))
        images = config.spec.image_shape is not None
        batch_size = self._batch_size(
            len(X_labeled), auto=auto_labeled_batch(len(X_labeled), uses_unlabeled, images)
        )
        unlabeled_batch_size = batch_size * params.unlabeled_ratio
        n_unlabeled = self._n_unlabeled(targets) if uses_unlabeled else 0
        unlabeled = self._unlabeled_rows(
            X, ~targets["labeled"] if uses_unlabeled else None, unlabeled_batch_size, context
        )
        labeled = (
            as_tensor(X_labeled, dtype=context.dtype, device="cpu"),
            torch.as_tensor(y_labeled, dtype=torch.long),
        )
        return Phase(
            "fine-tuning",
            max_iter=1 if context.incremental else params.max_iter,
            objective=lambda generator: self._fine_tuning_objective(
                config, params, generator, clips_noise=context.in_unit_interval
            ),
            batches=lambda generator: LabeledUnlabeledBatches(
                *labeled,
                unlabeled(generator),
                labeled_batch_size=batch_size,
                unlabeled_batch_size=unlabeled_batch_size,
                generator=generator,
                device=context.device,
                min_batch_size=context.min_batch_size,
                shuffle=self.shuffle,
            ),
            weight_decay=self._weight_decay("classification", params.alpha, batch_size, X.shape[1]),
            batch_size=min(batch_size, n_unlabeled or batch_size),
            rows_per_step=batch_size + (unlabeled_batch_size if n_unlabeled else 0),
            validation_batches=validation_batches,
        )

    def _unlabeled_rows(self, X, mask, batch_size, context):
        """``unlabeled(generator)``: the rows of ``mask`` (None: none) for fine-tuning.

        In memory, a tensor; from an out-of-core X, batches read by chunks
        (:class:`~skae.nn.ChunkedBatches` over those rows), never all at once.
        """
        if mask is not None and isinstance(X, OutOfCoreData):
            rows = RowSubset(X.source, np.flatnonzero(mask))
            return lambda generator: ChunkedBatches(
                rows,
                batch_size,
                window_batches=self.shuffle_window,
                shuffle=self.shuffle,
                generator=generator,
                dtype=context.dtype,
                device=context.device,
                min_batch_size=context.min_batch_size,
            )
        X_unlabeled = as_tensor(
            X[mask] if mask is not None else X[:0], dtype=context.dtype, device="cpu"
        )
        return lambda generator: X_unlabeled

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

    def _validation_split_labeled(self, X, y, seed):
        n_classes = len(np.unique(y))
        n_val = int(np.ceil(self.validation_fraction * len(X)))
        if n_val < n_classes or len(X) - n_val < n_classes:
            raise ValueError(
                f"early_stopping needs at least one labeled row of each of the {n_classes} "
                f"classes on both sides of the validation split, but "
                f"validation_fraction={self.validation_fraction} of {len(X)} labeled "
                "rows cannot give that."
            )
        return train_test_split(X, y, test_size=n_val, stratify=y, random_state=seed)

    def _store_fit(self, network, optimizer, config, device, histories, first_pass, targets):
        super()._store_fit(network, optimizer, config, device, histories, first_pass, targets)
        self.classes_ = targets["classes"]
        if first_pass:
            self.pretrain_loss_curve_ = histories.get("pretraining", History()).loss_curve
