"""Run every reducer x classifier pipeline on one split, timing fit and predict."""

import sys
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae._pretrained import PretrainedClassifier
from skae.compare._pipelines import (
    CLASSIFIERS,
    DEFAULT_REDUCERS,
    FINETUNED_REDUCERS,
    REDUCERS,
    choose_scaling,
    make_classifier,
    make_finetuned,
    make_reducer,
)


def run_comparison(
    data,
    *,
    reducers=DEFAULT_REDUCERS,
    classifiers=CLASSIFIERS,
    n_components=(16, 32),
    epochs=100,
    finetune_epochs="auto",
    device="auto",
    precision="float32",
    random_state=0,
    n_jobs=None,
    verbose=0,
    log=None,
):
    """Fit and score every reducer x classifier pipeline on ``data``.

    Each reducer is fit once per latent size on all training images
    (unlabeled), then frozen in front of every classifier, which is fit on
    the labeled images only: a :class:`~skae.PretrainedClassifier` fitted on
    all training images with -1 for the unlabeled ones. ``"finetuned"`` is an
    :class:`~skae.AutoencoderClassifier` with the architecture of each
    autoencoder reducer (none for ``"raw"`` and ``"pca"``), fitted on the same
    images and labels: it pretrains for ``epochs`` and fine-tunes for
    ``finetune_epochs``. Between a learned reducer and the SVC, a
    :class:`~sklearn.preprocessing.StandardScaler` is used when 3-fold
    cross-validation on the labeled training rows prefers it; raw pixels,
    which share one scale, go to the SVC as they are, the random forest is
    indifferent to scale, and logistic regression always standardizes. A
    pipeline's ``fit_seconds`` counts its reducer's fit (shared by the
    classifiers that use it), the scaling choice and its own classifier's
    fit; ``predict_seconds`` is transform plus predict on the test set.

    Parameters
    ----------
    data : ComparisonData
        The split, from :func:`load_comparison_data`.

    reducers : sequence of {"raw", "pca", "autoencoder", "conv-autoencoder", \
"vgg-autoencoder"}, default=all but "vgg-autoencoder"
        ``"raw"`` feeds the pixels to the classifier; ``"autoencoder"`` is
        the dense :class:`~skae.AutoencoderTransformer`,
        ``"conv-autoencoder"`` the convolutional one and
        ``"vgg-autoencoder"`` the VGG-style one (the most accurate on images,
        and the slowest; see :func:`make_reducer`).

    classifiers : sequence of {"svc", "rf", "logreg", "finetuned"}, default=all four
        The classifiers placed after each reducer.

    n_components : sequence of int, default=(16, 32)
        Latent sizes tried for PCA and the autoencoder.

    epochs : int, default=100
        The autoencoders' training epochs (``max_iter``, with ``tol=0``), and
        the fine-tuned classifiers' pretraining epochs.

    finetune_epochs : int or "auto", default="auto"
        The fine-tuned classifiers' fine-tuning epochs (passes over the
        unlabeled images, or the labeled ones when all are labeled);
        ``"auto"`` leaves them to the classifier's own budget
        (``max_iter="auto"``: 30 on Fashion-MNIST; on digits 150 on images,
        100 on flat rows).

    device : str, default="auto"
        The autoencoder's ``device``.

    precision : {"float32", "bfloat16", "float16"}, default="float32"
        The autoencoders' and fine-tuned classifiers' ``precision``.

    random_state : int, default=0
        Seed of the reducers and classifiers.

    n_jobs : int, default=None
        Parallel jobs of the random forest.

    verbose : int, default=0
        The autoencoder's ``verbose``: 1 prints a line per epoch, 2 adds a
        progress bar.

    log : callable, default=None
        Called with one progress line at a time; None prints to stderr.

    Returns
    -------
    rows : list of dict
        One row per pipeline: ``dataset``, ``reducer``, ``classifier``,
        ``n_components`` (the number of pixels for ``"raw"``), ``scaled``
        (whether a StandardScaler preceded the classifier), ``accuracy``,
        ``fit_seconds``, ``predict_seconds``, ``reducer_fit_seconds``,
        ``epochs_run`` (the autoencoder's ``n_iter_``, else None),
        ``n_unlabeled``, ``n_labeled``, ``n_test`` and ``seed``.

    Raises
    ------
    ValueError
        If a reducer or classifier name is unknown; nothing is fit then.
    """
    for kind, names, known in (
        ("reducer", reducers, REDUCERS),
        ("classifier", classifiers, CLASSIFIERS),
    ):
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"Unknown {kind} {unknown[0]!r}; choose from {known}.")
    log = log or _print_to_stderr
    n_features = data.X_train.shape[1]
    jobs = [(r, k) for r in reducers for k in ((n_features,) if r == "raw" else n_components)]
    pairs = [(r, c) for r, _ in jobs for c in classifiers]
    n_pipelines = sum(c != "finetuned" or r in FINETUNED_REDUCERS for r, c in pairs)
    # What the reducers and the fine-tuned classifiers share.
    network_options = dict(device=device, random_state=random_state, verbose=verbose,
                           image_shape=data.image_shape, precision=precision)  # fmt: skip
    # Reducers are fit for the classifiers on their codes; "finetuned" pretrains its own.
    reducers_used = any(c != "finetuned" for c in classifiers)
    rows = []
    for reducer_name, k in jobs:
        reducer = None
        if reducers_used:
            reducer = make_reducer(reducer_name, k, epochs=epochs, **network_options)
        reducer_seconds = 0.0
        if reducer is not None:
            log(f"fitting {reducer_name}(n_components={k}) on {len(data.X_train)} images ...")
            with warnings.catch_warnings():
                # epochs is a budget; stopping at it is expected, not a problem.
                warnings.simplefilter("ignore", ConvergenceWarning)
                reducer_seconds = _timed(reducer.fit, data.X_train)[1]
            log(f"  done in {reducer_seconds:.1f} s")
        for classifier_name in classifiers:
            if classifier_name == "finetuned" and reducer_name not in FINETUNED_REDUCERS:
                continue
            step = f"[{len(rows) + 1}/{n_pipelines}] {reducer_name}({k}) + {classifier_name}"
            log(f"{step}: fitting on {len(data.X_labeled)} labeled images ...")
            start = time.perf_counter()
            if classifier_name == "finetuned":
                pipeline = _finetuned(
                    reducer_name, k, data, epochs, finetune_epochs, network_options
                )
                scaled = False
            else:
                classifier = make_classifier(
                    classifier_name, random_state=random_state, n_jobs=n_jobs
                )
                scaled = _scaling(reducer, classifier_name, classifier, data, random_state)
                pipeline = _pipeline(reducer, classifier, scaled, data)
            fit_seconds = time.perf_counter() - start
            # A fine-tuned classifier pretrains its own autoencoder: no shared reducer fit.
            shared_seconds = 0.0 if classifier_name == "finetuned" else reducer_seconds
            y_pred, predict_seconds = _timed(pipeline.predict, data.X_test)
            row = {
                "dataset": data.dataset,
                "reducer": reducer_name,
                "classifier": classifier_name,
                "n_components": k,
                "scaled": scaled or classifier_name == "logreg",
                "accuracy": accuracy_score(data.y_test, y_pred),
                "fit_seconds": shared_seconds + fit_seconds,
                "predict_seconds": predict_seconds,
                "reducer_fit_seconds": shared_seconds,
                "epochs_run": getattr(
                    pipeline if classifier_name == "finetuned" else reducer, "n_iter_", None
                ),
                "n_unlabeled": len(data.X_train) - len(data.X_labeled),
                "n_labeled": len(data.X_labeled),
                "n_test": len(data.X_test),
                "seed": random_state,
            }
            rows.append(row)
            log(
                f"{step}: accuracy {row['accuracy']:.3f}, fit {row['fit_seconds']:.1f} s, "
                f"predict {predict_seconds:.1f} s"
            )
    return rows


