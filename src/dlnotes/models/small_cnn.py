"""A small batch-norm CNN for the chapter 13 experiments on small images (§13.1, §13.13).

Three blocks ``conv 3×3 → batch norm (§7.5) → ReLU → max-pool 2×2`` with ``widths`` channels,
then a flatten and one linear layer. A 28×28 input leaves 3×3 maps (28 → 14 → 7 → 3), a 32×32
input 4×4. It is a VGG-style net (§7.2) with batch norm: small enough to train for dozens of
epochs on a CPU, big enough to overfit 2,000 images, which is what augmentation is about.

Shapes: ``X`` ``(B, in_channels, S, S)`` → logits ``(B, num_classes)``.
"""

from __future__ import annotations

from torch import nn

from ._registry import register_model

__all__ = ["small_bn_cnn"]


# --8<-- [start:small-bn-cnn]
def small_bn_cnn(in_channels: int = 1, num_classes: int = 10, widths: tuple[int, ...] = (8, 16, 32),
                 image_size: int = 28) -> nn.Sequential:
    """Blocks of conv–BN–ReLU–max-pool, one per entry of ``widths``, then a linear classifier."""
    layers, channels, size = [], in_channels, image_size
    for width in widths:
        layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.BatchNorm2d(width),
                   nn.ReLU(), nn.MaxPool2d(2)]
        channels, size = width, size // 2
    if size < 1:
        raise ValueError(f"{len(widths)} pooling blocks shrink a {image_size}-pixel image to nothing")
    layers += [nn.Flatten(), nn.Linear(channels * size * size, num_classes)]  # (B, C·s·s) → (B, classes)
    return nn.Sequential(*layers)
# --8<-- [end:small-bn-cnn]


register_model("small-bn-cnn", input_shape=(2, 1, 28, 28), output_shape=(2, 10))(small_bn_cnn)
register_model("small-bn-cnn-rgb32", input_shape=(2, 3, 32, 32), output_shape=(2, 10))(
    lambda: small_bn_cnn(3, image_size=32)
)
