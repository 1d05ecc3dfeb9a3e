"""A synthetic banana detection set (chapter 13.6–13.7), drawn by seeded code.

d2l's banana set is synthetic too: banana photos pasted onto background photos, one banana per
image, 1,000 training and 100 validation images at 256 px. Ours is drawn from scratch, so it needs
no download and every pixel is reproducible:

* the **background** is a smooth random colour field (a 4×4 grid of random colours, bilinearly
  upsampled) plus 0–3 "distractor" discs and rectangles. Every
  background colour has red ≤ 0.5, so nothing in the background is yellow (no pixel noise:
  it would make the figures' PNGs several times larger and teach nothing here);
* the **banana** is a crescent, the part of a disc of radius 1 that lies outside a second disc of
  radius $r$ whose centre is shifted by $d$:

  $$\\mathcal B = \\{(u, v) : u^2 + v^2 \\le 1,\\; u^2 + (v - d)^2 > r^2\\},$$

  scaled, rotated by a random angle and placed at a random position, then painted yellow with a
  soft shading across its width;
* the **label** is the tight box around the banana's pixels, in ``[class, x1, y1, x2, y2]`` form
  with coordinates divided by the image size (d2l's convention): ``x1`` is the left edge of the
  leftmost banana pixel, ``x2`` the right edge of the rightmost one.

A pixel belongs to the banana when its centre lies in $\\mathcal B$ (no anti-aliasing, so the
box and the yellow pixels agree exactly). Shapes: images ``(N, 3, S, S)`` float32 in ``[0, 1]``,
labels ``(N, 1, 5)`` float32 (one object per image, class 0).
"""

from __future__ import annotations

import math

import torch

from ..seed import data_generator

__all__ = ["BANANA_COLOR", "make_bananas", "load_bananas", "banana_pixels"]

BANANA_COLOR = (0.96, 0.83, 0.18)  # RGB of a lit banana; backgrounds keep red <= 0.5
_BACKGROUND_MAX_RED = 0.5


