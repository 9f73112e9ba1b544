"""
========================================================
Denoising autoencoders: robust codes for noisy images
========================================================

A denoising autoencoder sees corrupted inputs while it trains and must
reconstruct the clean ones, so its code learns to ignore the corruption.
``corruption="gaussian"`` adds noise of standard deviation
``corruption_level`` to the training inputs only: ``transform``, ``score``
and ``inverse_transform`` always see the data as given.

This example trains a plain and a denoising autoencoder on clean digits,
puts each in front of an SVC, and tests all of them on increasingly noisy
test images, beside the raw-pixel SVC.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data
# ----

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Three pipelines
# ---------------
#
# The two autoencoders differ only in ``corruption``. The codes go through a
# :class:`~sklearn.preprocessing.StandardScaler` before the RBF SVC, as the
# Fashion-MNIST recipe does.

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer

common = dict(n_components=32, max_iter=100, random_state=0)
models = {
    "raw pixels": SVC(C=10),
    "plain autoencoder": make_pipeline(
        AutoencoderTransformer(**common), StandardScaler(), SVC(C=10)
    ),
    "denoising autoencoder": make_pipeline(
        AutoencoderTransformer(corruption="gaussian", corruption_level=0.3, **common),
        StandardScaler(),
        SVC(C=10),
    ),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Accuracy as the test images get noisier
# ---------------------------------------
#
# The noise is drawn once per level and shared by the three models.

import matplotlib.pyplot as plt

levels = [0.0, 0.1, 0.2, 0.3, 0.4]
rng = np.random.RandomState(0)
noisy = {level: X_test + level * rng.standard_normal(X_test.shape) for level in levels}
accuracy = {
    name: [model.score(noisy[level], y_test) for level in levels] for name, model in models.items()
}
print("noise sigma     " + "  ".join(f"{level:>5}" for level in levels))
for name, scores in accuracy.items():
    print(f"{name:<22}" + "  ".join(f"{score:.3f}" for score in scores))

fig, ax = plt.subplots(figsize=(6, 4))
for name, scores in accuracy.items():
    ax.plot(levels, scores, marker="o", label=name)
ax.set_xlabel("standard deviation of the noise added to the test images")
ax.set_ylabel("test accuracy")
ax.set_title("Digits, SVC on each representation")
ax.legend(loc="lower left")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# What the denoising autoencoder makes of a noisy image
# -----------------------------------------------------
#
# Noisy test digits (sigma 0.3, top) and the denoising autoencoder's
# reconstructions of them (bottom): the code keeps the digit, not the noise.

from skae.inspection import ReconstructionDisplay

denoiser = models["denoising autoencoder"][0]
display = ReconstructionDisplay.from_estimator(
    denoiser, np.clip(noisy[0.3][:8], 0, 1), image_shape=(8, 8)
)
display.figure_.suptitle("Noisy inputs (top) and their reconstructions (bottom)")
plt.show()
