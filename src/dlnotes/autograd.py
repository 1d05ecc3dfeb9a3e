r"""Gradients by hand: numerical gradient checking, and the backward pass of d2l §4.7.

**Checking** (d2l §4.8 exercise; CS231n-style).

The two-sided difference $\frac{f(x+h) - f(x-h)}{2h}$ has error $O(h^2)$ (the one-sided one only
$O(h)$). Compare it with an analytic gradient through the *relative* error
$\frac{|a-b|}{\max(|a|+|b|, \epsilon)}$; in float64 a correct gradient gives about 1e-8 or less,
a wrong one something near 1. Twin: ``torch.autograd.gradcheck``.

**Backpropagation by hand** (d2l §4.7): the network has one hidden layer, no biases, ReLU,
softmax cross-entropy and an L2 penalty on both weight matrices,

$$\mathbf Z = \mathbf X\mathbf W^{(1)},\ \mathbf H = \phi(\mathbf Z),\ \mathbf O = \mathbf H\mathbf W^{(2)},\
L = \ell(\mathbf O, y),\ s = \tfrac{\lambda}{2}(\|\mathbf W^{(1)}\|_F^2 + \|\mathbf W^{(2)}\|_F^2),\ J = L + s.$$

:func:`mlp_forward` keeps the intermediate values; :func:`mlp_backward` walks the graph in reverse
with the chain rule. ``tests/test_backprop.py`` checks the gradients equal autograd's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .layers.functional import log_softmax, softmax

__all__ = [
    "numerical_grad", "relative_error", "check_grad", "check_against_autograd",
    "mlp_forward", "mlp_backward",
]


def numerical_grad(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Two-sided numerical gradient of the scalar function ``f`` at ``x`` (any shape).

    ``x`` should be float64: with float32 the rounding error of ``f`` swamps a small ``h``.
    Returns a tensor shaped like ``x``. ``x`` is restored after each probe.
    """
    if not x.is_floating_point():
        raise TypeError(f"numerical_grad needs a floating-point x, got {x.dtype}")
    x = x.detach().clone()
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)  # views: writing to flat changes x
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        f_plus = float(f(x))
        flat[i] = old - h
        f_minus = float(f(x))
        flat[i] = old
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-12) -> float:
    r"""Largest elementwise $|a-b| / \max(|a|+|b|, \epsilon)$."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp_min(eps)).max())


def check_grad(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    analytic_grad: torch.Tensor,
    h: float = 1e-6,
) -> float:
    """Relative error between ``analytic_grad`` and the numerical gradient of ``f`` at ``x``."""
    return relative_error(numerical_grad(f, x, h), analytic_grad.detach())


def check_against_autograd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6) -> float:
    """Relative error between autograd's gradient of ``f`` at ``x`` and the numerical one."""
    x_req = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x_req), x_req)
    return check_grad(f, x, grad, h)


def mlp_forward(
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


# --8<-- [start:mlp-backward]
def mlp_backward(cache: dict) -> dict[str, torch.Tensor]:
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
# --8<-- [end:mlp-backward]
