r"""One-dimensional cross-correlation from scratch (d2l §15.3), the core of TextCNN.

A 1-D kernel $\mathbf k \in \mathbb R^{w}$ slides along a sequence $\mathbf x \in \mathbb R^{n}$:

$$y_i = \sum_{a=0}^{w-1} x_{i+a}\,k_a,\qquad i = 0,\dots,n-w.$$

With $c$ input channels (for text: the $d$ embedding dimensions) each channel has its own kernel
row and the results are summed: $y_i = \sum_{j}\sum_a X_{j,\,i+a} K_{j,a}$. Twin:
``torch.nn.functional.conv1d`` (which, like every deep-learning "convolution", cross-correlates).
"""

from __future__ import annotations

import torch

__all__ = ["corr1d", "corr1d_multi_in"]


# --8<-- [start:corr1d]
def corr1d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    r"""1-D cross-correlation $y_i = \sum_a x_{i+a} k_a$ (no padding, stride 1).

    Shapes: ``X`` ``(n,)``, ``K`` ``(w,)`` → ``(n - w + 1,)``.
    Twin: ``F.conv1d(X.view(1, 1, n), K.view(1, 1, w)).view(-1)``.
    """
    if X.dim() != 1 or K.dim() != 1:
        raise ValueError(f"corr1d expects 1-D X and K, got {tuple(X.shape)} and {tuple(K.shape)}")
    w = K.shape[0]
    if w > X.shape[0]:
        raise ValueError(f"kernel width {w} is larger than the sequence length {X.shape[0]}")
    return torch.stack([(X[i:i + w] * K).sum() for i in range(X.shape[0] - w + 1)])  # (n - w + 1,)
# --8<-- [end:corr1d]


# --8<-- [start:corr1d-multi-in]
def corr1d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlate each input channel with its own kernel row and add the results.

    Shapes: ``X`` ``(c, n)``, ``K`` ``(c, w)`` → ``(n - w + 1,)``.
    Twin: ``F.conv1d(X.unsqueeze(0), K.unsqueeze(0))[0, 0]``.
    """
    if X.dim() != 2 or K.dim() != 2 or X.shape[0] != K.shape[0]:
        raise ValueError(f"expected X (c, n) and K (c, w) with the same c, "
                         f"got {tuple(X.shape)} and {tuple(K.shape)}")
    return sum(corr1d(x, k) for x, k in zip(X, K, strict=True))
# --8<-- [end:corr1d-multi-in]
