r"""Learning-rate schedules as torch ``LRScheduler``\ s, so they drive torch's and our optimizers alike.

:func:`cosine_per_epoch`: epoch $e$ ($1 \le e \le E$) trains with
$\eta_e = \eta_0 \cdot \tfrac12\,(1 + \cos(\pi (e-1)/E))$: the full rate first, a few percent of it
in the last epoch, so the final epoch's weights no longer jump around and the last test accuracy
is not a lucky or unlucky sample. Step it once per epoch (a ``fit`` callback). Twin:
``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=E)`` gives the same rates in closed
form; this one is a ``LambdaLR`` so the formula is the one written here.
"""

from __future__ import annotations

import math

import torch

__all__ = ["cosine_per_epoch"]


def cosine_per_epoch(optimizer: torch.optim.Optimizer, num_epochs: int):
    """A ``LambdaLR`` that anneals every group's initial ``lr`` along half a cosine over
    ``num_epochs`` epochs; call its ``step()`` after each epoch."""
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be positive, got {num_epochs}")

    def factor(epochs_done: int) -> float:
        return 0.5 * (1 + math.cos(math.pi * min(epochs_done, num_epochs - 1) / num_epochs))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
