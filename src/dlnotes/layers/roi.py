r"""Region-of-interest pooling from scratch (d2l §13.8): RoI pooling (Fast R-CNN) and RoI align
(Mask R-CNN).

Both cut a box out of a feature map and turn it into a fixed ``output_size`` grid, whatever the
box's size, so a fully connected head can follow. RoI pooling rounds the box to whole feature
pixels and takes the maximum over each (unequal) bin; RoI align keeps the box in real
coordinates, samples each bin at evenly spaced points by bilinear interpolation and averages.

Twins: ``torchvision.ops.roi_pool`` / ``roi_align`` (same conventions); the tests use
onnxruntime's ``MaxRoiPool`` and ``RoiAlign`` (opset 16, ``half_pixel`` ⇔ ``aligned=True``).

Shapes: ``features`` ``(N, C, H, W)``; ``rois`` ``(K, 5)`` rows ``[batch_index, x1, y1, x2, y2]``
in input-image coordinates, mapped to the feature map by ``spatial_scale`` (e.g. 1/16 for a
stride-16 trunk) → ``(K, C, out_h, out_w)``.
"""

from __future__ import annotations

import math

import torch

__all__ = ["roi_pool", "roi_pool_bins", "roi_align"]


def _check(features: torch.Tensor, rois: torch.Tensor, output_size) -> tuple[int, int]:
    if features.dim() != 4:
        raise ValueError(f"features must be (N, C, H, W), got {tuple(features.shape)}")
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f"rois must be (K, 5) rows [batch_index, x1, y1, x2, y2], got {tuple(rois.shape)}")
    if not torch.isfinite(rois).all():
        raise ValueError("rois hold NaN or infinite values")
    bad = (rois[:, 3] < rois[:, 1]) | (rois[:, 4] < rois[:, 2])
    if bad.any():
        i = int(bad.nonzero()[0])
        raise ValueError(f"roi {i} has x2 < x1 or y2 < y1: {rois[i].tolist()}")
    idx = rois[:, 0]
    if ((idx != idx.round()) | (idx < 0) | (idx >= features.shape[0])).any():
        raise ValueError(f"roi batch indices must be integers in [0, {features.shape[0]}), got {idx.tolist()}")
    out = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f"output_size must be a positive int or (height, width), got {output_size!r}")
    return int(out[0]), int(out[1])


def _round_half_away(x: float) -> int:
    """C's ``round``: halves go away from zero (``torch.round`` would round them to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def _bin_edges(size: int, bins: int, start: int, limit: int) -> list[tuple[int, int]]:
    """``[floor(i * size / bins), ceil((i + 1) * size / bins))`` shifted by ``start``, clipped to
    ``[0, limit]``; the bin width ``size / bins`` is a float32, as in the C++ twins."""
    width = torch.tensor(size / bins, dtype=torch.float32)
    edges = torch.arange(bins + 1, dtype=torch.float32) * width           # (bins + 1,) float32
    lo, hi = edges[:-1].floor().long() + start, edges[1:].ceil().long() + start
    return list(zip(lo.clamp(0, limit).tolist(), hi.clamp(0, limit).tolist(), strict=True))


# --8<-- [start:roi-pool]
def roi_pool_bins(box, output_size, spatial_scale: float, feature_size) -> list[list[tuple[int, int, int, int]]]:
    r"""The bins of :func:`roi_pool` for one box ``[x1, y1, x2, y2]`` on a map of ``feature_size``
    ``(H, W)``: ``bins[i][j] = (r0, r1, c0, c1)``, rows ``r0:r1`` and columns ``c0:c1`` (may be empty).

    The box is scaled and rounded to feature pixels, $x_1' = \operatorname{round}(s x_1)$, …, so it
    covers $h = y_2' - y_1' + 1$ rows and $w = x_2' - x_1' + 1$ columns; bin $(i, j)$ of an
    $(h_o, w_o)$ grid spans rows $\lfloor i h / h_o \rfloor \le r < \lceil (i + 1) h / h_o \rceil$
    and columns $\lfloor j w / w_o \rfloor \le c < \lceil (j + 1) w / w_o \rceil$, offset by
    $y_1'$, $x_1'$ and clipped to the map. Bins overlap when $h$ is not a multiple of $h_o$.
    """
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    H, W = feature_size
    x1, y1, x2, y2 = (_round_half_away(float(v) * spatial_scale) for v in box)
    h, w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    rows, cols = _bin_edges(h, out_h, y1, H), _bin_edges(w, out_w, x1, W)
    return [[(r0, r1, c0, c1) for c0, c1 in cols] for r0, r1 in rows]


def roi_pool(features: torch.Tensor, rois: torch.Tensor, output_size, spatial_scale: float = 1.0) -> torch.Tensor:
    """RoI max pooling (Fast R-CNN): the maximum of each bin of :func:`roi_pool_bins`, 0 for an
    empty bin (a part of the box outside the map).

    Shapes: ``features`` ``(N, C, H, W)``, ``rois`` ``(K, 5)`` → ``(K, C, h_o, w_o)``.
    Twin: ``torchvision.ops.roi_pool``.
    """
    out_h, out_w = _check(features, rois, output_size)
    _, C, H, W = features.shape
    outputs = []
    for roi in rois.tolist():
        fmap = features[int(roi[0])]                                   # (C, H, W)
        cells = [fmap[:, r0:r1, c0:c1].amax(dim=(1, 2)) if r1 > r0 and c1 > c0 else fmap.new_zeros(C)
                 for row in roi_pool_bins(roi[1:], (out_h, out_w), spatial_scale, (H, W))
                 for r0, r1, c0, c1 in row]                            # h_o * w_o tensors (C,)
        outputs.append(torch.stack(cells, dim=1).reshape(C, out_h, out_w))   # (C, h_o, w_o)
    if not outputs:
        return features.new_zeros(0, C, out_h, out_w)
    return torch.stack(outputs)
# --8<-- [end:roi-pool]


def _bilinear(fmap: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sample ``fmap`` ``(C, H, W)`` at real points ``y`` ``(P,)``, ``x`` ``(Q,)`` → ``(C, P, Q)``.

    A point more than one pixel outside the map gives 0; one less than a pixel outside is clamped
    to the border (torchvision's and ONNX's rule). Pixel ``(r, c)`` sits at ``(r, c)``.
    """
    H, W = fmap.shape[-2:]

    def axis(t: torch.Tensor, size: int):
        valid = (t >= -1.0) & (t <= size)
        t = t.clamp(min=0)
        low = t.floor().long().clamp(max=size - 1)
        high = (low + 1).clamp(max=size - 1)
        t = torch.where(low >= size - 1, low.to(t.dtype), t)
        frac = t - low
        return low, high, frac, valid

    y0, y1, fy, vy = axis(y, H)
    x0, x1, fx, vx = axis(x, W)
    wy0, wy1 = (1 - fy)[:, None], fy[:, None]          # (P, 1)
    wx0, wx1 = (1 - fx)[None, :], fx[None, :]          # (1, Q)
    rows0, rows1 = fmap[:, y0, :], fmap[:, y1, :]      # (C, P, W)
    value = (wy0 * wx0 * rows0[:, :, x0] + wy0 * wx1 * rows0[:, :, x1]
             + wy1 * wx0 * rows1[:, :, x0] + wy1 * wx1 * rows1[:, :, x1])  # (C, P, Q)
    return value * (vy[:, None] & vx[None, :]).to(value.dtype)