def _scaling(reducer, classifier_name, classifier, data, random_state):
    """Whether to standardize before the classifier: cross-validated for SVC on codes."""
    if reducer is None or classifier_name != "svc":
        return False
    codes = reducer.transform(data.X_labeled)
    return choose_scaling(codes, data.y_labeled, classifier, random_state=random_state)


def _pipeline(reducer, classifier, scaled, data):
    """The fitted pipeline: raw pixels to the classifier, or a PretrainedClassifier."""
    if reducer is None:
        return Pipeline([("classifier", classifier)]).fit(data.X_labeled, data.y_labeled)
    transformer = FrozenEstimator(reducer)
    if scaled:
        transformer = Pipeline([("reducer", transformer), ("scaler", StandardScaler())])
    return PretrainedClassifier(transformer, classifier).fit(data.X_train, data.y_train)


def _finetuned(reducer_name, k, data, epochs, finetune_epochs, network_options):
    """The fitted fine-tuned classifier of ``reducer_name``'s network."""
    classifier = make_finetuned(
        reducer_name,
        k,
        pretrain_epochs=epochs,
        finetune_epochs=finetune_epochs,
        dataset=data.dataset,
        **network_options,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return classifier.fit(data.X_train, data.y_train)


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def _print_to_stderr(line):
    print(line, file=sys.stderr, flush=True)
