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

__all__ = ["RMSProp"]


class RMSProp(torch.optim.Optimizer):
    """RMSProp: ``lr`` $\\eta$, ``gamma`` $\\gamma\\in[0,1)$, ``eps`` $\\epsilon$, ``weight_decay`` $\\lambda$."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 0.01, gamma: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if not 0 <= gamma < 1:
            raise ValueError(f"gamma must be in [0, 1), got {gamma}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"eps must be positive and weight_decay non-negative, got {eps}, {weight_decay}")
        super().__init__(params, {"lr": lr, "gamma": gamma, "eps": eps, "weight_decay": weight_decay})

    # --8<-- [start:rmsprop-step]
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, gamma, eps, wd = group["lr"], group["gamma"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if wd == 0 else p.grad + wd * p  # g_t (+ λθ)
                s = self.state[p].setdefault("s", torch.zeros_like(p))
                s.mul_(gamma).add_((1 - gamma) * g * g)  # s_t = γ s_{t-1} + (1 − γ) g_t²
                p.sub_(lr * g / (s.sqrt() + eps))  # θ_t = θ_{t-1} − η g_t / (√s_t + ε)
        return loss
    # --8<-- [end:rmsprop-step]
