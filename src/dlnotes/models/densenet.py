"""DenseNet (Huang et al., 2017), d2l §7.7.

Where a residual block *adds* its input to its output, a dense block *concatenates*: each
convolution (BN → ReLU → 3×3 conv, ``growth_rate`` channels) sees the concatenation of all
earlier outputs. Transition layers (BN → ReLU → 1×1 conv halving the channels → 2×2 average
pool) keep the width and the resolution in check between dense blocks.

``DENSENET_D2L`` is d2l's 96×96 network. ``DENSENET_CPU`` uses a 3×3/stride-1 stem, a smaller
growth rate and three dense blocks for 28×28 inputs.

Shapes: ``X`` ``(B, 1, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._registry import register_model

__all__ = ["DenseNetConfig", "DENSENET_D2L", "DENSENET_CPU", "DenseBlock", "transition_block",
           "DenseNet"]


@dataclass(frozen=True)
class DenseNetConfig:
    image_size: int = 96  # input height = width
    num_channels: int = 64  # channels after the stem
    growth_rate: int = 32  # channels each convolution in a dense block adds
    num_convs_in_dense_blocks: tuple[int, ...] = (4, 4, 4, 4)
    stem_kernel: int = 7  # first conv's window
    stem_stride: int = 2  # first conv's stride (a 3×3/2 max-pool follows)
    num_classes: int = 10


DENSENET_D2L = DenseNetConfig()
DENSENET_CPU = DenseNetConfig(image_size=28, num_channels=16, growth_rate=8,
                              num_convs_in_dense_blocks=(4, 4, 4), stem_kernel=3, stem_stride=1)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """BN → ReLU → 3×3 conv (the "pre-activation" order DenseNet uses)."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    """``num_convs`` conv blocks; each one's input is the concatenation of all before it.

    ``(B, C, H, W)`` → ``(B, C + num_convs * growth_rate, H, W)``.
    """

    def __init__(self, num_convs: int, in_channels: int, growth_rate: int):
        super().__init__()
        self.net = nn.ModuleList(
            conv_block(in_channels + i * growth_rate, growth_rate) for i in range(num_convs)
        )
        self.out_channels = in_channels + num_convs * growth_rate

    # --8<-- [start:dense-block-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.net:
            X = torch.cat((X, block(X)), dim=1)  # (B, C + growth_rate, H, W)
        return X
    # --8<-- [end:dense-block-forward]


def transition_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """BN → ReLU → 1×1 conv → 2×2 average pool: ``(B, C_in, H, W)`` → ``(B, C_out, H/2, W/2)``."""
    return nn.Sequential(nn.BatchNorm2d(in_channels), nn.ReLU(),
                         nn.Conv2d(in_channels, out_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    """Stem → dense blocks separated by transition layers → BN/ReLU → global pool → linear."""

    def __init__(self, config: DenseNetConfig = DENSENET_D2L):
        super().__init__()
        self.config = c = config
        self.stem = nn.Sequential(
            nn.Conv2d(1, c.num_channels, c.stem_kernel, stride=c.stem_stride,
                      padding=c.stem_kernel // 2),
            nn.BatchNorm2d(c.num_channels), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )
        blocks: list[nn.Module] = []
        channels = c.num_channels
        for i, num_convs in enumerate(c.num_convs_in_dense_blocks):
            block = DenseBlock(num_convs, channels, c.growth_rate)
            blocks.append(block)
            channels = block.out_channels
            if i != len(c.num_convs_in_dense_blocks) - 1:
                blocks.append(transition_block(channels, channels // 2))
                channels //= 2
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.BatchNorm2d(channels), nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),  # (B, C)
            nn.Linear(channels, c.num_classes),
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(X)))  # (B, num_classes)


register_model("densenet", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(
    lambda: DenseNet(DENSENET_CPU)
)
