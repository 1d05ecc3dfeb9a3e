r"""Exponentially weighted moving averages with bias correction (d2l §11.6/§11.10; DLS course 2, week 2).

$$v_t = \beta\,v_{t-1} + (1-\beta)\,x_t,\quad v_0 = 0,\qquad \hat v_t = \frac{v_t}{1-\beta^t}$$

$v_t$ weights $x_{t-\tau}$ by $(1-\beta)\beta^\tau$: roughly an average of the last
$1/(1-\beta)$ values (the weights fall to $1/e$ after that many steps). Starting from $v_0 = 0$,
the weights of $x_1,\dots,x_t$ sum to $1-\beta^t$, so early values are biased toward 0; dividing
by $1-\beta^t$ removes the bias, and a constant series is then averaged exactly from step 1.
This is what Momentum, RMSProp and Adam keep per parameter.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["ewma"]


# --8<-- [start:ewma]
def ewma(xs: Iterable[float] | torch.Tensor, beta: float, bias_correction: bool = True) -> torch.Tensor:
    """The averages $v_1,\\dots,v_T$ (or $\\hat v_t$ with ``bias_correction``) of the series ``xs`` ``(T,)``."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    xs = torch.as_tensor(xs, dtype=torch.float64)
    if xs.dim() != 1:
        raise ValueError(f"ewma expects a 1-D series, got shape {tuple(xs.shape)}")
    out, v = torch.empty_like(xs), 0.0
    for t, x in enumerate(xs.tolist(), start=1):
        v = beta * v + (1 - beta) * x  # v_t = β v_{t-1} + (1 − β) x_t
        out[t - 1] = v / (1 - beta ** t) if bias_correction else v  # v̂_t = v_t / (1 − β^t)
    return out
# --8<-- [end:ewma]