# --8<-- [start:roi-align]
def roi_align(features: torch.Tensor, rois: torch.Tensor, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = True) -> torch.Tensor:
    r"""RoI align (Mask R-CNN): no rounding anywhere.

    The box becomes $[s x_1 - \delta, s x_2 - \delta]$ (and likewise in $y$), with $\delta = 0.5$
    when ``aligned`` (pixel $c$ covers $[c - 0.5, c + 0.5]$, so a box edge at 0 is the left edge of
    pixel 0) and $\delta = 0$ otherwise (then tiny boxes are widened to 1 pixel). Each of the
    $h_o \times w_o$ bins is sampled on a $g_h \times g_w$ grid of bin-relative points
    $(k + \frac12)/g$, by bilinear interpolation, and averaged; $g$ is ``sampling_ratio``, or
    $\lceil \text{box size} / \text{output size} \rceil$ when ``sampling_ratio <= 0``.

    Shapes: ``features`` ``(N, C, H, W)``, ``rois`` ``(K, 5)`` → ``(K, C, h_o, w_o)``.
    Differentiable in ``features`` (each output is a weighted sum of four pixels per sample).
    Twin: ``torchvision.ops.roi_align``.
    """
    out_h, out_w = _check(features, rois, output_size)
    C = features.shape[1]
    delta = 0.5 if aligned else 0.0
    outputs = []
    for roi in rois.tolist():
        b = int(roi[0])
        x1, y1, x2, y2 = (v * spatial_scale - delta for v in roi[1:])
        h, w = y2 - y1, x2 - x1
        if not aligned:
            h, w = max(h, 1.0), max(w, 1.0)
        g_h = sampling_ratio if sampling_ratio > 0 else max(math.ceil(h / out_h), 1)
        g_w = sampling_ratio if sampling_ratio > 0 else max(math.ceil(w / out_w), 1)
        kw = {"dtype": features.dtype, "device": features.device}
        # sample points: bin i, sample k at y1 + (i + (k + 0.5) / g_h) * h / out_h
        ys = y1 + (torch.arange(out_h, **kw)[:, None] + (torch.arange(g_h, **kw) + 0.5) / g_h) * h / out_h
        xs = x1 + (torch.arange(out_w, **kw)[:, None] + (torch.arange(g_w, **kw) + 0.5) / g_w) * w / out_w
        samples = _bilinear(features[b], ys.reshape(-1), xs.reshape(-1))   # (C, out_h*g_h, out_w*g_w)
        samples = samples.reshape(C, out_h, g_h, out_w, g_w)
        outputs.append(samples.mean(dim=(2, 4)))                             # (C, out_h, out_w)
    if not outputs:
        return features.new_zeros(0, C, out_h, out_w)
    return torch.stack(outputs)
# --8<-- [end:roi-align]