def _uniform(g: torch.Generator, n: int, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


def _upsample_matrix(size: int, cells: int = 4) -> torch.Tensor:
    """``(size, cells)`` weights of linear interpolation from ``cells`` grid points to ``size``
    pixels (the first and last pixel sit on the first and last grid point)."""
    pos = torch.linspace(0, cells - 1, size)
    lo = pos.floor().clamp(max=cells - 2).long()
    frac = pos - lo
    weights = torch.zeros(size, cells)
    weights[torch.arange(size), lo] = 1 - frac
    weights[torch.arange(size), lo + 1] = frac
    return weights


def _backgrounds(g: torch.Generator, n: int, size: int) -> torch.Tensor:
    """``(n, 3, size, size)`` smooth colour fields with a few non-yellow shapes on them."""
    low = torch.tensor([0.05, 0.15, 0.2]).view(1, 3, 1, 1)
    high = torch.tensor([_BACKGROUND_MAX_RED, 0.75, 0.85]).view(1, 3, 1, 1)
    grid = low + (high - low) * torch.rand(n, 3, 4, 4, generator=g)  # red in [0.05, 0.5]
    up = _upsample_matrix(size)  # (size, 4)
    bg = up @ grid @ up.T  # (n, 3, size, size): bilinear upsampling as two matrix products
    ys = (torch.arange(size) + 0.5) / size
    yy, xx = ys.view(1, size, 1), ys.view(1, 1, size)
    for _ in range(3):  # up to three distractors per image
        present = torch.rand(n, generator=g) < 0.6
        cx, cy = _uniform(g, n, 0, 1).view(n, 1, 1), _uniform(g, n, 0, 1).view(n, 1, 1)
        rad = _uniform(g, n, 0.05, 0.2).view(n, 1, 1)
        is_disc = (torch.rand(n, generator=g) < 0.5).view(n, 1, 1)
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= rad ** 2
        rect = ((xx - cx).abs() <= rad) & ((yy - cy).abs() <= 0.6 * rad)
        shape = torch.where(is_disc, disc, rect) & present.view(n, 1, 1)  # (n, size, size)
        color = low + (high - low) * torch.rand(n, 3, 1, 1, generator=g)
        bg = torch.where(shape.unsqueeze(1), color, bg)
    return bg


# --8<-- [start:crescent]
def _crescents(g: torch.Generator, n: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks ``(n, size, size)`` of one random crescent per image, and a shading value
    ``(n, size, size)`` in [0, 1] across the crescent's width."""
    radius = _uniform(g, n, 0.14, 0.3)  # outer radius, in units of the image width
    shift = _uniform(g, n, 0.45, 0.65)  # d: inner disc's offset (in outer radii)
    inner = _uniform(g, n, 0.85, 1.0)  # r: inner disc's radius (in outer radii)
    angle = _uniform(g, n, 0, 2 * math.pi)
    cx = radius + (1 - 2 * radius) * torch.rand(n, generator=g)  # the disc stays inside
    cy = radius + (1 - 2 * radius) * torch.rand(n, generator=g)
    t = (torch.arange(size) + 0.5) / size  # pixel centres in [0, 1]
    x = (t.view(1, 1, size) - cx.view(n, 1, 1)) / radius.view(n, 1, 1)  # (n, 1, size)
    y = (t.view(1, size, 1) - cy.view(n, 1, 1)) / radius.view(n, 1, 1)  # (n, size, 1)
    cos, sin = torch.cos(angle).view(n, 1, 1), torch.sin(angle).view(n, 1, 1)
    u = cos * x + sin * y  # (n, size, size): rotate into the crescent's own frame
    v = -sin * x + cos * y
    d, r = shift.view(n, 1, 1), inner.view(n, 1, 1)
    inside = (u ** 2 + v ** 2 <= 1) & (u ** 2 + (v - d) ** 2 > r ** 2)
    shade = ((1 - v) / 2).clamp(0, 1)  # 1 on the outer rim, lower towards the horns
    return inside, shade
# --8<-- [end:crescent]


# --8<-- [start:boxes]
def _boxes(mask: torch.Tensor) -> torch.Tensor:
    """Tight pixel boxes ``(n, 4)`` (x1, y1, x2, y2, divided by the size) of masks ``(n, S, S)``."""
    n, size, _ = mask.shape
    if not mask.flatten(1).any(1).all():
        raise ValueError("an image has no object pixels")
    idx = torch.arange(size)
    cols, rows = mask.any(1), mask.any(2)  # (n, S): which columns / rows hold the object
    x1 = torch.where(cols, idx, size).min(1).values
    x2 = torch.where(cols, idx, -1).max(1).values + 1
    y1 = torch.where(rows, idx, size).min(1).values
    y2 = torch.where(rows, idx, -1).max(1).values + 1
    return torch.stack([x1, y1, x2, y2], 1).float() / size
# --8<-- [end:boxes]


def make_bananas(num: int, size: int = 96, seed: int = 0, chunk: int = 100
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """``num`` banana images ``(num, 3, size, size)`` and labels ``(num, 1, 5)``.

    Deterministic under ``seed`` for a given ``chunk`` (images are drawn ``chunk`` at a time from
    one generator; keep the default to reproduce a set).
    """
    if num <= 0 or size < 16:
        raise ValueError(f"need num > 0 and size >= 16, got num={num}, size={size}")
    g = data_generator(seed)
    images, labels = [], []
    for start in range(0, num, chunk):
        n = min(chunk, num - start)
        bg = _backgrounds(g, n, size)
        mask, shade = _crescents(g, n, size)
        tone = 0.8 + 0.2 * shade.unsqueeze(1)  # (n, 1, S, S): lit side 1.0, far side 0.8
        banana = torch.tensor(BANANA_COLOR).view(1, 3, 1, 1) * tone
        img = torch.where(mask.unsqueeze(1), banana, bg)
        box = _boxes(mask)
        images.append(img)
        labels.append(torch.cat([torch.zeros(n, 1), box], 1).unsqueeze(1))  # (n, 1, 5)
    return torch.cat(images), torch.cat(labels)


def banana_pixels(images: torch.Tensor) -> torch.Tensor:
    """Which pixels look like banana, read from the colours alone: ``(N, S, S)`` bool.

    Backgrounds never have red above 0.5; a banana pixel is strongly red and green
    and has little blue. Used by the tests to check the labels against the drawn pixels.
    """
    r, g, b = images[:, 0], images[:, 1], images[:, 2]
    return (r > 0.62) & (g > 0.5) & (b < 0.35)


def load_bananas(size: int = 96, num_train: int = 1000, num_val: int = 100, seed: int = 0
                 ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """The training and held-out splits of the banana set, each ``(images, labels)``.

    The two splits come from different seeds (``seed`` and ``seed + 1``), so no held-out image
    repeats a training one. Batch them with :class:`dlnotes.data.synthetic.TensorBatches`
    (shuffled for training, in order for evaluation).
    """
    return make_bananas(num_train, size, seed), make_bananas(num_val, size, seed + 1)
