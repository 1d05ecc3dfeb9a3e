"""Polynomial data have column labels; the cubic model recovers the true weights."""

import math

import pytest
import torch

from dlnotes.data.synthetic import TensorBatches
from dlnotes.recipes.polynomial import PolyConfig, polynomial_data, train_polynomial


def test_polynomial_features_are_scaled_powers_and_labels_are_columns():
    X_train, X_test, y_train, y_test = polynomial_data(PolyConfig(n_train=30, n_test=10))
    assert X_train.shape == (30, 20) and y_train.shape == (30, 1) and y_test.shape == (10, 1)
    x = X_train[:, 1]
    torch.testing.assert_close(X_train[:, 3], x**3 / math.factorial(3))
    assert torch.all(X_train[:, 0] == 1)


def test_cubic_fit_recovers_true_weights():
    torch.manual_seed(0)
    X_train, X_test, y_train, y_test = polynomial_data()
    # the x³/3! feature is small, so SGD needs many passes to pin its weight down
    net, history = train_polynomial(X_train[:, :4], X_test[:, :4], y_train, y_test, num_epochs=1500)
    torch.testing.assert_close(net.weight.data[0], torch.tensor([5.0, 1.2, -3.4, 5.6]), atol=0.3, rtol=0)
    assert history.final["test_loss"] < 0.05


def test_linear_fit_underfits():
    torch.manual_seed(0)
    X_train, X_test, y_train, y_test = polynomial_data()
    _, history = train_polynomial(X_train[:, :2], X_test[:, :2], y_train, y_test, num_epochs=50)
    assert history.final["train_loss"] > 1.0


def test_tensor_batches_cover_every_row_once():
    batches = TensorBatches(torch.arange(10.0), torch.arange(10.0), batch_size=3)
    rows = torch.cat([X for X, _ in batches])
    assert len(batches) == 4 and sorted(rows.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="different lengths"):
        TensorBatches(torch.zeros(3), torch.zeros(4), 2)
