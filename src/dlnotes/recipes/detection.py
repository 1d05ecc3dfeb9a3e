"""How 13.7 trains and scores a single-shot detector: the SSD loss, the loop, d2l's two metrics and AP.

The loss of one image sums, over its $A$ anchors, a classification and a box term (d2l's):

$$\\ell = \\frac1A\\sum_{i=1}^A \\operatorname{CE}(\\hat{\\mathbf p}_i, c_i)
        + \\frac1{4A}\\sum_{i=1}^A\\sum_{j=1}^4 m_{ij}\\,|\\hat\\Delta_{ij} - \\Delta_{ij}|,$$

where $c_i$ is the anchor's class from :func:`dlnotes.layers.boxes.multibox_target` (0 =
background), $\\Delta_i$ its target offsets and $m_{ij}\\in\\{0, 1\\}$ masks the box term off for
background anchors. d2l's two metrics are the **class error** (share of anchors whose arg-max class
is wrong) and the **bbox MAE** $\\frac1{4A}\\sum m_{ij}|\\hat\\Delta_{ij}-\\Delta_{ij}|$ (divided by
all $4A$ entries, masked ones included, so it is small by construction). Both are measured on
anchors, not objects; **AP@0.5** scores the detector on objects: detections from
:func:`~dlnotes.layers.boxes.multibox_detection`, ranked by score, are true positives when they hit
a not-yet-found ground-truth box with IoU ≥ 0.5, and AP is the area under the precision–recall
curve (all-points interpolation, as in PASCAL VOC since 2010).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..history import History
from ..layers.boxes import box_iou, multibox_detection, multibox_target

__all__ = ["ssd_loss", "ssd_counts", "train_ssd", "evaluate_ssd", "detect", "average_precision",
           "detection_ap"]


# --8<-- [start:loss]
def ssd_loss(cls_preds: torch.Tensor, cls_labels: torch.Tensor, bbox_preds: torch.Tensor,
             bbox_labels: torch.Tensor, bbox_masks: torch.Tensor) -> torch.Tensor:
    """Per-image loss ``(B,)``: mean cross-entropy over anchors + mean masked L1 over offsets.

    ``cls_preds (B, A, 1+C)`` logits, ``cls_labels (B, A)`` long, ``bbox_* (B, 4A)``.
    """
    if cls_preds.shape[:2] != cls_labels.shape or bbox_preds.shape != bbox_labels.shape:
        raise ValueError(f"shapes do not match: cls_preds {tuple(cls_preds.shape)}, cls_labels "
                         f"{tuple(cls_labels.shape)}, bbox_preds {tuple(bbox_preds.shape)}, "
                         f"bbox_labels {tuple(bbox_labels.shape)}")
    # cross_entropy wants the classes in dim 1: (B, A, 1+C) -> (B, 1+C, A); per anchor (B, A)
    per_anchor_ce = F.cross_entropy(cls_preds.transpose(1, 2), cls_labels, reduction="none")
    per_offset_l1 = (bbox_masks * (bbox_preds - bbox_labels)).abs()  # (B, 4A), 0 for background
    return per_anchor_ce.mean(dim=1) + per_offset_l1.mean(dim=1)  # (B,)
# --8<-- [end:loss]


def ssd_counts(cls_preds: torch.Tensor, cls_labels: torch.Tensor, bbox_preds: torch.Tensor,
               bbox_labels: torch.Tensor, bbox_masks: torch.Tensor) -> tuple[float, int, float, int]:
    """``(wrong classes, anchors, sum of |masked offset errors|, offset entries)`` of one batch."""
    wrong = float((cls_preds.argmax(dim=-1) != cls_labels).sum())
    abs_err = float(((bbox_labels - bbox_preds) * bbox_masks).abs().sum())
    return wrong, cls_labels.numel(), abs_err, bbox_labels.numel()


class _TargetCache:
    """``multibox_target`` per image, computed once: the anchors depend only on the input size, so
    an image's targets are the same in every epoch (d2l recomputes them for every batch)."""

    def __init__(self):
        self.anchors: torch.Tensor | None = None
        self.rows: dict[bytes, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def __call__(self, anchors: torch.Tensor, Y: torch.Tensor):
        if self.anchors is None or not torch.equal(self.anchors, anchors):
            self.anchors, self.rows = anchors.detach().clone(), {}
        keys = [y.numpy().tobytes() for y in Y]
        missing = [i for i, k in enumerate(keys) if k not in self.rows]
        if missing:
            new = multibox_target(anchors, Y[missing])
            for j, i in enumerate(missing):
                self.rows[keys[i]] = (new[0][j], new[1][j], new[2][j])
        rows = [self.rows[k] for k in keys]
        return tuple(torch.stack(part) for part in zip(*rows, strict=True))  # offsets, masks, classes


# --8<-- [start:train]
def train_ssd(net: nn.Module, train_iter: Iterable, optimizer: torch.optim.Optimizer, num_epochs: int,
              valid_iter: Iterable | None = None,
              scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> History:
    """Train a detector ``net(X) -> (anchors, cls_preds, bbox_preds)`` on batches ``(X, Y)``.

    ``Y (B, G, 5)`` holds ``[class, x1, y1, x2, y2]`` rows (class -1 = padding). Each epoch records
    ``train_loss``, ``train_class_err`` and ``train_bbox_mae`` measured on the training batches
    while training (d2l's way), and, with ``valid_iter``, ``test_class_err`` / ``test_bbox_mae``
    of the network in evaluation mode. ``scheduler`` is stepped after every minibatch.
    """
    history, targets = History(), _TargetCache()
    for epoch in range(1, num_epochs + 1):
        net.train()
        loss_sum, wrong, anchors_seen, abs_err, entries, examples = 0.0, 0.0, 0, 0.0, 0, 0
        start = time.perf_counter()
        for X, Y in train_iter:
            anchors, cls_preds, bbox_preds = net(X)
            bbox_labels, bbox_masks, cls_labels = targets(anchors, Y)  # multibox_target, memoised
            loss = ssd_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            w, a, e, n = ssd_counts(cls_preds.detach(), cls_labels, bbox_preds.detach(),
                                    bbox_labels, bbox_masks)
            loss_sum, wrong, anchors_seen = loss_sum + float(loss.detach()) * len(X), wrong + w, anchors_seen + a
            abs_err, entries, examples = abs_err + e, entries + n, examples + len(X)
        seconds = time.perf_counter() - start
        record = {"epoch": epoch, "train_loss": loss_sum / examples,
                  "train_class_err": wrong / anchors_seen, "train_bbox_mae": abs_err / entries,
                  "seconds": seconds, "examples_per_sec": examples / seconds}
        if valid_iter is not None:
            held = evaluate_ssd(net, valid_iter)
            record.update(test_class_err=held["class_err"], test_bbox_mae=held["bbox_mae"])
        history.records.append(record)
    return history
# --8<-- [end:train]


def evaluate_ssd(net: nn.Module, data_iter: Iterable) -> dict:
    """Loss, class error and bbox MAE of ``net`` (evaluation mode) over ``data_iter``."""
    net.eval()
    loss_sum, wrong, anchors_seen, abs_err, entries, examples = 0.0, 0.0, 0, 0.0, 0, 0
    with torch.no_grad():
        for X, Y in data_iter:
            anchors, cls_preds, bbox_preds = net(X)
            bbox_labels, bbox_masks, cls_labels = multibox_target(anchors, Y)
            loss = ssd_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
            w, a, e, n = ssd_counts(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
            loss_sum, wrong, anchors_seen = loss_sum + float(loss.sum()), wrong + w, anchors_seen + a
            abs_err, entries, examples = abs_err + e, entries + n, examples + len(X)
    if examples == 0:
        raise ValueError("evaluate_ssd got an empty data iterator")
    return {"loss": loss_sum / examples, "class_err": wrong / anchors_seen, "bbox_mae": abs_err / entries}


# --8<-- [start:detect]
def detect(net: nn.Module, X: torch.Tensor, nms_threshold: float = 0.5,
           pos_threshold: float = 0.009) -> list[torch.Tensor]:
    """Detections per image: a list of ``(n_i, 6)`` rows ``[class, score, x1, y1, x2, y2]``,
    background (class -1) removed, highest score first.

    Anchors whose best object probability is below ``pos_threshold`` are dropped *before*
    :func:`multibox_detection`: greedy NMS decides a box's fate only from higher-scoring boxes, so
    the kept boxes above the threshold are the same, and NMS loops over far fewer boxes.
    """
    net.eval()
    with torch.no_grad():
        anchors, cls_preds, bbox_preds = net(X)
        cls_probs = F.softmax(cls_preds, dim=2).permute(0, 2, 1)  # (B, 1+C, A)
    kept = []
    for probs, offsets in zip(cls_probs, bbox_preds, strict=True):
        keep = probs[1:].max(dim=0).values >= pos_threshold  # (A,)
        if not keep.any():
            kept.append(torch.zeros(0, 6))
            continue
        rows = multibox_detection(probs[None][:, :, keep], offsets.reshape(-1, 4)[keep].reshape(1, -1),
                                  anchors[:, keep], nms_threshold=nms_threshold,
                                  pos_threshold=pos_threshold)[0]  # (a, 6)
        rows = rows[rows[:, 0] >= 0]
        kept.append(rows[rows[:, 1].argsort(descending=True)])
    return kept
# --8<-- [end:detect]


# --8<-- [start:ap]
def average_precision(detections: Sequence[torch.Tensor], labels: torch.Tensor, class_id: int = 0,
                      iou_threshold: float = 0.5) -> float:
    """AP of one class: area under the precision–recall curve of all images' detections.

    ``detections[i]``: ``(n_i, 6)`` rows ``[class, score, x1, y1, x2, y2]`` of image ``i``;
    ``labels``: ``(B, G, 5)`` ground truth ``[class, x1, y1, x2, y2]`` (class -1 = padding).
    """
    if len(detections) != len(labels):
        raise ValueError(f"{len(detections)} images of detections but {len(labels)} of labels")
    truths = [lab[lab[:, 0] == class_id, 1:] for lab in labels]  # per image (g_i, 4)
    num_truths = sum(len(t) for t in truths)
    if num_truths == 0:
        raise ValueError(f"no ground-truth box of class {class_id}: AP is undefined")
    ranked = []  # (score, image, box) of every detection of this class
    for i, det in enumerate(detections):
        for row in det[det[:, 0] == class_id]:
            ranked.append((float(row[1]), i, row[2:]))
    ranked.sort(key=lambda r: -r[0])
    found = [torch.zeros(len(t), dtype=torch.bool) for t in truths]
    hits = []
    for _, i, box in ranked:  # highest score first
        hit = False
        if len(truths[i]):
            iou = box_iou(box.unsqueeze(0), truths[i])[0]  # (g_i,)
            iou[found[i]] = -1  # a box already found cannot be found twice
            best = int(iou.argmax())
            if iou[best] >= iou_threshold:
                found[i][best], hit = True, True
        hits.append(hit)
    if not hits:
        return 0.0
    tp = torch.tensor(hits, dtype=torch.float64).cumsum(0)
    precision = tp / torch.arange(1, len(hits) + 1, dtype=torch.float64)
    recall = tp / num_truths
    # all-points interpolation: precision at recall r is the best precision at any recall >= r
    envelope = precision.flip(0).cummax(0).values.flip(0)
    steps = torch.diff(recall, prepend=torch.zeros(1, dtype=torch.float64))
    return float((steps * envelope).sum())
# --8<-- [end:ap]


def detection_ap(net: nn.Module, data_iter: Iterable, iou_threshold: float = 0.5, **kwargs) -> float:
    """AP (class 0) of ``net``'s detections over every image of ``data_iter``."""
    detections, labels = [], []
    for X, Y in data_iter:
        detections += detect(net, X, **kwargs)
        labels.append(Y)
    return average_precision(detections, torch.cat(labels), 0, iou_threshold)
