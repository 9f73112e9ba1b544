"""scikit-learn's estimator checks, every one of them."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer


def _fast(estimator):
    # Small networks and few epochs keep the checks quick; they change no behaviour.
    return estimator.set_params(n_components=2, hidden_layer_sizes=(8,), max_iter=5, device="cpu")


@parametrize_with_checks([_fast(AutoencoderTransformer())])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
