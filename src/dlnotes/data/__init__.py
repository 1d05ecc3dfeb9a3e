"""Datasets: where files come from (:mod:`.store`), Fashion-MNIST, and synthetic data."""

from .fashion_mnist import (
    FASHION_MNIST_LABELS,
    fashion_mnist_tensors,
    load_fashion_mnist,
    read_idx,
    text_labels,
)
from .store import ChecksumMismatchError, DatasetUnavailableError, fetch
from .synthetic import load_array, synthetic_linear_data

__all__ = [
    "FASHION_MNIST_LABELS",
    "ChecksumMismatchError",
    "DatasetUnavailableError",
    "fashion_mnist_tensors",
    "fetch",
    "load_array",
    "load_fashion_mnist",
    "read_idx",
    "synthetic_linear_data",
    "text_labels",
]
