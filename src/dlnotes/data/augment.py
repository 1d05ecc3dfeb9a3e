"""Image augmentation written in torch (§13.1): flips, crops, colour jitter, and mix-up.

torchvision cannot be loaded here, so every transform is a few tensor operations. Each transform
is a callable ``t(x, generator)`` that takes one image ``(C, H, W)`` or a batch ``(N, C, H, W)``
of floats in ``[0, 1]`` and draws **its own random parameters for every image** from the given
``torch.Generator`` (seeded by the caller, e.g. with :func:`dlnotes.seed.data_generator`), so the
same seed gives the same images. The torchvision twins (``torchvision.transforms.v2``):

| here | torchvision.transforms.v2 |
|---|---|
| :class:`RandomHorizontalFlip`, :class:`RandomVerticalFlip` | ``RandomHorizontalFlip``, ``RandomVerticalFlip`` |
| :class:`RandomResizedCrop` | ``RandomResizedCrop`` (bilinear, antialiased) |
| :class:`RandomCrop` (``padding``) | ``RandomCrop(size, padding=p)`` (zero padding) |
| :class:`ColorJitter` | ``ColorJitter`` (brightness, contrast, saturation, hue) |
| :class:`Compose` | ``Compose`` |
| :func:`mixup` | ``MixUp`` |

Bad input (not 3-D/4-D, a colour op on a grey image, a crop larger than the image) raises
``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

__all__ = [
    "hflip", "vflip", "rgb_to_hsv", "hsv_to_rgb", "to_grayscale",
    "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "random_resized_crop_box", "resized_crop", "pad_crop",
    "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "RandomCrop",
    "ColorJitter", "Compose", "AugmentedBatches", "mixup",
]

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _as_batch(x: torch.Tensor, *, colour: bool = False) -> tuple[torch.Tensor, bool]:
    """``(C, H, W)`` or ``(N, C, H, W)`` → ``(N, C, H, W)`` and whether it was a single image."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"expected a float tensor image, got {type(x).__name__} "
                         f"{getattr(x, 'dtype', '')}")
    if x.dim() not in (3, 4):
        raise ValueError(f"expected an image (C, H, W) or a batch (N, C, H, W), got shape "
                         f"{tuple(x.shape)}")
    batch = x.unsqueeze(0) if x.dim() == 3 else x
    if colour and batch.shape[1] != 3:
        raise ValueError(f"this colour operation needs 3 channels (RGB), got {batch.shape[1]} "
                         f"(shape {tuple(x.shape)})")
    return batch, x.dim() == 3


def _back(batch: torch.Tensor, single: bool) -> torch.Tensor:
    return batch[0] if single else batch


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


# --8<-- [start:flip]
def hflip(x: torch.Tensor) -> torch.Tensor:
    """Mirror left–right: column ``j`` becomes column ``W-1-j`` (``torch.flip(x, [-1])``)."""
    _as_batch(x)
    return x.flip(-1)


def vflip(x: torch.Tensor) -> torch.Tensor:
    """Mirror top–bottom: row ``i`` becomes row ``H-1-i`` (``torch.flip(x, [-2])``)."""
    _as_batch(x)
    return x.flip(-2)


class RandomHorizontalFlip:
    """Flip each image left–right with probability ``p``."""

    def __init__(self, p: float = 0.5, flip: Callable[[torch.Tensor], torch.Tensor] = hflip):
        if not 0 <= p <= 1:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p, self.flip = p, flip

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, single = _as_batch(x)
        chosen = torch.rand(len(batch), generator=generator) < self.p  # (N,) one coin per image
        out = torch.where(chosen[:, None, None, None], self.flip(batch), batch)
        return _back(out, single)
# --8<-- [end:flip]


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip each image top–bottom with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__(p, vflip)


