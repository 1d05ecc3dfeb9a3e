"""Numerical gradients agree with autograd and catch a wrong gradient."""

import pytest
import torch

from dlnotes.autograd import check_against_autograd, check_grad, numerical_grad, relative_error


def f(x):
    return (torch.sin(x) * x**2).sum() + torch.logsumexp(x, dim=0)


def test_numerical_grad_matches_autograd():
    torch.manual_seed(0)
    x = torch.randn(7, dtype=torch.float64)
    x_req = x.clone().requires_grad_(True)
    f(x_req).backward()
    torch.testing.assert_close(numerical_grad(f, x), x_req.grad, rtol=1e-6, atol=1e-8)


def test_check_against_autograd_small_for_matrix_input():
    torch.manual_seed(0)
    W = torch.randn(3, 4, dtype=torch.float64)
    assert check_against_autograd(lambda w: (w @ w.T).tanh().sum(), W) < 1e-6


def test_check_grad_flags_a_wrong_gradient():
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    wrong = 3 * x  # true gradient of sum(x**2) is 2x
    assert check_grad(lambda v: (v**2).sum(), x, wrong) > 0.1
    assert check_grad(lambda v: (v**2).sum(), x, 2 * x) < 1e-8


def test_numerical_grad_leaves_input_unchanged():
    x = torch.randn(4, dtype=torch.float64)
    before = x.clone()
    numerical_grad(f, x)
    assert torch.equal(x, before)


def test_relative_error_handles_zeros_and_shape_mismatch():
    assert relative_error(torch.zeros(3), torch.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(torch.zeros(3), torch.zeros(4))


def test_numerical_grad_rejects_integer_input():
    with pytest.raises(TypeError, match="floating-point"):
        numerical_grad(lambda v: v.sum(), torch.arange(3))
