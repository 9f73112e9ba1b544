"""The contenders: reducers that learn from unlabeled images, and classifiers."""

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae._classifier import AutoencoderClassifier
from skae._transformer import AutoencoderTransformer
from skae.nn import ARCHITECTURES

REDUCERS = ("raw", "pca", "autoencoder", "conv-autoencoder", "vgg-autoencoder")
# What skae compare runs unless told: all but the VGG-style network, the most accurate
# reducer on images and by far the slowest to train.
DEFAULT_REDUCERS = ("raw", "pca", "autoencoder", "conv-autoencoder")
CLASSIFIERS = ("svc", "rf", "logreg", "finetuned")
# The autoencoder reducers' networks. The VGG-style one trains with the cosine
# schedule it was chosen with (benchmarks/bench_classifier_validation.py).
AUTOENCODER_NETWORKS = {
    "autoencoder": {"architecture": "dense"},
    "conv-autoencoder": {"architecture": "conv"},
    "vgg-autoencoder": {"architecture": "vgg", "learning_rate": "cosine"},
}
# "finetuned" is an AutoencoderClassifier: it pairs with the autoencoder reducers only.
FINETUNED_REDUCERS = tuple(AUTOENCODER_NETWORKS)
# Data sets whose classes look the same mirrored left-right (clothes do, digits do not).
MIRROR_SYMMETRIC = ("fashion-mnist",)
# Cross-validating the scaler on more labeled rows than this changes little but costs a lot.
SCALING_CV_ROWS = 5000


def make_reducer(
    name, n_components, *, epochs, device, random_state, verbose=0, image_shape=None,
    precision="float32",
):  # fmt: skip
    """A fresh, unfitted reducer; ``"raw"`` (the pixels themselves) gives None.

    ``"autoencoder"`` is :class:`~skae.AutoencoderTransformer` with its
    defaults (dense), ``"conv-autoencoder"`` the same with
    ``architecture="conv"`` on images of ``image_shape``, and
    ``"vgg-autoencoder"`` with ``architecture="vgg"`` and
    ``learning_rate="cosine"`` (``AUTOENCODER_NETWORKS``). All use
    ``loss="bce"`` (a sigmoid output), the choice for pixel intensities in
    [0, 1] that ``benchmarks/bench_validation.py`` supports on a held-out part
    of Fashion-MNIST's training set, and train on clean images
    (``corruption=None``, not the transformer's denoising default on images),
    as the recorded comparisons did. ``epochs``,
    ``device``, ``verbose`` and ``precision`` are the autoencoders'
    ``max_iter``, ``device``, ``verbose`` and ``precision``. They train
    exactly ``epochs`` epochs (``tol=0``), so that
    every run of a comparison gets the same budget, whatever the stopping
    rule would have said.
    """
    if name == "raw":
        return None
    if name == "pca":
        return PCA(n_components=n_components, random_state=random_state)
    if name in AUTOENCODER_NETWORKS:
        network = AUTOENCODER_NETWORKS[name]
        return AutoencoderTransformer(
            n_components=n_components,
            max_iter=epochs,
            tol=0.0,
            device=device,
            random_state=random_state,
            verbose=verbose,
            loss="bce",
            corruption=None,
            precision=precision,
            **network,
            # A network that reads flat rows (the dense one) is given no image shape.
            image_shape=image_shape if _reads_images(network) else None,
        )
    raise ValueError(f"reducer={name!r} is not one of {REDUCERS}.")


def _reads_images(network):
    """Whether the architecture of ``network`` reads its rows as images."""
    return ARCHITECTURES[network["architecture"]].needs_image_shape


def choose_scaling(features, y, classifier, *, random_state):
    """Whether a StandardScaler before ``classifier`` scores better on ``features``.

    The choice is made by 3-fold stratified cross-validation on the labeled
    training rows (at most ``SCALING_CV_ROWS`` of them, a stratified subset),
    never on test data: the dimensions of a learned code have very different
    scales, which an RBF kernel notices, while pixels share one.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_features)
        The labeled training rows, already through the reducer.
    y : ndarray of shape (n_samples,)
        Their labels.
    classifier : estimator
        The classifier to place after the optional scaler.
    random_state : int
        Seed of the folds and the subset.

    Returns
    -------
    bool
        True when the scaled pipeline's mean accuracy is higher; False when
        a class has fewer than 2 labeled rows to cross-validate on.
    """
    n_splits = min(3, np.unique(y, return_counts=True)[1].min())
    if n_splits < 2:
        return False
    if len(features) > SCALING_CV_ROWS:
        features, _, y, _ = train_test_split(
            features, y, train_size=SCALING_CV_ROWS, stratify=y, random_state=random_state
        )
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    unscaled = cross_val_score(clone(classifier), features, y, cv=folds)
    scaled = cross_val_score(
        make_pipeline(StandardScaler(), clone(classifier)), features, y, cv=folds
    )
    return bool(np.mean(scaled) > np.mean(unscaled))


def make_finetuned(
    reducer_name, n_components, *, pretrain_epochs, finetune_epochs, device, random_state,
    verbose=0, image_shape=None, dataset=None, precision="float32",
):  # fmt: skip
    """An :class:`~skae.AutoencoderClassifier` with the network of ``reducer_name``.

    It pretrains on all training images for ``pretrain_epochs`` (the budget
    the reducers get), then fine-tunes for ``finetune_epochs`` (``"auto"``:
    the classifier's own budget); everything else is left to the
    classifier's defaults, resolved from the data at fit (the user guide's
    "Defaults chosen from the data"). On images with
    unlabeled rows they are random shifts, consistency between two shifted
    views, pseudo-labels above 0.95 confidence enforced on views with a
    square cut out, noisy views and a cosine schedule; on flat rows, plain
    supervised fine-tuning. Left-right flips, which the defaults leave off
    because digits and text are not mirror-symmetric, are turned on for
    ``MIRROR_SYMMETRIC`` data sets. A network that reads flat rows (the dense
    one) is given no image shape, as its reducer is not. Returns None for a
    reducer that has no encoder to fine-tune.
    """
    if reducer_name not in FINETUNED_REDUCERS:
        return None
    network = AUTOENCODER_NETWORKS[reducer_name]
    reads_images = _reads_images(network) and image_shape is not None
    return AutoencoderClassifier(
        n_components,
        architecture=network["architecture"],
        image_shape=image_shape if reads_images else None,
        augment_flip=reads_images and dataset in MIRROR_SYMMETRIC,
        pretrain_iter=pretrain_epochs,
        max_iter=finetune_epochs,
        device=device,
        random_state=random_state,
        verbose=verbose,
        precision=precision,
    )


def make_classifier(name, *, random_state, n_jobs):
    """A fresh, unfitted classifier.

    The SVC uses the settings of the Fashion-MNIST paper's best raw-pixel SVC
    (arXiv:1708.07747): RBF kernel, C=10. Logistic regression standardizes its
    input first, so that it converges on codes of any scale.
    """
    if name == "svc":
        return SVC(C=10, kernel="rbf")
    if name == "rf":
        return RandomForestClassifier(n_estimators=100, n_jobs=n_jobs, random_state=random_state)
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if name == "finetuned":
        raise ValueError("classifier='finetuned' is built by make_finetuned, with its reducer.")
    raise ValueError(f"classifier={name!r} is not one of {CLASSIFIERS}.")
