"""AutoencoderTransformer: a torch autoencoder as a scikit-learn transformer."""

from numbers import Real

from sklearn.utils._param_validation import Interval

from skae._base_transformer import BaseAutoencoderTransformer
from skae._defaults import AUTOENCODER_RULES, TRANSFORMER_RULES
from skae._docstrings import fill_doc
from skae._params import allow_auto
from skae.nn import AutoencoderObjective


@fill_doc
class AutoencoderTransformer(BaseAutoencoderTransformer):
    """Nonlinear dimensionality reduction with a PyTorch autoencoder.

    The autoencoder learns to compress each sample into ``n_components``
    numbers (the code) and to reconstruct the sample from them. ``transform``
    returns the code, ``inverse_transform`` the reconstruction. It is a
    drop-in for :class:`~sklearn.decomposition.PCA` in a pipeline or a grid
    search, where ``n_components`` is the size of the code.

    The network is dense (``n_features -> *hidden_layer_sizes ->
    n_components`` and its mirror) or, by default when ``image_shape`` is
    given, convolutional (``architecture="conv"``), or built around the
    user's own torch modules (``encoder``, ``decoder``). Options make it
    denoising (``corruption``) or sparse (``sparsity``). Training uses Adam
    on mini-batches, on CPU or CUDA, and stops like
    :class:`~sklearn.neural_network.MLPRegressor`.

    Read more in the :ref:`User Guide <autoencoder_transformer>`.

    Parameters
    ----------
    {{n_components_auto}}

    {{architecture}}

    {{image_shape}}

    {{hidden_layer_sizes}}

    {{conv_channels}}

    {{activation}}

    {{encoder}}

    {{decoder}}

    {{loss}}

    {{corruption_auto}}

    {{corruption_level_auto}}

    sparsity : float, default=0.0
        Weight of an L1 penalty on the code (its mean absolute value), added
        to the training loss: a sparse autoencoder, whose samples each
        activate fewer code units. The penalty also shrinks the code's scale
        (the decoder's weights grow to compensate, held back only by
        ``alpha``), so judge sparsity by a scale-free measure. 0 turns it off.

    {{learning_rate}}
    {{learning_rate_init}}

    {{alpha}}

    {{batch_size}}

    {{max_iter}}

    {{shuffle}}

    {{shuffle_window}}

    {{tol}}

    {{early_stopping}}

    {{validation_fraction}}

    {{n_iter_no_change}}

    {{device}}

    {{precision}}

    {{compile}}

    {{random_state}}

    {{verbose}}

    {{warm_start}}

    {{checkpoint}}

    {{module_params}}

    Attributes
    ----------
    {{module_}}

    {{optimizer_}}

    {{device_}}

    {{image_shape_}}

    {{autoencoder_resolved_attributes}}

    {{training_attributes}}

    See Also
    --------
    VariationalAutoencoder : A generative autoencoder that can sample.
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron, whose
        parameter names this estimator shares.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> ae.fit(X / 16)
    AutoencoderTransformer(max_iter=5, n_components=8, random_state=0)
    >>> ae.transform(X[:3] / 16).shape
    (3, 8)

    A convolutional autoencoder on the same 8x8 images:

    >>> conv = AutoencoderTransformer(
    ...     8, architecture="conv", image_shape=(8, 8), max_iter=5, random_state=0
    ... ).fit(X / 16)
    >>> conv.inverse_transform(conv.transform(X[:3] / 16)).shape
    (3, 64)
    """

    _parameter_constraints: dict = {
        **allow_auto(
            BaseAutoencoderTransformer._parameter_constraints,
            AUTOENCODER_RULES.keys() - TRANSFORMER_RULES.keys(),
        ),
        "sparsity": [Interval(Real, 0, None, closed="left")],
    }
    _auto_rules = AUTOENCODER_RULES

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
        sparsity=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        shuffle_window=64,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        warm_start=False,
        checkpoint=None,
        **module_params,
    ):
        self._store_params(locals())

    _objective_class = AutoencoderObjective

    def _objective_weights(self):
        return (("sparsity", float(self.sparsity)),)
