"""ResNet-18 (He et al., 2016), d2l §7.6.

A residual block computes $f(\\mathbf x) = g(\\mathbf x) + \\mathbf x$: two 3×3 conv + batch-norm
layers learn the residual $g$, and the input is added back (through a 1×1 conv when the shape
changes). ResNet-18 = stem + four stages of two residual blocks + global average pooling + a
linear layer (1 + 16 + 1 = 18 layers with weights).

``RESNET18_D2L`` is d2l's 96×96 network. ``RESNET18_CPU`` keeps the 18 layers for 28×28
inputs with a 3×3/stride-1 stem and an eighth of the widths.

Shapes: ``X`` ``(B, 1, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ._registry import register_model

__all__ = ["ResNetConfig", "RESNET18_D2L", "RESNET18_CPU", "Residual", "ResNet"]


@dataclass(frozen=True)
class ResNetConfig:
    image_size: int = 96  # input height = width
    channels: tuple[int, ...] = (64, 128, 256, 512)  # one stage per entry
    num_residuals: tuple[int, ...] = (2, 2, 2, 2)  # residual blocks per stage
    stem_kernel: int = 7  # first conv's window
    stem_stride: int = 2  # first conv's stride (a 3×3/2 max-pool follows)
    num_classes: int = 10


RESNET18_D2L = ResNetConfig()
RESNET18_CPU = ResNetConfig(image_size=28, channels=(8, 16, 32, 64), stem_kernel=3, stem_stride=1)


class Residual(nn.Module):
    """``relu(bn(conv(relu(bn(conv(X))))) + shortcut(X))``.

    Args:
        in_channels, out_channels: channels in and out.
        use_1x1conv: put a 1×1 conv on the shortcut (needed when channels or size change).
        stride: stride of the first 3×3 conv (and of the 1×1 shortcut); 2 halves H and W.
    """

    def __init__(self, in_channels: int, out_channels: int, use_1x1conv: bool = False, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, 1, stride=stride) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    # --8<-- [start:residual-forward]
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))  # (B, C_out, H/s, W/s)
        Y = self.bn2(self.conv2(Y))
        shortcut = self.conv3(X) if self.conv3 is not None else X
        return F.relu(Y + shortcut)
    # --8<-- [end:residual-forward]


def _stem(out_channels: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, out_channels, kernel, stride=stride, padding=kernel // 2),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )


class ResNet(nn.Module):
    """Stem → stages of residual blocks (each stage after the first halves H and W) → pool → linear."""

    def __init__(self, config: ResNetConfig = RESNET18_D2L):
        super().__init__()
        self.config = c = config
        self.stem = _stem(c.channels[0], c.stem_kernel, c.stem_stride)
        stages, in_channels = [], c.channels[0]
        for i, (out_channels, n) in enumerate(zip(c.channels, c.num_residuals, strict=True)):
            blocks = []
            for j in range(n):
                first_of_later_stage = j == 0 and i > 0
                blocks.append(Residual(in_channels, out_channels, use_1x1conv=first_of_later_stage,
                                       stride=2 if first_of_later_stage else 1))
                in_channels = out_channels
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),  # (B, C)
                                  nn.Linear(in_channels, c.num_classes))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(X)))  # (B, num_classes)


register_model("resnet-18", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(
    lambda: ResNet(RESNET18_CPU)
)
