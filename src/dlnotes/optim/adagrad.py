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

__all__ = ["Adagrad"]


class Adagrad(torch.optim.Optimizer):
    """AdaGrad: ``lr`` $\\eta$, ``eps`` $\\epsilon$, ``weight_decay`` $\\lambda$ (added to the gradient)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"eps must be positive and weight_decay non-negative, got {eps}, {weight_decay}")
        super().__init__(params, {"lr": lr, "eps": eps, "weight_decay": weight_decay})

    # --8<-- [start:adagrad-step]
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if wd == 0 else p.grad + wd * p  # g_t (+ λθ)
                s = self.state[p].setdefault("s", torch.zeros_like(p))
                s.add_(g * g)  # s_t = s_{t-1} + g_t²
                p.sub_(lr * g / (s.sqrt() + eps))  # θ_t = θ_{t-1} − η g_t / (√s_t + ε)
        return loss
    # --8<-- [end:adagrad-step]
