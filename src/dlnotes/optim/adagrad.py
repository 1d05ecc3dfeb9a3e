r"""AdaGrad written by hand (d2l §11.7; Duchi et al., 2011), as a ``torch.optim.Optimizer``.

$$\mathbf s_t = \mathbf s_{t-1} + \mathbf g_t^2,\qquad
\boldsymbol\theta_t = \boldsymbol\theta_{t-1} - \frac{\eta}{\sqrt{\mathbf s_t} + \epsilon}\odot\mathbf g_t$$

Each coordinate gets its own learning rate, divided by the root of the sum of all its squared
gradients so far: coordinates with large or frequent gradients slow down, rare ones keep large
steps. Because $\mathbf s_t$ only grows, the effective rate decays like $1/\sqrt t$. (d2l writes
$\sqrt{\mathbf s_t + \epsilon}$; we put $\epsilon$ outside the root as PyTorch does.) Twin:
``torch.optim.Adagrad(params, lr, eps=ε, weight_decay=λ)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import ElementwiseOptimizer, check_rate

__all__ = ["Adagrad"]


class Adagrad(ElementwiseOptimizer):
    """AdaGrad: ``lr`` $\\eta$, ``eps`` $\\epsilon$, ``weight_decay`` $\\lambda$ (added to the gradient)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0):
        check_rate("eps", eps)
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay})

    # --8<-- [start:adagrad-step]
    def update(self, p, g, state, group):
        s = state.setdefault("s", torch.zeros_like(p))
        s.add_(g * g)  # s_t = s_{t-1} + g_t²
        p.sub_(group["lr"] * g / (s.sqrt() + group["eps"]))  # θ_t = θ_{t-1} − η g_t / (√s_t + ε)
    # --8<-- [end:adagrad-step]
