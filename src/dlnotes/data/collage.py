r"""A synthetic semantic-segmentation set: collages of Fashion-MNIST items on a coloured canvas.

Pascal VOC (d2l §13.9) cannot be had here, so every example is made by seeded code instead:
a ``size × size`` RGB canvas (a dim random colour plus a little noise) on which 2–4 Fashion-MNIST
items are pasted at random positions and scales, each tinted with a random colour. Only the
item's pixels brighter than ``threshold`` are pasted, and the label of exactly those pixels
becomes the item's class + 1; everything else is background 0. A later item covers an earlier
one, in the image and in the mask alike:

$$M_{uv} = \begin{cases} c_k + 1 & \text{if } k \text{ is the last item with } \tilde x^{(k)}_{uv} > \tau\\
0 & \text{if there is none}\end{cases}$$

where $\tilde x^{(k)}$ is item $k$ resized and placed on the canvas.

This module takes the item tensors as arguments (``dlnotes.data.fashion_mnist.fashion_mnist_tensors``
gives them), so it depends on no other dataset. Also here: the Pascal VOC colour map (written
from its bit-interleaving rule) and the label ↔ colour conversions, and a paired random crop.

Shapes: images ``(N, 3, S, S)`` float32 in [0, 1], masks ``(N, S, S)`` int64 in ``0..10``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from ..seed import data_generator

__all__ = [
    "CLASSES",
    "Placement",
    "Collages",
    "place_item",
    "make_collages",
    "voc_colormap",
    "label_to_color",
    "color_to_label",
    "random_crop_pair",
]

# background, then Fashion-MNIST's ten classes in their label order (label k -> class k + 1)
CLASSES = (
    "background", "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)


@dataclass(frozen=True)
class Placement:
    """Where one item went: its row in the source tensor, its class (1..10), its top-left corner,
    its side length after resizing and its RGB tint."""

    source: int
    label: int
    top: int
    left: int
    side: int
    tint: tuple[float, float, float]


@dataclass
class Collages:
    """``images`` ``(N, 3, S, S)``, ``masks`` ``(N, S, S)`` and, per canvas, its placements in
    paste order (later ones on top)."""

    images: torch.Tensor
    masks: torch.Tensor
    layouts: list[list[Placement]]
    threshold: float

    def __len__(self) -> int:
        return len(self.masks)


def place_item(item: torch.Tensor, side: int, top: int, left: int, size: int) -> torch.Tensor:
    """Resize a grey item ``(h, w)`` to ``side × side`` (bilinear) and put it on an empty
    ``size × size`` canvas at ``(top, left)``; returns the ``(size, size)`` canvas."""
    if item.dim() != 2:
        raise ValueError(f"an item must be a grey (h, w) image, got shape {tuple(item.shape)}")
    if not (0 <= top and top + side <= size and 0 <= left and left + side <= size):
        raise ValueError(f"an item of side {side} at ({top}, {left}) does not fit a {size}-px canvas")
    small = F.interpolate(item[None, None], size=(side, side), mode="bilinear",
                          align_corners=False)[0, 0].clamp(0, 1)  # (side, side)
    out = item.new_zeros(size, size)
    out[top:top + side, left:left + side] = small
    return out


# --8<-- [start:make-collages]
def make_collages(items: torch.Tensor, labels: torch.Tensor, n: int, *, size: int = 64,
                  num_items: tuple[int, int] = (2, 4), side: tuple[int, int] = (20, 40),
                  threshold: float = 0.1, seed: int = 0) -> Collages:
    """``n`` collages drawn from ``items`` ``(M, 1, 28, 28)`` (or ``(M, 28, 28)``) in [0, 1] with
    ``labels`` ``(M,)`` in 0..9. Each canvas gets ``num_items`` items (inclusive range) of side
    ``side`` (inclusive range, px); the same seed gives the same collages."""
    if items.dim() == 4:
        items = items[:, 0]  # (M, 1, h, w) -> (M, h, w)
    if items.dim() != 3 or len(items) != len(labels):
        raise ValueError(f"expected items (M, h, w) and labels (M,), got {tuple(items.shape)} "
                         f"and {tuple(labels.shape)}")
    if n <= 0 or not 1 <= num_items[0] <= num_items[1] or not 1 <= side[0] <= side[1] <= size:
        raise ValueError(f"bad sizes: n={n}, num_items={num_items}, side={side}, size={size}")
    g = data_generator(seed)
    # every random number at once; canvas i uses the first counts[i] of its hi item slots
    lo, hi = num_items
    background = torch.rand(n, 3, 1, 1, generator=g) * 0.4  # a dim random colour per canvas
    images = (background + 0.05 * torch.randn(n, 3, size, size, generator=g)).clamp(0, 1)
    masks = torch.zeros(n, size, size, dtype=torch.long)
    counts = torch.randint(lo, hi + 1, (n,), generator=g)
    sources = torch.randint(len(items), (n, hi), generator=g)
    sides = torch.randint(side[0], side[1] + 1, (n, hi), generator=g)
    corners = (torch.rand(n, hi, 2, generator=g) * (size - sides + 1)[..., None]).long()  # (n, hi, 2)
    tints = 0.4 + 0.6 * torch.rand(n, hi, 3, generator=g)  # each channel in [0.4, 1]
    layouts = [
        [Placement(int(sources[i, k]), int(labels[sources[i, k]]) + 1, int(corners[i, k, 0]),
                   int(corners[i, k, 1]), int(sides[i, k]), tuple(tints[i, k].tolist()))
         for k in range(int(counts[i]))]
        for i in range(n)
    ]
    # resize all items of one side length in one call
    resized = {}
    for s in {p.side for layout in layouts for p in layout}:
        sources = sorted({p.source for layout in layouts for p in layout if p.side == s})
        small = F.interpolate(items[sources][:, None], size=(s, s), mode="bilinear",
                              align_corners=False)[:, 0].clamp(0, 1)  # (k, s, s)
        resized.update({(src, s): img for src, img in zip(sources, small, strict=True)})
    for i, layout in enumerate(layouts):
        for k, p in enumerate(layout):  # in paste order: a later item covers an earlier one
            item = resized[(p.source, p.side)]  # (s, s)
            keep = item > threshold  # the pasted pixels
            rows, cols = slice(p.top, p.top + p.side), slice(p.left, p.left + p.side)
            region = images[i, :, rows, cols]  # (3, s, s), a view
            region.copy_(torch.where(keep, tints[i, k, :, None, None] * item, region))
            masks[i, rows, cols].masked_fill_(keep, p.label)
    return Collages(images, masks, layouts, threshold)
# --8<-- [end:make-collages]


# --8<-- [start:colormap]
def voc_colormap(n: int = 256) -> torch.Tensor:
    """Pascal VOC's palette: ``(n, 3)`` uint8. The bits of the class index are dealt out in turn
    to red, green and blue, filling each colour from its most significant bit down: class 1 is
    (128, 0, 0), 2 is (0, 128, 0), 3 is (128, 128, 0), ..."""
    if not 1 <= n <= 256:
        raise ValueError(f"the VOC palette has 1..256 colours, got {n}")
    cmap = torch.zeros(n, 3, dtype=torch.uint8)
    for index in range(n):
        rgb, c = [0, 0, 0], index
        for shift in range(7, -1, -1):  # bit 7 (128) first
            for channel in range(3):
                rgb[channel] |= (c & 1) << shift
                c >>= 1
        cmap[index] = torch.tensor(rgb, dtype=torch.uint8)
    return cmap


def label_to_color(mask: torch.Tensor, cmap: torch.Tensor | None = None) -> torch.Tensor:
    """Class indices ``(..., H, W)`` -> colours ``(..., H, W, 3)`` uint8 (a table lookup)."""
    cmap = voc_colormap() if cmap is None else cmap
    if mask.is_floating_point() or mask.min() < 0 or mask.max() >= len(cmap):
        raise ValueError(f"mask must hold integer classes in 0..{len(cmap) - 1}")
    return cmap[mask]


def _color_key(c: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` uint8 -> ``(...,)`` int64 ``r·2^16 + g·2^8 + b``."""
    return (c[..., 0].long() << 16) | (c[..., 1].long() << 8) | c[..., 2].long()


