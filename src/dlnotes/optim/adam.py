r"""Adam, AdamW and Yogi written by hand (d2l §11.10; Kingma & Ba, 2015; Loshchilov & Hutter, 2019;
Zaheer et al., 2018), as ``torch.optim.Optimizer``\ s — the labml ``optimizers/adam.py`` layout:
each line of ``step`` beside its formula.

$$\mathbf m_t = \beta_1\mathbf m_{t-1} + (1-\beta_1)\mathbf g_t,\qquad
\mathbf v_t = \beta_2\mathbf v_{t-1} + (1-\beta_2)\mathbf g_t^2,$$
$$\hat{\mathbf m}_t = \frac{\mathbf m_t}{1-\beta_1^t},\qquad \hat{\mathbf v}_t = \frac{\mathbf v_t}{1-\beta_2^t},\qquad
\boldsymbol\theta_t = \boldsymbol\theta_{t-1} - \eta\,\frac{\hat{\mathbf m}_t}{\sqrt{\hat{\mathbf v}_t} + \epsilon}$$

Momentum ($\mathbf m$) and RMSProp ($\mathbf v$) in one. Both averages start at 0, so early on
they are too small by the factor $1-\beta^t$ (the weights of a started-at-zero average sum to
$1-\beta^t$, not 1); dividing by it is the bias correction. ``weight_decay`` $\lambda$ adds
$\lambda\boldsymbol\theta$ to the gradient (L2, as ``torch.optim.Adam``); with
``decoupled=True`` (AdamW) the weights shrink directly, $\boldsymbol\theta \leftarrow
\boldsymbol\theta(1-\eta\lambda)$, outside the adaptive scaling. Yogi replaces $\mathbf v$'s
update by $\mathbf v_t = \mathbf v_{t-1} + (1-\beta_2)\,\mathbf g_t^2\odot\mathrm{sign}(\mathbf g_t^2-\mathbf v_{t-1})$,
which moves by at most $(1-\beta_2)\mathbf g_t^2$ however far $\mathbf v$ is from $\mathbf g_t^2$.
Twins: ``torch.optim.Adam``, ``torch.optim.AdamW`` (Yogi has none in torch; its test checks
the formula).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import ElementwiseOptimizer, check_rate, check_unit_interval

__all__ = ["Adam", "Yogi"]


class Adam(ElementwiseOptimizer):
    """Adam (``decoupled=False``) or AdamW (``decoupled=True``): ``lr`` $\\eta$, ``betas``
    $(\\beta_1, \\beta_2)$ in $[0, 1)$, ``eps`` $\\epsilon$, ``weight_decay`` $\\lambda$."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled: bool = False):
        if len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")
        check_unit_interval("beta1", betas[0])
        check_unit_interval("beta2", betas[1])
        check_rate("eps", eps)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "decoupled": decoupled})

    def _second_moment(self, v: torch.Tensor, g: torch.Tensor, beta2: float) -> None:
        v.mul_(beta2).add_((1 - beta2) * g * g)  # v_t = β2 v_{t-1} + (1 − β2) g_t²

    # --8<-- [start:adam-step]
    def update(self, p, g, state, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if group["decoupled"] and group["weight_decay"]:
            p.mul_(1 - lr * group["weight_decay"])  # AdamW: θ ← θ (1 − ηλ)
        if not state:
            state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m.mul_(beta1).add_((1 - beta1) * g)  # m_t = β1 m_{t-1} + (1 − β1) g_t
        self._second_moment(v, g, beta2)  # v_t (Adam; Yogi overrides)
        m_hat = m / (1 - beta1 ** t)  # m̂_t = m_t / (1 − β1^t)
        v_hat = v / (1 - beta2 ** t)  # v̂_t = v_t / (1 − β2^t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))  # θ_t = θ_{t-1} − η m̂_t / (√v̂_t + ε)
    # --8<-- [end:adam-step]


class Yogi(Adam):
    """Yogi: Adam with the additive second-moment update (d2l's ``eps`` is 1e-3)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-3, weight_decay: float = 0.0):
        super().__init__(params, lr, betas, eps, weight_decay)

    # --8<-- [start:yogi-moment]
    def _second_moment(self, v: torch.Tensor, g: torch.Tensor, beta2: float) -> None:
        g2 = g * g
        v.add_((1 - beta2) * g2 * torch.sign(g2 - v))  # v_t = v_{t-1} + (1 − β2) g_t² sign(g_t² − v_{t-1})
    # --8<-- [end:yogi-moment]
