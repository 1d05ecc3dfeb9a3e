"""Minibatch stochastic gradient descent written by hand, and a learning-rate schedule for it.

:class:`SGD` has the same interface as ``torch.optim.SGD`` (``step`` and ``zero_grad``), so the
training loop in :mod:`dlnotes.train` accepts either. :func:`cosine_schedule` anneals the learning
rate of either kind of optimizer once per epoch (a ``fit`` callback).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

__all__ = ["SGD", "set_lr", "cosine_schedule"]


class SGD:
    r"""$\theta \leftarrow \theta - \eta (\nabla_\theta \ell + \lambda \theta)$ for each parameter.

    Args:
        params: tensors with ``requires_grad=True``.
        lr: learning rate $\eta$.
        weight_decay: L2 penalty coefficient $\lambda$ (``0`` disables it), as in ``torch.optim.SGD``.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        self.lr = lr
        self.weight_decay = weight_decay

    @torch.no_grad()
    def step(self) -> None:
        for param in self.params:
            if param.grad is None:
                continue
            grad = param.grad
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            param -= self.lr * grad

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None


def set_lr(optimizer, lr: float) -> None:
    """Set the learning rate of a hand-written :class:`SGD` or of any ``torch.optim`` optimizer."""
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if isinstance(optimizer, torch.optim.Optimizer):
        for group in optimizer.param_groups:
            group["lr"] = lr
    elif hasattr(optimizer, "lr"):
        optimizer.lr = lr
    else:
        raise TypeError(f"{type(optimizer).__name__} has neither param_groups nor an lr attribute")


def cosine_schedule(optimizer, base_lr: float, num_epochs: int) -> Callable[[dict, object], None]:
    r"""A ``fit`` callback that anneals the learning rate along half a cosine, once per epoch.

    Epoch $e$ ($1 \le e \le E$) trains with $\eta_e = \eta_0 \cdot \tfrac12\,(1 + \cos(\pi (e-1)/E))$:
    the full rate first, a few percent of it in the last epoch, so the final epoch's weights no
    longer jump around and the last test accuracy is not a lucky or unlucky sample.
    """
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")
    set_lr(optimizer, base_lr)

    def callback(record: dict, model) -> None:
        epoch = record["epoch"]  # the epoch that just finished; set the rate for the next one
        set_lr(optimizer, base_lr * 0.5 * (1 + math.cos(math.pi * min(epoch, num_epochs - 1) / num_epochs)))

    return callback
