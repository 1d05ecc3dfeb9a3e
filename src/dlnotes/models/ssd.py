"""TinySSD (chapter 13.7): a single-shot multibox detector with five feature-map scales.

The network is d2l's TinySSD. A **base network** of down-sampling blocks (each: two 3×3
convolutions with batch norm and ReLU, then 2×2 max pooling) turns the image into a feature map at
stride 8; three more down-sampling blocks halve it again and again, and a global max pool ends it
at 1×1. At each of the five **stages** $k$ the feature map $\\mathbf F_k$ of shape
$(c_k, h_k, w_k)$ gets $a = |\\text{sizes}| + |\\text{ratios}| - 1$ anchors per pixel
(:func:`dlnotes.layers.boxes.multibox_prior`) and two 3×3 convolutions predict, per anchor,

$$\\text{class scores } \\in \\mathbb R^{1 + C}, \\qquad
\\text{offsets } (\\Delta x, \\Delta y, \\Delta w, \\Delta h) \\in \\mathbb R^4 .$$

Predictions from all stages are flattened (channels last) and concatenated, so anchor $i$ of the
output is anchor $i$ of the concatenated anchor list. Shapes for an input ``(B, 3, S, S)`` with
$A = a\\sum_k h_k w_k$ anchors: ``anchors (1, A, 4)``, ``cls_preds (B, A, 1 + C)``,
``bbox_preds (B, 4A)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ..layers.boxes import multibox_prior
from ._registry import register_model

__all__ = ["SSDConfig", "TinySSD", "downsample_block", "class_head", "box_head", "per_anchor",
           "SSD_SIZES", "SSD_RATIOS"]

# d2l's anchor scales: stage k uses sizes (s_k, sqrt(s_k s_{k+1})), s_k from 0.2 to 0.88
SSD_SIZES = ((0.2, 0.272), (0.37, 0.447), (0.54, 0.619), (0.71, 0.79), (0.88, 0.961))
SSD_RATIOS = ((1, 2, 0.5),) * 5


# --8<-- [start:blocks]
def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    """3×3 convolution (same size), batch norm, ReLU."""
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]


def downsample_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """``(B, c, h, w) -> (B, c', h/2, w/2)``: two conv-BN-ReLU, then 2×2 max pooling."""
    return nn.Sequential(*conv_bn_relu(in_channels, out_channels),
                         *conv_bn_relu(out_channels, out_channels), nn.MaxPool2d(2))


def class_head(in_channels: int, anchors_per_pixel: int, num_classes: int) -> nn.Conv2d:
    """Per pixel, ``anchors_per_pixel × (num_classes + 1)`` scores (class 0 is background)."""
    return nn.Conv2d(in_channels, anchors_per_pixel * (num_classes + 1), 3, padding=1)


def box_head(in_channels: int, anchors_per_pixel: int) -> nn.Conv2d:
    """Per pixel, ``anchors_per_pixel × 4`` offsets."""
    return nn.Conv2d(in_channels, anchors_per_pixel * 4, 3, padding=1)


def per_anchor(pred: torch.Tensor) -> torch.Tensor:
    """``(B, a·k, h, w) -> (B, h·w·a·k)``: channels last, so each pixel's anchors stay together
    in the order :func:`~dlnotes.layers.boxes.multibox_prior` lists them."""
    return pred.permute(0, 2, 3, 1).reshape(pred.shape[0], -1)
# --8<-- [end:blocks]


@dataclass(frozen=True)
class SSDConfig:
    """TinySSD's sizes: d2l's are ``base_channels=(16, 32, 64)``, ``channels=128``."""

    num_classes: int = 1
    base_channels: tuple[int, ...] = (16, 32, 64)
    channels: int = 128
    sizes: Sequence[Sequence[float]] = field(default=SSD_SIZES)
    ratios: Sequence[Sequence[float]] = field(default=SSD_RATIOS)

    @property
    def num_anchors(self) -> int:
        """Anchors per pixel at every stage (all stages have the same count)."""
        counts = {len(s) + len(r) - 1 for s, r in zip(self.sizes, self.ratios, strict=True)}
        if len(counts) != 1:
            raise ValueError(f"every stage needs the same number of anchors per pixel, got {counts}")
        return counts.pop()


# --8<-- [start:tiny-ssd]
class TinySSD(nn.Module):
    """Five stages: base net (stride 8), three down-sampling blocks, global max pool."""

    def __init__(self, config: SSDConfig = SSDConfig()):
        super().__init__()
        if len(config.sizes) != 5 or len(config.ratios) != 5:
            raise ValueError("TinySSD has 5 stages: give 5 lists of sizes and 5 of ratios")
        self.config = config
        a, c = config.num_anchors, config.channels
        widths = [3, *config.base_channels]
        base = [downsample_block(cin, cout) for cin, cout in zip(widths[:-1], widths[1:], strict=True)]
        self.stages = nn.ModuleList([
            nn.Sequential(*base),                  # stage 1: stride 8
            downsample_block(widths[-1], c),       # stage 2: stride 16
            downsample_block(c, c),                # stage 3: stride 32
            downsample_block(c, c),                # stage 4: stride 64
            nn.AdaptiveMaxPool2d((1, 1)),          # stage 5: 1×1
        ])
        feature_channels = [widths[-1], c, c, c, c]
        self.cls_heads = nn.ModuleList(class_head(ci, a, config.num_classes) for ci in feature_channels)
        self.bbox_heads = nn.ModuleList(box_head(ci, a) for ci in feature_channels)

    def forward(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``X (B, 3, S, S) -> anchors (1, A, 4), cls_preds (B, A, 1 + C), bbox_preds (B, 4A)``."""
        if X.dim() != 4 or X.shape[1] != 3:
            raise ValueError(f"TinySSD takes images (B, 3, H, W), got {tuple(X.shape)}")
        anchors, cls_preds, bbox_preds = [], [], []
        for k, stage in enumerate(self.stages):
            X = stage(X)  # (B, c_k, h_k, w_k)
            anchors.append(multibox_prior(X, sizes=self.config.sizes[k], ratios=self.config.ratios[k]))
            cls_preds.append(per_anchor(self.cls_heads[k](X)))
            bbox_preds.append(per_anchor(self.bbox_heads[k](X)))
        anchors = torch.cat(anchors, dim=1)  # (1, A, 4)
        cls_preds = torch.cat(cls_preds, dim=1)  # (B, A·(1+C))
        cls_preds = cls_preds.reshape(cls_preds.shape[0], -1, self.config.num_classes + 1)  # (B, A, 1+C)
        return anchors, cls_preds, torch.cat(bbox_preds, dim=1)  # bbox: (B, 4A)
# --8<-- [end:tiny-ssd]


class _Heads(nn.Module):
    """Registry adapter: class scores and offsets of every anchor, flattened side by side."""

    def __init__(self, model: TinySSD):
        super().__init__()
        self.model = model

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        _, cls_preds, bbox_preds = self.model(X)
        return torch.cat([cls_preds.flatten(1), bbox_preds], dim=1)


# 64 px: stages 8, 4, 2, 1, 1 -> 86 pixels x 4 anchors = 344 anchors; 2 + 4 numbers each
register_model("tiny-ssd", input_shape=(2, 3, 64, 64), output_shape=(2, 344 * 6))(
    lambda: _Heads(TinySSD(SSDConfig(base_channels=(8, 16, 32), channels=64)))
)
