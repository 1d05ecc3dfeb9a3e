import pytest
import torch
from torch import nn

from dlnotes.layers.norm import BatchNorm, batch_norm


def _pair(num_features, num_dims):
    ours = BatchNorm(num_features, num_dims=num_dims)
    theirs = nn.BatchNorm1d(num_features) if num_dims == 2 else nn.BatchNorm2d(num_features)
    with torch.no_grad():  # non-trivial gamma/beta
        g, b = torch.randn(num_features), torch.randn(num_features)
        ours.gamma.copy_(g.reshape(ours.gamma.shape))
        ours.beta.copy_(b.reshape(ours.beta.shape))
        theirs.weight.copy_(g)
        theirs.bias.copy_(b)
    return ours, theirs


@pytest.mark.parametrize("shape", [(16, 5), (8, 3, 4, 5)])
def test_batchnorm_matches_torch_in_training_and_eval(shape):
    torch.manual_seed(0)
    ours, theirs = _pair(shape[1], len(shape))
    for step in range(4):  # running statistics after several steps
        X = torch.randn(shape) * (step + 1) + 3.0  # far from zero mean / unit variance
        torch.testing.assert_close(ours(X), theirs(X))
    torch.testing.assert_close(ours.running_mean.flatten(), theirs.running_mean)
    torch.testing.assert_close(ours.running_var.flatten(), theirs.running_var)
    ours.eval()
    theirs.eval()
    X = torch.randn(shape)
    torch.testing.assert_close(ours(X), theirs(X))


def test_batchnorm_gradients_match_torch():
    torch.manual_seed(0)
    ours, theirs = _pair(3, 4)
    X = torch.randn(4, 3, 2, 2, requires_grad=True)
    X2 = X.detach().clone().requires_grad_(True)
    (ours(X) ** 3).sum().backward()
    (theirs(X2) ** 3).sum().backward()
    torch.testing.assert_close(X.grad, X2.grad)
    torch.testing.assert_close(ours.gamma.grad.flatten(), theirs.weight.grad)


def test_training_output_is_normalised_per_channel():
    torch.manual_seed(0)
    Y = BatchNorm(4, num_dims=4)(torch.randn(8, 4, 3, 3) * 5 + 2)
    torch.testing.assert_close(Y.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(Y.var(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3, rtol=0)


def test_eval_mode_does_not_change_running_statistics():
    layer = BatchNorm(3, num_dims=2).eval()
    layer(torch.randn(5, 3) + 10)
    torch.testing.assert_close(layer.running_mean, torch.zeros(1, 3))


def test_batchnorm_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="num_dims"):
        BatchNorm(3, num_dims=3)
    with pytest.raises(ValueError, match="3 features"):
        BatchNorm(3, num_dims=2)(torch.randn(4, 5))
    with pytest.raises(ValueError, match="more than one value"):
        BatchNorm(3, num_dims=2)(torch.randn(1, 3))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        batch_norm(torch.randn(2, 3, 4), torch.ones(1), torch.zeros(1), torch.zeros(1),
                   torch.ones(1), training=True)
