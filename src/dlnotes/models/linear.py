"""Linear regression and softmax regression, each from scratch and concise (d2l §3.2–3.7).

The scratch versions hold their parameters as plain tensors and compute ``X @ W + b`` by hand;
the concise twins are ``nn.Linear`` (behind ``nn.Flatten`` for images). ``tests/test_linear.py``
checks that twins with the same parameters give the same outputs.
"""

from __future__ import annotations

import torch
from torch import nn

from ._registry import register_model

__all__ = [
    "LinearRegressionScratch",
    "LinearRegression",
    "SoftmaxRegressionScratch",
    "SoftmaxRegression",
]


class LinearRegressionScratch(nn.Module):
    r"""$\hat{\mathbf y} = \mathbf X \mathbf w + b$ with hand-made parameters.

    Args:
        num_inputs: number of features $d$.
        sigma: standard deviation of the normal initialisation of $\mathbf w$ (``b`` starts at 0).

    Shapes: ``X`` ``(n, d)`` → ``y_hat`` ``(n, 1)``.
    """

    def __init__(self, num_inputs: int, sigma: float = 0.01):
        super().__init__()
        self.w = nn.Parameter(torch.normal(0.0, sigma, (num_inputs, 1)))  # (d, 1)
        self.b = nn.Parameter(torch.zeros(1))  # (1,)

    # --8<-- [start:linear-regression-scratch-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != 2 or X.shape[1] != self.w.shape[0]:
            raise ValueError(f"expected X of shape (n, {self.w.shape[0]}), got {tuple(X.shape)}")
        return X @ self.w + self.b  # (n, 1)
    # --8<-- [end:linear-regression-scratch-forward]


class LinearRegression(nn.Module):
    """Concise twin of :class:`LinearRegressionScratch`: one ``nn.Linear(d, 1)``."""

    def __init__(self, num_inputs: int, sigma: float = 0.01):
        super().__init__()
        self.net = nn.Linear(num_inputs, 1)
        nn.init.normal_(self.net.weight, 0.0, sigma)
        nn.init.zeros_(self.net.bias)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)  # (n, 1)


class SoftmaxRegressionScratch(nn.Module):
    r"""Logits $\mathbf O = \mathrm{flatten}(\mathbf X) \mathbf W + \mathbf b$; softmax is left to the loss.

    Args:
        num_inputs: pixels per image (784 for 28×28).
        num_outputs: number of classes $q$.
        sigma: standard deviation of the normal initialisation of $\mathbf W$.

    Shapes: ``X`` ``(n, 1, 28, 28)`` or ``(n, 784)`` → logits ``(n, q)``.
    """

    def __init__(self, num_inputs: int = 784, num_outputs: int = 10, sigma: float = 0.01):
        super().__init__()
        self.W = nn.Parameter(torch.normal(0.0, sigma, (num_inputs, num_outputs)))  # (d, q)
        self.b = nn.Parameter(torch.zeros(num_outputs))  # (q,)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = X.reshape(X.shape[0], -1)  # (n, d)
        if X.shape[1] != self.W.shape[0]:
            raise ValueError(
                f"each example must have {self.W.shape[0]} values, got {X.shape[1]}"
            )
        return X @ self.W + self.b  # (n, q)


class SoftmaxRegression(nn.Module):
    """Concise twin of :class:`SoftmaxRegressionScratch`: ``nn.Flatten`` then ``nn.Linear``."""

    def __init__(self, num_inputs: int = 784, num_outputs: int = 10, sigma: float = 0.01):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, num_outputs))
        nn.init.normal_(self.net[1].weight, 0.0, sigma)
        nn.init.zeros_(self.net[1].bias)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)  # (n, q)


register_model("linear-regression-scratch", input_shape=(4, 2), output_shape=(4, 1))(
    lambda: LinearRegressionScratch(2)
)
register_model("linear-regression", input_shape=(4, 2), output_shape=(4, 1))(
    lambda: LinearRegression(2)
)
register_model("softmax-regression-scratch", input_shape=(4, 1, 28, 28), output_shape=(4, 10))(
    SoftmaxRegressionScratch
)
register_model("softmax-regression", input_shape=(4, 1, 28, 28), output_shape=(4, 10))(
    SoftmaxRegression
)
