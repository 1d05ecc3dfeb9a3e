r"""How 13.11 trains and scores a segmentation network on the collage set.

Metrics, from the confusion matrix $C_{ij}$ = pixels of true class $i$ predicted as $j$:

$$\text{pixel accuracy} = \frac{\sum_i C_{ii}}{\sum_{ij} C_{ij}},\qquad
  \mathrm{IoU}_i = \frac{C_{ii}}{\sum_j C_{ij} + \sum_j C_{ji} - C_{ii}},\qquad
  \mathrm{mIoU} = \frac{1}{|\mathcal K|}\sum_{i\in\mathcal K}\mathrm{IoU}_i$$

where $\mathcal K$ holds the classes that occur in the labels or the predictions (a class absent
from both has no IoU and is left out, as in the usual VOC evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..data.collage import Collages, make_collages
from ..data.fashion_mnist import ImageBatches, fashion_mnist_tensors
from ..seed import data_generator

__all__ = [
    "confusion_matrix",
    "pixel_accuracy",
    "class_iou",
    "mean_iou",
    "predict_masks",
    "score_segmentation",
    "SegmentationScores",
    "collage_split",
    "collage_batches",
    "pixel_cross_entropy",
    "held_out_scores_callback",
]


# --8<-- [start:metrics]
def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``C[i, j]`` = number of pixels of true class ``i`` predicted as ``j``: ``(K, K)`` int64.

    ``pred`` and ``target`` are integer masks of the same shape with values in ``0..K-1``.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")
    if pred.is_floating_point() or target.is_floating_point():
        raise ValueError("confusion_matrix takes integer class masks, not scores (take argmax first)")
    for name, m in (("pred", pred), ("target", target)):
        if m.numel() and (m.min() < 0 or m.max() >= num_classes):
            raise ValueError(f"{name} holds classes outside 0..{num_classes - 1}")
    index = target.flatten() * num_classes + pred.flatten()  # one bin per (true, predicted) pair
    return torch.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def pixel_accuracy(C: torch.Tensor) -> float:
    """Correct pixels over all pixels: ``trace(C) / sum(C)``."""
    return float(C.diagonal().sum() / C.sum())


def class_iou(C: torch.Tensor) -> torch.Tensor:
    """IoU of every class ``(K,)``: ``C_ii / (row_i + column_i - C_ii)``; NaN for a class that
    appears neither in the labels nor in the predictions."""
    C = C.double()
    intersection = C.diagonal()
    union = C.sum(1) + C.sum(0) - intersection  # true-class pixels ∪ predicted-class pixels
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.nan)


def mean_iou(C: torch.Tensor) -> float:
    """The mean of :func:`class_iou` over the classes that occur."""
    return float(class_iou(C).nanmean())
# --8<-- [end:metrics]


@torch.no_grad()
def predict_masks(net: nn.Module, images: torch.Tensor, batch_size: int = 100) -> torch.Tensor:
    """``argmax`` over the class scores: images ``(N, 3, H, W)`` → masks ``(N, H, W)`` int64."""
    was_training = net.training
    net.eval()
    out = torch.cat([net(images[i:i + batch_size]).argmax(dim=1)
                     for i in range(0, len(images), batch_size)])  # (N, H, W)
    net.train(was_training)
    return out


@dataclass
class SegmentationScores:
    """Pixel accuracy, mIoU, per-class IoU ``(K,)`` and the confusion matrix ``(K, K)``."""

    pixel_acc: float
    miou: float
    iou: torch.Tensor
    confusion: torch.Tensor


def score_segmentation(net: nn.Module, data: Collages, num_classes: int = 11) -> SegmentationScores:
    """Predict every image of ``data`` and score the masks against its labels."""
    C = confusion_matrix(predict_masks(net, data.images), data.masks, num_classes)
    return SegmentationScores(pixel_accuracy(C), mean_iou(C), class_iou(C), C)


def collage_split(num_train: int = 2000, num_test: int = 500, *, size: int = 64,
                  seed: int = 0) -> tuple[Collages, Collages]:
    """The train collages (items from Fashion-MNIST's training set, seed ``seed``) and the held-out
    ones (items from its test set, seed ``seed + 1``): no item appears in both."""
    train = make_collages(*fashion_mnist_tensors(train=True), num_train, size=size, seed=seed)
    test = make_collages(*fashion_mnist_tensors(train=False), num_test, size=size, seed=seed + 1)
    return train, test


def collage_batches(data: Collages, batch_size: int, *, seed: int = 0) -> ImageBatches:
    """Shuffled minibatches ``(images (B, 3, S, S), masks (B, S, S))`` in a seeded order."""
    return ImageBatches(data.images, data.masks, batch_size, shuffle=True,
                        generator=data_generator(seed))


def pixel_cross_entropy(scores: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over all pixels: ``scores`` ``(B, K, H, W)``, ``masks`` ``(B, H, W)``."""
    if scores.dim() != 4 or masks.shape != (scores.shape[0], *scores.shape[2:]):
        raise ValueError(f"expected scores (B, K, H, W) and masks (B, H, W), got "
                         f"{tuple(scores.shape)} and {tuple(masks.shape)}")
    return F.cross_entropy(scores, masks)


def held_out_scores_callback(data: Collages, num_classes: int = 11):
    """A ``fit`` callback that adds held-out ``pixel_acc`` and ``miou`` to every epoch's record."""

    def callback(record: dict, net: nn.Module) -> None:
        scores = score_segmentation(net, data, num_classes)
        record["pixel_acc"], record["miou"] = scores.pixel_acc, scores.miou

    return callback
