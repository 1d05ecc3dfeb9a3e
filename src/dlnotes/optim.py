"""Minibatch stochastic gradient descent written by hand.

:class:`SGD` has the same interface as ``torch.optim.SGD`` (``step`` and ``zero_grad``), so the
training loop in :mod:`dlnotes.train` accepts either.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["SGD"]


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