# --8<-- [start:resized-crop]
def random_resized_crop_box(height: int, width: int, scale: tuple[float, float],
                            ratio: tuple[float, float],
                            generator: torch.Generator) -> tuple[int, int, int, int]:
    r"""A random box ``(top, left, h, w)`` inside an ``height × width`` image.

    Its area is a fraction $s \sim U(\text{scale})$ of the image's and its aspect ratio
    $r = w/h$ is log-uniform in ``ratio``: $w = \sqrt{s H W r}$, $h = \sqrt{s H W / r}$. Up to
    10 draws are tried; if none fits, the largest centred box with a ratio in range is used.
    """
    area = height * width
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        s = float(_uniform(1, scale[0], scale[1], generator))
        r = math.exp(float(_uniform(1, log_lo, log_hi, generator)))
        w = round(math.sqrt(s * area * r))
        h = round(math.sqrt(s * area / r))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return top, left, h, w
    r = min(max(width / height, ratio[0]), ratio[1])  # fallback: centred, ratio clipped
    if width / height > r:
        h, w = height, round(height * r)
    else:
        h, w = round(width / r), width
    return (height - h) // 2, (width - w) // 2, h, w


def resized_crop(x: torch.Tensor, box: tuple[int, int, int, int],
                 size: tuple[int, int]) -> torch.Tensor:
    """Cut ``box = (top, left, h, w)`` out of ``x`` and resize it to ``size`` (bilinear, antialiased)."""
    batch, single = _as_batch(x)
    top, left, h, w = box
    if top < 0 or left < 0 or h <= 0 or w <= 0 or top + h > batch.shape[-2] or left + w > batch.shape[-1]:
        raise ValueError(f"box {box} does not lie inside a {batch.shape[-2]}×{batch.shape[-1]} image")
    patch = batch[:, :, top:top + h, left:left + w]  # (N, C, h, w)
    out = F.interpolate(patch, size=size, mode="bilinear", align_corners=False, antialias=True)
    return _back(out.clamp(0, 1), single)


class RandomResizedCrop:
    """Cut a random box (:func:`random_resized_crop_box`) from each image, resize it to ``size``."""

    def __init__(self, size: tuple[int, int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3)):
        if not (0 < scale[0] <= scale[1] <= 1) or not (0 < ratio[0] <= ratio[1]):
            raise ValueError(f"need 0 < scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1], "
                             f"got scale {scale}, ratio {ratio}")
        self.size, self.scale, self.ratio = tuple(size), scale, ratio

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, single = _as_batch(x)
        H, W = batch.shape[-2:]
        out = torch.stack([
            resized_crop(img, random_resized_crop_box(H, W, self.scale, self.ratio, generator),
                         self.size)
            for img in batch])  # (N, C, size[0], size[1])
        return _back(out, single)
# --8<-- [end:resized-crop]


# --8<-- [start:pad-crop]
def pad_crop(x: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, size: tuple[int, int],
             padding: int) -> torch.Tensor:
    """Pad every image with ``padding`` zeros on each side, then cut an ``size`` window at
    ``(tops[n], lefts[n])`` of the padded image ``n`` (one gather for the whole batch).

    Shapes: ``x`` ``(N, C, H, W)``, ``tops``/``lefts`` ``(N,)`` long → ``(N, C, h, w)``.
    """
    padded = F.pad(x, (padding,) * 4)  # (N, C, H+2p, W+2p)
    h, w = size
    rows = tops[:, None] + torch.arange(h)  # (N, h)
    cols = lefts[:, None] + torch.arange(w)  # (N, w)
    n = torch.arange(len(x))[:, None, None]  # (N, 1, 1)
    # advanced indexing on dims 0, 2, 3 puts the indexed dims first: (N, h, w, C)
    out = padded.permute(0, 2, 3, 1)[n, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2)  # (N, C, h, w)


