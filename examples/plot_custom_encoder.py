"""
==============================================
Your own torch encoder: a VGG-style backbone
==============================================

:class:`~skae.AutoencoderTransformer` builds its own dense or convolutional
networks, but either half can be a :class:`torch.nn.Module` of yours. This
example plugs in a VGG-style backbone (stacks of 3x3 convolutions followed by
max pooling, as in VGG16) as the encoder, keeps skae's convolutional decoder,
and uses the code in front of an SVC on the 8x8 digits, against the raw-pixel
baseline. It then shows how to start from weights you already have: save the
backbone's ``state_dict``, and load it through a factory function.

It runs in well under a minute on a 2-core CPU.
"""

# Authors: The skae developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The backbone
# ------------
#
# A plain :class:`torch.nn.Module`. It knows nothing about skae: it takes a
# batch of images ``(n, channels, height, width)`` and returns feature maps.
# skae flattens them and adds the linear layer to the code, so the backbone
# needs no ``n_components``. ``ceil_mode=True`` lets odd sizes pool.

import torch
from torch import nn


class VGGBackbone(nn.Module):
    """Stacks of ``convs_per_stack`` 3x3 convolutions + ReLU, each followed by 2x2 max pooling."""

    def __init__(self, in_channels=1, channels=(8, 16), convs_per_stack=2):
        super().__init__()
        layers = []
        for width in channels:
            for _ in range(convs_per_stack):
                layers += [nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU()]
                in_channels = width
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


# %%
# The data
# --------
#
# 8x8 digits with intensities scaled to [0, 1]; each row of ``X`` is one
# image, row by row. ``image_shape=(8, 8)`` tells skae how to fold it.

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

# The fits below stop at a fixed, small number of epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The pipeline
# ------------
#
# The backbone's arguments go through ``encoder__*``, like skorch's
# ``module__*``, so grid searches and ``clone`` see them. The decoder comes
# from ``architecture="conv"``. The codes' dimensions have different scales,
# so a :class:`~sklearn.preprocessing.StandardScaler` sits before the RBF SVC.

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer

autoencoder = AutoencoderTransformer(
    architecture="conv",
    image_shape=(8, 8),
    encoder=VGGBackbone,
    encoder__channels=(8, 16),
    max_iter=20,
    random_state=0,
)
pipe = make_pipeline(autoencoder, StandardScaler(), SVC(C=10))
pipe.fit(X_train, y_train)
raw = SVC(C=10).fit(X_train, y_train)
print(f"raw pixels + SVC:          accuracy {raw.score(X_test, y_test):.3f}")
print(f"VGG-style encoder + SVC:   accuracy {pipe.score(X_test, y_test):.3f}")

backbone = autoencoder.module_.encoder[1]
print(f"backbone inside the network: {type(backbone).__name__}")

# %%
# Starting from weights you already have
# --------------------------------------
#
# Suppose the backbone's weights were trained before and saved with
# :func:`torch.save` (here: the backbone we just trained). A factory that
# builds the backbone and loads the ``state_dict`` is all skae needs: it calls
# the factory when it builds the network, so the loaded weights replace the
# random initialisation. Training then fine-tunes them, unless the factory
# freezes them (``requires_grad_(False)``): the backbone is then a fixed
# feature extractor, and only the projection to the code and the decoder
# learn.

import tempfile
from pathlib import Path

weights_file = Path(tempfile.mkdtemp()) / "vgg_backbone.pt"
torch.save(backbone.state_dict(), weights_file)


def pretrained_backbone(path, freeze=False, **kwargs):
    model = VGGBackbone(**kwargs)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.requires_grad_(not freeze)


frozen = AutoencoderTransformer(
    architecture="conv",
    image_shape=(8, 8),
    encoder=pretrained_backbone,
    encoder__path=weights_file,
    encoder__freeze=True,
    max_iter=5,
    random_state=1,
)
frozen_pipe = make_pipeline(frozen, StandardScaler(), SVC(C=10)).fit(X_train, y_train)
saved = torch.load(weights_file, weights_only=True)
unchanged = all(
    torch.equal(value, saved[name])
    for name, value in frozen.module_.encoder[1].state_dict().items()
)
print(f"frozen pretrained backbone + SVC: accuracy {frozen_pipe.score(X_test, y_test):.3f}")
print(f"backbone weights unchanged by training: {unchanged}")

# %%
# A torchvision VGG16 plugs in the same way, as a factory returning
# ``torchvision.models.vgg16(weights=...).features``, on 3-channel images of
# at least 32x32 pixels. On digits the raw pixels are a strong baseline
# (8x8 images leave a backbone little to find); :doc:`/compare` measures the
# autoencoders against raw pixels on Fashion-MNIST.
#
# What the code keeps
# -------------------
#
# Test digits (top) and their reconstructions through the VGG-style encoder
# and skae's convolutional decoder (bottom).

import matplotlib.pyplot as plt

reconstructed = autoencoder.inverse_transform(autoencoder.transform(X_test[:8]))
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for column in range(8):
    for row, images in enumerate((X_test, reconstructed)):
        ax = axes[row, column]
        ax.imshow(images[column].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
axes[0, 0].set_title("original", loc="left", fontsize=9)
axes[1, 0].set_title("reconstruction", loc="left", fontsize=9)
plt.show()
