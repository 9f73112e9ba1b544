"""How AutoencoderClassifier trains: pretraining, then fine-tuning on labeled and unlabeled rows."""

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from skae import nn as engine
from skae._base import BaseAutoencoder


class FineTuningMixin:
    """The training half of :class:`skae.AutoencoderClassifier`; not for direct use.

    ``_train_network`` pretrains the autoencoder on every row (its own epoch
    budget, ``pretrain_iter``), then trains encoder and head through the one
    loop of :mod:`skae.nn`, on batches of labeled rows each paired with
    ``unlabeled_ratio`` times as many unlabeled ones.
    """

    def _train_network(self, X, labeled, y_index, classes, first_pass, seeds):
        seed_init, seed_shuffle, seed_draws, seed_split = (int(seed) for seed in seeds)
        device = engine.resolve_device(self.device)
        precision = engine.resolve_precision(self.precision, device)
        dtype = precision.dtype
        n_features = X.shape[1]
        spec = pretrain_history = None
        if first_pass:
            spec = self._network_spec(n_features)
            module = self._new_network(spec, seed_init, device, dtype, n_classes=len(classes))
            pretrain_history = self._pretrain(
                module, X, device, precision, seed_shuffle, seed_draws, spec.image_shape
            )
        X_labeled, y_labeled = X[labeled], y_index
        X_val = y_val = None
        if self.early_stopping:
            X_labeled, X_val, y_labeled, y_val = self._validation_split_labeled(
                X_labeled, y_labeled, seed_split
            )
        batch_size = self._labeled_batch_size(len(X_labeled))
        weight_decay = self._weight_decay(batch_size, n_features)
        if first_pass:
            optimizer = self._make_optimizer(module, weight_decay)
        else:
            module, optimizer = self._copy_network(device, dtype, weight_decay)
        uses_unlabeled = bool(
            self.reconstruction_weight
            or self.consistency_weight
            or self.pseudo_label_threshold is not None
        )
        X_unlabeled = X[~labeled] if uses_unlabeled else X[:0]
        generator = torch.Generator().manual_seed(seed_shuffle)
        batches = engine.LabeledUnlabeledBatches(
            engine.as_tensor(X_labeled, dtype=dtype, device="cpu"),
            torch.as_tensor(y_labeled, dtype=torch.long),
            engine.as_tensor(X_unlabeled, dtype=dtype, device="cpu"),
            labeled_batch_size=batch_size,
            unlabeled_batch_size=batch_size * self.unlabeled_ratio,
            generator=generator,
            device=device,
        )
        validation_batches = None
        if X_val is not None:
            validation_batches = engine.InMemoryBatches(
                (
                    engine.as_tensor(X_val, dtype=dtype, device="cpu"),
                    torch.as_tensor(y_val, dtype=torch.long),
                ),
                engine.INFERENCE_BATCH_SIZE,
                shuffle=False,
                generator=None,
                device=device,
            )
        image_shape = spec.image_shape if first_pass else self.image_shape_
        history = self._train(
            module,
            self._fine_tuning_objective(engine.make_generator(seed_draws + 1, device), image_shape),
            optimizer,
            batches,
            validation_batches=validation_batches,
            max_iter=self.max_iter,
            n_features=n_features,
            batch_size=batch_size * (1 + (self.unlabeled_ratio if uses_unlabeled else 0)),
            precision=precision,
        )
        return module, optimizer, pretrain_history, spec, history

    def _pretrain(self, module, X, device, precision, seed_shuffle, seed_draws, image_shape):
        """Train the autoencoder half on every row; returns its loss curve."""
        if self.pretrain_iter == 0:
            return []
        batch_size = self._batch_size(len(X))
        weight_decay = BaseAutoencoder._weight_decay(self, batch_size, X.shape[1])
        optimizer = self._make_optimizer(module.autoencoder, weight_decay)
        objective = engine.AutoencoderObjective(
            self._reconstruction_loss(),
            corruption=self.corruption,
            corruption_level=self.corruption_level,
            generator=engine.make_generator(seed_draws, device),
            image_shape=image_shape,
        )
        batches = engine.InMemoryBatches(
            engine.as_tensor(X, dtype=precision.dtype, device="cpu"),
            batch_size,
            shuffle=self.shuffle,
            generator=torch.Generator().manual_seed(seed_shuffle + 1),
            device=device,
        )
        history = self._train(
            module.autoencoder,
            objective,
            optimizer,
            batches,
            max_iter=self.pretrain_iter,
            n_features=X.shape[1],
            batch_size=batch_size,
            precision=precision,
        )
        return history.loss_curve

    def _fine_tuning_objective(self, generator, image_shape):
        perturb = None
        if self.augment_shift or self.augment_flip or self.augment_noise:
            perturb = engine.WeakPerturbation(
                image_shape,
                max_shift=self.augment_shift,
                flip=self.augment_flip,
                noise=self.augment_noise,
            )
        return engine.ClassifierObjective(
            self._reconstruction_loss(),
            reconstruction_weight=self.reconstruction_weight,
            consistency_weight=self.consistency_weight,
            pseudo_label_threshold=self.pseudo_label_threshold,
            perturb=perturb,
            corruption=self.corruption,
            corruption_level=self.corruption_level,
            generator=generator,
            image_shape=image_shape,
        )

    def _check_augmentation(self):
        if (self.augment_shift or self.augment_flip) and self.image_shape is None:
            raise ValueError(
                "augment_shift and augment_flip move pixels, so they need image_shape, "
                "e.g. image_shape=(28, 28)."
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

    def _labeled_batch_size(self, n_labeled):
        if self.batch_size == "auto":
            return min(64, n_labeled)
        return self._batch_size(n_labeled)
