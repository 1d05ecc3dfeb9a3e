"""TinySSD and the 13.7 recipe: shapes, the SSD loss against a hand computation, the memoised
targets, pre-filtered detection, and AP@0.5 on hand-made cases."""

from __future__ import annotations

import pytest
import torch

from dlnotes.data.bananas import load_bananas, make_bananas
from dlnotes.data.synthetic import TensorBatches
from dlnotes.layers.boxes import multibox_detection, multibox_target
from dlnotes.models.ssd import SSDConfig, TinySSD
from dlnotes.recipes.detection import (
    _TargetCache,
    average_precision,
    detect,
    evaluate_ssd,
    ssd_counts,
    ssd_loss,
    train_ssd,
)

HALF = SSDConfig(base_channels=(8, 16, 32), channels=64)


@pytest.mark.parametrize("size, config, num_anchors", [
    (96, HALF, 4 * (12 * 12 + 6 * 6 + 3 * 3 + 1 + 1)),
    (256, SSDConfig(), 5444),  # d2l's 256-px TinySSD: 32², 16², 8², 4², 1 pixels × 4 anchors
])
def test_tiny_ssd_shapes(size, config, num_anchors):
    torch.manual_seed(0)
    net = TinySSD(config)
    anchors, cls_preds, bbox_preds = net(torch.rand(2, 3, size, size))
    assert anchors.shape == (1, num_anchors, 4)
    assert cls_preds.shape == (2, num_anchors, 2)
    assert bbox_preds.shape == (2, num_anchors * 4)


def test_tiny_ssd_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        TinySSD(HALF)(torch.rand(2, 1, 64, 64))


