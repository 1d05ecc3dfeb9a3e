"""Network in Network (Lin, Chen & Yan, 2013), d2l §7.3.

A NiN block is one ordinary convolution followed by two 1×1 convolutions (a small MLP applied
at every pixel). There are no dense layers: the last block has one channel per class and global
average pooling turns each channel into one logit. ``NIN_D2L`` is d2l's 224×224 network;
``NIN_CPU`` uses 3×3 windows, stride 1 and narrower blocks for 28×28 inputs.

Shapes: ``X`` ``(B, 1, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._registry import register_model

__all__ = ["NiNConfig", "NIN_D2L", "NIN_CPU", "nin_block", "NiN"]


@dataclass(frozen=True)
class NiNConfig:
    image_size: int = 224  # input height = width
    # (out_channels, kernel, stride, padding) of the first three blocks
    blocks: tuple[tuple[int, int, int, int], ...] = (
        (96, 11, 4, 0), (256, 5, 1, 2), (384, 3, 1, 1),
    )
    dropout: float = 0.5
    batch_norm: bool = False  # BN after every conv (not in the 2013 network; see §7.5)
    num_classes: int = 10


NIN_D2L = NiNConfig()
NIN_CPU = NiNConfig(image_size=28, blocks=((16, 3, 1, 1), (32, 3, 1, 1), (64, 3, 1, 1)))


# --8<-- [start:nin-block]
def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int,
              padding: int, batch_norm: bool = False) -> nn.Sequential:
    """Conv(k×k) + ReLU, then two 1×1 conv + ReLU (a per-pixel two-layer MLP); optional BN."""
    layers: list[nn.Module] = []
    for i, k in enumerate((kernel_size, 1, 1)):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, k,
                                stride=stride if i == 0 else 1, padding=padding if i == 0 else 0))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)
# --8<-- [end:nin-block]


class NiN(nn.Module):
    """Three NiN blocks with 3×3/stride-2 max-pools, dropout, a class-wide block, global average pooling."""

    def __init__(self, config: NiNConfig = NIN_D2L):
        super().__init__()
        self.config = c = config
        layers: list[nn.Module] = []
        in_channels = 1
        for out_channels, kernel, stride, padding in c.blocks:
            layers += [nin_block(in_channels, out_channels, kernel, stride, padding, c.batch_norm),
                       nn.MaxPool2d(kernel_size=3, stride=2)]
            in_channels = out_channels
        layers += [
            nn.Dropout(c.dropout),
            nin_block(in_channels, c.num_classes, kernel_size=3, stride=1, padding=1,
                      batch_norm=c.batch_norm),
            nn.AdaptiveAvgPool2d((1, 1)),  # (B, num_classes, 1, 1)
            nn.Flatten(),  # (B, num_classes)
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)  # (B, num_classes)


register_model("nin", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(lambda: NiN(NIN_CPU))
