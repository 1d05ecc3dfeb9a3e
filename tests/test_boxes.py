"""Boxes and anchors (dlnotes.layers.boxes) against independent computations.

torchvision.ops cannot be loaded here, so the twins are: an exact pixel count for IoU
(integer boxes rasterised as masks), onnxruntime's ``NonMaxSuppression`` for NMS, the formula
itself for anchors, and d2l's published cat/dog example for label assignment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlnotes.layers.boxes import (
    assign_anchor_to_bbox,
    box_center_to_corner,
    box_corner_to_center,
    box_iou,
    check_boxes,
    multibox_detection,
    multibox_prior,
    multibox_target,
    nms,
    offset_boxes,
    offset_inverse,
)


def _random_boxes(n: int, g: torch.Generator, scale: float = 1.0, dtype=torch.float32) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=g, dtype=dtype) * scale
    wh = (torch.rand(n, 2, generator=g, dtype=dtype) * 0.5 + 0.05) * scale
    return torch.cat((xy, xy + wh), dim=1)


def test_conversions_round_trip():
    g = torch.Generator().manual_seed(0)
    boxes = _random_boxes(50, g).reshape(5, 10, 4)
    center = box_corner_to_center(boxes)
    torch.testing.assert_close(box_center_to_corner(center), boxes)
    torch.testing.assert_close(center[..., 2], boxes[..., 2] - boxes[..., 0])
    torch.testing.assert_close(center[..., :2], (boxes[..., :2] + boxes[..., 2:]) / 2)


def _mask(box, size: int) -> np.ndarray:
    x1, y1, x2, y2 = (int(v) for v in box)
    m = np.zeros((size, size), dtype=bool)
    m[y1:y2, x1:x2] = True  # pixel (row y, col x) covers [x, x+1) x [y, y+1)
    return m


def test_iou_equals_pixel_count_of_rasterised_masks():
    rng = np.random.default_rng(0)
    size = 24
    corners = rng.integers(0, size, size=(40, 2, 2))
    corners.sort(axis=1)  # (n, [min, max], [x, y])
    corners[:, 1] += 1    # at least one pixel wide and high
    boxes = np.concatenate((corners[:, 0], corners[:, 1]), axis=1)  # (n, 4) x1, y1, x2, y2
    a, b = boxes[:25], boxes[25:]
    iou = box_iou(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    expected = np.zeros((len(a), len(b)))
    for i, ba in enumerate(a):
        for j, bb in enumerate(b):
            ma, mb = _mask(ba, size + 1), _mask(bb, size + 1)
            expected[i, j] = (ma & mb).sum() / (ma | mb).sum()
    assert (expected > 0).any() and (expected == 0).any()  # the example has overlaps and misses
    np.testing.assert_allclose(iou.numpy(), expected, rtol=0, atol=1e-12)


def test_iou_identical_disjoint_and_nested():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[0.0, 0.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 2.0]])
    torch.testing.assert_close(box_iou(a, b), torch.tensor([[1.0, 0.0, 0.25, 0.0]]))


def test_iou_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(1)
    a = _random_boxes(4, g, dtype=torch.float64)
    b = (a + 0.05 * torch.randn(4, 4, generator=g, dtype=torch.float64)).clamp(min=0)
    b[:, 2:] = torch.maximum(b[:, 2:], b[:, :2] + 0.05)
    a.requires_grad_(True)
    b.requires_grad_(True)
    assert torch.autograd.gradcheck(box_iou, (a, b))
    # growing a box that contains its partner only lowers the IoU
    outer = torch.tensor([[0.0, 0.0, 4.0, 4.0]], dtype=torch.float64, requires_grad=True)
    inner = torch.tensor([[1.0, 1.0, 2.0, 2.0]], dtype=torch.float64)
    box_iou(outer, inner).sum().backward()
    torch.testing.assert_close(outer.grad, torch.tensor([[4.0, 4.0, -4.0, -4.0]], dtype=torch.float64) / 256)


def _onnx_nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> np.ndarray:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    node = helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_out", "iou", "score_thr"], ["sel"],
                            center_point_box=0)
    graph = helper.make_graph(
        [node], "nms",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, None, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, None]),
         helper.make_tensor_value_info("max_out", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("iou", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("score_thr", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("sel", TensorProto.INT64, [None, 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    yxyx = boxes[:, [1, 0, 3, 2]].numpy()[None]  # ONNX takes [y1, x1, y2, x2]
    sel = session.run(None, {"boxes": yxyx, "scores": scores.numpy()[None, None],
                             "max_out": np.array([len(boxes)], dtype=np.int64),
                             "iou": np.array([iou_threshold], dtype=np.float32),
                             "score_thr": np.array([-np.inf], dtype=np.float32)})[0]
    return sel[:, 2]


@pytest.mark.parametrize("iou_threshold", [0.0, 0.1, 0.3, 0.5, 0.7, 0.95])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_matches_onnxruntime(iou_threshold, seed):
    g = torch.Generator().manual_seed(seed)
    boxes = _random_boxes(80, g, scale=10.0)
    scores = torch.rand(80, generator=g)
    keep = nms(boxes, scores, iou_threshold)
    expected = _onnx_nms(boxes, scores, iou_threshold)
    np.testing.assert_array_equal(keep.numpy(), expected)
    assert (scores[keep].diff() <= 0).all()


def test_nms_small_example_and_empty_input():
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.05, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]])
    scores = torch.tensor([0.8, 0.9, 0.1])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.99).tolist() == [1, 0, 2]
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0


def test_multibox_prior_follows_the_formula():
    h, w = 5, 7
    sizes, ratios = [0.75, 0.5, 0.25], [1.0, 2.0, 0.5]
    anchors = multibox_prior(torch.zeros(2, 3, h, w), sizes, ratios)
    per_pixel = len(sizes) + len(ratios) - 1
    assert anchors.shape == (1, h * w * per_pixel, 4)
    grid = anchors.reshape(h, w, per_pixel, 4)
    center = box_corner_to_center(grid)
    for i in range(h):
        for j in range(w):
            torch.testing.assert_close(center[i, j, :, 0], torch.full((per_pixel,), (j + 0.5) / w))
            torch.testing.assert_close(center[i, j, :, 1], torch.full((per_pixel,), (i + 0.5) / h))
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    width_px, height_px = center[0, 0, :, 2] * w, center[0, 0, :, 3] * h  # in feature-map pixels
    for k, (s, r) in enumerate(pairs):
        assert math.isclose(float(width_px[k] * height_px[k]), (s * h) ** 2, rel_tol=1e-5)
        assert math.isclose(float(width_px[k] / height_px[k]), r, rel_tol=1e-5)
    # every pixel has the same anchor shapes
    torch.testing.assert_close(center[..., 2:], center[:1, :1, :, 2:].expand_as(center[..., 2:]))


def test_multibox_prior_reproduces_d2l_catdog_value():
    anchors = multibox_prior(torch.zeros(1, 3, 561, 728), sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5])
    assert anchors.shape == (1, 2042040, 4)
    box = anchors.reshape(561, 728, 5, 4)[250, 250, 0]
    torch.testing.assert_close(box, torch.tensor([0.06, 0.07, 0.63, 0.82]), atol=5e-3, rtol=0)


def test_offsets_round_trip():
    g = torch.Generator().manual_seed(3)
    anchors = _random_boxes(30, g, dtype=torch.float64)
    boxes = _random_boxes(30, g, dtype=torch.float64)
    offsets = offset_boxes(anchors, boxes, eps=0.0)
    torch.testing.assert_close(offset_inverse(anchors, offsets), boxes)
    torch.testing.assert_close(offset_boxes(anchors, anchors, eps=0.0), torch.zeros(30, 4, dtype=torch.float64))
    # with d2l's eps the error stays tiny
    torch.testing.assert_close(offset_inverse(anchors, offset_boxes(anchors, boxes)), boxes, atol=1e-5, rtol=0)


CATDOG_GT = torch.tensor([[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]])
CATDOG_ANCHORS = torch.tensor([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                               [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]])


def test_assignment_on_d2l_catdog_example():
    assigned = assign_anchor_to_bbox(CATDOG_GT[:, 1:], CATDOG_ANCHORS, 0.5)
    assert assigned.tolist() == [-1, 0, 1, -1, 1]


def test_multibox_target_on_d2l_catdog_example():
    labels = torch.cat((CATDOG_GT[None], torch.full((1, 2, 5), -1.0)), dim=1)  # two padding rows
    offset, mask, cls = multibox_target(CATDOG_ANCHORS[None], labels)
    assert cls.tolist() == [[0, 1, 2, 0, 2]]
    assert mask.tolist() == [[0.0] * 4 + [1.0] * 8 + [0.0] * 4 + [1.0] * 4]
    expected = torch.tensor([0, 0, 0, 0, 1.4, 10.0, 2.59, 7.18, -1.2, 0.269, 1.68, -1.57,
                             0, 0, 0, 0, -0.571, -1.0, 0.0, 0.626])  # d2l's printed values
    torch.testing.assert_close(offset[0], expected, atol=6e-3, rtol=0)
    # the offsets move the matched anchors exactly onto their boxes
    moved = offset_inverse(CATDOG_ANCHORS, offset[0].reshape(-1, 4))
    torch.testing.assert_close(moved[[1, 2, 4]], CATDOG_GT[[0, 1, 1], 1:], atol=1e-5, rtol=0)


def test_multibox_target_batches_are_independent():
    anchors = multibox_prior(torch.zeros(1, 1, 4, 4), [0.4, 0.2], [1, 2])
    one = torch.tensor([[[0, 0.1, 0.1, 0.5, 0.5], [-1, -1, -1, -1, -1]]])
    two = torch.tensor([[[1, 0.5, 0.4, 0.9, 0.95], [0, 0.0, 0.0, 0.3, 0.3]]])
    off, mask, cls = multibox_target(anchors, torch.cat((one, two)))
    for b, lab in enumerate((one, two)):
        o, m, c = multibox_target(anchors, lab)
        torch.testing.assert_close(off[b], o[0])
        torch.testing.assert_close(mask[b], m[0])
        assert torch.equal(cls[b], c[0])
    assert (cls[0] > 0).sum() >= 1 and set(cls[1].unique().tolist()) == {0, 1, 2}


def test_multibox_detection_on_d2l_example():
    anchors = torch.tensor([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                            [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
    offset_preds = torch.zeros(16)
    cls_probs = torch.tensor([[0.0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]])
    out = multibox_detection(cls_probs[None], offset_preds[None], anchors[None], nms_threshold=0.5)
    assert out.shape == (1, 4, 6)
    expected = torch.tensor([[0, 0.9, 0.1, 0.08, 0.52, 0.92], [1, 0.9, 0.55, 0.2, 0.9, 0.88],
                             [-1, 0.8, 0.08, 0.2, 0.56, 0.95], [-1, 0.7, 0.15, 0.3, 0.62, 0.91]])
    torch.testing.assert_close(out[0], expected)
    # a low score is turned into a background row
    low = multibox_detection(cls_probs[None] * 0.001, offset_preds[None], anchors[None])
    assert (low[0, :, 0] == -1).all()


@pytest.mark.parametrize("bad, message", [
    (torch.tensor([[0.5, 0.1, 0.2, 0.9]]), "x2 < x1"),
    (torch.tensor([[0.1, 0.5, 0.2, 0.3]]), "x2 < x1 or y2 < y1"),
    (torch.tensor([[0.1, 0.1, 0.2]]), r"\(\.\.\., 4\)"),
    (torch.tensor([[0.1, float("nan"), 0.2, 0.3]]), "NaN"),
])
def test_bad_boxes_raise(bad, message):
    good = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match=message):
        box_iou(bad, good)
    with pytest.raises(ValueError, match=message):
        nms(bad, torch.ones(len(bad)), 0.5)
    with pytest.raises(ValueError, match=message):
        box_corner_to_center(bad)


def test_empty_ground_truth_box_and_bad_shapes_raise():
    with pytest.raises(ValueError, match="empty box"):
        assign_anchor_to_bbox(torch.tensor([[0.2, 0.2, 0.2, 0.5]]), CATDOG_ANCHORS)
    with pytest.raises(ValueError, match="negative width"):
        box_center_to_corner(torch.tensor([[0.5, 0.5, -0.1, 0.2]]))
    with pytest.raises(ValueError, match=r"\(batch, num_boxes, 5\)"):
        multibox_target(CATDOG_ANCHORS[None], CATDOG_GT)
    with pytest.raises(ValueError, match="anchors must be"):
        multibox_target(CATDOG_ANCHORS, CATDOG_GT[None])
    with pytest.raises(ValueError, match="height, width"):
        multibox_prior(torch.zeros(3, 4, 4), [0.5], [1])
    with pytest.raises(ValueError, match="floating-point"):
        check_boxes(torch.tensor([[0, 0, 1, 1]]))


def test_batched_multibox_target_equals_a_per_image_loop():
    g = torch.Generator().manual_seed(5)
    anchors = multibox_prior(torch.zeros(1, 1, 6, 6), [0.3, 0.15], [1, 2, 0.5])
    labels = torch.full((6, 4, 5), -1.0)
    for b in range(6):
        n = b % 4 + 1 if b else 0  # image 0 has no object at all
        for k in range(n):
            labels[b, k] = torch.cat((torch.randint(0, 3, (1,), generator=g).float(),
                                      _random_boxes(1, g, scale=0.9)[0].clamp(max=1.0)))
    offset, mask, cls = multibox_target(anchors, labels)
    for b in range(6):
        real = labels[b, labels[b, :, 0] >= 0]
        assigned = assign_anchor_to_bbox(real[:, 1:], anchors[0])
        matched = assigned >= 0
        expected_cls = torch.zeros(anchors.shape[1], dtype=torch.long)
        expected_cls[matched] = real[assigned[matched], 0].long() + 1
        assert torch.equal(cls[b], expected_cls)
        targets = anchors[0].clone()
        targets[matched] = real[assigned[matched], 1:]
        expected = offset_boxes(anchors[0], targets) * matched[:, None]
        torch.testing.assert_close(offset[b], expected.reshape(-1))
        torch.testing.assert_close(mask[b], matched[:, None].expand(-1, 4).float().reshape(-1))
    assert (cls[0] == 0).all() and (cls[1:] > 0).any(dim=1).all()


def test_nms_is_fast_enough_for_thousands_of_boxes():
    import time

    g = torch.Generator().manual_seed(6)
    boxes, scores = _random_boxes(4000, g, scale=10.0), torch.rand(4000, generator=g)
    start = time.perf_counter()
    keep = nms(boxes, scores, 0.5)
    assert time.perf_counter() - start < 5.0  # seconds; the vectorised loop takes well under 1
    torch.testing.assert_close(box_iou(boxes[keep], boxes[keep]).fill_diagonal_(0).max() <= 0.5, torch.tensor(True))