def _random_targets(B=3, A=7, K=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    cls_preds = torch.randn(B, A, K, generator=g, requires_grad=True)
    cls_labels = torch.randint(0, K, (B, A), generator=g)
    bbox_preds = torch.randn(B, 4 * A, generator=g, requires_grad=True)
    bbox_labels = torch.randn(B, 4 * A, generator=g)
    bbox_masks = (torch.rand(B, A, 1, generator=g) < 0.5).float().expand(-1, -1, 4).reshape(B, -1)
    return cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks


def test_ssd_loss_matches_a_hand_computation_values_and_gradients():
    cp, cl, bp, bl, bm = _random_targets()
    loss = ssd_loss(cp, cl, bp, bl, bm)
    assert loss.shape == (3,)
    loss.sum().backward()
    cp2, bp2 = cp.detach().clone().requires_grad_(), bp.detach().clone().requires_grad_()
    log_p = cp2 - cp2.exp().sum(-1, keepdim=True).log()  # log-softmax by hand
    ce = -log_p.gather(-1, cl.unsqueeze(-1)).squeeze(-1).mean(1)
    l1 = (bm * (bp2 - bl)).abs().mean(1)
    (ce + l1).sum().backward()
    torch.testing.assert_close(loss.detach(), (ce + l1).detach())
    torch.testing.assert_close(cp.grad, cp2.grad)
    torch.testing.assert_close(bp.grad, bp2.grad)


def test_ssd_loss_and_counts_on_perfect_predictions():
    cp, cl, bp, bl, bm = _random_targets()
    perfect = torch.nn.functional.one_hot(cl, 3).float() * 50
    loss = ssd_loss(perfect, cl, bl.clone(), bl, bm)
    assert loss.max() < 1e-6
    wrong, anchors, abs_err, entries = ssd_counts(perfect, cl, bl, bl, bm)
    assert (wrong, anchors, abs_err, entries) == (0.0, 21, 0.0, 84)


def test_ssd_loss_rejects_mismatched_shapes():
    cp, cl, bp, bl, bm = _random_targets()
    with pytest.raises(ValueError, match="shapes do not match"):
        ssd_loss(cp, cl[:, :-1], bp, bl, bm)


def test_memoised_targets_equal_multibox_target():
    X, Y = make_bananas(10, 64, seed=5)
    anchors = TinySSD(HALF)(X[:1])[0]
    cache = _TargetCache()
    first = cache(anchors, Y[:6])
    again = cache(anchors, Y[[5, 0, 7, 8, 9, 1]])  # some seen, some new
    for got, want in zip(first, multibox_target(anchors, Y[:6]), strict=True):
        assert torch.equal(got, want)
    for got, want in zip(again, multibox_target(anchors, Y[[5, 0, 7, 8, 9, 1]]), strict=True):
        assert torch.equal(got, want)


def test_detect_prefilter_keeps_exactly_the_boxes_above_the_threshold():
    torch.manual_seed(0)
    net = TinySSD(HALF).eval()
    X = make_bananas(3, 64, seed=2)[0]
    threshold = 0.3
    fast = detect(net, X, pos_threshold=threshold)
    with torch.no_grad():
        anchors, cls_preds, bbox_preds = net(X)
        full = multibox_detection(torch.softmax(cls_preds, 2).permute(0, 2, 1), bbox_preds, anchors,
                                  pos_threshold=threshold)
    for got, rows in zip(fast, full, strict=True):
        rows = rows[rows[:, 0] >= 0]
        rows = rows[rows[:, 1].argsort(descending=True)]
        torch.testing.assert_close(got, rows)


def _truth(*boxes):
    return torch.tensor([[[0.0, *b]] for b in boxes])  # (B, 1, 5)


def _det(*rows):
    return torch.tensor([[0.0, s, *b] for s, b in rows]).reshape(-1, 6)


def test_average_precision_perfect_and_none():
    truth = _truth((0.1, 0.1, 0.5, 0.5), (0.2, 0.3, 0.9, 0.8))
    perfect = [_det((0.9, (0.1, 0.1, 0.5, 0.5))), _det((0.8, (0.2, 0.3, 0.9, 0.8)))]
    assert average_precision(perfect, truth) == pytest.approx(1.0)
    assert average_precision([_det(), _det()], truth) == 0.0
    missed = [_det((0.9, (0.6, 0.6, 0.9, 0.9))), _det()]  # IoU 0 with the truth
    assert average_precision(missed, truth) == 0.0


def test_average_precision_hand_computed():
    truth = _truth((0.1, 0.1, 0.5, 0.5), (0.2, 0.3, 0.9, 0.8))
    dets = [_det((0.9, (0.1, 0.1, 0.5, 0.5)),      # TP    P = 1,   R = 1/2
                 (0.8, (0.1, 0.1, 0.5, 0.52))),    # duplicate of a found box: FP, P = 1/2
            _det((0.7, (0.2, 0.3, 0.9, 0.8)))]     # TP    P = 2/3, R = 1
    assert average_precision(dets, truth) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # a high-scoring false positive ahead of every hit
    dets = [_det((0.95, (0.6, 0.6, 0.7, 0.7)), (0.9, (0.1, 0.1, 0.5, 0.5))), _det()]
    assert average_precision(dets, truth) == pytest.approx(0.5 * 0.5)


def test_average_precision_iou_threshold():
    truth = _truth((0.0, 0.0, 0.4, 0.4))
    half = [_det((0.9, (0.0, 0.0, 0.4, 0.2)))]  # IoU exactly 0.5
    assert average_precision(half, truth) == pytest.approx(1.0)
    assert average_precision(half, truth, iou_threshold=0.6) == 0.0
    with pytest.raises(ValueError, match="no ground-truth"):
        average_precision(half, truth, class_id=1)


def test_train_ssd_records_and_learns():
    torch.manual_seed(0)
    train, val = load_bananas(size=64, num_train=64, num_val=16)
    train_iter, val_iter = TensorBatches(*train, 16), TensorBatches(*val, 16, shuffle=False)
    net = TinySSD(HALF)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    history = train_ssd(net, train_iter, opt, 3, val_iter)
    assert len(history) == 3
    assert {"train_loss", "train_class_err", "train_bbox_mae", "test_class_err",
            "test_bbox_mae"} <= set(history.final)
    losses = history.metric("train_loss")
    assert losses[-1] < losses[0]
    held = evaluate_ssd(net, val_iter)
    assert held["class_err"] == pytest.approx(history.final["test_class_err"])


def _voc_ap_reference(hits, num_truths):
    """PASCAL VOC's all-points AP written the way its devkit does (sentinels, backward max)."""
    tp, fp, rec, prec = 0, 0, [0.0], [0.0]
    for hit in hits:
        tp, fp = tp + hit, fp + (not hit)
        rec.append(tp / num_truths)
        prec.append(tp / (tp + fp))
    rec.append(1.0)
    prec.append(0.0)
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    return sum((rec[i + 1] - rec[i]) * prec[i + 1] for i in range(len(rec) - 1) if rec[i + 1] != rec[i])


def test_average_precision_matches_the_voc_devkit_recipe_on_random_cases():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        n = 6
        truth = torch.rand(n, 2, generator=g) * 0.5
        truth = torch.cat([truth, truth + 0.3], 1)  # (n, 4) boxes 0.3 wide
        labels = torch.cat([torch.zeros(n, 1), truth], 1).unsqueeze(1)  # (n, 1, 5)
        detections, ranked = [], []
        for i in range(n):
            rows = []
            for _ in range(int(torch.randint(0, 3, (1,), generator=g))):
                hit = bool(torch.rand(1, generator=g) < 0.6)
                box = truth[i] if hit else torch.tensor([0.9, 0.9, 0.95, 0.95])
                score = float(torch.rand(1, generator=g))
                rows.append((score, box))
                ranked.append((score, i, hit))
            detections.append(_det(*rows))
        # reference: a detection is a TP when it is a hit on a box not already found
        found, hits = set(), []
        for _, i, hit in sorted(ranked, key=lambda r: -r[0]):
            hits.append(hit and i not in found)
            if hit:
                found.add(i)
        want = _voc_ap_reference(hits, n) if hits else 0.0
        assert average_precision(detections, labels) == pytest.approx(want)
