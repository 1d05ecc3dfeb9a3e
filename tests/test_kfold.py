"""k-fold training: one model per fold, metrics collected, predictions usable."""

import torch
from torch import nn

from dlnotes.recipes.kfold import (
    FoldResult,
    RegressionConfig,
    k_fold,
    predict_regression,
    train_regression,
)


def test_k_fold_calls_train_fn_once_per_fold_with_disjoint_validation_rows():
    X, y = torch.arange(12.0).reshape(12, 1), torch.arange(12.0).reshape(12, 1)
    seen = []

    def train_fn(X_train, y_train, X_valid, y_valid):
        seen.append(X_valid.reshape(-1).tolist())
        assert len(X_train) + len(X_valid) == 12
        return FoldResult({"size": float(len(X_valid))})

    result = k_fold(train_fn, X, y, k=3)
    assert result.per_fold("size") == [4.0, 4.0, 4.0] and result.mean("size") == 4.0
    assert sorted(sum(seen, [])) == list(range(12))


def test_k_fold_training_fits_a_linear_log_price():
    torch.manual_seed(0)
    X = torch.randn(100, 3)
    y = torch.exp(2 + X @ torch.tensor([[0.3], [-0.2], [0.1]]))  # (100, 1) prices
    config = RegressionConfig(num_epochs=60, lr=0.05, batch_size=16, log_target=True)
    result = k_fold(train_regression(lambda d: nn.Linear(d, 1), config), X, y, k=4)
    assert len(result.folds) == 4
    assert result.mean("valid_log_rmse") < 0.05
    assert len(result.folds[0].curves["train_log_rmse"]) == 60
    preds = predict_regression(result.folds[0].model, X, log_target=True)
    assert preds.shape == (100, 1) and torch.all(preds > 0)
