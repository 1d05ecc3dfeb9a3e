"""Fashion-MNIST (Xiao et al., 2017): 70,000 grey 28×28 images of clothes in 10 classes.

Read straight from the IDX files with numpy; no torchvision needed.
"""

from __future__ import annotations

import gzip

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from ..seed import data_generator
from .store import DataFile, fetch

__all__ = [
    "FILES",
    "FASHION_MNIST_LABELS",
    "read_idx",
    "fashion_mnist_tensors",
    "ImageBatches",
    "load_fashion_mnist",
    "text_labels",
]

_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# The SHA-1s are of the decompressed bytes: the mirror's gzip differs from upstream's, not its content.
FILES: dict[str, DataFile] = {
    f"{split}-{kind}": DataFile(f"fashion-mnist/{split}-{kind}-ubyte.gz",
                                f"{_URL}{split}-{kind}-ubyte.gz", sha1, gunzip_checksum=True)
    for (split, kind), sha1 in {
        ("train", "images-idx3"): "b9bd999c0106c9b8b4b0cefce58c9a6060f27095",
        ("train", "labels-idx1"): "4bccf37222e01638381eaa326bf730337a597267",
        ("t10k", "images-idx3"): "880056926db704f9f713097915f99da346f5b1d1",
        ("t10k", "labels-idx1"): "958122e8b4b97fd4e71eca2d08ef754ed77c3ad9",
    }.items()
}

FASHION_MNIST_LABELS = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)


def read_idx(raw: bytes) -> np.ndarray:
    """Parse an IDX file (the MNIST format): a magic number, the dimensions, then uint8 data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError("not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"IDX header says shape {shape} but holds {data.size} values")
    return data.reshape(shape)


def fashion_mnist_tensors(train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Return images ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64.

    N is 60,000 for ``train=True`` and 10,000 otherwise.
    """
    prefix = "train" if train else "t10k"
    arrays = []
    for kind in ("images-idx3", "labels-idx1"):
        path = fetch(FILES[f"{prefix}-{kind}"])
        with gzip.open(path, "rb") as f:
            arrays.append(read_idx(f.read()))
    images, labels = arrays
    X = torch.from_numpy(images.copy()).float().div_(255).unsqueeze(1)  # (N, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))  # (N,)
    return X, y


class ImageBatches:
    """Minibatches ``(X[idx], y[idx])`` sliced from whole image tensors.

    It yields what a ``DataLoader`` over a ``TensorDataset`` yields (``len()`` is the number of
    batches, ``.dataset.tensors`` the full tensors), but gathers each batch with one indexing
    operation instead of indexing and collating example by example: that per-example overhead
    costs about 0.8 s per pass over 60,000 images on one core, more than a whole epoch of
    softmax regression's arithmetic.

    Shapes: ``X`` ``(N, 1, 28, 28)``, ``y`` ``(N,)`` → batches ``(B, 1, S, S)``, ``(B,)`` with
    ``S = resize or 28``.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, *, shuffle: bool,
                 generator: torch.Generator | None = None, resize: int | None = None):
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} vs {len(y)}")
        if shuffle and generator is None:
            raise ValueError("a shuffled ImageBatches needs a seeded generator")
        self.dataset = TensorDataset(X, y)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator, self.resize = generator, resize

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        X, y = self.dataset.tensors
        order = torch.randperm(len(y), generator=self.generator) if self.shuffle else None
        for start in range(0, len(y), self.batch_size):
            if order is None:
                Xb, yb = X[start:start + self.batch_size], y[start:start + self.batch_size]
            else:
                idx = order[start:start + self.batch_size]
                Xb, yb = X[idx], y[idx]  # (B, 1, 28, 28), (B,)
            if self.resize is not None:
                Xb = F.interpolate(Xb, size=(self.resize, self.resize), mode="bilinear",
                                   align_corners=False)  # (B, 1, S, S)
            yield Xb, yb


def load_fashion_mnist(
    batch_size: int,
    resize: int | None = None,
    *,
    num_train: int | None = None,
    num_test: int | None = None,
    seed: int = 0,
) -> tuple[ImageBatches, ImageBatches]:
    """Fashion-MNIST as ``(train_iter, test_iter)`` minibatch iterables (:class:`ImageBatches`).

    Args:
        batch_size: examples per minibatch.
        resize: if given, images are resized (bilinear) to ``resize × resize`` batch by batch.
        num_train: use only the first ``num_train`` training images (after a seeded shuffle);
            ``None`` keeps all 60,000.
        num_test: likewise for the 10,000 test images.
        seed: seeds the subset choice and the training shuffle order (a new order every epoch).

    Batches are ``X`` of shape ``(B, 1, H, W)`` float32 in [0, 1] and ``y`` of shape ``(B,)``.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if resize is not None and resize <= 0:
        raise ValueError(f"resize must be positive, got {resize}")
    generator = data_generator(seed)
    loaders = []
    for train, limit in ((True, num_train), (False, num_test)):
        X, y = fashion_mnist_tensors(train)
        if limit is not None:
            if not 0 < limit <= len(y):
                raise ValueError(f"subset size must be in 1..{len(y)}, got {limit}")
            keep = torch.randperm(len(y), generator=generator)[:limit]
            X, y = X[keep], y[keep]
        loaders.append(ImageBatches(X, y, batch_size, shuffle=train,
                                    generator=generator if train else None, resize=resize))
    return loaders[0], loaders[1]


def text_labels(labels) -> list[str]:
    """Map numeric Fashion-MNIST labels to their English names."""
    return [FASHION_MNIST_LABELS[int(i)] for i in labels]
