"""Weight initialisation from scratch (d2l §4.8) and per-layer statistics helpers.

Twins in ``torch.nn.init``: :func:`xavier_uniform_`, :func:`xavier_normal_`,
:func:`kaiming_uniform_`, :func:`kaiming_normal_`. Each fills the tensor with one call of
``uniform_`` / ``normal_`` with the same bound, so under the same seed the twins agree exactly
(``tests/test_init.py``).

:func:`layer_statistics` runs a batch through a stack of layers and records the standard deviation
of each layer's output and of the gradient that flows back into it — the numbers behind the
"vanishing / exploding" pictures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

__all__ = [
    "fan_in_and_fan_out",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "layer_statistics",
]


def fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shaped like PyTorch's: ``(out, in)`` or ``(out, in, *kernel)``."""
    if tensor.dim() < 2:
        raise ValueError(f"fan in/out needs a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}")
    receptive_field = math.prod(tensor.shape[2:])  # 1 for a Linear weight
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


@torch.no_grad()
def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    r"""$U(-a, a)$ with $a = \text{gain}\sqrt{6/(n_\text{in}+n_\text{out})}$, i.e. variance $2/(n_\text{in}+n_\text{out})$."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return tensor.uniform_(-a, a)


@torch.no_grad()
def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    r"""$N(0, \sigma^2)$ with $\sigma = \text{gain}\sqrt{2/(n_\text{in}+n_\text{out})}$."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return tensor.normal_(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


@torch.no_grad()
def kaiming_uniform_(tensor: torch.Tensor, gain: float = math.sqrt(2.0)) -> torch.Tensor:
    r"""He initialisation, uniform: $U(-a, a)$ with $a = \text{gain}\sqrt{3/n_\text{in}}$.

    The default gain $\sqrt 2$ is for ReLU, which zeroes half of its inputs. Twin:
    ``nn.init.kaiming_uniform_(w, nonlinearity="relu")``.
    """
    fan_in, _ = fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(3.0 / fan_in)
    return tensor.uniform_(-a, a)


@torch.no_grad()
def kaiming_normal_(tensor: torch.Tensor, gain: float = math.sqrt(2.0)) -> torch.Tensor:
    r"""He initialisation, normal: $N(0, \text{gain}^2/n_\text{in})$.

    Twin: ``nn.init.kaiming_normal_(w, nonlinearity="relu")``.
    """
    fan_in, _ = fan_in_and_fan_out(tensor)
    return tensor.normal_(0.0, gain / math.sqrt(fan_in))


def layer_statistics(
    layers: nn.Sequential,
    X: torch.Tensor,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, list[float]]:
    """Standard deviation of every ``nn.Linear``'s output and of its weight gradient.

    Args:
        layers: an ``nn.Sequential`` of ``nn.Linear`` layers and activations.
        X: a batch ``(n, d)``.
        loss_fn: maps the output to a scalar to back-propagate; defaults to ``out.sum()``.

    Returns:
        ``{"activation_std": [...], "grad_std": [...]}``, one entry per ``nn.Linear`` (input to output);
        activations are measured after the activation function that follows the layer, if any.
    """
    linear_idx = [i for i, m in enumerate(layers) if isinstance(m, nn.Linear)]
    if not linear_idx:
        raise ValueError("layer_statistics needs at least one nn.Linear in the Sequential")
    act_std: list[float] = []
    out = X
    for i, module in enumerate(layers):
        out = module(out)
        is_last_of_block = i + 1 == len(layers) or isinstance(layers[i + 1], nn.Linear)
        if is_last_of_block:
            act_std.append(float(out.detach().std()))
    layers.zero_grad()
    loss = loss_fn(out) if loss_fn is not None else out.sum()
    loss.backward()
    grad_std = [float(layers[i].weight.grad.std()) for i in linear_idx]
    return {"activation_std": act_std, "grad_std": grad_std}
