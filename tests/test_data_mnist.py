"""The 10k MNIST digits: shapes, ranges, a seeded disjoint split, clear errors."""

from __future__ import annotations

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.mnist import mnist_split, mnist_tensors


@pytest.fixture(autouse=True)
def _mirror():
    data_dir_or_skip()


def test_tensors_shapes_and_ranges():
    X, y = mnist_tensors()
    assert X.shape == (10_000, 1, 28, 28) and X.dtype == torch.float32
    assert 0 <= X.min() and X.max() <= 1
    assert y.shape == (10_000,) and set(y.tolist()) == set(range(10))


def test_split_is_seeded_and_disjoint():
    (a, ya), (b, yb) = mnist_split(1_000, 2_000)
    (a2, _), _ = mnist_split(1_000, 2_000)
    assert torch.equal(a, a2)
    assert a.shape == (1_000, 1, 28, 28) and b.shape == (2_000, 1, 28, 28)
    assert len(torch.bincount(ya)) == 10  # the file is sorted by label: a slice would not be
    flat_a, flat_b = a.flatten(1), b.flatten(1)
    assert not (flat_a[:, None, :] == flat_b[None, :200, :]).all(-1).any()


def test_split_sizes_are_checked():
    with pytest.raises(ValueError, match="num_train"):
        mnist_split(9_000, 2_000)
    with pytest.raises(ValueError, match="num_train"):
        mnist_split(0, 10)