def color_to_label(image: torch.Tensor, cmap: torch.Tensor | None = None) -> torch.Tensor:
    """Colours ``(..., H, W, 3)`` uint8 -> class indices ``(..., H, W)`` int64; a colour that is
    not in the palette raises ``ValueError``."""
    cmap = voc_colormap() if cmap is None else cmap
    if image.shape[-1] != 3 or image.dtype != torch.uint8:
        raise ValueError(f"expected uint8 colours (..., 3), got {tuple(image.shape)} {image.dtype}")
    keys, order = _color_key(cmap).sort()  # each colour as one 24-bit number, sorted
    k = _color_key(image)
    pos = torch.searchsorted(keys, k).clamp(max=len(keys) - 1)
    if not torch.equal(keys[pos], k):
        raise ValueError("the image holds colours that are not in the palette")
    return order[pos]
# --8<-- [end:colormap]


def random_crop_pair(image: torch.Tensor, mask: torch.Tensor, height: int, width: int,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Crop the same window out of an image ``(C, H, W)`` and its mask ``(H, W)``: resizing a mask
    would blend class numbers, so segmentation crops instead of rescaling."""
    if image.shape[-2:] != mask.shape[-2:]:
        raise ValueError(f"image {tuple(image.shape)} and mask {tuple(mask.shape)} differ in size")
    H, W = mask.shape[-2:]
    if not (0 < height <= H and 0 < width <= W):
        raise ValueError(f"cannot crop {height}×{width} out of {H}×{W}")
    top = int(torch.randint(H - height + 1, (), generator=generator))
    left = int(torch.randint(W - width + 1, (), generator=generator))
    return (image[..., top:top + height, left:left + width],
            mask[..., top:top + height, left:left + width])
