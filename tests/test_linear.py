"""Scratch linear/softmax regression agree with their nn.Linear twins given the same parameters."""

import pytest
import torch
from torch.testing import assert_close

from dlnotes.data.synthetic import load_array, synthetic_linear_data
from dlnotes.layers.functional import squared_loss
from dlnotes.models.linear import (
    LinearRegression,
    LinearRegressionScratch,
    SoftmaxRegression,
    SoftmaxRegressionScratch,
)
from dlnotes.optim.sgd import SGD
from dlnotes.train import fit


def _copy_linear(scratch: LinearRegressionScratch, concise: LinearRegression) -> None:
    with torch.no_grad():
        concise.net.weight.copy_(scratch.w.T)  # (1, d) <- (d, 1)
        concise.net.bias.copy_(scratch.b)


def _copy_softmax(scratch: SoftmaxRegressionScratch, concise: SoftmaxRegression) -> None:
    with torch.no_grad():
        concise.net[1].weight.copy_(scratch.W.T)  # (q, d) <- (d, q)
        concise.net[1].bias.copy_(scratch.b)


def test_linear_regression_scratch_matches_concise_with_copied_parameters():
    torch.manual_seed(0)
    scratch, concise = LinearRegressionScratch(3, sigma=1.0), LinearRegression(3)
    with torch.no_grad():
        scratch.b.fill_(0.7)
    _copy_linear(scratch, concise)
    X = torch.randn(10, 3)
    assert_close(scratch(X), concise(X))
    assert scratch(X).shape == (10, 1)


def test_linear_regression_gradients_match_concise():
    torch.manual_seed(1)
    scratch, concise = LinearRegressionScratch(2, sigma=1.0), LinearRegression(2)
    _copy_linear(scratch, concise)
    X, y = torch.randn(8, 2), torch.randn(8, 1)
    squared_loss(scratch(X), y).backward()
    squared_loss(concise(X), y).backward()
    assert_close(scratch.w.grad.T, concise.net.weight.grad)
    assert_close(scratch.b.grad, concise.net.bias.grad)


def test_linear_regression_scratch_recovers_true_parameters():
    torch.manual_seed(0)
    true_w = torch.tensor([2.0, -3.4])
    X, y = synthetic_linear_data(true_w, 4.2, 1000)
    model = LinearRegressionScratch(2)
    fit(model, load_array((X, y), 10), squared_loss, SGD(model.parameters(), lr=0.03), 3)
    assert_close(model.w.detach().reshape(-1), true_w, atol=5e-3, rtol=0)
    assert_close(model.b.detach(), torch.tensor([4.2]), atol=5e-3, rtol=0)


def test_softmax_regression_scratch_matches_concise_with_copied_parameters():
    torch.manual_seed(0)
    scratch, concise = SoftmaxRegressionScratch(sigma=0.1), SoftmaxRegression()
    with torch.no_grad():
        scratch.b.copy_(torch.randn(10))
    _copy_softmax(scratch, concise)
    X = torch.rand(6, 1, 28, 28)
    assert_close(scratch(X), concise(X))
    assert_close(scratch(X.reshape(6, -1)), concise(X))  # flat input works too
    assert scratch(X).shape == (6, 10)


def test_softmax_regression_small_sizes_match():
    torch.manual_seed(2)
    scratch, concise = SoftmaxRegressionScratch(4, 3, sigma=1.0), SoftmaxRegression(4, 3)
    _copy_softmax(scratch, concise)
    X = torch.randn(5, 4)
    assert_close(scratch(X), concise(X))


def test_linear_regression_scratch_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match=r"expected X of shape \(n, 2\)"):
        LinearRegressionScratch(2)(torch.randn(4, 3))
    with pytest.raises(ValueError, match="expected X of shape"):
        LinearRegressionScratch(2)(torch.randn(4))


def test_softmax_regression_scratch_rejects_wrong_image_size():
    with pytest.raises(ValueError, match="784 values"):
        SoftmaxRegressionScratch()(torch.randn(2, 1, 32, 32))
