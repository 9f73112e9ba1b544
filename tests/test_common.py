"""scikit-learn's estimator checks, on the default configuration and on every
architecture and option at realistic widths (only the epochs are few).

Convolutional configurations see each row as a 1 x n_features image
(``image_shape=(1, -1)``), which fits the checks' data of any width.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    AutoencoderClassifier,
    AutoencoderTransformer,
    PretrainedClassifier,
    VariationalAutoencoder,
)

from ._helpers import VGGStyleEncoder

ROW_IMAGES = {"image_shape": (1, -1)}


def _cpu(estimator, **params):
    return estimator.set_params(device="cpu", max_iter=params.pop("max_iter", 10), **params)


ESTIMATORS = [
    _cpu(AutoencoderTransformer()),
    _cpu(AutoencoderTransformer(), precision="float64"),
    _cpu(AutoencoderTransformer(architecture="conv", precision="float64", **ROW_IMAGES)),
    _cpu(VariationalAutoencoder(), precision="float64"),
    _cpu(AutoencoderTransformer(architecture="conv", **ROW_IMAGES)),
    _cpu(AutoencoderTransformer(architecture="vgg", learning_rate="cosine", **ROW_IMAGES)),
    _cpu(AutoencoderTransformer(architecture="vgg", precision="float64", **ROW_IMAGES)),
    _cpu(AutoencoderTransformer(corruption="gaussian", sparsity=1e-3)),
    _cpu(AutoencoderTransformer(architecture="conv", corruption="masking", **ROW_IMAGES)),
    _cpu(AutoencoderTransformer(encoder=VGGStyleEncoder, encoder__channels=(16, 32), **ROW_IMAGES)),
    _cpu(VariationalAutoencoder()),
    _cpu(VariationalAutoencoder(architecture="conv", **ROW_IMAGES)),
    AutoencoderClassifier(device="cpu"),  # every default, "auto" budgets included
    _cpu(AutoencoderClassifier(**ROW_IMAGES), max_iter=20),  # the defaults on images
    _cpu(AutoencoderClassifier(pretrain_iter=5), max_iter=30),
    _cpu(AutoencoderClassifier(pretrain_iter=5, precision="float64"), max_iter=30),
    # float32: in bfloat16 this network's loss became NaN in 7 of these checks on a CI
    # machine with Intel AMX (not on AVX-512 BF16 or AVX2 kernels, where it passes),
    # most likely a oneDNN AMX kernel; the defaults row above covers bfloat16 on images.
    _cpu(
        AutoencoderClassifier(
            architecture="conv", pretrain_iter=3, reconstruction_weight=1.0, **ROW_IMAGES
        ),
        max_iter=30,
        precision="float32",
    ),
    _cpu(
        AutoencoderClassifier(
            architecture="vgg", pretrain_iter=2, learning_rate="cosine", **ROW_IMAGES
        ),
        max_iter=20,
    ),
    PretrainedClassifier(
        AutoencoderTransformer(max_iter=10, random_state=0, device="cpu"), LogisticRegression()
    ),
]


FLOAT32_ROUNDING = (
    "float32 matrix products round differently for one row (matrix-vector kernels) and "
    "for a batch (matrix-matrix kernels): outputs differ by about one float32 ulp "
    "(2e-7 relative), above the check's atol=1e-7. precision='float64' passes; "
    "tests/test_architectures.py bounds the float32 difference."
)


UNLABELED_MARK = (
    "-1 marks an unlabeled row (the convention of sklearn.semi_supervised), but this "
    "check uses -1 as a class label; tests/test_classifier.py tests labels of every type."
)


UNKNOWN_KEYWORDS_REFUSED = (
    "skae refuses at construction a keyword that is neither a parameter nor "
    "encoder__* / decoder__* (a typo such as n_componets would otherwise wait for fit), "
    "as skorch does; this check passes the name of the **module_params catch-all itself. "
    "Every real parameter is stored unchecked: tests/test_fit_template.py runs the check's "
    "values on them."
)


def _expected_failures(estimator):
    failures = {}
    if not isinstance(estimator, PretrainedClassifier):
        failures["check_do_not_raise_errors_in_init_or_set_params"] = UNKNOWN_KEYWORDS_REFUSED
    if isinstance(estimator, (AutoencoderClassifier, PretrainedClassifier)):
        failures["check_classifiers_classes"] = UNLABELED_MARK
    inner = estimator.transformer if isinstance(estimator, PretrainedClassifier) else estimator
    if inner.precision != "float64":
        failures["check_methods_subset_invariance"] = FLOAT32_ROUNDING
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
