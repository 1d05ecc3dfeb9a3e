"""Segmentation metrics (dlnotes.recipes.segmentation) against per-class pixel counting, and the
FCN (dlnotes.models.fcn): shapes, bilinear start, bad input."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dlnotes.models.fcn import FCN, fcn_tiny
from dlnotes.recipes.segmentation import (
    class_iou,
    confusion_matrix,
    mean_iou,
    pixel_accuracy,
    pixel_cross_entropy,
    predict_masks,
)


def test_metrics_equal_counting_pixels_class_by_class():
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 5, (3, 8, 9), generator=g)
    pred = torch.where(torch.rand(3, 8, 9, generator=g) < 0.6, target,
                       torch.randint(0, 4, (3, 8, 9), generator=g))  # class 4 never predicted
    C = confusion_matrix(pred, target, 6)  # class 5 appears nowhere
    assert C.sum() == target.numel()
    assert pixel_accuracy(C) == pytest.approx(float((pred == target).float().mean()))
    ious = []
    for k in range(6):
        inter = ((pred == k) & (target == k)).sum().item()
        union = ((pred == k) | (target == k)).sum().item()
        if union:
            ious.append(inter / union)
            assert class_iou(C)[k].item() == pytest.approx(inter / union)
        else:
            assert torch.isnan(class_iou(C)[k])
    assert len(ious) == 5
    assert mean_iou(C) == pytest.approx(sum(ious) / len(ious))


def test_perfect_and_all_background_predictions():
    target = torch.tensor([[0, 0, 1], [2, 0, 1]])
    C = confusion_matrix(target, target, 3)
    assert pixel_accuracy(C) == 1.0 and mean_iou(C) == 1.0
    C0 = confusion_matrix(torch.zeros_like(target), target, 3)
    assert pixel_accuracy(C0) == pytest.approx(0.5)
    assert mean_iou(C0) == pytest.approx((3 / 6 + 0 + 0) / 3)


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="argmax"):
        confusion_matrix(torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(torch.full((2, 3), 5), torch.zeros(2, 3, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="masks"):
        pixel_cross_entropy(torch.zeros(2, 3, 4, 4), torch.zeros(2, 5, 5, dtype=torch.long))


def test_fcn_shapes_and_bilinear_start():
    torch.manual_seed(0)
    net = fcn_tiny()
    X = torch.rand(2, 3, 64, 48)
    assert net(X).shape == (2, 11, 64, 48)
    assert predict_masks(net, X).shape == (2, 64, 48)
    # with an average-pooling trunk and an identity 1x1 convolution, the FCN upsamples the
    # pooled image exactly like bilinear interpolation (away from the border)
    fcn = FCN(nn.AvgPool2d(16), 3, trunk_channels=3)
    with torch.no_grad():
        fcn.classifier.weight.copy_(torch.eye(3)[:, :, None, None])
        fcn.classifier.bias.zero_()
        out = fcn(X)
    ref = F.interpolate(F.avg_pool2d(X, 16), scale_factor=16, mode="bilinear", align_corners=False)
    torch.testing.assert_close(out[..., 16:-16, 16:-16], ref[..., 16:-16, 16:-16])


def test_fcn_rejects_sizes_that_are_not_multiples_of_the_stride():
    with pytest.raises(ValueError, match="multiples of 16"):
        fcn_tiny()(torch.rand(1, 3, 60, 64))
    with pytest.raises(ValueError, match="trunk_channels"):
        FCN(nn.Identity(), 3)
