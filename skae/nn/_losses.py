"""Training objectives: ``objective(model, batch) -> scalar loss``."""

import torch
from torch.nn import functional as F


class ReconstructionLoss:
    """Mean reconstruction error of a batch under the model.

    Parameters
    ----------
    kind : {"mse", "bce"}
        ``"mse"`` is the mean squared error against a linear output.
        ``"bce"`` is the binary cross-entropy against a sigmoid output, for
        inputs scaled to [0, 1]; it is computed from the decoder's logits,
        which is both faster and numerically safer than a sigmoid followed by
        a log.
    """

    def __init__(self, kind):
        if kind not in ("mse", "bce"):
            raise ValueError(f"Unknown reconstruction loss {kind!r}.")
        self.kind = kind

    def __call__(self, model, batch):
        return self.elementwise(model(batch), batch).mean()

    def elementwise(self, decoded, target):
        """Per-element error between the decoder's raw output and the target."""
        if self.kind == "mse":
            return (decoded - target).square()
        return F.binary_cross_entropy_with_logits(decoded, target, reduction="none")

    def per_sample(self, decoded, target):
        """Mean error of each sample (row)."""
        return self.elementwise(decoded, target).mean(dim=1)

    def output_activation(self, decoded):
        """Map the decoder's raw output to the input space."""
        return torch.sigmoid(decoded) if self.kind == "bce" else decoded
