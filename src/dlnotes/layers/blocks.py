"""Blocks that more than one network family uses, so that no model imports a sibling model.

* :func:`dense_head`: AlexNet's classifier, reused unchanged by VGG (d2l §7.1–7.2);
* :func:`flat_size`: the length of a feature extractor's flattened output, to size that head.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["dense_head", "flat_size"]


def flat_size(features: nn.Module, image_size: int) -> int:
    """Length of ``features``' flattened output for one ``(1, 1, image_size, image_size)`` image."""
    with torch.no_grad():
        return features(torch.zeros(1, 1, image_size, image_size)).shape[1]


def dense_head(num_inputs: int, num_hiddens: int, dropout: float, num_classes: int) -> nn.Sequential:
    """AlexNet's classifier: two dropout-regularised hidden layers, then the class scores.

    VGG reuses it unchanged. Shapes: ``(B, num_inputs)`` → ``(B, num_classes)``.
    """
    return nn.Sequential(
        nn.Linear(num_inputs, num_hiddens), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(num_hiddens, num_hiddens), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(num_hiddens, num_classes),
    )
