"""The ``"auto"`` parameters: what a fit resolves them to, from the data and the task.

Each estimator names its rules (:data:`TRANSFORMER_RULES`,
:data:`CLASSIFIER_RULES`): one function per parameter, taking the
:class:`DataTraits` of the training data and the values resolved before it,
in the table's order. Every value was chosen on the validation split of
``benchmarks/bench_classifier_validation.py`` (Fashion-MNIST) and checked on
``benchmarks/bench_digits_defaults.py``; the user guide's "Defaults chosen
from the data" says why, rule by rule, and ``benchmarks/DECISIONS.md`` keeps
what each was measured against.
"""

import math
from dataclasses import dataclass
from types import SimpleNamespace

AUTO = "auto"

#: Fine-tuning steps the classifier's epoch budget aims at on images: 30
#: epochs of Fashion-MNIST with unlabeled rows (the budget its recipe was
#: validated with), 45 when every row is labeled (the noisy views learn slower
#: than the recipe's clean ones). Small image sets stop at 150 epochs. See
#: benchmarks/DECISIONS.md, "The fine-tuning budget with every label" and
#: "Epoch caps for small image sets".
FINE_TUNING_STEPS = {"semi-supervised": 7000, "supervised": 10500}
FINE_TUNING_EPOCHS = (30, 150)
#: Pretraining steps on images: 5 epochs of Fashion-MNIST with unlabeled rows,
#: 2 when every row is labeled (the validated recipes), at most 50 epochs (see
#: benchmarks/DECISIONS.md, "The VGG-style network and the cosine schedule" and
#: "Epoch caps for small image sets").
PRETRAINING_STEPS = {"semi-supervised": 1200, "supervised": 480}
PRETRAINING_EPOCHS = (2, 50)
#: Rows per step of a reconstruction phase with ``batch_size="auto"`` (a phase with fewer rows
#: takes them all).
RECONSTRUCTION_BATCH = 256
#: Labeled rows per fine-tuning step with ``batch_size="auto"``: 64, and for
#: supervised fine-tuning on images up to 256, keeping 100 steps an epoch.
LABELED_BATCH = (64, 256)
STEPS_PER_SUPERVISED_EPOCH = 100
#: ``alpha`` (the L2 penalty) when images are fine-tuned on labeled rows only, and otherwise.
#: With every row labeled, 0.1 and 1 both beat 1e-4 on the validation split; the smaller is
#: the lighter change for small image sets, whose batches of 64 rows weigh alpha four times
#: as much as 256 do (see benchmarks/DECISIONS.md, "The L2 penalty with every label").
ALPHA = {"supervised images": 0.1, "otherwise": 1e-4}
#: Adam's learning rate: scikit-learn's 1e-3, and 3e-3 at the peak of ``"one_cycle"``, whose
#: warm-up lets a higher rate train (on the validation split, 12 one-cycle epochs with every
#: label: 0.9334 at 3e-3 against 0.9278 at 1e-3; see benchmarks/DECISIONS.md, "Fast defaults
#: with every label").
LEARNING_RATE = {"one_cycle": 3e-3, "otherwise": 1e-3}
#: Images narrower than this are not shifted: two pixels are too much of them.
SHIFTED_MIN_SIDE = 8
#: Any other network than the VGG-style one is shifted by a pixel per this many
#: pixels of the image's side: 2 on 28x28, none below 14x14. Fine-tuned on
#: 8x8 digits with 2-pixel shifts, the stride-2 conv network did not learn
#: (see benchmarks/DECISIONS.md, "Shifts and the network").
SIDE_PER_SHIFTED_PIXEL = 14


@dataclass(frozen=True)
class DataTraits:
    """What the ``"auto"`` rules read of the training data.

    Attributes
    ----------
    n_samples : int
        Training rows.
    n_unlabeled : int
        Rows labeled -1 (0 for the transformers).
    image_shape : tuple of int or None
        ``(channels, height, width)`` of the rows, or None for flat rows.
    in_unit_interval : bool
        Whether every value of X lies in [0, 1].
    native_bfloat16 : bool
        Whether the training device computes bfloat16 natively.
    incremental : bool, default=False
        Whether the fit is a ``partial_fit`` call, which holds no rows out.
    """

    n_samples: int
    n_unlabeled: int
    image_shape: tuple | None
    in_unit_interval: bool
    native_bfloat16: bool
    incremental: bool = False

    @property
    def images(self):
        return self.image_shape is not None

    @property
    def n_labeled(self):
        return self.n_samples - self.n_unlabeled

    @property
    def semi_supervised(self):
        """Images with unlabeled rows: the classifier's semi-supervised signals apply."""
        return self.images and self.n_unlabeled > 0


def resolve(params, rules, traits, fitted=None):
    """``params`` with each ``"auto"`` replaced by its rule's value, as a namespace.

    ``fitted`` holds the values a previous fit resolved; a fit that continues
    it (``warm_start``, ``partial_fit``) keeps them, so that the data of a
    later call cannot change the network or the loss under it. A parameter
    that the previous fit did not resolve (fitted by an older skae, before it
    had a rule) takes its rule's value.
    """
    resolved = SimpleNamespace(**params)
    for name, rule in rules.items():
        if params[name] == AUTO:
            kept = fitted is not None and name in fitted
            value = fitted[name] if kept else rule(traits, resolved)
            setattr(resolved, name, value)
    return resolved


def held_out_rows(n_rows, fraction):
    """Rows (or chunks) of ``n_rows`` that ``early_stopping`` holds out, rounded up."""
    return math.ceil(fraction * n_rows)


