import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dlnotes.layers.conv import (
    Conv2DScratch,
    check_conv_output_shape,
    conv_output_shape,
    corr2d,
    corr2d_multi_in,
    corr2d_multi_in_out,
    corr2d_multi_in_out_1x1,
    pool2d,
)


def test_corr2d_matches_conv2d_on_random_input():
    g = torch.Generator().manual_seed(0)
    X, K = torch.randn(7, 9, generator=g), torch.randn(3, 2, generator=g)
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    torch.testing.assert_close(corr2d(X, K), expected)


def test_corr2d_does_not_flip_the_kernel():
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    torch.testing.assert_close(corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


def test_corr2d_kernel_as_large_as_input_gives_one_value():
    X, K = torch.randn(4, 4), torch.randn(4, 4)
    torch.testing.assert_close(corr2d(X, K), (X * K).sum().reshape(1, 1))


def test_corr2d_rejects_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        corr2d(torch.randn(1, 3, 3), torch.randn(2, 2))
    with pytest.raises(ValueError, match="larger"):
        corr2d(torch.randn(2, 2), torch.randn(3, 3))


def test_multi_in_matches_conv2d():
    X, K = torch.randn(3, 6, 5), torch.randn(3, 2, 3)
    expected = F.conv2d(X[None], K[None])[0, 0]
    torch.testing.assert_close(corr2d_multi_in(X, K), expected)


def test_multi_in_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="same C"):
        corr2d_multi_in(torch.randn(3, 5, 5), torch.randn(2, 2, 2))


def test_multi_in_out_matches_conv2d():
    X, K = torch.randn(3, 6, 6), torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(corr2d_multi_in_out(X, K), F.conv2d(X[None], K)[0])


def test_1x1_conv_as_matmul_matches_loops_and_conv2d():
    X, K = torch.randn(3, 5, 4), torch.randn(2, 3, 1, 1)
    torch.testing.assert_close(corr2d_multi_in_out_1x1(X, K), corr2d_multi_in_out(X, K))
    torch.testing.assert_close(corr2d_multi_in_out_1x1(X, K), F.conv2d(X[None], K)[0])


@pytest.mark.parametrize("size,stride,padding", [(2, 1, 0), (2, None, 0), (3, 2, 1), ((2, 3), (2, 1), (1, 0))])
def test_max_pool_matches_torch(size, stride, padding):
    X = torch.randn(7, 8)
    expected = F.max_pool2d(X[None, None], size, stride=stride, padding=padding)[0, 0]
    torch.testing.assert_close(pool2d(X, size, "max", stride, padding), expected)


@pytest.mark.parametrize("size,stride,padding", [(2, 1, 0), (2, None, 0), (3, 2, 1)])
def test_avg_pool_matches_torch(size, stride, padding):
    X = torch.randn(7, 8)
    expected = F.avg_pool2d(X[None, None], size, stride=stride, padding=padding)[0, 0]
    torch.testing.assert_close(pool2d(X, size, "avg", stride, padding), expected)


def test_max_pool_with_padding_ignores_pad_for_negative_inputs():
    X = -torch.ones(2, 2)
    torch.testing.assert_close(pool2d(X, 2, "max", stride=1, padding=1), -torch.ones(3, 3))


def test_pool2d_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        pool2d(torch.randn(3, 3), 2, "median")


def test_conv2d_scratch_learns_edge_kernel():
    torch.manual_seed(0)
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
    layer = Conv2DScratch((1, 2))
    opt = torch.optim.SGD(layer.parameters(), lr=0.01)
    for _ in range(300):
        opt.zero_grad()
        ((layer(X) - Y) ** 2).sum().backward()
        opt.step()
    torch.testing.assert_close(layer.weight.detach(), torch.tensor([[1.0, -1.0]]), atol=1e-2, rtol=0)


@pytest.mark.parametrize("h,w", [(8, 8), (28, 28), (13, 17)])
@pytest.mark.parametrize("kernel", [1, 3, 5, (3, 5)])
@pytest.mark.parametrize("padding", [0, 1, 2, (2, 1)])
@pytest.mark.parametrize("stride", [1, 2, 3, (3, 4)])
def test_output_shape_formula_matches_nn_conv2d(h, w, kernel, padding, stride):
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    expected = tuple(conv(torch.zeros(1, 1, h, w)).shape[2:])
    assert conv_output_shape(h, w, kernel, padding, stride) == expected
    assert check_conv_output_shape(h, w, kernel, padding, stride) == expected


def test_output_shape_rejects_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_shape(3, 3, 5)
    with pytest.raises(ValueError, match="positive"):
        conv_output_shape(8, 8, 3, stride=0)
