r"""Forward and backward propagation written by hand (d2l §4.7).

The network of d2l §4.7: one hidden layer, no biases, ReLU, softmax cross-entropy and an L2
penalty on both weight matrices,

$$\mathbf z = \mathbf X\mathbf W^{(1)},\ \mathbf h = \phi(\mathbf z),\ \mathbf o = \mathbf h\mathbf W^{(2)},\
L = \ell(\mathbf o, y),\ s = \tfrac{\lambda}{2}(\|\mathbf W^{(1)}\|_F^2 + \|\mathbf W^{(2)}\|_F^2),\ J = L + s.$$

:func:`forward` keeps the intermediate values; :func:`backward` walks the graph in reverse with the
chain rule. ``tests/test_backprop.py`` checks the gradients equal autograd's.
"""

from __future__ import annotations

import torch

from .functional import log_softmax, softmax

__all__ = ["forward", "backward"]


def forward(
    X: torch.Tensor, y: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, lambd: float = 0.0
) -> tuple[torch.Tensor, dict]:
    """Objective $J$ and the cache of intermediate values.

    Shapes: ``X`` ``(n, d)``, ``y`` ``(n,)`` integer labels, ``W1`` ``(d, h)``, ``W2`` ``(h, q)``.
    Returns ``J`` (a scalar) and ``cache`` with ``X, y, z, h, o, W1, W2, lambd``.
    """
    if X.dim() != 2 or X.shape[1] != W1.shape[0] or W1.shape[1] != W2.shape[0]:
        raise ValueError(
            f"shapes do not chain: X {tuple(X.shape)}, W1 {tuple(W1.shape)}, W2 {tuple(W2.shape)}"
        )
    z = X @ W1  # (n, h)
    h = torch.relu(z)  # (n, h)
    o = h @ W2  # (n, q)
    L = -log_softmax(o)[torch.arange(len(y)), y].mean()  # scalar
    s = lambd / 2 * ((W1**2).sum() + (W2**2).sum())
    cache = {"X": X, "y": y, "z": z, "h": h, "o": o, "W1": W1, "W2": W2, "lambd": lambd}
    return L + s, cache


def backward(cache: dict) -> dict[str, torch.Tensor]:
    r"""Gradients of $J$ with respect to ``W1`` and ``W2`` by the chain rule.

    * $\partial J/\partial \mathbf o = (\mathrm{softmax}(\mathbf o) - \mathrm{onehot}(y)) / n$ ``(n, q)``
    * $\partial J/\partial \mathbf W^{(2)} = \mathbf h^\top \partial J/\partial\mathbf o + \lambda \mathbf W^{(2)}$
    * $\partial J/\partial \mathbf h = \partial J/\partial\mathbf o\, \mathbf W^{(2)\top}$
    * $\partial J/\partial \mathbf z = \partial J/\partial\mathbf h \odot \phi'(\mathbf z)$
    * $\partial J/\partial \mathbf W^{(1)} = \mathbf X^\top \partial J/\partial\mathbf z + \lambda \mathbf W^{(1)}$
    """
    X, y, z, h, o = cache["X"], cache["y"], cache["z"], cache["h"], cache["o"]
    W1, W2, lambd = cache["W1"], cache["W2"], cache["lambd"]
    n, q = o.shape
    onehot = torch.nn.functional.one_hot(y, q).to(o.dtype)  # (n, q)
    dJ_do = (softmax(o) - onehot) / n  # (n, q)
    dJ_dW2 = h.T @ dJ_do + lambd * W2  # (h, q)
    dJ_dh = dJ_do @ W2.T  # (n, h)
    dJ_dz = dJ_dh * (z > 0).to(z.dtype)  # (n, h): ReLU passes the gradient only where z > 0
    dJ_dW1 = X.T @ dJ_dz + lambd * W1  # (d, h)
    return {"W1": dJ_dW1, "W2": dJ_dW2}