def auto_labeled_batch(n_labeled, trains_on_unlabeled, images):
    """Labeled rows per fine-tuning step that ``batch_size="auto"`` asks for."""
    smallest, largest = LABELED_BATCH
    if images and not trains_on_unlabeled:
        return min(largest, max(smallest, n_labeled // STEPS_PER_SUPERVISED_EPOCH))
    return smallest


def trains_on_unlabeled(params, n_unlabeled):
    """Whether fine-tuning draws unlabeled rows: a semi-supervised signal is on, and rows exist."""
    signal = (
        params.reconstruction_weight
        or params.consistency_weight
        or params.pseudo_label_threshold is not None
    )
    return bool(signal) and n_unlabeled > 0


def _clip(value, bounds):
    return int(min(max(value, bounds[0]), bounds[1]))


def _fine_tuning_epochs(traits, params):
    if not traits.images:
        return 100
    unlabeled = trains_on_unlabeled(params, traits.n_unlabeled)
    batch = auto_labeled_batch(traits.n_labeled, unlabeled, images=True)
    batch = min(batch if params.batch_size == AUTO else params.batch_size, traits.n_labeled)
    if unlabeled:
        # An epoch is a pass over the unlabeled rows, unlabeled_ratio of them per labeled row.
        rows, batch = traits.n_unlabeled, batch * params.unlabeled_ratio
    else:
        rows = traits.n_labeled
    steps = FINE_TUNING_STEPS["semi-supervised" if unlabeled else "supervised"]
    return _clip(round(steps / math.ceil(rows / batch)), FINE_TUNING_EPOCHS)


def _labeled_batch(traits, params):
    """The fine-tuning batch of ``"auto"``, from the labeled rows left to train on."""
    n_labeled = traits.n_labeled
    if params.early_stopping and not traits.incremental:
        n_labeled -= held_out_rows(n_labeled, params.validation_fraction)
    return auto_labeled_batch(
        n_labeled, trains_on_unlabeled(params, traits.n_unlabeled), traits.images
    )


def _pretraining_epochs(traits, params):
    if not traits.images:
        return 20
    batch = RECONSTRUCTION_BATCH if params.batch_size == AUTO else params.batch_size
    steps_per_epoch = math.ceil(traits.n_samples / min(batch, traits.n_samples))
    kind = "semi-supervised" if traits.n_unlabeled else "supervised"
    return _clip(round(PRETRAINING_STEPS[kind] / steps_per_epoch), PRETRAINING_EPOCHS)


def _smallest_side(traits):
    return min(traits.image_shape[1:]) if traits.images else 0


def _augment_shift(traits, params):
    side = _smallest_side(traits)
    if params.architecture == "vgg":
        return 2 if side >= SHIFTED_MIN_SIDE else 0
    return min(2, side // SIDE_PER_SHIFTED_PIXEL)


def _alpha(traits, params):
    supervised_images = traits.images and not trains_on_unlabeled(params, traits.n_unlabeled)
    return ALPHA["supervised images" if supervised_images else "otherwise"]


def _loss(traits, params):
    return "bce" if traits.in_unit_interval else "mse"


TRANSFORMER_RULES = {
    "architecture": lambda traits, params: "conv" if traits.images else "dense",
    "loss": _loss,
    "batch_size": lambda traits, params: RECONSTRUCTION_BATCH,
}

#: Pixel noise that AutoencoderTransformer's denoising default trains with.
DENOISING_LEVEL = 0.2


def _pixel_images(traits):
    return traits.images and traits.in_unit_interval


#: AutoencoderTransformer's rules: on images, a code of 128 and a denoising
#: autoencoder. Chosen on the validation split of
#: ``benchmarks/bench_validation.py --labeled-only``: a plain code collapses in
#: front of an SVC on noisy images (see benchmarks/DECISIONS.md, "The
#: transformer's defaults on images").
AUTOENCODER_RULES = {
    **TRANSFORMER_RULES,
    "n_components": lambda traits, params: 128 if traits.images else 32,
    "corruption": lambda traits, params: "gaussian" if _pixel_images(traits) else None,
    "corruption_level": lambda traits, params: (
        DENOISING_LEVEL if params.corruption == "gaussian" and _pixel_images(traits) else 0.1
    ),
}

CLASSIFIER_RULES = {
    "architecture": lambda traits, params: "vgg" if traits.images else "dense",
    "n_components": lambda traits, params: 128 if traits.images else 32,
    "loss": _loss,
    "learning_rate": lambda traits, params: "cosine" if traits.images else "constant",
    "learning_rate_init": lambda traits, params: LEARNING_RATE.get(
        params.learning_rate, LEARNING_RATE["otherwise"]
    ),
    "precision": lambda traits, params: (
        "bfloat16" if traits.images and traits.native_bfloat16 else "float32"
    ),
    "augment_shift": _augment_shift,
    # Noisy views keep the classifier (and its batch-norm statistics) working on noisy images;
    # on pixels in [0, 1] they are clipped to it (AutoencoderClassifier._fine_tuning_objective).
    "augment_noise": lambda traits, params: 0.2 if _pixel_images(traits) else 0.0,
    "consistency_weight": lambda traits, params: 1.0 if traits.semi_supervised else 0.0,
    "pseudo_label_threshold": lambda traits, params: 0.95 if traits.semi_supervised else None,
    "corruption": lambda traits, params: "cutout" if traits.semi_supervised else None,
    "corruption_level": lambda traits, params: 0.5 if params.corruption == "cutout" else 0.1,
    "alpha": _alpha,
    "pretrain_iter": _pretraining_epochs,
    "max_iter": _fine_tuning_epochs,
    # Last: the budgets above read "auto" as the batch the labeled rows before the split give.
    "batch_size": _labeled_batch,
}
