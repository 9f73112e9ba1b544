"""
=============================================
Shipping a pipeline: save, load, ONNX export
=============================================

A trained pipeline is worth something only once it runs somewhere else. This
example fits a pipeline (a convolutional autoencoder on the digits, a
scaler, an SVC), then

* saves it to one file with :func:`skae.save` and loads it back with
  :func:`skae.load`, which executes nothing from the file: no pickle, no
  name imported that you did not trust;
* exports the whole pipeline to one ONNX graph and runs it with
  onnxruntime, which needs neither Python's scikit-learn nor torch.

See :doc:`/deploying` for the format and what loading refuses.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A fitted pipeline
# -----------------

import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import skae

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = make_pipeline(
    skae.AutoencoderTransformer(16, image_shape=(8, 8), max_iter=20, random_state=0),
    StandardScaler(),
    SVC(),
).fit(X_train, y_train)
print(f"accuracy {pipe.score(X_test, y_test):.3f}")

# %%
# Save and load, without pickle
# -----------------------------
#
# The file is a zip of JSON (parameters, the fitted configuration), safetensors
# (weights) and skops (the scikit-learn steps), each part checksummed.

path = skae.save(pipe, Path(tempfile.mkdtemp()) / "digits.skae")
print(f"{path.name}: {path.stat().st_size / 1e3:.0f} kB")
loaded = skae.load(path)
print("identical predictions:", np.array_equal(loaded.predict(X_test), pipe.predict(X_test)))

# %%
# A file names nothing that loading would have to trust here. A pipeline with
# a user's own encoder would: :func:`skae.get_untrusted_types` lists those
# names for review, and ``skae.load(path, trusted=[...])`` accepts them.

print("names to trust:", skae.get_untrusted_types(path))

# %%
# The checksums inside the file catch a corrupted copy, not a changed one:
# anyone can recompute them. To load exactly the file you reviewed, pin the
# whole file's SHA-256 (what ``sha256sum digits.skae`` prints), kept
# somewhere its sender cannot change.

import hashlib

digest = hashlib.sha256(path.read_bytes()).hexdigest()
pinned = skae.load(path, sha256=digest)
print("pinned load, identical predictions:",
      np.array_equal(pinned.predict(X_test), pipe.predict(X_test)))  # fmt: skip

# %%
# One ONNX graph for the whole pipeline
# -------------------------------------

import onnxruntime as ort

model = skae.to_onnx(pipe, X_test[:1])  # skl2onnx, with skae's converters registered
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
labels = session.run(None, {"X": X_test})[0]
print(f"{len(model.graph.node)} ONNX nodes")
print("labels equal to predict's:", np.array_equal(labels, pipe.predict(X_test)))

# %%
# The first test digits, labeled by the ONNX graph alone.

import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 8, figsize=(8, 1.6))
for ax, image, label in zip(axes, X_test, labels, strict=False):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.set_axis_off()
fig.suptitle("onnxruntime's labels")
plt.show()
