"""
==========================================================
PCA or an autoencoder? Let a grid search choose, and size
==========================================================

:class:`~skae.AutoencoderTransformer` and :class:`~sklearn.decomposition.PCA`
share the ``n_components`` parameter, so one
:class:`~sklearn.model_selection.GridSearchCV` can swap one for the other in
the same pipeline step and tune the code size of both. Cross-validation on the
training set then says whether the autoencoder is worth its training time on
your data, without looking at the test set.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and pipeline
# -----------------
#
# The 8x8 digits, pixels scaled to [0, 1] by
# :class:`~sklearn.preprocessing.MinMaxScaler`, a reducer, then an RBF
# :class:`~sklearn.svm.SVC`. The ``reduce`` step is a placeholder: the grid
# replaces it.

import warnings

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer

# The autoencoders below train a fixed, small number of epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipe = Pipeline([("scale", MinMaxScaler()), ("reduce", PCA()), ("clf", SVC())])

# %%
# One grid, two reducers
# ----------------------
#
# The candidates for ``reduce`` are estimators, and ``reduce__n_components``
# applies to whichever one is in place. With ``n_jobs=2`` the candidates fit
# in two worker processes; skae gives torch each worker's share of the cores,
# so the two fits don't compete for threads.

from time import perf_counter

param_grid = {
    "reduce": [PCA(random_state=0), AutoencoderTransformer(max_iter=60, random_state=0)],
    "reduce__n_components": [4, 8, 16, 32],
}
search = GridSearchCV(pipe, param_grid, cv=3, n_jobs=2)
start = perf_counter()
search.fit(X_train, y_train)
print(f"{len(search.cv_results_['params'])} candidates in {perf_counter() - start:.1f}s")
print(f"best: {search.best_params_}")
print(f"test accuracy of the best pipeline: {search.score(X_test, y_test):.3f}")

# %%
# Cross-validated accuracy against the code size
# ----------------------------------------------
#
# ``cv_results_`` holds the mean and spread of every candidate's validation
# accuracy. The autoencoder's nonlinear code keeps more of the digits in very
# few numbers; with 16 or more, both reducers leave the SVC little to gain.

import matplotlib.pyplot as plt

results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for reducer in (PCA, AutoencoderTransformer):
    rows = [i for i, p in enumerate(results["params"]) if isinstance(p["reduce"], reducer)]
    sizes = [results["params"][i]["reduce__n_components"] for i in rows]
    mean = results["mean_test_score"][rows]
    std = results["std_test_score"][rows]
    ax.errorbar(sizes, mean, yerr=std, marker="o", capsize=3, label=reducer.__name__)
    for size, score in zip(sizes, mean, strict=True):
        print(f"{reducer.__name__:<22} n_components={size:<3} CV accuracy {score:.3f}")
ax.set_xscale("log", base=2)
ax.set_xticks([4, 8, 16, 32], labels=["4", "8", "16", "32"])
ax.set_xlabel("n_components (code size)")
ax.set_ylabel("mean CV accuracy (3 folds)")
ax.set_title("Digits: reducer + SVC, chosen by GridSearchCV")
ax.legend(loc="lower right")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# Which reducer wins depends on the data. On these small, nearly linear
# images the margins are thin; on Fashion-MNIST the convolutional autoencoder
# beats PCA and raw pixels clearly (see :doc:`/compare`). The grid search is how
# you find out for your data.
