"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012), single-channel version of d2l §7.1.

``ALEXNET_D2L`` is d2l's network for 224×224 Fashion-MNIST. ``ALEXNET_CPU`` keeps the idea —
five ReLU convolutions, three overlapping 3×2 max-pools, two wide dropout-regularised dense
layers — for 28×28 inputs: the 11×11/stride-4 stem becomes 3×3/stride 1, the 5×5 conv 3×3, and
every width shrinks.

Shapes: ``X`` ``(B, 1, S, S)`` with ``S = config.image_size`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..layers.blocks import dense_head, flat_size
from ._registry import register_model

__all__ = ["AlexNetConfig", "ALEXNET_D2L", "ALEXNET_CPU", "AlexNet", "dense_head", "flat_size"]


@dataclass(frozen=True)
class AlexNetConfig:
    image_size: int = 224  # input height = width
    channels: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)  # the five convolutions
    stem_kernel: int = 11  # first conv's window
    stem_stride: int = 4  # first conv's stride
    stem_padding: int = 1
    conv2_kernel: int = 5  # second conv's window (padding keeps the size)
    num_hiddens: int = 4096  # width of the two dense layers
    dropout: float = 0.5
    batch_norm: bool = False  # BN after every conv (not in the 2012 network; see §7.5)
    num_classes: int = 10


ALEXNET_D2L = AlexNetConfig()
ALEXNET_CPU = AlexNetConfig(
    image_size=28, channels=(16, 32, 48, 48, 32), stem_kernel=3, stem_stride=1,
    stem_padding=1, conv2_kernel=3, num_hiddens=512, dropout=0.5,
)


class AlexNet(nn.Module):
    """``features`` (convolutions and pools) → ``classifier`` (dense layers with dropout)."""

    def __init__(self, config: AlexNetConfig = ALEXNET_D2L):
        super().__init__()
        self.config = c = config
        c1, c2, c3, c4, c5 = c.channels
        def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1,
                 padding: int = 0) -> list[nn.Module]:
            layers = [nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding)]
            if c.batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return layers + [nn.ReLU()]

        self.features = nn.Sequential(
            *conv(1, c1, c.stem_kernel, c.stem_stride, c.stem_padding),
            nn.MaxPool2d(kernel_size=3, stride=2),
            *conv(c1, c2, c.conv2_kernel, padding=c.conv2_kernel // 2),
            nn.MaxPool2d(kernel_size=3, stride=2),
            *conv(c2, c3, 3, padding=1),
            *conv(c3, c4, 3, padding=1),
            *conv(c4, c5, 3, padding=1),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Flatten(),  # (B, c5 * h * w)
        )
        self.classifier = dense_head(
            flat_size(self.features, c.image_size), c.num_hiddens, c.dropout, c.num_classes
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(X))  # (B, num_classes)


register_model("alexnet", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(
    lambda: AlexNet(ALEXNET_CPU)
)
