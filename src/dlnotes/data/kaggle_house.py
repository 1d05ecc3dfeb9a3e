"""Kaggle "House Prices" data (d2l §4.10): loading, preprocessing, log-RMSE, k-fold splits.

Preprocessing follows d2l: train and test features are processed together (the test rows are
unlabelled, so this leaks no label). Numeric columns are standardised to mean 0 and variance 1,
then their missing values are set to 0 (the mean); categorical columns become one-hot columns,
with "missing" as a category of its own (``dummy_na=True``).
"""

from __future__ import annotations

import pandas as pd
import torch

from .store import DataFile, fetch

__all__ = [
    "TRAIN_CSV",
    "TEST_CSV",
    "load_kaggle_house",
    "preprocess_house",
    "HouseData",
    "log_rmse",
    "k_fold_indices",
    "get_k_fold_data",
]


_D2L = "http://d2l-data.s3-accelerate.amazonaws.com/"
TRAIN_CSV = DataFile("kaggle_house_pred_train.csv", _D2L + "kaggle_house_pred_train.csv",
                     "585e9cc93e70b39160e7921475f9bcd7d31219ce")
TEST_CSV = DataFile("kaggle_house_pred_test.csv", _D2L + "kaggle_house_pred_test.csv",
                    "fa19780a7b011d9b009e8bff8e99922a8ee2eb90")


def load_kaggle_house() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train, test)`` data frames: 1460 × 81 (with ``SalePrice``) and 1459 × 80."""
    train = pd.read_csv(fetch(TRAIN_CSV))
    test = pd.read_csv(fetch(TEST_CSV))
    return train, test


class HouseData:
    """Tensors ready for training.

    Attributes:
        train_features: ``(n_train, d)`` float32.
        train_labels: ``(n_train, 1)`` float32 sale prices.
        test_features: ``(n_test, d)`` float32.
        test_ids: the ``Id`` column of the test set (for a submission file).
        columns: the names of the ``d`` feature columns.
    """

    def __init__(self, train_features, train_labels, test_features, test_ids, columns):
        self.train_features = train_features
        self.train_labels = train_labels
        self.test_features = test_features
        self.test_ids = test_ids
        self.columns = columns


def preprocess_house(train: pd.DataFrame, test: pd.DataFrame) -> HouseData:
    """Standardise numeric features, fill their NaN with 0, one-hot the rest (NaN its own class)."""
    if "SalePrice" not in train.columns:
        raise ValueError("the training frame must have a SalePrice column")
    # drop Id (column 0) everywhere and SalePrice (last column) from train
    all_features = pd.concat((train.iloc[:, 1:-1], test.iloc[:, 1:]))
    numeric = all_features.select_dtypes(include="number").columns  # strings are categorical
    all_features[numeric] = all_features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    all_features[numeric] = all_features[numeric].fillna(0)  # after standardising, 0 is the mean
    all_features = pd.get_dummies(all_features, dummy_na=True)
    all_features = all_features.astype("float32")
    n_train = train.shape[0]
    values = torch.tensor(all_features.values, dtype=torch.float32)  # (n_train + n_test, d)
    labels = torch.tensor(train.SalePrice.values, dtype=torch.float32).reshape(-1, 1)  # (n_train, 1)
    return HouseData(values[:n_train], labels, values[n_train:], test.Id.values, list(all_features.columns))


def log_rmse(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    r"""$\sqrt{\frac1n\sum_i(\log\hat y_i - \log y_i)^2}$, the Kaggle metric.

    Predictions below 1 are clipped to 1 so the logarithm stays finite. Shapes must match.
    """
    if y_hat.shape != y.shape:
        raise ValueError(f"y_hat {tuple(y_hat.shape)} and y {tuple(y.shape)} must have the same shape")
    clipped = torch.clamp(y_hat, 1, float("inf"))
    return torch.sqrt(((torch.log(clipped) - torch.log(y)) ** 2).mean()).item()


def k_fold_indices(n: int, k: int, i: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices ``(train_idx, valid_idx)`` of fold ``i`` when ``n`` rows are cut into ``k`` consecutive folds.

    Each fold has ``n // k`` rows; the last ``n % k`` rows are always in the training part.
    """
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}, got {k}")
    if not 0 <= i < k:
        raise ValueError(f"fold index must be in 0..{k - 1}, got {i}")
    fold_size = n // k
    idx = torch.arange(n)
    valid = (idx >= i * fold_size) & (idx < (i + 1) * fold_size)
    return idx[~valid], idx[valid]


def get_k_fold_data(k: int, i: int, X: torch.Tensor, y: torch.Tensor):
    """``(X_train, y_train, X_valid, y_valid)`` for fold ``i`` of ``k``."""
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} vs {len(y)}")
    train_idx, valid_idx = k_fold_indices(len(X), k, i)
    return X[train_idx], y[train_idx], X[valid_idx], y[valid_idx]
