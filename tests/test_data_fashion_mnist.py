"""Fashion-MNIST loader: shapes, ranges, subsets, resizing, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data.fashion_mnist import load_fashion_mnist, read_idx, text_labels


def test_read_idx_parses_header_and_data():
    raw = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3]) + bytes(range(6))
    array = read_idx(raw)
    assert array.shape == (2, 1, 3)
    np.testing.assert_array_equal(array.ravel(), np.arange(6))


def test_read_idx_rejects_wrong_magic_and_size():
    with pytest.raises(ValueError, match="magic"):
        read_idx(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="shape"):
        read_idx(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))


def test_loaders_give_normalised_batches_of_the_right_shape():
    data_dir_or_skip()
    train_iter, test_iter = load_fashion_mnist(32, num_train=100, num_test=50)
    X, y = next(iter(train_iter))
    assert X.shape == (32, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (32,) and y.dtype == torch.int64
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
    assert sum(len(b[1]) for b in test_iter) == 50


def test_resize_changes_the_spatial_size():
    data_dir_or_skip()
    train_iter, _ = load_fashion_mnist(8, resize=64, num_train=16, num_test=8)
    X, _ = next(iter(train_iter))
    assert X.shape == (8, 1, 64, 64)


def test_same_seed_gives_same_subset_and_order():
    data_dir_or_skip()
    a = next(iter(load_fashion_mnist(16, num_train=64, num_test=8, seed=3)[0]))[1]
    b = next(iter(load_fashion_mnist(16, num_train=64, num_test=8, seed=3)[0]))[1]
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 8, "resize": -1},
                                    {"batch_size": 8, "num_train": 0}])
def test_bad_arguments_raise(kwargs):
    data_dir_or_skip()
    with pytest.raises(ValueError):
        load_fashion_mnist(**kwargs)


def test_text_labels_names_classes():
    assert text_labels([0, 9]) == ["t-shirt", "ankle boot"]
