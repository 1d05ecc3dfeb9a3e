"""Neural style transfer (Gatys et al., 2016) on a frozen feature network, d2l §13.12.

The synthesised image ``X`` (the only thing trained) is pulled towards the content image ``C`` in
the deep features of one layer and towards the style image ``S`` in the Gram matrices of several
layers, with a total-variation penalty against pixel noise. With ``F_l(X)`` the ``(c_l, h_l w_l)``
feature matrix of layer ``l``:

$$G_l(X) = \\frac{F_l(X) F_l(X)^\\top}{c_l h_l w_l},\\qquad
\\ell_\\text{content} = \\frac{\\|F_L(X) - F_L(C)\\|^2}{\\|F_L(C)\\|^2},\\qquad
\\ell_\\text{style} = \\frac{1}{|\\mathcal S|}\\sum_{l\\in\\mathcal S}
  \\frac{\\|G_l(X) - G_l(S)\\|^2}{\\|G_l(S)\\|^2},$$

$$\\ell_\\text{TV} = \\operatorname{mean}|X_{i+1,j} - X_{i,j}| + \\operatorname{mean}|X_{i,j+1} - X_{i,j}|,\\qquad
\\ell = \\ell_\\text{content} + \\lambda_s\\,\\ell_\\text{style} + \\lambda_\\text{TV}\\,\\ell_\\text{TV}.$$

Each term is divided by the size of its target, so the losses are pure numbers whatever the scale
of a network's activations: the same weights serve a pretrained and a randomly initialised
network, and two runs can be compared. The network is anything with
``features(X, taps) -> {name: (1, c, h, w)}`` taking ``[0, 1]`` pixels
(:func:`dlnotes.recipes.pretrained.pretrained_trunk`); pixels are clamped to ``[0, 1]`` after
every Adam step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["gram", "content_loss", "style_loss", "tv_loss", "StyleTargets", "style_targets",
           "StyleRun", "transfer"]


# --8<-- [start:losses]
def gram(F_map: torch.Tensor) -> torch.Tensor:
    """``(1, c, h, w)`` features → ``(c, c)`` Gram matrix ``F Fᵀ / (c·h·w)``."""
    if F_map.dim() != 4 or F_map.shape[0] != 1:
        raise ValueError(f"gram takes one feature map (1, c, h, w), got {tuple(F_map.shape)}")
    _, c, h, w = F_map.shape
    F_mat = F_map.reshape(c, h * w)  # (1, c, h, w) -> (c, h·w): one row per channel
    return F_mat @ F_mat.T / (c * h * w)


def content_loss(Y: torch.Tensor, Y_content: torch.Tensor) -> torch.Tensor:
    """Squared distance of features, relative to the content features' squared norm."""
    return (Y - Y_content).square().sum() / Y_content.square().sum()


def style_loss(G: torch.Tensor, G_style: torch.Tensor) -> torch.Tensor:
    """Squared distance of Gram matrices, relative to the style Gram matrix's squared norm."""
    return (G - G_style).square().sum() / G_style.square().sum()


def tv_loss(X: torch.Tensor) -> torch.Tensor:
    """Total variation: mean absolute difference of vertical and of horizontal neighbours."""
    return ((X[..., 1:, :] - X[..., :-1, :]).abs().mean()
            + (X[..., :, 1:] - X[..., :, :-1]).abs().mean())
# --8<-- [end:losses]


@dataclass
class StyleTargets:
    """What the synthesised image is pulled towards: content features and style Gram matrices."""

    content: dict[str, torch.Tensor]  # tap -> (1, c, h, w)
    style: dict[str, torch.Tensor]  # tap -> (c, c)


@torch.no_grad()
def style_targets(net: nn.Module, content: torch.Tensor, style: torch.Tensor,
                  content_taps, style_taps) -> StyleTargets:
    """Features of the content image at ``content_taps`` and Gram matrices of the style image."""
    for name, image in (("content", content), ("style", style)):
        if image.dim() != 4 or image.shape[0] != 1:
            raise ValueError(f"the {name} image must be (1, 3, H, W), got {tuple(image.shape)}")
    C = net.features(content, list(content_taps))
    S = net.features(style, list(style_taps))
    return StyleTargets(C, {k: gram(v) for k, v in S.items()})


def weighted_losses(net: nn.Module, X: torch.Tensor, targets: StyleTargets
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(content, style, tv)`` losses of image ``X`` against ``targets`` (unweighted)."""
    taps = list(dict.fromkeys([*targets.content, *targets.style]))
    Y = net.features(X, taps)
    l_content = sum(content_loss(Y[k], v) for k, v in targets.content.items()) / len(targets.content)
    l_style = sum(style_loss(gram(Y[k]), v) for k, v in targets.style.items()) / len(targets.style)
    return l_content, l_style, tv_loss(X)


@dataclass
class StyleRun:
    image: torch.Tensor  # (1, 3, H, W) in [0, 1]
    content: list[float] = field(default_factory=list)  # per iteration
    style: list[float] = field(default_factory=list)
    tv: list[float] = field(default_factory=list)


# --8<-- [start:transfer]
def transfer(net: nn.Module, content: torch.Tensor, style: torch.Tensor, *, content_taps,
             style_taps, num_steps: int, lr: float = 0.02, style_weight: float = 5.0,
             tv_weight: float = 0.5) -> StyleRun:
    """Optimise the pixels of a copy of ``content`` (Adam) to minimise the weighted loss."""
    for p in net.parameters():
        p.requires_grad_(False)  # the network is frozen: only the image is trained
    net.eval()
    targets = style_targets(net, content, style, content_taps, style_taps)
    X = content.clone().requires_grad_(True)  # start from the content image
    optimizer = torch.optim.Adam([X], lr=lr)
    run = StyleRun(X)
    for _ in range(num_steps):
        l_content, l_style, l_tv = weighted_losses(net, X, targets)
        loss = l_content + style_weight * l_style + tv_weight * l_tv
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            X.clamp_(0, 1)  # keep a valid image
        run.content.append(l_content.item())
        run.style.append(l_style.item())
        run.tv.append(l_tv.item())
    run.image = X.detach()
    return run
# --8<-- [end:transfer]
