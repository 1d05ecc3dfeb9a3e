r"""The common task of d2l §11.5–11.10: linear regression on the airfoil data with any optimizer.

A linear model $\hat y = \mathbf x^\top\mathbf w + b$ (``w`` drawn from $\mathcal N(0, 0.01^2)$,
``b = 0``) is trained on minibatches of the standardised airfoil data with the loss
$\frac12(\hat y - y)^2$. Every ``eval_every`` examples the loss on the whole data set is recorded,
with the training time so far (evaluation excluded), so optimizers and batch sizes can be compared
per epoch *and* per second, as d2l's ``train_ch11`` does. The minibatch order comes from
:func:`dlnotes.seed.data_generator`, the initial weights from their own seeded generator, so two
runs with the same ``seed`` see the same batches and start from the same point.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch

from ..data.airfoil import airfoil_data
from ..seed import data_generator

__all__ = ["AirfoilRun", "train_airfoil"]


@dataclass
class AirfoilRun:
    """The record of one run: loss on all data after ``epochs[i]`` epochs and ``seconds[i]`` of training."""

    epochs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    weights: torch.Tensor | None = None  # (5,) final w
    bias: float = 0.0

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds[-1] / self.epochs[-1]


def _loss(X, y, w, b):
    return 0.5 * ((X @ w + b - y) ** 2).mean()  # ½ mean squared error


def train_airfoil(make_optimizer: Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer], *,
                  batch_size: int = 10, num_epochs: int = 2, n: int = 1500, eval_every: int = 200,
                  seed: int = 0, data: tuple[torch.Tensor, torch.Tensor] | None = None) -> AirfoilRun:
    """Train the linear model with ``make_optimizer([w, b])`` and record the full-data loss.

    ``data`` defaults to :func:`dlnotes.data.airfoil.airfoil_data` ``(n)``. The first record is
    the starting loss at epoch 0.
    """
    if batch_size <= 0 or num_epochs <= 0 or eval_every <= 0:
        raise ValueError(f"batch_size, num_epochs and eval_every must be positive, got "
                         f"{batch_size}, {num_epochs}, {eval_every}")
    X, y = airfoil_data(n) if data is None else data
    if batch_size > len(X):
        raise ValueError(f"batch_size {batch_size} exceeds the {len(X)} examples")
    init = torch.Generator().manual_seed(seed)
    w = (0.01 * torch.randn(X.shape[1], generator=init)).requires_grad_(True)  # (5,)
    b = torch.zeros((), requires_grad=True)
    optimizer = make_optimizer([w, b])
    order = data_generator(seed)
    run, seen, elapsed = AirfoilRun(), 0, 0.0
    with torch.no_grad():
        run.epochs.append(0.0), run.losses.append(float(_loss(X, y, w, b))), run.seconds.append(0.0)
    # --8<-- [start:airfoil-loop]
    for epoch in range(num_epochs):
        perm = torch.randperm(len(X), generator=order)
        for start in range(0, len(X) - batch_size + 1, batch_size):  # full batches only, as d2l
            tic = time.perf_counter()
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            _loss(X[idx], y[idx], w, b).backward()
            optimizer.step()
            elapsed += time.perf_counter() - tic
            seen += batch_size
            if seen % eval_every < batch_size or start + 2 * batch_size > len(X):
                with torch.no_grad():
                    run.epochs.append(epoch + (start + batch_size) / len(X))
                    run.losses.append(float(_loss(X, y, w, b)))
                    run.seconds.append(elapsed)
    # --8<-- [end:airfoil-loop]
    run.weights, run.bias = w.detach().clone(), float(b.detach())
    return run
