"""The scratch functions of dlnotes.layers.functional agree with their PyTorch twins, also on hard inputs."""

import pytest
import torch
from torch.nn import functional as F
from torch.testing import assert_close

from dlnotes.layers import functional as dfn


def _logits(seed: int = 0, n: int = 8, q: int = 5, scale: float = 3.0) -> torch.Tensor:
    return torch.randn(n, q, generator=torch.Generator().manual_seed(seed)) * scale


def test_softmax_matches_torch_softmax():
    X = _logits()
    assert_close(dfn.softmax(X), torch.softmax(X, dim=1))


def test_softmax_of_large_logits_does_not_overflow():
    X = torch.tensor([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]])
    out = dfn.softmax(X)
    assert torch.isfinite(out).all()
    assert_close(out, torch.softmax(X, dim=1))
    assert_close(out.sum(dim=1), torch.ones(3))


def test_softmax_rows_sum_to_one_and_are_nonnegative():
    out = dfn.softmax(_logits(1, n=20, q=10, scale=10.0))
    assert (out >= 0).all()
    assert_close(out.sum(dim=1), torch.ones(20))


def test_log_softmax_matches_torch_log_softmax_on_large_logits():
    for X in (_logits(), torch.tensor([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]])):
        out = dfn.log_softmax(X)
        assert torch.isfinite(out).all()
        assert_close(out, torch.log_softmax(X, dim=1))


def test_cross_entropy_matches_f_cross_entropy():
    X = _logits(2)
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2])
    for reduction in ("mean", "sum", "none"):
        assert_close(dfn.cross_entropy(X, y, reduction=reduction),
                     F.cross_entropy(X, y, reduction=reduction))


def test_cross_entropy_with_near_zero_probabilities_is_finite_and_matches():
    # the true class gets probability exp(-200) ≈ 1e-87, which underflows to 0 in float32
    X = torch.tensor([[200.0, 0.0, 0.0], [0.0, 0.0, 1000.0]])
    y = torch.tensor([1, 0])
    out = dfn.cross_entropy(X, y, reduction="none")
    assert torch.isfinite(out).all()
    assert_close(out, F.cross_entropy(X, y, reduction="none"))
    assert out[0] == pytest.approx(200.0, rel=1e-5)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    X = _logits(3).requires_grad_()
    y = torch.tensor([4, 3, 2, 1, 0, 4, 3, 2])
    dfn.cross_entropy(X, y, reduction="sum").backward()
    expected = torch.softmax(X.detach(), dim=1) - F.one_hot(y, 5).float()
    assert_close(X.grad, expected)


def test_cross_entropy_rejects_labels_of_wrong_shape():
    with pytest.raises(ValueError, match="labels must have shape"):
        dfn.cross_entropy(_logits(), torch.zeros(8, 1, dtype=torch.long))


def test_softmax_rejects_non_matrix_input():
    with pytest.raises(ValueError, match="batch, num_classes"):
        dfn.softmax(torch.randn(3))
    with pytest.raises(ValueError, match="batch, num_classes"):
        dfn.log_softmax(torch.randn(2, 3, 4))


def test_squared_loss_is_half_mse():
    g = torch.Generator().manual_seed(4)
    y_hat, y = torch.randn(10, 1, generator=g), torch.randn(10, 1, generator=g)
    assert_close(dfn.squared_loss(y_hat, y), 0.5 * F.mse_loss(y_hat, y))
    assert_close(dfn.squared_loss(y_hat, y, reduction="none"),
                 0.5 * F.mse_loss(y_hat, y, reduction="none"))
    assert_close(dfn.squared_loss(y_hat, y, reduction="sum"),
                 0.5 * F.mse_loss(y_hat, y, reduction="sum"))


def test_l1_loss_matches_f_l1_loss():
    g = torch.Generator().manual_seed(5)
    y_hat, y = torch.randn(10, 3, generator=g) * 5, torch.randn(10, 3, generator=g)
    for reduction in ("mean", "sum", "none"):
        assert_close(dfn.l1_loss(y_hat, y, reduction=reduction),
                     F.l1_loss(y_hat, y, reduction=reduction))


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_loss_matches_f_huber_loss_on_both_branches(delta):
    y_hat = torch.linspace(-5, 5, 41).reshape(-1, 1)  # residuals well inside and outside delta
    y = torch.zeros_like(y_hat)
    for reduction in ("mean", "sum", "none"):
        assert_close(dfn.huber_loss(y_hat, y, delta=delta, reduction=reduction),
                     F.huber_loss(y_hat, y, delta=delta, reduction=reduction))


def test_huber_gradient_is_clipped_residual():
    y_hat = torch.tensor([-3.0, -0.5, 0.2, 4.0], requires_grad=True)
    dfn.huber_loss(y_hat, torch.zeros(4), reduction="sum").backward()
    assert_close(y_hat.grad, torch.tensor([-1.0, -0.5, 0.2, 1.0]))


@pytest.mark.parametrize("loss", [dfn.squared_loss, dfn.l1_loss, dfn.huber_loss])
def test_regression_losses_refuse_broadcasting_shapes(loss):
    with pytest.raises(ValueError, match="reshape y"):
        loss(torch.zeros(4, 1), torch.zeros(4))


def test_unknown_reduction_raises():
    with pytest.raises(ValueError, match="reduction"):
        dfn.squared_loss(torch.zeros(2), torch.zeros(2), reduction="avg")


def test_sigmoid_matches_torch_sigmoid_at_extremes():
    X = torch.tensor([-100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0, -1000.0])
    out = dfn.sigmoid(X)
    assert torch.isfinite(out).all()
    assert_close(out, torch.sigmoid(X))
    assert out[0] > 0  # exp(-100) is tiny but representable, not rounded to 0 by 1/(1+inf)


def test_sigmoid_gradient_is_finite_at_extremes():
    X = torch.tensor([-100.0, 100.0], requires_grad=True)
    dfn.sigmoid(X).sum().backward()
    assert torch.isfinite(X.grad).all()
    assert_close(X.grad, torch.zeros(2), atol=1e-30, rtol=0)


def test_relu_and_tanh_match_torch():
    X = torch.linspace(-50, 50, 201)
    assert_close(dfn.relu(X), torch.relu(X))
    assert_close(dfn.tanh(X), torch.tanh(X))


def test_accuracy_counts_argmax_hits():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert dfn.accuracy(y_hat, torch.tensor([1, 0, 0, 0])) == pytest.approx(0.75)
