"""
=====================================================
Few labels, many images: pretraining and fine-tuning
=====================================================

Labels are expensive, images are cheap. With 5 labeled digits per class and
every other training image unlabeled (marked ``-1``, the convention of
:mod:`sklearn.semi_supervised`), this example compares:

* the raw-pixel SVC, trained on the 50 labeled images alone;
* :class:`~skae.PretrainedClassifier`: an autoencoder fitted on *all*
  training images, then an SVC on the labeled codes;
* :class:`~skae.AutoencoderClassifier` with its defaults: given
  ``image_shape`` and -1 rows, it pretrains a VGG-style autoencoder on every
  image, then fine-tunes the encoder with a softmax head on the labeled
  images and with the semi-supervised signals on the unlabeled ones
  (consistency between shifted views, confident pseudo-labels).
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Labeled and unlabeled images
# ----------------------------

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

# The fits below train a fixed number of epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
rng = np.random.RandomState(0)
labeled = np.concatenate(
    [rng.choice(np.flatnonzero(y_train == c), 5, replace=False) for c in range(10)]
)
y_semi = np.full_like(y_train, -1)
y_semi[labeled] = y_train[labeled]
print(f"{len(labeled)} labeled and {np.sum(y_semi == -1)} unlabeled training images")

# %%
# Three classifiers
# -----------------
#
# Every model gets the same ``y_semi``; the -1 rows never reach a loss that
# needs a label. :func:`skae.metrics.labeled_accuracy_score` would score data
# that still holds -1 rows; the test labels here are all known.

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderClassifier, AutoencoderTransformer, PretrainedClassifier

models = {
    "raw-pixel SVC (labeled rows only)": SVC(C=10).fit(X_train[labeled], y_train[labeled]),
    "PretrainedClassifier (AE on all rows + SVC)": PretrainedClassifier(
        make_pipeline(
            AutoencoderTransformer(n_components=16, max_iter=100, random_state=0),
            StandardScaler(),
        ),
        SVC(C=10),
    ).fit(X_train, y_semi),
    "AutoencoderClassifier (defaults)": AutoencoderClassifier(
        image_shape=(8, 8), random_state=0
    ).fit(X_train, y_semi),
}
accuracy = {name: model.score(X_test, y_test) for name, model in models.items()}
for name, score in accuracy.items():
    print(f"{name:<45} accuracy {score:.3f}")

# %%
# Only the classes of labeled rows are learned: ``classes_`` never holds -1.
# The choices the defaults made from the data are fitted attributes.

clf = models["AutoencoderClassifier (defaults)"]
print("classes_:", clf.classes_)
print(
    f"architecture_={clf.architecture_!r}, n_components_={clf.n_components_}, "
    f"consistency_weight_={clf.consistency_weight_}, "
    f"pseudo_label_threshold_={clf.pseudo_label_threshold_}, max_iter_={clf.max_iter_}"
)

# %%
# The comparison in one picture
# -----------------------------

import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3))
names = list(accuracy)
ax.barh(names, [accuracy[name] for name in names], color=["0.6", "C0", "C1"])
for i, name in enumerate(names):
    ax.text(
        accuracy[name] - 0.01, i, f"{accuracy[name]:.3f}", ha="right", va="center", color="white"
    )
ax.set_xlim(0.5, 1.0)
ax.invert_yaxis()
ax.set_xlabel("test accuracy (5 labels per class)")
fig.tight_layout()
plt.show()

# %%
# What this shows, and what it does not
# -------------------------------------
#
# The pretrained autoencoder in front of an SVC is close to the raw-pixel
# SVC: 8x8 digits are nearly linear, and a code learned without labels keeps
# what pixels already say. Fine-tuning with the defaults learns from the
# unlabeled images themselves (consistency between shifted views, confident
# pseudo-labels, noisy views), and that is where the gain is: on
# ``benchmarks/bench_digits_defaults.py`` (10 labels per class, 3 label
# seeds, bfloat16) 0.962 against raw pixels' 0.903, and still 0.921 against
# 0.879 on test images with noise of standard deviation 0.2. On Fashion-MNIST with 100
# labels per class and 59,000 unlabeled images
# (``benchmarks/bench_classifier.py --rows raw-svc defaults``, 3 label seeds;
# see :ref:`auto_defaults`), the defaults score 0.881 (0.8806) against 0.813
# for raw pixels.
