"""House-price preprocessing, log-RMSE, k-fold splits and k-fold training."""

import math

import pandas as pd
import pytest
import torch

from dlnotes.data.kaggle_house import get_k_fold_data, k_fold_indices, log_rmse, preprocess_house


def _toy_frames():
    train = pd.DataFrame({
        "Id": [1, 2, 3, 4],
        "Area": [100.0, 200.0, None, 300.0],
        "Zone": ["A", "B", None, "A"],
        "SalePrice": [10.0, 20.0, 30.0, 40.0],
    })
    test = pd.DataFrame({"Id": [5, 6], "Area": [400.0, 100.0], "Zone": ["B", "C"]})
    return train, test


def test_preprocess_standardises_fills_and_one_hots_with_nan_category():
    data = preprocess_house(*_toy_frames())
    cols = data.columns
    assert "Id" not in cols and "SalePrice" not in cols
    assert {"Zone_A", "Zone_B", "Zone_C", "Zone_nan"} <= set(cols)
    area = torch.cat([data.train_features, data.test_features])[:, cols.index("Area")]
    known = torch.tensor([100.0, 200.0, 300.0, 400.0, 100.0])
    expected = (known - known.mean()) / known.std()
    torch.testing.assert_close(area[[0, 1, 3, 4, 5]], expected)
    assert area[2].item() == 0.0  # the missing value became the mean
    assert data.train_labels.shape == (4, 1)
    assert data.train_features.dtype == torch.float32
    assert data.train_features[2, cols.index("Zone_nan")].item() == 1.0


def test_preprocess_needs_sale_price():
    train, test = _toy_frames()
    with pytest.raises(ValueError, match="SalePrice"):
        preprocess_house(train.drop(columns="SalePrice"), test)


def test_log_rmse_matches_formula_and_clips_small_predictions():
    y = torch.tensor([[100.0], [200.0]])
    y_hat = torch.tensor([[110.0], [0.0]])
    expected = math.sqrt(((math.log(110) - math.log(100)) ** 2 + (math.log(1) - math.log(200)) ** 2) / 2)
    assert math.isclose(log_rmse(y_hat, y), expected, rel_tol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        log_rmse(y_hat.reshape(-1), y)


def test_k_fold_indices_partition_the_rows():
    seen = []
    for i in range(3):
        train_idx, valid_idx = k_fold_indices(10, 3, i)
        assert len(valid_idx) == 3 and len(train_idx) == 7
        assert set(train_idx.tolist()).isdisjoint(valid_idx.tolist())
        seen += valid_idx.tolist()
    assert sorted(seen) == list(range(9))  # row 9 (the remainder) is always in training


def test_k_fold_rejects_bad_arguments():
    with pytest.raises(ValueError, match="k must be"):
        k_fold_indices(10, 1, 0)
    with pytest.raises(ValueError, match="fold index"):
        k_fold_indices(10, 5, 5)
    with pytest.raises(ValueError, match="different lengths"):
        get_k_fold_data(2, 0, torch.zeros(4, 1), torch.zeros(3, 1))
