"""Inverted dropout written by hand (d2l §4.6).

Twin: :func:`dropout_layer` / :class:`Dropout` ↔ ``nn.functional.dropout`` / ``nn.Dropout``
(same random draws under the same seed, so the outputs agree exactly; ``tests/test_layers.py``).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["dropout_layer", "Dropout"]


def dropout_layer(X: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    r"""Inverted dropout: $x_i' = 0$ with probability $p$, else $x_i / (1-p)$.

    Dividing the survivors by $1-p$ keeps the expectation: $E[x_i'] = (1-p) \cdot x_i/(1-p) = x_i$.
    At evaluation time (``training=False``) the input is returned unchanged.

    The mask is drawn as ``bernoulli_(1 - p)`` on a tensor shaped like ``X``, exactly as
    PyTorch does on the CPU, so with the same seed the result equals ``F.dropout(X, p)``.

    Shapes: any ``X``; the output has the same shape.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return X
    if p == 1.0:  # everything dropped; 1/(1-p) would be a division by zero
        return torch.zeros_like(X)
    mask = torch.empty_like(X).bernoulli_(1.0 - p)  # same shape as X, 1 with prob 1-p
    return X * mask / (1.0 - p)


class Dropout(nn.Module):
    """Module form of :func:`dropout_layer`; active only in ``train()`` mode. Twin: ``nn.Dropout``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return dropout_layer(X, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