class RandomCrop:
    """Pad with ``padding`` zeros, then cut a random ``size`` window from each image."""

    def __init__(self, size: tuple[int, int], padding: int = 0):
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        self.size, self.padding = tuple(size), padding

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, single = _as_batch(x)
        H, W = batch.shape[-2] + 2 * self.padding, batch.shape[-1] + 2 * self.padding
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"crop {self.size} is larger than the padded image {H}×{W}")
        tops = torch.randint(0, H - h + 1, (len(batch),), generator=generator)  # (N,)
        lefts = torch.randint(0, W - w + 1, (len(batch),), generator=generator)  # (N,)
        return _back(pad_crop(batch, tops, lefts, self.size, self.padding), single)
# --8<-- [end:pad-crop]


# --8<-- [start:colour]
def to_grayscale(x: torch.Tensor) -> torch.Tensor:
    """Luma $Y = 0.299R + 0.587G + 0.114B$, shape ``(N, 1, H, W)`` for an RGB batch."""
    r, g, b = x.unbind(-3)
    return (0.299 * r + 0.587 * g + 0.114 * b).unsqueeze(-3)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``factor·x + (1 − factor)·other``, clipped to [0, 1]; ``factor`` is ``(N,)``."""
    f = factor.reshape(-1, 1, 1, 1)  # (N, 1, 1, 1)
    return (f * x + (1 - f) * other).clamp(0, 1)


def adjust_brightness(x: torch.Tensor, factor) -> torch.Tensor:
    """$x' = \\mathrm{clip}(f\\,x)$: ``f`` < 1 darker, > 1 brighter."""
    batch, single = _as_batch(x)
    factor = torch.as_tensor(factor, dtype=batch.dtype).expand(len(batch))
    return _back(_blend(batch, torch.zeros_like(batch), factor), single)


def adjust_contrast(x: torch.Tensor, factor) -> torch.Tensor:
    """$x' = \\mathrm{clip}(f\\,x + (1-f)\\,\\bar Y)$, $\\bar Y$ the image's mean luma."""
    batch, single = _as_batch(x)
    factor = torch.as_tensor(factor, dtype=batch.dtype).expand(len(batch))
    grey = to_grayscale(batch) if batch.shape[1] == 3 else batch
    mean = grey.mean(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1)
    return _back(_blend(batch, mean.expand_as(batch), factor), single)


def adjust_saturation(x: torch.Tensor, factor) -> torch.Tensor:
    """$x' = \\mathrm{clip}(f\\,x + (1-f)\\,Y)$, $Y$ the grey version: ``f`` = 0 is grey."""
    batch, single = _as_batch(x, colour=True)
    factor = torch.as_tensor(factor, dtype=batch.dtype).expand(len(batch))
    return _back(_blend(batch, to_grayscale(batch).expand_as(batch), factor), single)


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    """RGB → HSV (all in [0, 1]; hue as a fraction of a turn), as ``colorsys.rgb_to_hsv``."""
    r, g, b = x.unbind(-3)
    maxc, minc = x.amax(-3), x.amin(-3)
    delta = maxc - minc
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    s = torch.where(maxc > 0, delta / torch.where(maxc > 0, maxc, torch.ones_like(maxc)), 0)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, 2 + rc - bc, 4 + gc - rc))
    h = torch.where(delta > 0, (h / 6) % 1.0, 0)
    return torch.stack((h, s, maxc), dim=-3)


def hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """HSV → RGB, the inverse of :func:`rgb_to_hsv` (``colorsys.hsv_to_rgb``)."""
    h, s, v = x.unbind(-3)
    i = torch.floor(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.long() % 6
    table = torch.stack([  # (6 sectors, 3 channels, ...)
        torch.stack(c, dim=0) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))])
    index = i.unsqueeze(0).unsqueeze(0).expand(1, 3, *i.shape)  # (1, 3, ...)
    rgb = table.gather(0, index)[0]  # (3, ...)
    return rgb.movedim(0, -3)


