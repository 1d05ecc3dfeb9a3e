r"""The fully convolutional network (FCN; Long, Shelhamer and Darrell, 2015; d2l §13.11).

A CNN trunk turns the image into a feature map $s$ times smaller; a $1\times1$ convolution turns
its channels into class scores; a transposed convolution with stride $s$, kernel $2s$ and
padding $s/2$ (initialised to bilinear interpolation, :func:`dlnotes.layers.transposed_conv.bilinear_kernel`)
brings the scores back to the input's size:

$$\hat{\mathbf Y} = \operatorname{ConvT}_{2s,\,s,\,s/2}\big(\operatorname{Conv}_{1\times1}(\operatorname{trunk}(\mathbf X))\big)
\in \mathbb R^{B\times K\times H\times W}.$$

The trunk is an argument (models never import recipes or data): the pages pass the pretrained
MobileNetV2 from ``dlnotes.recipes.pretrained.pretrained_trunk`` (stride 16, 64 channels).

Shapes: ``X`` ``(B, 3, H, W)`` with ``H`` and ``W`` multiples of the stride → ``(B, K, H, W)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers.transposed_conv import bilinear_kernel
from ._registry import register_model

__all__ = ["FCN", "fcn_tiny"]


# --8<-- [start:fcn]
class FCN(nn.Module):
    """Trunk → 1×1 convolution to ``num_classes`` → transposed convolution back to full size."""

    def __init__(self, trunk: nn.Module, num_classes: int, *, stride: int = 16,
                 trunk_channels: int | None = None):
        super().__init__()
        channels = trunk_channels if trunk_channels is not None else getattr(trunk, "out_channels", None)
        if channels is None:
            raise ValueError("pass trunk_channels: the trunk has no out_channels attribute")
        if stride < 2 or stride % 2:
            raise ValueError(f"stride must be an even number ≥ 2, got {stride}")
        self.stride = stride
        self.trunk = trunk
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=2 * stride,
                                           stride=stride, padding=stride // 2)
        with torch.no_grad():  # start as bilinear interpolation
            self.upsample.weight.copy_(bilinear_kernel(num_classes, num_classes, 2 * stride))
            self.upsample.bias.zero_()

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != 4 or X.shape[-2] % self.stride or X.shape[-1] % self.stride:
            raise ValueError(f"FCN needs (B, C, H, W) with H, W multiples of {self.stride}, "
                             f"got {tuple(X.shape)}")
        features = self.trunk(X)  # (B, C, H/s, W/s)
        scores = self.classifier(features)  # (B, K, H/s, W/s)
        return self.upsample(scores)  # (B, K, H, W)
# --8<-- [end:fcn]


@register_model("fcn-tiny", input_shape=(2, 3, 64, 64), output_shape=(2, 11, 64, 64))
def fcn_tiny(num_classes: int = 11) -> FCN:
    """An FCN on a small stand-in trunk (four stride-2 convolutions, stride 16) for the model tests;
    the pages use the pretrained MobileNetV2 trunk instead."""
    layers, channels = [], 3
    for out in (8, 16, 32, 32):
        layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.ReLU()]
        channels = out
    return FCN(nn.Sequential(*layers), num_classes, trunk_channels=channels)
