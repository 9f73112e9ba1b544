"""scikit-learn's estimator checks, on the default configuration and on every
architecture and option at realistic widths (only the epochs are few).

Convolutional configurations see each row as a 1 x n_features image
(``image_shape=(1, -1)``), which fits the checks' data of any width.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer, VariationalAutoencoder

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
    _cpu(AutoencoderTransformer(corruption="gaussian", sparsity=1e-3)),
    _cpu(AutoencoderTransformer(architecture="conv", corruption="masking", **ROW_IMAGES)),
    _cpu(AutoencoderTransformer(encoder=VGGStyleEncoder, encoder__channels=(16, 32), **ROW_IMAGES)),
    _cpu(VariationalAutoencoder()),
    _cpu(VariationalAutoencoder(architecture="conv", **ROW_IMAGES)),
]


FLOAT32_ROUNDING = (
    "float32 matrix products round differently for one row (matrix-vector kernels) and "
    "for a batch (matrix-matrix kernels): outputs differ by about one float32 ulp "
    "(2e-7 relative), above the check's atol=1e-7. precision='float64' passes; "
    "tests/test_transformer.py bounds the float32 difference."
)


def _expected_failures(estimator):
    if estimator.precision == "float64":
        return {}
    return {"check_methods_subset_invariance": FLOAT32_ROUNDING}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
