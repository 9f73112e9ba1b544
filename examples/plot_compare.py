"""
=============================================
Raw pixels, PCA or an autoencoder? The table
=============================================

``skae compare`` fits every reducer x classifier pipeline on one split and
reports test accuracy and time, so "is the autoencoder worth it?" has a
measured answer. This example calls the same functions as the command,
:func:`skae.compare.load_comparison_data` and
:func:`skae.compare.run_comparison`, on the embedded digits with a small
budget. From a shell, the main job of this project is

.. code-block:: bash

    skae compare --dataset digits --output skae-results

and ``--dataset fashion-mnist --labels-per-class 100`` runs the label-scarce
setting on real images (see :doc:`/compare`).
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Run the comparison
# ------------------
#
# Each reducer is fitted once, on all training images, then frozen in front
# of each classifier. ``epochs`` is the autoencoders' training budget;
# ``"finetuned"`` is an :class:`~skae.AutoencoderClassifier` with the
# autoencoder's architecture.

import warnings

from sklearn.exceptions import ConvergenceWarning

from skae.compare import format_table, load_comparison_data, run_comparison

warnings.filterwarnings("ignore", category=ConvergenceWarning)

data = load_comparison_data("digits", random_state=0)
print(f"{len(data.X_train)} training and {len(data.X_test)} test images")
rows = run_comparison(
    data,
    reducers=("raw", "pca", "autoencoder", "conv-autoencoder"),
    classifiers=("svc", "logreg", "finetuned"),
    n_components=(16,),
    epochs=40,
    finetune_epochs=10,
    random_state=0,
)
print(format_table(rows))

# %%
# Accuracy and time
# -----------------
#
# The same rows as a picture: accuracy against the time to fit, on a log
# scale. On the 8x8 digits, raw pixels are a strong baseline; the
# autoencoders pay for their training time on larger images.

import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4.5))
markers = {"svc": "o", "logreg": "s", "finetuned": "^"}
colors = {"raw": "0.4", "pca": "C0", "autoencoder": "C1", "conv-autoencoder": "C2"}
for row in rows:
    ax.scatter(
        row["fit_seconds"] + row["predict_seconds"],
        row["accuracy"],
        marker=markers[row["classifier"]],
        color=colors[row["reducer"]],
        s=60,
    )
for reducer, color in colors.items():
    ax.scatter([], [], color=color, label=reducer)
for classifier, marker in markers.items():
    ax.scatter([], [], marker=marker, color="k", facecolor="none", label=classifier)
ax.set_xscale("log")
ax.set_xlabel("fit + predict seconds (log scale)")
ax.set_ylabel("test accuracy")
ax.set_title("Digits: every reducer x classifier")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
