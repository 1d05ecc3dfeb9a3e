r"""The shared frame of the hand-written optimizers: ``step`` loops, each subclass writes one update.

A subclass of :class:`ElementwiseOptimizer` implements ``update(p, g, state, group)``: the formula
for one parameter tensor ``p`` given its gradient ``g`` (already including the L2 term
$\lambda\boldsymbol\theta$ when the group has ``weight_decay``), its per-parameter ``state`` dict
(empty at the first step) and its hyper-parameter ``group``. Everything else — closures, parameter
groups, skipping parameters without a gradient, ``torch.no_grad`` — is here, once. Being a
``torch.optim.Optimizer`` subclass, every optimizer works with torch's schedulers and with
:func:`dlnotes.train.fit`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["ElementwiseOptimizer", "check_rate", "check_unit_interval"]


def check_rate(name: str, value: float) -> None:
    """``value`` must be > 0 (a learning rate, an epsilon)."""
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def check_unit_interval(name: str, value: float) -> None:
    """``value`` must lie in [0, 1) (a decay rate β, γ or ρ)."""
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")


class ElementwiseOptimizer(torch.optim.Optimizer):
    """``step`` for optimizers whose update treats each parameter tensor on its own."""

    def __init__(self, params: Iterable[torch.Tensor], defaults: dict):
        check_rate("lr", defaults["lr"])
        if defaults.get("weight_decay", 0.0) < 0:
            raise ValueError(f"weight_decay must be non-negative, got {defaults['weight_decay']}")
        super().__init__(params, defaults)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            wd = group.get("weight_decay", 0.0)
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if wd == 0 or group.get("decoupled") else p.grad + wd * p  # g_t + λθ (L2)
                self.update(p, g, self.state[p], group)
        return loss
