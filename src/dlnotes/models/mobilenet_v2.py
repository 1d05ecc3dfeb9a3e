"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks, written to load Magenta's weights.

An **inverted residual block** widens, filters, then narrows:

$$\\mathbf H = \\mathrm{ReLU6}(\\mathbf W_e * \\mathbf X), \\quad
\\mathbf D = \\mathrm{ReLU6}(\\mathbf W_d \\circledast_s \\mathbf H), \\quad
\\mathbf Y = \\mathbf W_p * \\mathbf D \\;(+\\, \\mathbf X \\text{ when } s = 1,\\ C_\\text{in} = C_\\text{out})$$

- expansion: a 1×1 convolution ``C_in → t·C_in`` (t = 6; absent when t = 1), ReLU6;
- depthwise: a 3×3 convolution with one filter per channel (``groups = channels``), stride s, ReLU6;
- projection: a 1×1 convolution ``t·C_in → C_out`` with **no** activation (a "linear bottleneck":
  a ReLU on a narrow tensor would destroy information);
- the residual add joins the two *narrow* ends, the reverse of ResNet's bottleneck.

``ReLU6(x) = min(max(x, 0), 6)``. The weights we load have batch norm folded into each
convolution's bias, so there is no batch-norm layer here. Padding follows TensorFlow's "SAME" rule,
which for a stride-2 3×3 convolution on an even input pads only bottom and right
(:func:`same_pad`); torch's symmetric ``padding=1`` would shift every feature by half a pixel.

Layer names follow the TensorFlow graph: ``Conv`` (stem, 3 → 32, stride 2), ``expanded_conv``,
``expanded_conv_1`` … ``expanded_conv_16``, ``Conv_1`` (1×1 to 1280), then the style head
``embedding`` (global average pool + 1×1 conv to 100). Shapes for a ``(B, 3, 256, 256)`` input:

| layer | output | stride |
|---|---|---|
| ``Conv`` | (B, 32, 128, 128) | 2 |
| ``expanded_conv`` | (B, 16, 128, 128) | 2 |
| ``expanded_conv_2`` | (B, 24, 64, 64) | 4 |
| ``expanded_conv_5`` | (B, 32, 32, 32) | 8 |
| ``expanded_conv_9`` | (B, 64, 16, 16) | 16 |
| ``expanded_conv_12`` | (B, 96, 16, 16) | 16 |
| ``expanded_conv_16`` | (B, 320, 8, 8) | 32 |
| ``Conv_1`` | (B, 1280, 8, 8) | 32 |
| ``embedding`` | (B, 100) | — |
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ._registry import register_model

__all__ = ["MobileNetV2Config", "MOBILENET_V2", "same_pad", "ConvAct", "InvertedResidual",
           "MobileNetV2", "layer_names"]


@dataclass(frozen=True)
class MobileNetV2Config:
    stem_channels: int = 32
    # one stage per entry: (expansion t, output channels c, blocks n, stride s of the first block)
    stages: tuple[tuple[int, int, int, int], ...] = (
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    )
    last_channels: int = 1280  # Conv_1
    embedding_dim: int = 100  # the style head; built only when upto is None
    upto: str | None = None  # stop after this layer (e.g. "expanded_conv_9"); None = whole network
    check_range: bool = True  # refuse pixels outside [0, 1] (the registry's randn test turns it off)


MOBILENET_V2 = MobileNetV2Config()


def layer_names(config: MobileNetV2Config = MOBILENET_V2) -> list[str]:
    """``["Conv", "expanded_conv", "expanded_conv_1", ..., "Conv_1"]`` for ``config``."""
    num_blocks = sum(n for _, _, n, _ in config.stages)
    blocks = ["expanded_conv"] + [f"expanded_conv_{i}" for i in range(1, num_blocks)]
    return ["Conv", *blocks, "Conv_1"]


