"""k-fold cross-validation (d2l §4.4, §4.10): train k times, each time holding out one fold.

:func:`k_fold` knows nothing about the model: it calls ``train_fn(X_train, y_train, X_valid,
y_valid)`` for every fold and collects the metrics that function returns.
:func:`train_regression` is such a ``train_fn`` for the house-price model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ..data.kaggle_house import get_k_fold_data, log_rmse
from ..seed import data_generator

__all__ = [
    "FoldResult",
    "KFoldResult",
    "k_fold",
    "RegressionConfig",
    "predict_regression",
    "train_regression",
]


@dataclass
class FoldResult:
    """One fold: final metrics plus per-epoch curves (lists) under ``curves``."""

    metrics: dict[str, float]
    curves: dict[str, list[float]] = field(default_factory=dict)
    model: nn.Module | None = None  # the trained model, for predictions


@dataclass
class KFoldResult:
    folds: list[FoldResult]

    def mean(self, name: str) -> float:
        """Average of one metric over the folds."""
        return sum(f.metrics[name] for f in self.folds) / len(self.folds)

    def per_fold(self, name: str) -> list[float]:
        return [f.metrics[name] for f in self.folds]


def k_fold(
    train_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], FoldResult],
    X: torch.Tensor,
    y: torch.Tensor,
    k: int = 5,
) -> KFoldResult:
    """Run ``train_fn`` on each of the ``k`` train/valid splits of ``(X, y)``."""
    return KFoldResult([train_fn(*get_k_fold_data(k, i, X, y)) for i in range(k)])


@dataclass
class RegressionConfig:
    """Training settings of the house-price model (defaults: d2l §4.10)."""

    num_epochs: int = 100  # passes over the training folds
    lr: float = 5.0  # Adam learning rate (large: the targets are in the hundreds of thousands)
    weight_decay: float = 0.0  # Adam's L2 coefficient
    batch_size: int = 64
    log_target: bool = False  # train on log(price) instead of price
    seed: int = 0  # shuffling order


def predict_regression(model: nn.Module, X: torch.Tensor, log_target: bool = False) -> torch.Tensor:
    """Prices ``(n, 1)`` predicted by ``model`` (``exp`` of its output if it was trained on logs)."""
    model.eval()
    with torch.no_grad():
        out = model(X)  # (n, 1)
    return torch.exp(out) if log_target else out


def train_regression(
    make_model: Callable[[int], nn.Module], config: RegressionConfig
) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], FoldResult]:
    """A ``train_fn`` for :func:`k_fold`: fresh model, Adam, MSE loss; metric log-RMSE per epoch.

    Args:
        make_model: builds a model from the number of input features.
        config: :class:`RegressionConfig`.

    With ``config.log_target`` the model predicts $\\log y$ and is scored on ``exp`` of its output.
    """

    def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
        return predict_regression(model, X, config.log_target)

    def train_fn(X_train, y_train, X_valid=None, y_valid=None) -> FoldResult:
        model = make_model(X_train.shape[1])
        target = torch.log(y_train) if config.log_target else y_train  # (n, 1)
        generator = data_generator(config.seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loss = nn.MSELoss()
        curves: dict[str, list[float]] = {"train_log_rmse": [], "valid_log_rmse": []}
        for _ in range(config.num_epochs):
            model.train()
            # slicing shuffled index batches: much faster than a DataLoader for a small table
            for idx in torch.randperm(len(X_train), generator=generator).split(config.batch_size):
                optimizer.zero_grad()
                loss(model(X_train[idx]), target[idx]).backward()
                optimizer.step()
            model.eval()
            curves["train_log_rmse"].append(log_rmse(predict(model, X_train), y_train))
            if X_valid is not None:
                curves["valid_log_rmse"].append(log_rmse(predict(model, X_valid), y_valid))
        metrics = {name: values[-1] for name, values in curves.items() if values}
        return FoldResult(metrics, curves, model)

    return train_fn
