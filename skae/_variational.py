"""VariationalAutoencoder: a generative autoencoder as a scikit-learn transformer."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from skae._base import _local_random_state
from skae._base_transformer import BaseAutoencoderTransformer
from skae._docstrings import fill_doc
from skae.nn import VariationalObjective


@fill_doc
class VariationalAutoencoder(BaseAutoencoderTransformer):
    """Variational autoencoder: a code with a Gaussian prior, and new samples.

    The encoder maps each sample to a Gaussian posterior over
    ``n_components`` code dimensions; training draws a code from it and
    reconstructs the sample, while a KL term weighted by ``beta`` keeps the
    posteriors close to the standard normal prior. ``transform`` returns the
    posterior mean, so it is deterministic; :meth:`sample` decodes codes drawn
    from the prior into new samples.

    It takes the parameters of :class:`AutoencoderTransformer` (dense,
    convolutional or the user's own modules; denoising), with ``beta`` in
    place of ``sparsity``.

    Read more in the :ref:`User Guide <variational_autoencoder>`.

    Parameters
    ----------
    {{n_components}}

    {{architecture}}

    {{image_shape}}

    {{hidden_layer_sizes}}

    {{conv_channels}}

    {{activation}}

    {{encoder}}

    {{decoder}}

    {{loss}}

    {{corruption}}

    {{corruption_level}}

    beta : float, default=1.0
        Weight of the KL divergence from the prior. The loss of a sample is
        its mean reconstruction error per feature plus ``beta`` times the KL
        divergence divided by the number of features; with ``loss="bce"`` and
        ``beta=1`` that is the negative evidence lower bound per feature.
        Larger values give smoother codes and blurrier reconstructions;
        smaller values the reverse. 0 leaves a (noisy-code) autoencoder.

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
    module_ : skae.nn.VariationalNetwork
        The trained torch network. Its ``encoder`` outputs
        ``2 * n_components`` columns: the posterior means, then the
        log-variances.

    {{optimizer_}}

    {{device_}}

    {{image_shape_}}

    {{resolved_attributes}}

    {{training_attributes}}

    See Also
    --------
    AutoencoderTransformer : The deterministic autoencoder.
    sklearn.neighbors.KernelDensity : Another density model with ``sample``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoder(n_components=4, loss="bce", max_iter=5, random_state=0)
    >>> vae.fit(X / 16)
    VariationalAutoencoder(loss='bce', max_iter=5, n_components=4, random_state=0)
    >>> vae.transform(X[:3] / 16).shape
    (3, 4)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoderTransformer._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    _variational = True

    def __init__(
        self,
        n_components=32,
        *,
        architecture="auto",
        image_shape=None,
        hidden_layer_sizes=(256,),
        conv_channels=(32, 64),
        activation="relu",
        encoder=None,
        decoder=None,
        loss="auto",
        corruption=None,
        corruption_level=0.1,
        beta=1.0,
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

    _objective_class = VariationalObjective

    def _objective_weights(self):
        return (("beta", float(self.beta)),)

    def posterior(self, X):
        """Mean and standard deviation of the Gaussian posterior of each row's code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_components)
            The posterior means, what :meth:`transform` returns.

        std : ndarray of shape (n_samples, n_components)
            The posterior standard deviations.
        """
        X = self._validated(X)
        # One pass of the encoder gives both halves: means, then log-variances.
        mean, log_var = np.hsplit(self._inference("posterior", X), 2)
        return mean, np.exp(0.5 * log_var)

    @validate_params(
        {
            "n_samples": [Interval(Integral, 1, None, closed="left")],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def sample(self, n_samples=1, random_state=None):
        """Generate new samples: decode codes drawn from the standard normal prior.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        random_state : int, RandomState instance or None, default=None
            Seeds the codes drawn. An int gives the same samples on every
            call; None draws fresh entropy from the operating system (numpy's
            global random state is never used).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, in the 2-D layout of the training data and the
            dtype of the fitted network (float32 unless fitted with
            ``precision="float64"``); rows of images reshape with
            ``image_shape_``.
        """
        check_is_fitted(self)
        rng = _local_random_state(random_state)
        dtype = next(self.module_.parameters()).detach().cpu().numpy().dtype
        codes = rng.standard_normal((n_samples, self._n_features_out)).astype(dtype)
        return self._inference("inverse_transform", codes)
