"""Batch normalisation (d2l §7.5; Ioffe & Szegedy, 2015) and layer normalisation (§10.7; Ba et al., 2016) from scratch.

$$\\mathrm{BN}(\\mathbf x) = \\boldsymbol\\gamma \\odot
  \\frac{\\mathbf x - \\hat{\\boldsymbol\\mu}_\\mathcal{B}}{\\sqrt{\\hat{\\boldsymbol\\sigma}^2_\\mathcal{B} + \\epsilon}}
  + \\boldsymbol\\beta$$

Statistics are taken per feature for 2-D inputs ``(N, D)`` and per channel for 4-D inputs
``(N, C, H, W)`` (over N, H and W). In training the batch statistics are used and running
averages are updated; in evaluation the running averages are used.

The running averages follow PyTorch's convention, so :class:`BatchNorm` matches
``nn.BatchNorm1d``/``nn.BatchNorm2d`` exactly: ``running = (1 - momentum) * running + momentum *
batch`` with ``momentum=0.1``, and the running variance takes the *unbiased* batch variance.
(d2l writes the same update with ``momentum=0.9`` weighting the old value and the biased variance.)
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["batch_norm", "BatchNorm", "layer_norm", "LayerNorm"]


# --8<-- [start:batch-norm]
def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    *,
    training: bool,
    eps: float = 1e-5,
    momentum: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalise ``X`` and return ``(Y, new_running_mean, new_running_var)``.

    Shapes: ``X`` ``(N, D)`` with parameters ``(1, D)``, or ``X`` ``(N, C, H, W)`` with
    parameters ``(1, C, 1, 1)``; ``Y`` has the shape of ``X``.
    """
    if X.dim() not in (2, 4):
        raise ValueError(f"batch_norm expects (N, D) or (N, C, H, W), got {tuple(X.shape)}")
    if not training:
        X_hat = (X - running_mean) / torch.sqrt(running_var + eps)
        return gamma * X_hat + beta, running_mean, running_var
    dims = (0,) if X.dim() == 2 else (0, 2, 3)
    n = X.numel() // X.shape[1]  # values per feature/channel
    if n < 2:
        raise ValueError("training-mode batch norm needs more than one value per channel")
    mean = X.mean(dim=dims, keepdim=True)  # (1, D) or (1, C, 1, 1)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # biased: used to normalise
    X_hat = (X - mean) / torch.sqrt(var + eps)
    with torch.no_grad():
        unbiased = var * n / (n - 1)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * unbiased
    return gamma * X_hat + beta, new_mean, new_var
# --8<-- [end:batch-norm]


class BatchNorm(nn.Module):
    """A batch-norm layer holding $\\gamma$, $\\beta$ and the running statistics.

    Args:
        num_features: outputs of a fully connected layer, or channels of a convolution.
        num_dims: 2 for ``(N, D)`` inputs, 4 for ``(N, C, H, W)``.
        eps: added to the variance for numerical stability (PyTorch's default).
        momentum: weight of the new batch in the running averages (PyTorch's default).
    """

    def __init__(self, num_features: int, num_dims: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 or 4, got {num_dims}")
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.num_dims, self.eps, self.momentum = num_dims, eps, momentum
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("running_mean", torch.zeros(shape))
        self.register_buffer("running_var", torch.ones(shape))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != self.num_dims or X.shape[1] != self.gamma.shape[1]:
            raise ValueError(
                f"expected {self.num_dims}-D input with {self.gamma.shape[1]} features/channels "
                f"in dim 1, got {tuple(X.shape)}"
            )
        Y, self.running_mean, self.running_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            training=self.training, eps=self.eps, momentum=self.momentum,
        )
        return Y


# --8<-- [start:layer-norm]
def layer_norm(X: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    r"""$\mathrm{LN}(\mathbf x) = \boldsymbol\gamma\odot\frac{\mathbf x - \mu}{\sqrt{\sigma^2+\epsilon}}
    + \boldsymbol\beta$ with $\mu, \sigma^2$ the mean and (biased) variance of *one example's*
    ``d`` features: ``X`` ``(..., d)``, ``gamma``/``beta`` ``(d,)``. No batch statistics, so training
    and evaluation compute the same thing and a batch of one is fine. Twin: ``nn.LayerNorm(d)``.
    """
    if X.shape[-1] != gamma.shape[-1]:
        raise ValueError(f"layer_norm over the last axis of size {gamma.shape[-1]}, got {tuple(X.shape)}")
    mean = X.mean(dim=-1, keepdim=True)  # (..., 1)
    var = ((X - mean) ** 2).mean(dim=-1, keepdim=True)  # (..., 1)
    return gamma * (X - mean) / torch.sqrt(var + eps) + beta  # (..., d)
# --8<-- [end:layer-norm]


class LayerNorm(nn.Module):
    """Layer normalisation over the last axis of size ``d``, with learned $\\gamma$ (ones) and
    $\\beta$ (zeros): the transformer's normaliser (twin: ``nn.LayerNorm``)."""

    def __init__(self, d: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))  # gamma; named as in nn.LayerNorm
        self.bias = nn.Parameter(torch.zeros(d))  # beta

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return layer_norm(X, self.weight, self.bias, self.eps)
