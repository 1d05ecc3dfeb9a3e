r"""Adadelta written by hand (d2l §11.9; Zeiler, 2012), as a ``torch.optim.Optimizer``.

$$\mathbf s_t = \rho\,\mathbf s_{t-1} + (1-\rho)\,\mathbf g_t^2,\qquad
\mathbf g_t' = \frac{\sqrt{\Delta\mathbf x_{t-1} + \epsilon}}{\sqrt{\mathbf s_t + \epsilon}}\odot\mathbf g_t,$$
$$\boldsymbol\theta_t = \boldsymbol\theta_{t-1} - \eta\,\mathbf g_t',\qquad
\Delta\mathbf x_t = \rho\,\Delta\mathbf x_{t-1} + (1-\rho)\,\mathbf g_t'^2$$

The step size comes from the leaky average of past *squared updates* $\Delta\mathbf x$ divided by
that of squared gradients, so the update has the units of the parameter and Zeiler's method needs
no learning rate ($\eta = 1$; PyTorch keeps ``lr`` as an extra factor). Twin:
``torch.optim.Adadelta(params, lr, rho=ρ, eps=ε, weight_decay=λ)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import ElementwiseOptimizer, check_rate, check_unit_interval

__all__ = ["Adadelta"]


class Adadelta(ElementwiseOptimizer):
    """Adadelta: ``rho`` $\\rho\\in[0,1)$, ``eps`` $\\epsilon$, ``lr`` $\\eta$ (1 in Zeiler's method)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0):
        check_unit_interval("rho", rho)
        check_rate("eps", eps)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay})

    # --8<-- [start:adadelta-step]
    def update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        s = state.setdefault("s", torch.zeros_like(p))
        delta = state.setdefault("delta", torch.zeros_like(p))
        s.mul_(rho).add_((1 - rho) * g * g)  # s_t = ρ s_{t-1} + (1 − ρ) g_t²
        g_prime = (delta + eps).sqrt() / (s + eps).sqrt() * g  # g'_t = √(Δx_{t-1}+ε)/√(s_t+ε) ⊙ g_t
        p.sub_(group["lr"] * g_prime)  # θ_t = θ_{t-1} − η g'_t
        delta.mul_(rho).add_((1 - rho) * g_prime * g_prime)  # Δx_t = ρ Δx_{t-1} + (1 − ρ) g'_t²
    # --8<-- [end:adadelta-step]
