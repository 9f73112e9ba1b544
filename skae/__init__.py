"""skae: pretrain an autoencoder, then classify, as a scikit-learn pipeline."""

from skae._transformer import AutoencoderTransformer
from skae._variational import VariationalAutoencoder

__version__ = "0.1.0.dev0"

__all__ = ["AutoencoderTransformer", "VariationalAutoencoder", "__version__"]
