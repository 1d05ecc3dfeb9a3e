"""Hand-written backward of the §4.7 network equals autograd."""

import pytest
import torch

from dlnotes import autograd
from dlnotes.autograd import check_grad


@pytest.mark.parametrize("lambd", [0.0, 0.5])
def test_backward_matches_autograd(lambd):
    torch.manual_seed(0)
    X = torch.randn(16, 10, dtype=torch.float64)
    y = torch.randint(0, 4, (16,))
    W1 = torch.randn(10, 8, dtype=torch.float64).requires_grad_()
    W2 = torch.randn(8, 4, dtype=torch.float64).requires_grad_()
    J, cache = autograd.mlp_forward(X, y, W1, W2, lambd)
    grads = autograd.mlp_backward(cache)
    J.backward()
    torch.testing.assert_close(grads["W1"], W1.grad)
    torch.testing.assert_close(grads["W2"], W2.grad)


def test_forward_loss_matches_cross_entropy_plus_penalty():
    torch.manual_seed(0)
    X, y = torch.randn(5, 3) * 50, torch.randint(0, 2, (5,))  # large logits
    W1, W2 = torch.randn(3, 4), torch.randn(4, 2)
    J, _ = autograd.mlp_forward(X, y, W1, W2, 0.1)
    ref = torch.nn.functional.cross_entropy(torch.relu(X @ W1) @ W2, y) + 0.05 * (W1.pow(2).sum() + W2.pow(2).sum())
    torch.testing.assert_close(J, ref)


def test_backward_passes_numerical_gradient_check():
    torch.manual_seed(1)
    X, y = torch.randn(6, 4, dtype=torch.float64), torch.randint(0, 3, (6,))
    W1, W2 = torch.randn(4, 5, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    grads = autograd.mlp_backward(autograd.mlp_forward(X, y, W1, W2, 0.2)[1])
    assert check_grad(lambda W: autograd.mlp_forward(X, y, W1, W, 0.2)[0], W2, grads["W2"]) < 1e-6


def test_forward_rejects_shapes_that_do_not_chain():
    with pytest.raises(ValueError, match="do not chain"):
        autograd.mlp_forward(torch.randn(2, 3), torch.zeros(2, dtype=torch.long), torch.randn(4, 5), torch.randn(5, 2))
