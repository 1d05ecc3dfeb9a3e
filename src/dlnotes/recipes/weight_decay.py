r"""Weight decay on a high-dimensional linear regression (d2l §4.5).

Data: $y = 0.05 + \sum_{i=1}^{d} 0.01 x_i + \epsilon$, $\epsilon \sim N(0, 0.01^2)$, with $d = 200$
features and only 20 training examples — a setting made to over-fit.
The objective adds $\frac{\lambda}{2}\|\mathbf w\|^2$ to the squared loss; its gradient turns the SGD
step into $\mathbf w \leftarrow (1 - \eta\lambda)\mathbf w - \eta \nabla_{\mathbf w} \ell$.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.synthetic import load_array, synthetic_linear_data
from ..history import History
from ..layers.functional import squared_loss
from ..models.linear import LinearRegressionScratch
from ..optim.sgd import SGD
from ..train import fit

__all__ = ["WeightDecayConfig", "l2_penalty", "weight_decay_data", "train_weight_decay"]


@dataclass
class WeightDecayConfig:
    """d2l §4.5's setting."""

    n_train: int = 20
    n_test: int = 100
    num_inputs: int = 200  # d, far more than n_train
    batch_size: int = 5
    num_epochs: int = 100
    lr: float = 0.003
    seed: int = 0


def l2_penalty(w: torch.Tensor) -> torch.Tensor:
    r"""$\frac12\|\mathbf w\|_2^2$."""
    return (w**2).sum() / 2


def weight_decay_data(config: WeightDecayConfig | None = None):
    """``(train_iter, test_iter)`` of the §4.5 regression problem."""
    c = config or WeightDecayConfig()
    true_w = torch.ones(c.num_inputs) * 0.01
    # data seeds differ from the page's set_seed(seed): with equal seeds the normal draws of the
    # data and of the model's initial weights would be the same numbers (correlated, not random)
    X_train, y_train = synthetic_linear_data(true_w, 0.05, c.n_train, seed=1000 + c.seed)
    X_test, y_test = synthetic_linear_data(true_w, 0.05, c.n_test, seed=2000 + c.seed)
    return (
        load_array((X_train, y_train), c.batch_size, seed=c.seed),
        load_array((X_test, y_test), c.batch_size, shuffle=False),
    )


def train_weight_decay(
    lambd: float, config: WeightDecayConfig | None = None, concise: bool = False
) -> tuple[History, float]:
    r"""Train with penalty $\lambda$; returns the history and $\|\mathbf w\|_2$ at the end.

    The recorded ``train_loss`` of the scratch run includes the penalty; ``test_loss`` does not.

    ``concise=False``: scratch model, the penalty $\lambda\,\frac12\|\mathbf w\|^2$ added to the loss.
    ``concise=True``: ``nn.Linear`` and ``torch.optim.SGD`` with ``weight_decay=λ`` on the weight
    only (the bias is not decayed).
    """
    c = config or WeightDecayConfig()
    train_iter, test_iter = weight_decay_data(c)
    # --8<-- [start:concise]
    if concise:
        net = nn.Linear(c.num_inputs, 1)
        nn.init.normal_(net.weight)
        nn.init.normal_(net.bias)
        optimizer = torch.optim.SGD(
            [{"params": net.weight, "weight_decay": lambd}, {"params": net.bias}], lr=c.lr
        )
        history = fit(net, train_iter, squared_loss, optimizer, c.num_epochs, test_iter)
        return history, net.weight.norm().item()
    # --8<-- [end:concise]
    net = LinearRegressionScratch(c.num_inputs, sigma=1.0)

    def loss(y_hat, y):
        # the penalty is part of the training objective only; evaluation (under no_grad) and
        # the test loss measure the plain squared loss
        if torch.is_grad_enabled():
            return squared_loss(y_hat, y) + lambd * l2_penalty(net.w)
        return squared_loss(y_hat, y)

    history = fit(net, train_iter, loss, SGD(net.parameters(), lr=c.lr), c.num_epochs, test_iter)
    return history, net.w.norm().item()
