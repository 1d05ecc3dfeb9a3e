r"""Minibatch stochastic gradient descent written by hand (d2l §3.2), as a ``torch.optim.Optimizer``.

$$\theta \leftarrow \theta - \eta\,(\nabla_\theta \ell + \lambda\,\theta)$$

Being an ``Optimizer`` subclass (as labml's annotated optimizers are), it keeps its settings in
``param_groups``: torch's learning-rate schedulers (``LambdaLR``, ``OneCycleLR``, …) drive it, and
:func:`dlnotes.train.fit` treats it like ``torch.optim.SGD``. Only ``step`` is written by hand.
Twin: ``torch.optim.SGD(params, lr, weight_decay=λ)`` (``tests/test_optim.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["SGD"]


class SGD(torch.optim.Optimizer):
    r"""$\theta \leftarrow \theta - \eta (\nabla_\theta \ell + \lambda \theta)$ for each parameter.

    Args:
        params: tensors with ``requires_grad=True`` (or parameter groups, as for torch's optimizers).
        lr: learning rate $\eta$.
        weight_decay: L2 penalty coefficient $\lambda$ (``0`` disables it), as in ``torch.optim.SGD``.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float = 0.0):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be non-negative, got {weight_decay}")
        params = list(params)
        if not params:
            raise ValueError("SGD got an empty parameter list")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

    # --8<-- [start:sgd-step]
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, weight_decay = group["lr"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                if weight_decay:
                    grad = grad + weight_decay * param  # ∇ℓ + λθ
                param -= lr * grad  # θ ← θ − η g
        return loss
    # --8<-- [end:sgd-step]
