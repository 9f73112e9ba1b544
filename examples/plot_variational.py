"""
================================================
Generating digits with a variational autoencoder
================================================

:class:`~skae.VariationalAutoencoder` learns a code whose distribution is
close to a standard normal (the KL term, weighted by ``beta``). Any point
drawn from that prior then decodes to something that looks like the data:
:meth:`~skae.VariationalAutoencoder.sample` draws and decodes, in the input's
2-D layout. ``transform`` returns the posterior mean, so the estimator is also
an ordinary, deterministic transformer.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Fit
# ---
#
# Pixels in [0, 1] and ``loss="bce"``: the decoder ends in a sigmoid, so
# every sample is a valid image.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skae import VariationalAutoencoder
from skae.inspection import SamplesDisplay

# A fixed budget of epochs, on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16
vae = VariationalAutoencoder(n_components=8, loss="bce", max_iter=150, random_state=0)
vae.fit(X)
print(f"trained {vae.n_iter_} epochs; mean score (negative loss): {vae.score(X):.2f}")

# %%
# New digits from the prior
# -------------------------
#
# ``random_state`` makes the draw reproducible, as everywhere in skae.

samples = vae.sample(24, random_state=0)
print(f"samples: shape {samples.shape}, pixel range [{samples.min():.2f}, {samples.max():.2f}]")
assert np.array_equal(samples, vae.sample(24, random_state=0))

display = SamplesDisplay.from_estimator(vae, n_samples=24, random_state=0, image_shape=(8, 8))
display.figure_.suptitle("24 samples decoded from codes drawn from the prior")
plt.show()

# %%
# Walking between two digits
# --------------------------
#
# The posterior means of a 0 and a 6, and ten evenly spaced codes on the
# line between them, decoded. A smooth walk is what the KL term buys: the
# space between codes decodes to plausible images, not noise.

start, end = vae.transform(X[[int(np.flatnonzero(y == d)[0]) for d in (0, 6)]])
codes = np.linspace(start, end, 10)
walk = vae.inverse_transform(codes)
display = SamplesDisplay.from_samples(walk, image_shape=(8, 8), n_images=10, n_cols=10)
display.figure_.suptitle("From a 0 to a 6 through the code space")
plt.show()
