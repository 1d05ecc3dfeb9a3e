"""d2l's own photos (chapter 13): read one as a float tensor.

The four JPEGs come from the d2l-zh repository (Apache-2.0) at a fixed commit:

| key | file | used in |
|---|---|---|
| ``cat1`` | ``d2l-img/cat1.jpg`` | 13.1 image augmentation |
| ``catdog`` | ``d2l-img/catdog.jpg`` | 13.3–13.5 bounding boxes and anchors |
| ``rainier`` | ``d2l-img/rainier.jpg`` | 13.12 style transfer (content) |
| ``autumn-oak`` | ``d2l-img/autumn-oak.jpg`` | 13.12 style transfer (style) |

Pillow (a matplotlib dependency) decodes the JPEG; the result is the torch layout every chapter-13
function takes: ``(3, H, W)`` float32 in ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .store import DataFile, fetch

__all__ = ["D2L_IMAGES", "read_d2l_image", "image_to_tensor"]

_D2L_ZH_IMG = ("https://raw.githubusercontent.com/d2l-ai/d2l-zh/"
               "e6b18ccea71451a55fcd861d7b96fddf2587b09a/img/")
D2L_IMAGES: dict[str, DataFile] = {
    key: DataFile(f"d2l-img/{key}.jpg", f"{_D2L_ZH_IMG}{key}.jpg", sha1)
    for key, sha1 in {
        "cat1": "f9c5b905d908b97eeeb64ff34a46fa8b143f88f8",
        "catdog": "60b7d540db03eef6b9834329bccc4417ef349bf6",
        "rainier": "b0193ffd8ecea1631ac1092130017b884faafa30",
        "autumn-oak": "bbe11f01403b9726bbc625589550e574fc45980a",
    }.items()
}


def image_to_tensor(image: Image.Image) -> torch.Tensor:
    """A Pillow image as ``(3, H, W)`` float32 in ``[0, 1]`` (RGB; grey or RGBA are converted)."""
    array = np.asarray(image.convert("RGB"), dtype=np.uint8)  # (H, W, 3)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 255  # (3, H, W)


def read_d2l_image(key: str, size: tuple[int, int] | None = None) -> torch.Tensor:
    """One of d2l's photos as ``(3, H, W)`` float32 in ``[0, 1]``.

    Args:
        key: ``"cat1"``, ``"catdog"``, ``"rainier"`` or ``"autumn-oak"``.
        size: optional ``(height, width)`` to resize to (Pillow's bicubic filter, antialiased).

    Raises:
        KeyError: an unknown key (the message lists the known ones).
    """
    if key not in D2L_IMAGES:
        raise KeyError(f"unknown d2l image {key!r}; known: {sorted(D2L_IMAGES)}")
    with Image.open(fetch(D2L_IMAGES[key])) as image:
        if size is not None:
            height, width = size
            if height <= 0 or width <= 0:
                raise ValueError(f"size must be positive (height, width), got {size}")
            image = image.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
        return image_to_tensor(image)
