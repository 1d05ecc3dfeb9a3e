"""GoogLeNet (Szegedy et al., 2015), d2l §7.4: stacks of Inception blocks.

An Inception block runs four paths side by side — 1×1 conv; 1×1 then 3×3; 1×1 then 5×5;
3×3 max-pool then 1×1 — and concatenates their outputs on the channel axis. The network is
d2l's five stages (b1–b5) with nine Inception blocks and global average pooling.

``GOOGLENET_D2L`` is d2l's 96×96 network. ``GOOGLENET_CPU`` divides every channel count by
``width_divisor`` and replaces the 7×7/stride-2 stem by a 3×3/stride-1 one for 28×28 inputs
(28 → 14 → 7 → 4 → 2 → global pool).

Shapes: ``X`` ``(B, 1, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ._registry import register_model

__all__ = ["GoogLeNetConfig", "GOOGLENET_D2L", "GOOGLENET_CPU", "Inception", "GoogLeNet"]


@dataclass(frozen=True)
class GoogLeNetConfig:
    image_size: int = 96  # input height = width
    width_divisor: int = 1  # every channel count of d2l's network is divided by this
    stem_kernel: int = 7  # first conv's window
    stem_stride: int = 2  # first conv's stride
    batch_norm: bool = False  # BN after every conv (the "Inception-v2"/BN-Inception variant)
    num_classes: int = 10


GOOGLENET_D2L = GoogLeNetConfig()
GOOGLENET_CPU = GoogLeNetConfig(image_size=28, width_divisor=8, stem_kernel=3, stem_stride=1)


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1,
          padding: int = 0, batch_norm: bool = False) -> nn.Sequential:
    """Conv [+ BN] + ReLU."""
    layers = [nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return nn.Sequential(*layers, nn.ReLU())


class Inception(nn.Module):
    """Four parallel paths concatenated on channels: ``(B, C_in, H, W)`` → ``(B, c1+c2[1]+c3[1]+c4, H, W)``.

    Args:
        in_channels: input channels.
        c1: channels of path 1 (1×1 conv).
        c2: (1×1 reduce, 3×3 out) channels of path 2.
        c3: (1×1 reduce, 5×5 out) channels of path 3.
        c4: channels of path 4 (3×3 max-pool, then 1×1 conv).
        batch_norm: put batch norm after every convolution.
    """

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int,
                 batch_norm: bool = False):
        super().__init__()
        bn = batch_norm
        self.p1 = _conv(in_channels, c1, 1, batch_norm=bn)
        self.p2 = nn.Sequential(_conv(in_channels, c2[0], 1, batch_norm=bn),
                                _conv(c2[0], c2[1], 3, padding=1, batch_norm=bn))
        self.p3 = nn.Sequential(_conv(in_channels, c3[0], 1, batch_norm=bn),
                                _conv(c3[0], c3[1], 5, padding=2, batch_norm=bn))
        self.p4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                _conv(in_channels, c4, 1, batch_norm=bn))
        self.out_channels = c1 + c2[1] + c3[1] + c4

    # --8<-- [start:inception-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.p1(X), self.p2(X), self.p3(X), self.p4(X)], dim=1)  # (B, C_out, H, W)
    # --8<-- [end:inception-forward]


# d2l's Inception blocks: (c1, (c2 reduce, c2), (c3 reduce, c3), c4), grouped by stage
_STAGES = (
    ((64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)),
    ((192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64),
     (128, (128, 256), (24, 64), 64), (112, (144, 288), (32, 64), 64),
     (256, (160, 320), (32, 128), 128)),
    ((256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128)),
)


class GoogLeNet(nn.Module):
    """Stages ``b1``–``b5`` then a linear classifier on globally pooled features."""

    def __init__(self, config: GoogLeNetConfig = GOOGLENET_D2L):
        super().__init__()
        self.config = c = config
        d = c.width_divisor

        def w(n: int) -> int:
            return max(1, n // d)

        bn = c.batch_norm
        self.b1 = nn.Sequential(
            _conv(1, w(64), c.stem_kernel, c.stem_stride, c.stem_kernel // 2, batch_norm=bn),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.b2 = nn.Sequential(
            _conv(w(64), w(64), 1, batch_norm=bn),
            _conv(w(64), w(192), 3, padding=1, batch_norm=bn),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        in_channels = w(192)
        stages = []
        for i, stage in enumerate(_STAGES):
            blocks: list[nn.Module] = []
            for c1, c2, c3, c4 in stage:
                block = Inception(in_channels, w(c1), (w(c2[0]), w(c2[1])),
                                  (w(c3[0]), w(c3[1])), w(c4), batch_norm=bn)
                blocks.append(block)
                in_channels = block.out_channels
            if i < len(_STAGES) - 1:
                blocks.append(nn.MaxPool2d(3, stride=2, padding=1))
            else:
                blocks += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()]  # (B, C)
            stages.append(nn.Sequential(*blocks))
        self.b3, self.b4, self.b5 = stages
        self.fc = nn.Linear(in_channels, c.num_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for stage in (self.b1, self.b2, self.b3, self.b4, self.b5):
            X = stage(X)
        return self.fc(X)  # (B, num_classes)


register_model("googlenet", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(
    lambda: GoogLeNet(GOOGLENET_CPU)
)
