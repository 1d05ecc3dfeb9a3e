r"""Bounding boxes and anchor boxes from scratch (d2l §13.3–13.4).

Conventions (d2l's): a *corner* box is ``(x1, y1, x2, y2)`` with ``x1 <= x2`` and ``y1 <= y2``
(x to the right, y downwards, as in an image); a *centre* box is ``(cx, cy, w, h)``. Anchors are
given in coordinates normalised to ``[0, 1]`` by the image width and height (they may stick out
of the image a little). Every function is plain torch; the twins are ``torchvision.ops``
(``box_convert``, ``box_iou``, ``nms``), which ``tests/test_boxes.py`` replaces by an exact
pixel count (IoU) and onnxruntime's ``NonMaxSuppression`` (NMS), because torchvision's ops cannot
be loaded here.

Pipeline of an anchor-based detector:

1. :func:`multibox_prior` lays ``len(sizes) + len(ratios) - 1`` anchors around every pixel of a
   feature map;
2. :func:`multibox_target` (training) gives each anchor a class (0 = background) and, when it is
   matched to a ground-truth box by :func:`assign_anchor_to_bbox`, the offsets
   (:func:`offset_boxes`) that would move it onto that box;
3. :func:`multibox_detection` (prediction) moves the anchors by predicted offsets
   (:func:`offset_inverse`) and removes duplicates with non-maximum suppression (:func:`nms`).

Bad boxes (wrong last dimension, NaN or infinite coordinates, ``x2 < x1`` or ``y2 < y1``) raise
``ValueError`` naming the argument and the first offending row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "check_boxes",
    "box_corner_to_center",
    "box_center_to_corner",
    "box_area",
    "box_iou",
    "multibox_prior",
    "assign_anchor_to_bbox",
    "offset_boxes",
    "offset_inverse",
    "multibox_target",
    "nms",
    "multibox_detection",
]


def check_boxes(boxes: torch.Tensor, name: str = "boxes", *, layout: str = "corner",
                allow_empty: bool = True) -> None:
    """Raise ``ValueError`` unless ``boxes`` ``(..., 4)`` holds valid boxes.

    ``layout="corner"``: ``(x1, y1, x2, y2)`` with ``x2 >= x1`` and ``y2 >= y1``;
    ``layout="center"``: ``(cx, cy, w, h)`` with ``w, h >= 0``. ``allow_empty=False`` also rejects
    boxes of zero width or height (a ground-truth box must cover something).
    """
    if not isinstance(boxes, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(boxes).__name__}")
    if boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4), got {tuple(boxes.shape)}")
    if not boxes.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {boxes.dtype}")
    flat = boxes.detach().reshape(-1, 4)
    bad = ~torch.isfinite(flat).all(dim=1)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(f"{name} row {i} has NaN or infinite coordinates: {flat[i].tolist()}")
    if layout == "corner":
        w, h = flat[:, 2] - flat[:, 0], flat[:, 3] - flat[:, 1]
        what = "x2 < x1 or y2 < y1 (corner boxes are (x1, y1, x2, y2))"
    elif layout == "center":
        w, h = flat[:, 2], flat[:, 3]
        what = "negative width or height (centre boxes are (cx, cy, w, h))"
    else:
        raise ValueError(f"layout must be 'corner' or 'center', got {layout!r}")
    bad = (w < 0) | (h < 0)
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(f"{name} row {i} is not a box, {what}: {flat[i].tolist()}")
    if not allow_empty:
        bad = (w == 0) | (h == 0)
        if bad.any():
            i = int(bad.nonzero()[0])
            raise ValueError(f"{name} row {i} is an empty box (zero width or height): {flat[i].tolist()}")


# --8<-- [start:convert]
def box_corner_to_center(boxes: torch.Tensor) -> torch.Tensor:
    r"""$(x_1, y_1, x_2, y_2) \mapsto (c_x, c_y, w, h)$ with
    $c_x = \frac{x_1 + x_2}{2}$, $c_y = \frac{y_1 + y_2}{2}$, $w = x_2 - x_1$, $h = y_2 - y_1$.

    Shapes: ``(..., 4)`` → ``(..., 4)``. Twin: ``torchvision.ops.box_convert(b, "xyxy", "cxcywh")``.
    """
    check_boxes(boxes, "boxes", layout="corner")
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def box_center_to_corner(boxes: torch.Tensor) -> torch.Tensor:
    r"""$(c_x, c_y, w, h) \mapsto (c_x - \frac w2,\ c_y - \frac h2,\ c_x + \frac w2,\ c_y + \frac h2)$.

    Shapes: ``(..., 4)`` → ``(..., 4)``. Twin: ``torchvision.ops.box_convert(b, "cxcywh", "xyxy")``.
    """
    check_boxes(boxes, "boxes", layout="center")
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)
# --8<-- [end:convert]


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Area $(x_2 - x_1)(y_2 - y_1)$ of corner boxes: ``(..., 4)`` → ``(...)``."""
    check_boxes(boxes, "boxes")
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


