"""LeNet-5 (LeCun et al., 1998) as in d2l §6.6, and its batch-normalised variant (d2l §7.5).

LeNet keeps d2l's choices: sigmoid activations and average pooling; :func:`lenet_relu` is the
modernised variant d2l trains in §11.11 (ReLU and max pooling). ``LeNetBNScratch`` uses the
hand-written :class:`dlnotes.layers.norm.BatchNorm`; ``LeNetBN`` is its twin with
``nn.BatchNorm1d``/``nn.BatchNorm2d``.

Shapes: ``X`` ``(B, 1, 28, 28)`` → logits ``(B, 10)``.
"""

from __future__ import annotations

from torch import nn

from ..layers.norm import BatchNorm
from ._registry import register_model

__all__ = ["lenet", "lenet_relu", "lenet_bn_scratch", "lenet_bn", "init_xavier"]


def init_xavier(module: nn.Module) -> None:
    """Xavier-uniform weights for every ``nn.Linear``/``nn.Conv2d`` (use with ``net.apply``)."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


# --8<-- [start:lenet]
@register_model("lenet", input_shape=(2, 1, 28, 28), output_shape=(2, 10))
def lenet(num_classes: int = 10) -> nn.Sequential:
    """LeNet: two conv (5×5) + sigmoid + 2×2 average-pool stages, then three dense layers."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),  # (B, 6, 28, 28)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (B, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),  # (B, 16, 10, 10)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (B, 16, 5, 5)
        nn.Flatten(),  # (B, 400)
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, num_classes),
    )
# --8<-- [end:lenet]


# --8<-- [start:lenet-relu]
@register_model("lenet-relu", input_shape=(2, 1, 28, 28), output_shape=(2, 10))
def lenet_relu(num_classes: int = 10) -> nn.Sequential:
    """LeNet with ReLU activations and 2×2 max pooling (d2l §11.11); same shapes as :func:`lenet`."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),  # (B, 6, 28, 28)
        nn.MaxPool2d(kernel_size=2, stride=2),  # (B, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),  # (B, 16, 10, 10)
        nn.MaxPool2d(kernel_size=2, stride=2),  # (B, 16, 5, 5)
        nn.Flatten(),  # (B, 400)
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
# --8<-- [end:lenet-relu]


def _lenet_bn(bn2d, bn1d, num_classes: int) -> nn.Sequential:
    # batch norm sits after each conv/linear layer and before its activation
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), bn2d(6), nn.Sigmoid(),  # (B, 6, 24, 24)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (B, 6, 12, 12)
        nn.Conv2d(6, 16, kernel_size=5), bn2d(16), nn.Sigmoid(),  # (B, 16, 8, 8)
        nn.AvgPool2d(kernel_size=2, stride=2),  # (B, 16, 4, 4)
        nn.Flatten(),  # (B, 256)
        nn.Linear(256, 120), bn1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), bn1d(84), nn.Sigmoid(),
        nn.Linear(84, num_classes),
    )


@register_model("lenet-bn-scratch", input_shape=(2, 1, 28, 28), output_shape=(2, 10))
def lenet_bn_scratch(num_classes: int = 10) -> nn.Sequential:
    """LeNet with the from-scratch :class:`~dlnotes.layers.norm.BatchNorm` (d2l's layout)."""
    return _lenet_bn(
        lambda c: BatchNorm(c, num_dims=4), lambda d: BatchNorm(d, num_dims=2), num_classes
    )


@register_model("lenet-bn", input_shape=(2, 1, 28, 28), output_shape=(2, 10))
def lenet_bn(num_classes: int = 10) -> nn.Sequential:
    """Concise twin of :func:`lenet_bn_scratch` with ``nn.BatchNorm2d``/``nn.BatchNorm1d``."""
    return _lenet_bn(nn.BatchNorm2d, nn.BatchNorm1d, num_classes)
