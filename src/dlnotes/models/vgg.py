"""VGG (Simonyan & Zisserman, 2014): networks built from repeated blocks (d2l §7.2).

A VGG block is ``num_convs`` 3×3 convolutions with padding 1 and ReLU, then a 2×2 max-pool that
halves height and width. ``VGG_D2L`` is d2l's VGG-11 with every width divided by 4 (224×224
input, five blocks); ``VGG_CPU`` keeps three blocks for 28×28 inputs (28 → 14 → 7 → 3).

Shapes: ``X`` ``(B, 1, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..layers.blocks import dense_head, flat_size
from ._registry import register_model

__all__ = ["VGGConfig", "VGG_D2L", "VGG_CPU", "vgg_block", "VGG"]


@dataclass(frozen=True)
class VGGConfig:
    image_size: int = 224  # input height = width
    # (num_convs, out_channels) per block; d2l's VGG-11 widths divided by 4
    conv_arch: tuple[tuple[int, int], ...] = ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))
    num_hiddens: int = 4096  # width of the two dense layers
    dropout: float = 0.5
    batch_norm: bool = False  # BN after every conv (the later "VGG-BN" variant, see §7.5)
    num_classes: int = 10


VGG_D2L = VGGConfig()
VGG_CPU = VGGConfig(image_size=28, conv_arch=((1, 8), (1, 16), (2, 32)), num_hiddens=256)


# --8<-- [start:vgg-block]
def vgg_block(num_convs: int, in_channels: int, out_channels: int,
              batch_norm: bool = False) -> nn.Sequential:
    """``num_convs`` × (3×3 conv [+ BN] + ReLU), then 2×2 max-pool.

    Shapes: ``(B, C_in, H, W)`` → ``(B, C_out, H/2, W/2)``.
    """
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)
# --8<-- [end:vgg-block]


class VGG(nn.Module):
    """The blocks of ``config.conv_arch``, then three dense layers (two with dropout)."""

    def __init__(self, config: VGGConfig = VGG_D2L):
        super().__init__()
        self.config = c = config
        blocks, in_channels = [], 1
        for num_convs, out_channels in c.conv_arch:
            blocks.append(vgg_block(num_convs, in_channels, out_channels, c.batch_norm))
            in_channels = out_channels
        self.features = nn.Sequential(*blocks, nn.Flatten())
        self.classifier = dense_head(
            flat_size(self.features, c.image_size), c.num_hiddens, c.dropout, c.num_classes
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(X))  # (B, num_classes)


register_model("vgg", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(lambda: VGG(VGG_CPU))
