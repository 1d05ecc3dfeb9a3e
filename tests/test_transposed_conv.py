"""Transposed convolution from scratch (dlnotes.layers.transposed_conv) against torch's
F.conv_transpose2d / nn.ConvTranspose2d: outputs, gradients, the matrix view, bilinear init."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dlnotes.layers.transposed_conv import (
    bilinear_kernel,
    conv_matrix,
    conv_transpose2d,
    trans_conv,
)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (2, 1), (3, 2)])
def test_single_channel_matches_torch_outputs_and_gradients(stride, padding):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    K = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    ours = trans_conv(X, K, stride, padding)
    twin = F.conv_transpose2d(X[None, None], K[None, None], stride=stride, padding=padding)[0, 0]
    torch.testing.assert_close(ours, twin)
    G = torch.randn(ours.shape, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((ours * G).sum(), (X, K))
    twin_grads = torch.autograd.grad((twin * G).sum(), (X, K))
    for a, b in zip(grads, twin_grads, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 2), (2, 1, 4), (16, 8, 32), (3, 1, 3)])
def test_batched_matches_conv_transpose2d_module(stride, padding, kernel):
    torch.manual_seed(1)
    layer = nn.ConvTranspose2d(3, 5, kernel, stride=stride, padding=padding).double()
    X = torch.randn(2, 3, 4, 3, dtype=torch.float64, requires_grad=True)
    ours = conv_transpose2d(X, layer.weight, layer.bias, stride, padding)
    twin = layer(X)
    torch.testing.assert_close(ours, twin)
    G = torch.randn_like(twin)
    params = (X, layer.weight, layer.bias)
    for a, b in zip(torch.autograd.grad((ours * G).sum(), params),
                    torch.autograd.grad((twin * G).sum(), params), strict=True):
        torch.testing.assert_close(a, b)


def test_the_matrix_view_is_the_transpose_of_the_convolution():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(4, 5, generator=g, dtype=torch.float64)
    K = torch.randn(2, 3, generator=g, dtype=torch.float64)
    W = conv_matrix(K, (4, 5))  # (3 * 3, 4 * 5)
    conv = F.conv2d(X[None, None], K[None, None])[0, 0]
    torch.testing.assert_close(W @ X.flatten(), conv.flatten())
    Y = torch.randn(conv.shape, generator=g, dtype=torch.float64)
    torch.testing.assert_close((W.T @ Y.flatten()).reshape(4, 5), trans_conv(Y, K))


def test_bilinear_kernel_upsamples_like_bilinear_interpolation_in_the_interior():
    torch.manual_seed(3)
    X = torch.rand(1, 3, 6, 7)
    for factor in (2, 4, 16):
        weight = bilinear_kernel(3, 3, 2 * factor)
        up = conv_transpose2d(X, weight, stride=factor, padding=factor // 2)
        ref = F.interpolate(X, scale_factor=factor, mode="bilinear", align_corners=False)
        assert up.shape == ref.shape
        m = factor  # the outermost half input pixel on each side sees zero padding instead
        torch.testing.assert_close(up[..., m:-m, m:-m], ref[..., m:-m, m:-m])
    assert bilinear_kernel(2, 2, 4)[0, 1].abs().sum() == 0  # channels do not mix


def test_bad_arguments_fail_loudly():
    with pytest.raises(ValueError, match="2-D"):
        trans_conv(torch.rand(1, 2, 2), torch.rand(2, 2))
    with pytest.raises(ValueError, match="same C_in"):
        conv_transpose2d(torch.rand(1, 3, 2, 2), torch.rand(4, 1, 2, 2))
    with pytest.raises(ValueError, match="stride"):
        trans_conv(torch.rand(2, 2), torch.rand(2, 2), stride=0)
    with pytest.raises(ValueError, match="keeps the channels"):
        bilinear_kernel(3, 4, 4)
    with pytest.raises(ValueError, match="removes the whole"):
        trans_conv(torch.rand(2, 2), torch.rand(2, 2), padding=2)
