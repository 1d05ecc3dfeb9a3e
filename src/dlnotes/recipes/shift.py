r"""Distribution shift on a toy problem (d2l §4.9): covariate shift and its correction.

Source and target share $P(y \mid \mathbf x)$ (the label is a fixed non-linear function of
$\mathbf x$), but $\mathbf x$ is drawn from different distributions. A linear classifier fitted on
the source spends its capacity where the source data are, not where the target data are.

Correction: train a logistic-regression *domain classifier* $h$ to tell target ($z=1$) from
source ($z=-1$) inputs; then $\beta(\mathbf x) = p(\text{target}\mid\mathbf x)/p(\text{source}\mid\mathbf x)
= \exp(h(\mathbf x))$ estimates $q(\mathbf x)/p(\mathbf x)$ (for equal sample sizes) and each
source example is weighted by $\beta$ in the loss.
"""

from __future__ import annotations

import torch
from torch import nn

from ..seed import data_generator

__all__ = ["label_rule", "shifted_data", "fit_logistic", "importance_weights", "accuracy_of"]


def label_rule(X: torch.Tensor) -> torch.Tensor:
    r"""The shared rule $P(y \mid \mathbf x)$: class 1 above the parabola $x_2 = x_1^2/2 - 1/2$."""
    return (X[:, 1] > 0.5 * X[:, 0] ** 2 - 0.5).long()  # (n,)


def shifted_data(n: int = 1000, target_shift: tuple[float, float] = (1.5, 1.0), seed: int = 0):
    r"""``(X_source, y_source, X_target, y_target)``.

    Source inputs are $N(\mathbf 0, \mathbf I)$, target inputs the same shifted by ``target_shift``;
    both are labelled by :func:`label_rule`. Near the origin the parabola is flat, further right it
    is steep, so the best *linear* boundary differs between the two distributions.
    """
    g = data_generator(seed)  # not the stream that set_seed(seed) gives models
    X_s = torch.randn(n, 2, generator=g)  # (n, 2)
    X_t = torch.randn(n, 2, generator=g) + torch.tensor(target_shift)  # (n, 2)
    return X_s, label_rule(X_s), X_t, label_rule(X_t)


def _features(X: torch.Tensor) -> torch.Tensor:
    return torch.cat([X, X**2], dim=1)  # (n, 4): a quadratic boundary is enough for a circle


def fit_logistic(
    X: torch.Tensor,
    y: torch.Tensor,
    weights: torch.Tensor | None = None,
    quadratic: bool = False,
    num_steps: int = 500,
    lr: float = 0.1,
) -> nn.Module:
    """Weighted logistic regression by full-batch gradient descent (Adam).

    Args:
        X: ``(n, 2)``; y: ``(n,)`` labels in {0, 1}; weights: ``(n,)`` per-example weights
            (``None``: all 1). quadratic: also use the squared coordinates as features.
    Returns a module mapping ``(n, 2)`` inputs to logits ``(n,)``.
    """
    if weights is not None and weights.shape != y.shape:
        raise ValueError(f"weights {tuple(weights.shape)} must have the shape of y {tuple(y.shape)}")
    transform = _features if quadratic else (lambda Z: Z)
    linear = nn.Linear(4 if quadratic else 2, 1)

    class Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = linear

        def forward(self, Z):
            return self.linear(transform(Z)).squeeze(1)  # (n,)

    model = Logistic()
    w = torch.ones(len(y)) if weights is None else weights / weights.mean()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        losses = nn.functional.binary_cross_entropy_with_logits(model(X), y.float(), reduction="none")
        (w * losses).mean().backward()
        optimizer.step()
    return model


def importance_weights(X_source: torch.Tensor, X_target: torch.Tensor, clip: float = 20.0) -> torch.Tensor:
    r"""$\beta_i = \exp(h(\mathbf x_i))$ for each source example, from a domain classifier $h$.

    The weights are clipped at ``clip`` so a few extreme examples cannot dominate.
    """
    X = torch.cat([X_source, X_target])  # (n_s + n_t, 2)
    z = torch.cat([torch.zeros(len(X_source)), torch.ones(len(X_target))]).long()
    h = fit_logistic(X, z, quadratic=True)
    with torch.no_grad():
        beta = torch.exp(h(X_source)) * len(X_source) / len(X_target)  # (n_s,)
    return beta.clamp(max=clip)


def accuracy_of(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(((model(X) > 0).long() == y).float().mean())