# --8<-- [start:iou]
def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    r"""Pairwise intersection over union (Jaccard index) of two sets of corner boxes:

    $$J(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|},$$

    where the intersection of two axis-aligned boxes is the box from the larger top-left corner
    to the smaller bottom-right corner (empty when those cross). Two empty boxes get IoU 0.

    Shapes: ``boxes1`` ``(N, 4)``, ``boxes2`` ``(M, 4)`` → ``(N, M)``.
    Twin: ``torchvision.ops.box_iou``.
    """
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        check_boxes(b, name)
        if b.dim() != 2:
            raise ValueError(f"{name} must be (num_boxes, 4), got {tuple(b.shape)}")
    return _pairwise_iou(boxes1, boxes2)


def _pairwise_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU of already checked boxes: ``(..., N, 4)`` and ``(..., M, 4)`` → ``(..., N, M)``."""
    area1 = (boxes1[..., 2] - boxes1[..., 0]) * (boxes1[..., 3] - boxes1[..., 1])       # (..., N)
    area2 = (boxes2[..., 2] - boxes2[..., 0]) * (boxes2[..., 3] - boxes2[..., 1])       # (..., M)
    top_left = torch.maximum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])      # (..., N, M, 2)
    bottom_right = torch.minimum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])  # (..., N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)                 # (..., N, M, 2), 0 where disjoint
    inter = wh[..., 0] * wh[..., 1]                             # (..., N, M)
    union = area1[..., :, None] + area2[..., None, :] - inter   # (..., N, M)
    return torch.where(union > 0, inter / union.clamp(min=torch.finfo(union.dtype).tiny), 0.0)
# --8<-- [end:iou]


# --8<-- [start:prior]
def multibox_prior(data: torch.Tensor, sizes: Sequence[float], ratios: Sequence[float]) -> torch.Tensor:
    r"""Anchor boxes centred on every pixel of a feature map (d2l's ``multibox_prior``).

    For a map of height $h$ and width $w$ the centre of pixel $(i, j)$ is
    $\big(\frac{j + 0.5}{w}, \frac{i + 0.5}{h}\big)$ in normalised coordinates. With sizes
    $s_1, \dots, s_n$ and aspect ratios $r_1, \dots, r_m$ each pixel gets $n + m - 1$ anchors, the
    pairs $(s_1, r_1), \dots, (s_n, r_1), (s_1, r_2), \dots, (s_1, r_m)$. An anchor $(s, r)$ is
    $s\sqrt r \cdot h$ pixels wide and $s / \sqrt r \cdot h$ pixels high, i.e. its area is
    $(s h)^2$ and its width/height ratio is $r$; in normalised coordinates its width is
    $s\sqrt r\, h / w$ and its height $s / \sqrt r$.

    Shapes: ``data`` ``(B, C, h, w)`` (only ``h``, ``w``, dtype and device are read) →
    ``(1, h * w * (n + m - 1), 4)`` corner boxes, the anchors of one pixel consecutive, pixels in
    row-major order (so ``.reshape(h, w, n + m - 1, 4)`` indexes them by pixel).
    """
    if data.dim() != 4:
        raise ValueError(f"data must be a (batch, channels, height, width) tensor, got {tuple(data.shape)}")
    sizes, ratios = [float(s) for s in sizes], [float(r) for r in ratios]
    if not sizes or not ratios or min(sizes) <= 0 or min(ratios) <= 0:
        raise ValueError(f"sizes and ratios must be non-empty and positive, got {sizes} and {ratios}")
    h, w = data.shape[-2:]
    dtype = data.dtype if data.is_floating_point() else torch.float32
    kw = {"dtype": dtype, "device": data.device}
    center_y = (torch.arange(h, **kw) + 0.5) / h                  # (h,)
    center_x = (torch.arange(w, **kw) + 0.5) / w                  # (w,)
    cy, cx = torch.meshgrid(center_y, center_x, indexing="ij")    # (h, w) each
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    half_w = torch.tensor([s * math.sqrt(r) * h / w / 2 for s, r in pairs], **kw)  # (a,)
    half_h = torch.tensor([s / math.sqrt(r) / 2 for s, r in pairs], **kw)          # (a,)
    centers = torch.stack((cx, cy, cx, cy), dim=-1).reshape(h * w, 1, 4)            # (h*w, 1, 4)
    spans = torch.stack((-half_w, -half_h, half_w, half_h), dim=-1)                 # (a, 4)
    return (centers + spans).reshape(1, -1, 4)                    # (1, h*w*a, 4)
# --8<-- [end:prior]


# --8<-- [start:assign]
def assign_anchor_to_bbox(ground_truth: torch.Tensor, anchors: torch.Tensor,
                          iou_threshold: float = 0.5) -> torch.Tensor:
    r"""Match anchors to ground-truth boxes (d2l's two-step rule).

    With the IoU matrix $X_{ij} = J(A_i, B_j)$ ($A$ anchors, $B$ ground truth):

    1. every anchor $i$ whose best IoU $\max_j X_{ij}$ reaches ``iou_threshold`` gets that box;
    2. then, $G$ times: take the largest remaining entry $X_{ij}$, give anchor $i$ the box $j$
       (overriding step 1) and delete row $i$ and column $j$. So every ground-truth box gets at
       least its best anchor, even when that IoU is below the threshold. A box that overlaps no
       anchor at all (largest remaining IoU 0) is left without one.

    Shapes: ``ground_truth`` ``(G, 4)``, ``anchors`` ``(A, 4)`` → ``(A,)`` long: the index of
    the assigned box, ``-1`` for none.
    """
    check_boxes(ground_truth, "ground_truth", allow_empty=False)
    iou = box_iou(anchors, ground_truth)                           # (A, G)
    return _assign(iou[None], iou_threshold)[0]                   # (A,)


def _assign(iou: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """The two steps on a batch of IoU matrices ``(B, A, G)`` (entries < 0 never match) → ``(B, A)``."""
    batch, num_anchors, num_gt = iou.shape
    assigned = torch.full((batch, num_anchors), -1, dtype=torch.long, device=iou.device)
    if num_gt == 0:
        return assigned
    best_iou, best_box = iou.max(dim=2)                            # (B, A), (B, A)
    step1 = best_iou >= iou_threshold
    assigned[step1] = best_box[step1]
    remaining = iou.clone()
    for _ in range(num_gt):                                        # step 2, all images at once
        value, flat = remaining.reshape(batch, -1).max(dim=1)      # first maximum, row-major
        b = torch.nonzero(value > 0)[:, 0]                         # images that still have a match
        if b.numel() == 0:
            break
        i, j = flat[b] // num_gt, flat[b] % num_gt
        assigned[b, i] = j
        remaining[b, i, :] = -1                                    # delete row i ...
        remaining[b, :, j] = -1                                    # ... and column j
    return assigned
# --8<-- [end:assign]


# --8<-- [start:offsets]
def offset_boxes(anchors: torch.Tensor, assigned: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    r"""Offsets that move each anchor onto its assigned box (d2l's scaled transform).

    With anchor $(x_a, y_a, w_a, h_a)$ and box $(x_b, y_b, w_b, h_b)$ in centre form and d2l's
    constants $\mu = 0$, $\sigma_x = \sigma_y = 0.1$, $\sigma_w = \sigma_h = 0.2$:

    $$\Big(\frac{x_b - x_a}{0.1\, w_a},\ \frac{y_b - y_a}{0.1\, h_a},\
      \frac{\log(\epsilon + w_b / w_a)}{0.2},\ \frac{\log(\epsilon + h_b / h_a)}{0.2}\Big).$$

    Shapes: ``anchors`` ``(..., A, 4)``, ``assigned`` ``(..., A, 4)`` corner boxes → ``(..., A, 4)``.
    """
    if anchors.shape != assigned.shape:
        raise ValueError(f"anchors {tuple(anchors.shape)} and assigned boxes {tuple(assigned.shape)} differ in shape")
    a, b = box_corner_to_center(anchors), box_corner_to_center(assigned)
    xy = 10 * (b[..., :2] - a[..., :2]) / a[..., 2:]
    wh = 5 * torch.log(eps + b[..., 2:] / a[..., 2:])
    return torch.cat((xy, wh), dim=-1)                             # (..., A, 4)


def offset_inverse(anchors: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    r"""Undo :func:`offset_boxes`: anchors moved by predicted offsets $(t_x, t_y, t_w, t_h)$,

    $$x = x_a + 0.1\, t_x w_a,\quad y = y_a + 0.1\, t_y h_a,\quad
      w = w_a e^{0.2\, t_w},\quad h = h_a e^{0.2\, t_h}.$$

    Shapes: ``anchors`` ``(A, 4)`` corner boxes, ``offsets`` ``(A, 4)`` → ``(A, 4)`` corner boxes.
    """
    if anchors.shape != offsets.shape:
        raise ValueError(f"anchors {tuple(anchors.shape)} and offsets {tuple(offsets.shape)} differ in shape")
    a = box_corner_to_center(anchors)
    xy = a[:, :2] + offsets[:, :2] * a[:, 2:] / 10
    wh = a[:, 2:] * torch.exp(offsets[:, 2:] / 5)
    return box_center_to_corner(torch.cat((xy, wh), dim=1))        # (A, 4)
# --8<-- [end:offsets]


# --8<-- [start:target]
def multibox_target(anchors: torch.Tensor, labels: torch.Tensor, iou_threshold: float = 0.5):
    """Training targets for every anchor of every image (d2l's ``multibox_target``).

    ``labels[b, g] = (class, x1, y1, x2, y2)`` in normalised coordinates; rows with class ``-1``
    are padding (images with fewer boxes) and are ignored. An anchor matched by the rule of
    :func:`assign_anchor_to_bbox` gets class ``class + 1`` and the offsets of
    :func:`offset_boxes`; the others are background (class 0) with offsets 0 and mask 0.
    The whole batch is matched at once.

    Shapes: ``anchors`` ``(1, A, 4)``, ``labels`` ``(B, G, 5)`` →
    ``bbox_offset`` ``(B, A * 4)``, ``bbox_mask`` ``(B, A * 4)`` (1 for the four numbers of a
    matched anchor), ``class_labels`` ``(B, A)`` long.
    """
    if anchors.dim() != 3 or anchors.shape[0] != 1:
        raise ValueError(f"anchors must be (1, num_anchors, 4), got {tuple(anchors.shape)}")
    if labels.dim() != 3 or labels.shape[-1] != 5:
        raise ValueError(f"labels must be (batch, num_boxes, 5) rows [class, x1, y1, x2, y2], got {tuple(labels.shape)}")
    anchors = anchors[0]                                           # (A, 4)
    check_boxes(anchors, "anchors")
    real = labels[..., 0] >= 0                                     # (B, G), False on padding rows
    check_boxes(labels[..., 1:][real], "ground-truth boxes in labels", allow_empty=False)
    gt = torch.where(real[..., None], labels[..., 1:], 0.0).to(anchors.dtype)     # (B, G, 4)
    iou = _pairwise_iou(anchors, gt).masked_fill(~real[:, None, :], -1.0)           # (B, A, G)
    assigned = _assign(iou, iou_threshold)                         # (B, A), -1 = background
    matched = assigned >= 0
    index = assigned.clamp(min=0)                                  # (B, A), any box for the others
    classes = torch.gather(labels[..., 0], 1, index).long() + 1    # (B, A)
    classes = torch.where(matched, classes, 0)
    targets = torch.gather(gt, 1, index[..., None].expand(-1, -1, 4))             # (B, A, 4)
    targets = torch.where(matched[..., None], targets, anchors)    # unmatched: dummy target = itself
    mask = matched[..., None].expand(-1, -1, 4).to(anchors.dtype)  # (B, A, 4)
    offsets = offset_boxes(anchors.expand_as(targets), targets) * mask
    return offsets.reshape(len(labels), -1), mask.reshape(len(labels), -1), classes
# --8<-- [end:target]


# --8<-- [start:nms]
def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression: go through the boxes by descending score; keep a box unless a box
    kept before it overlaps it with IoU above ``iou_threshold``.

    Shapes: ``boxes`` ``(N, 4)`` corner boxes, ``scores`` ``(N,)`` → kept indices ``(K,)`` long,
    by descending score. Twin: ``torchvision.ops.nms`` (and ONNX ``NonMaxSuppression``).
    The loop is sequential by nature (a box's fate depends on the boxes kept before it), so it
    runs on NumPy arrays: indexing a tensor element by element costs microseconds per box, and a
    detector has thousands of boxes.
    """
    check_boxes(boxes, "boxes")
    if boxes.dim() != 2 or scores.shape != boxes.shape[:1]:
        raise ValueError(f"expected boxes (N, 4) and scores (N,), got {tuple(boxes.shape)} and {tuple(scores.shape)}")
    order = torch.argsort(scores, descending=True, stable=True)
    x1, y1, x2, y2 = boxes[order].detach().cpu().numpy().T        # each (N,), best first
    area = (x2 - x1) * (y2 - y1)
    suppressed = np.zeros(len(area), dtype=bool)
    keep = []
    for i in range(len(area)):
        if suppressed[i]:
            continue
        keep.append(i)                                             # no kept box covers it
        rest = slice(i + 1, None)                                  # the lower-ranked boxes
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        union = area[i] + area[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        suppressed[rest] |= iou > iou_threshold
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]
# --8<-- [end:nms]


# --8<-- [start:detection]
def multibox_detection(cls_probs: torch.Tensor, offset_preds: torch.Tensor, anchors: torch.Tensor,
                       nms_threshold: float = 0.5, pos_threshold: float = 0.009) -> torch.Tensor:
    """Predicted boxes from class probabilities and offsets (d2l's ``multibox_detection``).

    Per image: each anchor takes its most likely non-background class and that probability as
    score, is moved by its offsets (:func:`offset_inverse`), and class-agnostic :func:`nms` keeps
    the best of overlapping boxes. Rows come out kept boxes first (by descending score), then the
    suppressed ones (class ``-1``). Any box whose score is below ``pos_threshold`` also gets
    class ``-1``, and its score becomes ``1 - score`` (a background confidence, as in d2l).

    Shapes: ``cls_probs`` ``(B, 1 + C, A)`` (row 0 = background), ``offset_preds`` ``(B, A * 4)``,
    ``anchors`` ``(1, A, 4)`` → ``(B, A, 6)`` rows ``[class, score, x1, y1, x2, y2]``.
    """
    if cls_probs.dim() != 3 or anchors.dim() != 3 or anchors.shape[0] != 1:
        raise ValueError(f"expected cls_probs (B, 1 + C, A) and anchors (1, A, 4), "
                         f"got {tuple(cls_probs.shape)} and {tuple(anchors.shape)}")
    batch, _, num_anchors = cls_probs.shape
    if anchors.shape[1] != num_anchors or offset_preds.shape != (batch, num_anchors * 4):
        raise ValueError(f"{num_anchors} anchors need anchors (1, {num_anchors}, 4) and offset_preds "
                         f"({batch}, {num_anchors * 4}), got {tuple(anchors.shape)} and {tuple(offset_preds.shape)}")
    anchors = anchors[0]
    out = []
    for probs, offsets in zip(cls_probs, offset_preds, strict=True):
        conf, class_id = probs[1:].max(dim=0)                      # (A,), (A,)
        boxes = offset_inverse(anchors, offsets.reshape(-1, 4))    # (A, 4)
        keep = nms(boxes, conf, nms_threshold)
        suppressed = torch.ones(num_anchors, dtype=torch.bool, device=conf.device)
        suppressed[keep] = False
        order = torch.cat((keep, suppressed.nonzero()[:, 0]))      # kept first, then the rest
        class_id = torch.where(suppressed, -1, class_id)[order].to(conf.dtype)
        conf, boxes = conf[order], boxes[order]
        low = conf < pos_threshold
        class_id = torch.where(low, -1.0, class_id)
        conf = torch.where(low, 1 - conf, conf)
        out.append(torch.cat((class_id[:, None], conf[:, None], boxes), dim=1))  # (A, 6)
    return torch.stack(out)
# --8<-- [end:detection]
