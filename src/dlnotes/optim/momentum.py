r"""SGD with momentum written by hand (d2l §11.6; Polyak, 1964), as a ``torch.optim.Optimizer``.

$$\mathbf v_t = \beta\,\mathbf v_{t-1} + \mathbf g_t,\qquad \boldsymbol\theta_t = \boldsymbol\theta_{t-1} - \eta\,\mathbf v_t$$

$\mathbf v_t$ is a sum of past gradients with weights $\beta^\tau$: an exponentially weighted
average (see :mod:`dlnotes.optim.ewma`) scaled by $1/(1-\beta)$, so a steady gradient is followed
with the effective step $\eta/(1-\beta)$ while gradients that flip sign cancel. ``weight_decay``
adds $\lambda\boldsymbol\theta$ to $\mathbf g_t$. Twin: ``torch.optim.SGD(params, lr, momentum=β,
dampening=0, weight_decay=λ)`` (``tests/test_optimizers.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import ElementwiseOptimizer, check_unit_interval

__all__ = ["Momentum"]


class Momentum(ElementwiseOptimizer):
    """Heavy-ball momentum: ``lr`` $\\eta$, ``momentum`` $\\beta\\in[0,1)$, ``weight_decay`` $\\lambda$."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.9,
                 weight_decay: float = 0.0):
        check_unit_interval("momentum", momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    # --8<-- [start:momentum-step]
    def update(self, p, g, state, group):
        if "v" not in state:
            state["v"] = g.clone()  # v_1 = g_1 (v_0 = 0)
        else:
            state["v"].mul_(group["momentum"]).add_(g)  # v_t = β v_{t-1} + g_t
        p.sub_(group["lr"] * state["v"])  # θ_t = θ_{t-1} − η v_t
    # --8<-- [end:momentum-step]
