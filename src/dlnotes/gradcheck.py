r"""Numerical gradient checking (d2l §4.8 exercise; CS231n-style).

The two-sided difference $\frac{f(x+h) - f(x-h)}{2h}$ has error $O(h^2)$ (the one-sided one only
$O(h)$). Compare it with an analytic gradient through the *relative* error
$\frac{|a-b|}{\max(|a|+|b|, \epsilon)}$; in float64 a correct gradient gives about 1e-8 or less,
a wrong one something near 1. Twin: ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["numerical_grad", "relative_error", "check_grad", "check_against_autograd"]


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
