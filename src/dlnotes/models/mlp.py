"""Perceptron and multilayer perceptrons, from scratch and concise (d2l §4.1–4.3, §4.6).

* :class:`Perceptron` (its classic update rule is :func:`dlnotes.recipes.perceptron.train_perceptron`);
* :class:`MLPScratch` / :class:`MLP`: one hidden ReLU layer;
* :class:`DropoutMLPScratch` / :class:`DropoutMLP`: two hidden layers with dropout after each.

``tests/test_mlp.py`` checks that twins with the same parameters give the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..layers.dropout import dropout_layer
from ..layers.functional import relu
from ._registry import register_model

__all__ = [
    "Perceptron",
    "MLPScratch",
    "MLP",
    "DropoutMLPConfig",
    "DropoutMLPScratch",
    "DropoutMLP",
]


class Perceptron(nn.Module):
    r"""Rosenblatt's perceptron: score $\langle \mathbf w, \mathbf x\rangle + b$, class $\mathrm{sign}$.

    ``forward`` returns the raw score ``(n, 1)``; :meth:`predict` turns it into labels in $\{-1, 1\}$.
    """

    def __init__(self, num_inputs: int):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(num_inputs, 1))  # (d, 1)
        self.b = nn.Parameter(torch.zeros(1))  # (1,)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X @ self.w + self.b  # (n, 1)

    @torch.no_grad()
    def predict(self, X: torch.Tensor) -> torch.Tensor:
        return torch.where(self(X).squeeze(1) > 0, 1.0, -1.0)  # (n,)


class MLPScratch(nn.Module):
    r"""$\mathbf H = \mathrm{ReLU}(\mathbf X \mathbf W^{(1)} + \mathbf b^{(1)})$,
    $\mathbf O = \mathbf H \mathbf W^{(2)} + \mathbf b^{(2)}$, with hand-made parameters.

    Args:
        num_inputs: features per example (784 for 28×28 images).
        num_outputs: classes $q$.
        num_hiddens: hidden units $h$.
        sigma: standard deviation of the normal initialisation of the weights.

    Shapes: ``X`` ``(n, 1, 28, 28)`` or ``(n, d)`` → logits ``(n, q)``.
    """

    def __init__(
        self, num_inputs: int = 784, num_outputs: int = 10, num_hiddens: int = 256, sigma: float = 0.01
    ):
        super().__init__()
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)  # (d, h)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))  # (h,)
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)  # (h, q)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))  # (q,)

    # --8<-- [start:mlpscratch-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = X.reshape(X.shape[0], -1)  # (n, d)
        if X.shape[1] != self.W1.shape[0]:
            raise ValueError(f"each example must have {self.W1.shape[0]} values, got {X.shape[1]}")
        H = relu(X @ self.W1 + self.b1)  # (n, h)
        return H @ self.W2 + self.b2  # (n, q)
    # --8<-- [end:mlpscratch-forward]


class MLP(nn.Module):
    """Concise twin of :class:`MLPScratch`: ``Flatten → Linear → ReLU → Linear``."""

    # --8<-- [start:mlp-init]
    def __init__(
        self, num_inputs: int = 784, num_outputs: int = 10, num_hiddens: int = 256, sigma: float = 0.01
    ):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(num_inputs, num_hiddens),
            nn.ReLU(),
            nn.Linear(num_hiddens, num_outputs),
        )
        for layer in (self.net[1], self.net[3]):
            nn.init.normal_(layer.weight, 0.0, sigma)
            nn.init.zeros_(layer.bias)
    # --8<-- [end:mlp-init]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)  # (n, q)


@dataclass
class DropoutMLPConfig:
    """Sizes of the two-hidden-layer MLP of d2l §4.6."""

    num_inputs: int = 784  # pixels of a 28×28 image
    num_outputs: int = 10  # classes
    num_hiddens1: int = 256  # first hidden layer
    num_hiddens2: int = 256  # second hidden layer
    dropout1: float = 0.2  # dropout after the first hidden layer (closer to the input: smaller)
    dropout2: float = 0.5  # dropout after the second hidden layer
    sigma: float = 0.01  # std of the normal weight initialisation


class DropoutMLPScratch(nn.Module):
    r"""Two hidden ReLU layers, each followed by :func:`dlnotes.layers.dropout.dropout_layer`.

    Dropout is applied only in ``train()`` mode; in ``eval()`` mode the net is deterministic.
    Shapes: ``X`` ``(n, 1, 28, 28)`` or ``(n, d)`` → logits ``(n, q)``.
    """

    def __init__(self, config: DropoutMLPConfig | None = None):
        super().__init__()
        c = self.config = config or DropoutMLPConfig()
        self.W1 = nn.Parameter(torch.randn(c.num_inputs, c.num_hiddens1) * c.sigma)  # (d, h1)
        self.b1 = nn.Parameter(torch.zeros(c.num_hiddens1))
        self.W2 = nn.Parameter(torch.randn(c.num_hiddens1, c.num_hiddens2) * c.sigma)  # (h1, h2)
        self.b2 = nn.Parameter(torch.zeros(c.num_hiddens2))
        self.W3 = nn.Parameter(torch.randn(c.num_hiddens2, c.num_outputs) * c.sigma)  # (h2, q)
        self.b3 = nn.Parameter(torch.zeros(c.num_outputs))

    # --8<-- [start:dropout-mlpscratch-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = X.reshape(X.shape[0], -1)  # (n, d)
        H1 = dropout_layer(relu(X @ self.W1 + self.b1), self.config.dropout1, self.training)  # (n, h1)
        H2 = dropout_layer(relu(H1 @ self.W2 + self.b2), self.config.dropout2, self.training)  # (n, h2)
        return H2 @ self.W3 + self.b3  # (n, q)
    # --8<-- [end:dropout-mlpscratch-forward]


class DropoutMLP(nn.Module):
    """Concise twin of :class:`DropoutMLPScratch` with ``nn.Dropout``."""

    def __init__(self, config: DropoutMLPConfig | None = None):
        super().__init__()
        c = self.config = config or DropoutMLPConfig()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c.num_inputs, c.num_hiddens1), nn.ReLU(), nn.Dropout(c.dropout1),
            nn.Linear(c.num_hiddens1, c.num_hiddens2), nn.ReLU(), nn.Dropout(c.dropout2),
            nn.Linear(c.num_hiddens2, c.num_outputs),
        )
        for module in self.net:
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, c.sigma)
                nn.init.zeros_(module.bias)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)  # (n, q)


_IMG = (4, 1, 28, 28)
register_model("perceptron", input_shape=(4, 2), output_shape=(4, 1))(lambda: Perceptron(2))
register_model("mlp-scratch", input_shape=_IMG, output_shape=(4, 10))(MLPScratch)
register_model("mlp", input_shape=_IMG, output_shape=(4, 10))(MLP)
register_model("dropout-mlp-scratch", input_shape=_IMG, output_shape=(4, 10))(DropoutMLPScratch)
register_model("dropout-mlp", input_shape=_IMG, output_shape=(4, 10))(DropoutMLP)
