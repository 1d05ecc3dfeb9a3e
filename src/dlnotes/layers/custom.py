"""Custom layers written by hand (d2l §5.4): a layer without parameters and a linear layer.

Twins (``tests/test_layers.py``): :class:`MyLinear` ↔ ``nn.Linear``; :class:`CenteredLayer` has no
parameters, it subtracts the mean.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["CenteredLayer", "MyLinear"]


# --8<-- [start:centered-layer]
class CenteredLayer(nn.Module):
    r"""A layer without parameters: $\mathbf x - \bar x$ (the mean of all entries)."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X - X.mean()
# --8<-- [end:centered-layer]


# --8<-- [start:my-linear]
class MyLinear(nn.Module):
    r"""A fully connected layer $\mathbf X \mathbf W + \mathbf b$ with hand-made parameters.

    Args:
        in_units: input features $d$.
        units: output features $h$.

    Initialised like ``nn.Linear`` (uniform in $\pm 1/\sqrt{d}$). Note that ``weight`` is stored
    as ``(d, h)``, the transpose of ``nn.Linear.weight``.

    Shapes: ``X`` ``(n, d)`` → ``(n, h)``.
    """

    def __init__(self, in_units: int, units: int):
        super().__init__()
        bound = 1.0 / math.sqrt(in_units)
        self.weight = nn.Parameter(torch.empty(in_units, units).uniform_(-bound, bound))  # (d, h)
        self.bias = nn.Parameter(torch.empty(units).uniform_(-bound, bound))  # (h,)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[-1] != self.weight.shape[0]:
            raise ValueError(
                f"MyLinear expects inputs with {self.weight.shape[0]} features, got {tuple(X.shape)}"
            )
        return X @ self.weight + self.bias  # (n, h)
# --8<-- [end:my-linear]
