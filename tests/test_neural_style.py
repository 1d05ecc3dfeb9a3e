"""Style-transfer losses (recipes/neural_style.py) against torch twins, and a tiny transfer run."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from dlnotes.recipes.neural_style import (
    content_loss,
    gram,
    style_loss,
    style_targets,
    transfer,
    tv_loss,
)
from dlnotes.recipes.pretrained import pretrained_trunk


def test_gram_matches_einsum_and_its_gradient():
    X = torch.randn(1, 5, 4, 6, dtype=torch.float64, requires_grad=True)
    ours = gram(X)
    twin = torch.einsum("bchw,bdhw->cd", X, X) / (5 * 4 * 6)
    torch.testing.assert_close(ours, twin)
    assert torch.autograd.gradcheck(gram, (X,))
    g1, = torch.autograd.grad(ours.sum(), X)
    g2, = torch.autograd.grad(twin.sum(), X)
    torch.testing.assert_close(g1, g2)


def test_content_style_and_tv_losses_match_torch_twins():
    A, B = torch.randn(1, 3, 8, 8), torch.randn(1, 3, 8, 8)
    torch.testing.assert_close(content_loss(A, B),
                               F.mse_loss(A, B, reduction="sum") / B.square().sum())
    GA, GB = gram(A), gram(B)
    torch.testing.assert_close(style_loss(GA, GB), F.mse_loss(GA, GB, reduction="sum") / GB.square().sum())
    twin_tv = (F.l1_loss(A[..., 1:, :], A[..., :-1, :]) + F.l1_loss(A[..., :, 1:], A[..., :, :-1]))
    torch.testing.assert_close(tv_loss(A), twin_tv)
    assert content_loss(B, B) == 0 and style_loss(GB, GB) == 0
    assert tv_loss(torch.ones(1, 3, 5, 5)) == 0


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match=r"\(1, c, h, w\)"):
        gram(torch.randn(2, 3, 4, 4))
    net = pretrained_trunk(pretrained=False)
    with pytest.raises(ValueError, match="content image"):
        style_targets(net, torch.rand(3, 32, 32), torch.rand(1, 3, 32, 32), ["Conv"], ["Conv"])


def test_transfer_lowers_the_style_loss_keeps_pixels_valid_and_is_deterministic():
    gen = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 32, 48, generator=gen)
    style = torch.rand(1, 3, 32, 48, generator=gen) ** 3
    runs = [transfer(pretrained_trunk(pretrained=False), content, style,
                     content_taps=["expanded_conv_5"], style_taps=["Conv", "expanded_conv_2"],
                     num_steps=15, lr=0.05) for _ in range(2)]
    run = runs[0]
    assert run.style[-1] < run.style[0]
    assert run.image.shape == content.shape and 0 <= run.image.min() and run.image.max() <= 1
    assert torch.equal(runs[0].image, runs[1].image)
