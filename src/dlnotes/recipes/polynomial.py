r"""Polynomial regression for under- and over-fitting (d2l §4.4).

Data: $y = 5 + 1.2x - 3.4\frac{x^2}{2!} + 5.6\frac{x^3}{3!} + \epsilon$, $\epsilon \sim N(0, 0.1^2)$.
Features are $x^i / i!$ for $i = 0, \dots, 19$ (dividing by $i!$ keeps large powers from
dominating the gradient). Fitting with the first 4 features is right, with 2 is too simple
(under-fitting) and with all 20 too flexible for 100 examples (over-fitting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..data.synthetic import TensorBatches
from ..history import History
from ..layers.functional import squared_loss
from ..seed import data_generator
from ..train import fit

__all__ = ["PolyConfig", "polynomial_data", "train_polynomial"]


@dataclass
class PolyConfig:
    max_degree: int = 20  # number of features x^0 … x^19
    n_train: int = 100
    n_test: int = 100
    true_w: tuple[float, ...] = (5.0, 1.2, -3.4, 5.6)  # the other 16 true weights are 0
    noise: float = 0.1
    seed: int = 0


def polynomial_data(config: PolyConfig | None = None):
    """``(train_features, test_features, train_labels, test_labels)``.

    Shapes: features ``(n, max_degree)``, labels ``(n, 1)`` — the labels are already a column,
    the shape the predictions of ``nn.Linear(d, 1)`` have.
    """
    c = config or PolyConfig()
    g = data_generator(c.seed)  # not the stream that set_seed(seed) gives the model
    n = c.n_train + c.n_test
    x = torch.randn(n, 1, generator=g)  # (n, 1)
    powers = torch.arange(c.max_degree, dtype=torch.float32)  # (D,)
    factorials = torch.tensor([math.factorial(i) for i in range(c.max_degree)], dtype=torch.float32)
    features = x**powers / factorials  # (n, D): x^i / i!
    w = torch.zeros(c.max_degree)
    w[: len(c.true_w)] = torch.tensor(c.true_w)
    labels = (features @ w).reshape(-1, 1)  # (n, 1)
    labels += torch.randn(labels.shape, generator=g) * c.noise
    return features[: c.n_train], features[c.n_train :], labels[: c.n_train], labels[c.n_train :]


def train_polynomial(
    train_features: torch.Tensor,
    test_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_labels: torch.Tensor,
    num_epochs: int = 400,
    lr: float = 0.01,
    batch_size: int = 10,
) -> tuple[nn.Linear, History]:
    """Fit ``nn.Linear(D, 1, bias=False)`` (the constant feature plays the bias) with SGD.

    Returns the trained layer and the :class:`History` with train and test loss per epoch.
    """
    net = nn.Linear(train_features.shape[1], 1, bias=False)
    train_iter = TensorBatches(train_features, train_labels, min(batch_size, len(train_labels)))
    test_iter = TensorBatches(test_features, test_labels, len(test_labels), shuffle=False)  # one batch
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    history = fit(net, train_iter, squared_loss, optimizer, num_epochs, test_iter)
    return net, history
