"""
==================================================
Anomaly detection with the reconstruction error
==================================================

An autoencoder reconstructs well what looks like its training data, and badly
what does not. :meth:`~skae.AutoencoderTransformer.score_samples` returns the
*negative* reconstruction error of each sample, so, as for
:class:`~sklearn.decomposition.PCA` and scikit-learn's outlier detectors,
greater means more normal. Here an autoencoder learns the digits 0 to 4; the
digits 5 to 9 play the anomalies.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Normal data and anomalies
# -------------------------
#
# The autoencoder sees only normal digits (0 to 4) while it trains. The test
# set holds held-out normal digits and every digit from 5 to 9.

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1]
normal = y < 5
X_train, X_test_normal = train_test_split(X[normal], test_size=0.3, random_state=0)
X_test = np.vstack([X_test_normal, X[~normal]])
is_anomaly = np.r_[np.zeros(len(X_test_normal), bool), np.ones((~normal).sum(), bool)]
print(
    f"train: {len(X_train)} normal digits; test: {len(X_test_normal)} normal, "
    f"{is_anomaly.sum()} anomalies"
)

# %%
# Fit and score
# -------------
#
# A narrow code (8 numbers) forces the autoencoder to keep only what the
# normal digits share. PCA with the same number of components is the linear
# baseline; both are scored by the area under the ROC curve of their
# reconstruction error.

from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from skae import AutoencoderTransformer

ae = AutoencoderTransformer(n_components=8, max_iter=200, random_state=0).fit(X_train)
pca = PCA(n_components=8, random_state=0).fit(X_train)

ae_scores = ae.score_samples(X_test)
# roc_auc_score wants "greater means anomalous": negate the normality scores.
print(f"autoencoder ROC AUC: {roc_auc_score(is_anomaly, -ae_scores):.3f}")
# PCA.score_samples is a Gaussian log-likelihood; its reconstruction error is
# the like-for-like measure.
pca_error = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2, axis=1)
print(f"PCA reconstruction-error ROC AUC: {roc_auc_score(is_anomaly, pca_error):.3f}")

# %%
# The scores of normal digits and anomalies
# -----------------------------------------
#
# A threshold on ``score_samples`` is a detector: here the 5th percentile of
# the training scores, so that 5% of the training digits fall below it. Held-out
# normal digits are reconstructed a little worse than the training ones, so
# somewhat more of them raise a false alarm.

import matplotlib.pyplot as plt

threshold = np.percentile(ae.score_samples(X_train), 5)
flagged = ae_scores < threshold
print(
    f"threshold {threshold:.4f}: {flagged[is_anomaly].mean():.0%} of anomalies flagged, "
    f"{flagged[~is_anomaly].mean():.0%} of normal test digits"
)

fig, ax = plt.subplots(figsize=(6.5, 4))
bins = np.linspace(ae_scores.min(), ae_scores.max(), 40)
ax.hist(ae_scores[~is_anomaly], bins=bins, alpha=0.7, label="normal (digits 0-4)")
ax.hist(ae_scores[is_anomaly], bins=bins, alpha=0.7, label="anomalies (digits 5-9)")
ax.axvline(threshold, color="k", linestyle="--", label="threshold")
ax.set_xlabel("score_samples (negative reconstruction error)")
ax.set_ylabel("test digits")
ax.set_title("Greater is more normal")
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %%
# The least normal test digits
# ----------------------------
#
# The lowest scores, with their reconstructions: the autoencoder redraws
# them as the normal digits it knows.

from skae.inspection import ReconstructionDisplay

worst = np.argsort(ae_scores)[:8]
display = ReconstructionDisplay.from_estimator(ae, X_test[worst], image_shape=(8, 8))
display.figure_.suptitle("Lowest scores: originals (top), reconstructions (bottom)")
plt.show()
