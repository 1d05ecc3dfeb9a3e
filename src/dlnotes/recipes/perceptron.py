r"""Rosenblatt's perceptron rule (d2l §4.1 exercise; the XOR lesson): mistakes drive the update."""

from __future__ import annotations

import torch

from ..models.mlp import Perceptron

__all__ = ["train_perceptron"]


@torch.no_grad()
def train_perceptron(
    model: Perceptron, X: torch.Tensor, y: torch.Tensor, num_epochs: int = 100
) -> list[int]:
    r"""The perceptron rule: for every mistake $y_i(\langle\mathbf w,\mathbf x_i\rangle+b) \le 0$,
    set $\mathbf w \leftarrow \mathbf w + y_i \mathbf x_i$, $b \leftarrow b + y_i$.

    This is SGD with batch size 1 on the loss $\max(0, -y\langle\mathbf w,\mathbf x\rangle)$.

    Args:
        X: ``(n, d)`` inputs. y: ``(n,)`` labels in $\{-1, 1\}$.
    Returns:
        the number of mistakes in each epoch (0 means the data were separated).
    """
    if not torch.all((y == 1) | (y == -1)):
        raise ValueError("perceptron labels must be -1 or 1")
    mistakes_per_epoch = []
    for _ in range(num_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y, strict=True):
            if y_i * (x_i @ model.w + model.b) <= 0:
                model.w += y_i * x_i.reshape(-1, 1)  # (d, 1)
                model.b += y_i
                mistakes += 1
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            break
    return mistakes_per_epoch
