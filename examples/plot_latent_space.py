"""
======================================================
What did it learn? The latent space and its traversal
======================================================

Two pictures answer most questions about an autoencoder's code:

* :class:`~skae.inspection.LatentSpaceDisplay` maps the codes of many samples
  in 2-D, coloured by class: do the classes separate without ever having been
  shown a label?
* :class:`~skae.inspection.LatentTraversalDisplay` decodes a sample's code
  while one dimension sweeps its range and the others stay put: what does each
  dimension draw?
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A small code
# ------------
#
# Eight numbers per digit, learned without labels; ``loss="bce"`` for pixels in
# [0, 1], so the decoded images stay in that range.

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skae import AutoencoderTransformer
from skae.inspection import LatentSpaceDisplay, LatentTraversalDisplay

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1]
ae = AutoencoderTransformer(n_components=8, loss="bce", max_iter=150, random_state=0).fit(X)
print(f"trained {ae.n_iter_} epochs, final loss {ae.loss_curve_[-1]:.4f}")

# %%
# The latent map
# --------------
#
# The code has 8 dimensions; a scikit-learn reducer projects it to two.
# :class:`~sklearn.manifold.TSNE` keeps neighbourhoods, so clusters of codes
# stay clusters. The labels only colour the points.

from sklearn.manifold import TSNE

display = LatentSpaceDisplay.from_estimator(ae, X, y, reducer=TSNE(random_state=0))
display.ax_.set_title("t-SNE of the 8-number codes, coloured by digit")
plt.show()

# %%
# For comparison, the first two code dimensions themselves: an autoencoder's
# dimensions are not sorted by importance, as PCA's components are, so two
# of them show only part of the structure.

display = LatentSpaceDisplay.from_estimator(ae, X, y)
display.ax_.set_title("The first two code dimensions")
plt.show()

# %%
# The traversal
# -------------
#
# Starting from the code of one digit (a 3), each row sweeps one code
# dimension from its 5th to its 95th percentile over the data, decoding each
# step. A row that barely changes is a dimension this digit does not use.

sample = int((y == 3).nonzero()[0][0])
display = LatentTraversalDisplay.from_estimator(
    ae, X, sample_index=sample, dimensions=range(8), n_steps=7, image_shape=(8, 8)
)
display.figure_.suptitle("Sweeping each code dimension of one digit")
plt.show()
