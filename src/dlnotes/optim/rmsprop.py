r"""RMSProp written by hand (d2l §11.8; Tieleman & Hinton, 2012), as a ``torch.optim.Optimizer``.

$$\mathbf s_t = \gamma\,\mathbf s_{t-1} + (1-\gamma)\,\mathbf g_t^2,\qquad
\boldsymbol\theta_t = \boldsymbol\theta_{t-1} - \frac{\eta}{\sqrt{\mathbf s_t} + \epsilon}\odot\mathbf g_t$$

AdaGrad's sum of squared gradients becomes a leaky (exponentially weighted) average, so the
per-coordinate rate adapts to *recent* gradient sizes instead of decaying for ever; the average
covers about the last $1/(1-\gamma)$ steps. Twin: ``torch.optim.RMSprop(params, lr, alpha=γ,
eps=ε, weight_decay=λ)`` (no momentum, not centred).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import ElementwiseOptimizer, check_rate, check_unit_interval

__all__ = ["RMSProp"]


class RMSProp(ElementwiseOptimizer):
    """RMSProp: ``lr`` $\\eta$, ``gamma`` $\\gamma\\in[0,1)$, ``eps`` $\\epsilon$, ``weight_decay`` $\\lambda$."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 0.01, gamma: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        check_unit_interval("gamma", gamma)
        check_rate("eps", eps)
        super().__init__(params, {"lr": lr, "gamma": gamma, "eps": eps, "weight_decay": weight_decay})

    # --8<-- [start:rmsprop-step]
    def update(self, p, g, state, group):
        gamma = group["gamma"]
        s = state.setdefault("s", torch.zeros_like(p))
        s.mul_(gamma).add_((1 - gamma) * g * g)  # s_t = γ s_{t-1} + (1 − γ) g_t²
        p.sub_(group["lr"] * g / (s.sqrt() + group["eps"]))  # θ_t = θ_{t-1} − η g_t / (√s_t + ε)
    # --8<-- [end:rmsprop-step]