def adjust_hue(x: torch.Tensor, shift) -> torch.Tensor:
    """Turn the hue by ``shift`` (a fraction of a turn): $h' = (h + \\delta) \\bmod 1$."""
    batch, single = _as_batch(x, colour=True)
    shift = torch.as_tensor(shift, dtype=batch.dtype).expand(len(batch))
    hsv = rgb_to_hsv(batch)
    h = (hsv[:, 0] + shift.reshape(-1, 1, 1)) % 1.0  # (N, H, W)
    out = hsv_to_rgb(torch.stack((h, hsv[:, 1], hsv[:, 2]), dim=1))
    return _back(out.clamp(0, 1), single)


class ColorJitter:
    """Random brightness, contrast, saturation factors in ``[max(0, 1-a), 1+a]`` and a hue shift
    in ``[-hue, hue]``, drawn per image, applied in a random order per batch (as torchvision)."""

    def __init__(self, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0,
                 hue: float = 0.0):
        for name, value in (("brightness", brightness), ("contrast", contrast),
                            ("saturation", saturation)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if not 0 <= hue <= 0.5:
            raise ValueError(f"hue must be in [0, 0.5] (a fraction of a turn), got {hue}")
        self.amounts = {"brightness": brightness, "contrast": contrast,
                        "saturation": saturation, "hue": hue}

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, single = _as_batch(x, colour=self.amounts["saturation"] > 0 or self.amounts["hue"] > 0)
        n = len(batch)
        ops = {"brightness": adjust_brightness, "contrast": adjust_contrast,
               "saturation": adjust_saturation, "hue": adjust_hue}
        for k in torch.randperm(4, generator=generator).tolist():
            name = list(ops)[k]
            a = self.amounts[name]
            if a == 0:
                continue
            low, high = (-a, a) if name == "hue" else (max(0.0, 1 - a), 1 + a)
            batch = ops[name](batch, _uniform(n, low, high, generator))
        return _back(batch, single)
# --8<-- [end:colour]


class Compose:
    """Apply ``transforms`` one after the other, all drawing from the same generator."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for t in self.transforms:
            x = t(x, generator)
        return x


class AugmentedBatches:
    """Wrap a minibatch iterable of ``(X, y)``: every ``X`` goes through ``transform`` on the way.

    ``len()`` and ``.dataset`` are those of the wrapped iterable (e.g. an ``ImageBatches``).
    """

    def __init__(self, batches: Iterable, transform: Transform, generator: torch.Generator):
        self.batches, self.transform, self.generator = batches, transform, generator
        self.dataset = getattr(batches, "dataset", None)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for X, y in self.batches:
            yield self.transform(X, self.generator), y


# --8<-- [start:mixup]
def mixup(X: torch.Tensor, y: torch.Tensor, num_classes: int, alpha: float,
          generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, float]:
    r"""Mix-up (Zhang et al., 2018): blend each example with a random partner from the batch.

    $\lambda \sim \mathrm{Beta}(\alpha, \alpha)$, $\tilde x = \lambda x_i + (1-\lambda) x_j$,
    $\tilde y = \lambda\,\mathrm{onehot}(y_i) + (1-\lambda)\,\mathrm{onehot}(y_j)$, one $\lambda$
    per batch and $j$ a random permutation of $i$. Train with cross-entropy on the soft labels
    (``nn.CrossEntropyLoss`` accepts class probabilities as targets).

    Shapes: ``X`` ``(N, ...)``, ``y`` ``(N,)`` long → ``(N, ...)``, ``(N, num_classes)``, λ.
    """
    if y.dim() != 1 or len(y) != len(X):
        raise ValueError(f"y must be (N,) labels for X of shape {tuple(X.shape)}, got {tuple(y.shape)}")
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    # torch's Beta sampler takes no generator: seed NumPy's from ours
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    partner = torch.randperm(len(X), generator=generator)  # (N,)
    Y = F.one_hot(y, num_classes).to(X.dtype)  # (N, num_classes)
    return lam * X + (1 - lam) * X[partner], lam * Y + (1 - lam) * Y[partner], lam
# --8<-- [end:mixup]