# --8<-- [start:same-pad]
def same_pad(X: torch.Tensor, kernel_size: int, stride: int) -> torch.Tensor:
    """TensorFlow "SAME" padding: output size ``ceil(H / s)``, the odd pixel goes bottom/right.

    total = max((ceil(H/s) - 1)·s + k - H, 0), top = total // 2, bottom = total - top.
    """
    H, W = X.shape[-2:]
    pad_h = max((math.ceil(H / stride) - 1) * stride + kernel_size - H, 0)
    pad_w = max((math.ceil(W / stride) - 1) * stride + kernel_size - W, 0)
    # F.pad order: (left, right, top, bottom)
    return F.pad(X, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
# --8<-- [end:same-pad]


class ConvAct(nn.Module):
    """A convolution with its (folded batch-norm) bias, TF "SAME" padding, then ReLU6 or nothing."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1,
                 groups: int = 1, relu6: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, groups=groups)
        self.relu6 = relu6

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        k, s = self.conv.kernel_size[0], self.conv.stride[0]
        if k > 1:
            X = same_pad(X, k, s)
        Y = self.conv(X)  # (B, C_out, ceil(H/s), ceil(W/s))
        return F.relu6(Y) if self.relu6 else Y


# --8<-- [start:inverted-residual]
class InvertedResidual(nn.Module):
    """expand (1×1, ×t, ReLU6) → depthwise (3×3, stride s, ReLU6) → project (1×1, linear) [+ X]."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int):
        super().__init__()
        hidden = in_channels * expansion
        self.expand = ConvAct(in_channels, hidden, 1) if expansion != 1 else None
        self.depthwise = ConvAct(hidden, hidden, 3, stride=stride, groups=hidden)
        self.project = ConvAct(hidden, out_channels, 1, relu6=False)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        H = self.expand(X) if self.expand is not None else X  # (B, t·C_in, H, W)
        D = self.depthwise(H)  # (B, t·C_in, H/s, W/s): one 3×3 filter per channel
        Y = self.project(D)  # (B, C_out, H/s, W/s), no activation
        return X + Y if self.use_residual else Y
# --8<-- [end:inverted-residual]


class MobileNetV2(nn.Module):
    """The MobileNetV2 trunk (and, when ``config.upto is None``, Magenta's 100-d style head).

    ``forward(X)``: ``X`` ``(B, 3, H, W)`` RGB in ``[0, 1]`` → the last layer's output, e.g.
    ``(B, 64, ceil(H/16), ceil(W/16))`` for ``upto="expanded_conv_9"``, or ``(B, 100)`` for the
    whole network. ``features(X, taps)`` returns the named intermediate outputs.
    """

    def __init__(self, config: MobileNetV2Config = MOBILENET_V2):
        super().__init__()
        names = layer_names(config)
        if config.upto is not None and config.upto not in names:
            raise ValueError(f"unknown layer {config.upto!r}; known: {names}")
        self.config = config
        layers: dict[str, nn.Module] = {"Conv": ConvAct(3, config.stem_channels, 3, stride=2)}
        channels, i = config.stem_channels, 0
        for t, c, n, s in config.stages:
            for j in range(n):
                layers[names[1 + i]] = InvertedResidual(channels, c, s if j == 0 else 1, t)
                channels, i = c, i + 1
        layers["Conv_1"] = ConvAct(channels, config.last_channels, 1)
        keep = names if config.upto is None else names[: names.index(config.upto) + 1]
        self.layers = nn.ModuleDict({name: layers[name] for name in keep})
        self.out_channels = self._channels_of(keep[-1])
        self.embedding = None
        if config.upto is None:
            self.embedding = nn.Conv2d(config.last_channels, config.embedding_dim, 1)
            self.out_channels = config.embedding_dim

    def _channels_of(self, name: str) -> int:
        layer = self.layers[name]
        conv = layer.project.conv if isinstance(layer, InvertedResidual) else layer.conv
        return conv.out_channels

    def check_input(self, X: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``X`` is ``(B, 3, H, W)`` with values in ``[0, 1]``."""
        if X.dim() != 4 or X.shape[1] != 3:
            raise ValueError(f"MobileNetV2 takes RGB images (B, 3, H, W), got shape {tuple(X.shape)}")
        if not self.config.check_range:
            return
        lo, hi = float(X.detach().min()), float(X.detach().max())
        if lo < -1e-3 or hi > 1 + 1e-3:
            raise ValueError(f"MobileNetV2 takes pixels in [0, 1] (as the original graph does), got "
                             f"values in [{lo:.3g}, {hi:.3g}]; divide 0..255 images by 255")

    def features(self, X: torch.Tensor, taps) -> dict[str, torch.Tensor]:
        """The outputs of the layers named in ``taps`` (runs only as far as the last one)."""
        taps = [taps] if isinstance(taps, str) else list(taps)
        unknown = [t for t in taps if t not in self.layers]
        if unknown:
            raise ValueError(f"unknown taps {unknown}; this trunk has {list(self.layers)}")
        self.check_input(X)
        wanted, out = set(taps), {}
        for name, layer in self.layers.items():
            X = layer(X)
            if name in wanted:
                out[name] = X
                if len(out) == len(wanted):
                    break
        return out

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self.check_input(X)
        for layer in self.layers.values():
            X = layer(X)
        if self.embedding is not None:
            X = self.embedding(X.mean(dim=(2, 3), keepdim=True))  # (B, 1280, 1, 1) → (B, 100, 1, 1)
            X = X.flatten(1)  # (B, 100)
        return X

    @torch.no_grad()
    def init_weights(self) -> None:
        """He initialisation (fan-in), zero biases: keeps the signal's scale with no batch norm.

        A convolution followed by ReLU6 gets ``std = sqrt(2 / fan_in)``, a linear one (projection,
        style head) ``std = sqrt(1 / fan_in)``; a projection that feeds a residual add is halved
        so that the sum does not grow block after block.
        """
        for module in self.modules():
            if isinstance(module, ConvAct):
                gain = "relu" if module.relu6 else "linear"
                nn.init.kaiming_normal_(module.conv.weight, mode="fan_in", nonlinearity=gain)
                nn.init.zeros_(module.conv.bias)
        if self.embedding is not None:
            nn.init.kaiming_normal_(self.embedding.weight, mode="fan_in", nonlinearity="linear")
            nn.init.zeros_(self.embedding.bias)
        for layer in self.layers.values():
            if isinstance(layer, InvertedResidual) and layer.use_residual:
                layer.project.conv.weight.mul_(0.5)


@register_model("mobilenet-v2-trunk", input_shape=(2, 3, 64, 64), output_shape=(2, 64, 4, 4))
def mobilenet_v2_trunk() -> MobileNetV2:
    net = MobileNetV2(MobileNetV2Config(upto="expanded_conv_9", check_range=False))
    net.init_weights()
    return net
