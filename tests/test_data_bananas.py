"""The synthetic banana set: shapes, determinism, and labels that agree with the drawn pixels."""

from __future__ import annotations

import pytest
import torch

from dlnotes.data.bananas import banana_pixels, load_bananas, make_bananas
from dlnotes.data.synthetic import TensorBatches


@pytest.fixture(scope="module")
def bananas():
    return make_bananas(200, 96, seed=0)


def test_shapes_and_ranges(bananas):
    X, Y = bananas
    assert X.shape == (200, 3, 96, 96) and X.dtype == torch.float32
    assert Y.shape == (200, 1, 5)
    assert 0 <= X.min() and X.max() <= 1
    assert (Y[..., 0] == 0).all()  # one class
    box = Y[:, 0, 1:]
    assert (box >= 0).all() and (box <= 1).all()
    assert (box[:, 2] > box[:, 0]).all() and (box[:, 3] > box[:, 1]).all()


def test_deterministic_under_a_seed():
    X1, Y1 = make_bananas(30, 64, seed=3)
    X2, Y2 = make_bananas(30, 64, seed=3)
    X3, _ = make_bananas(30, 64, seed=4)
    assert torch.equal(X1, X2) and torch.equal(Y1, Y2)
    assert not torch.equal(X1, X3)


def test_label_is_the_box_of_the_yellow_pixels(bananas):
    """Find the banana from the colours alone (no generator internals), box it, compare."""
    X, Y = bananas
    mask = banana_pixels(X)  # (N, S, S)
    size = X.shape[-1]
    for i in range(len(X)):
        rows, cols = torch.nonzero(mask[i], as_tuple=True)
        assert len(rows) > 20, f"image {i}: no banana found"
        pixel_box = torch.tensor([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]).float()
        assert (pixel_box - Y[i, 0, 1:] * size).abs().max() <= 1, f"image {i}"


def test_background_is_never_yellow(bananas):
    """Outside the label's box no pixel passes the banana colour test."""
    X, Y = bananas
    mask = banana_pixels(X)
    size = X.shape[-1]
    idx = torch.arange(size)
    for i in range(0, len(X), 10):
        x1, y1, x2, y2 = (Y[i, 0, 1:] * size).round().long().tolist()
        inside = ((idx >= y1) & (idx < y2)).view(-1, 1) & ((idx >= x1) & (idx < x2)).view(1, -1)
        assert not (mask[i] & ~inside).any()


def test_splits_and_batches():
    (train_images, train_labels), val = load_bananas(size=48, num_train=70, num_val=10)
    assert len(TensorBatches(train_images, train_labels, 32)) == 3
    val_batches = TensorBatches(*val, 32, shuffle=False)
    assert len(val_batches) == 1
    X, Y = next(iter(val_batches))
    assert X.shape == (10, 3, 48, 48) and Y.shape == (10, 1, 5)
    assert not any(torch.equal(X[0], x) for x in train_images)


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="num > 0"):
        make_bananas(0)


def test_background_upsampling_is_torchs_bilinear_interpolation():
    """The two matrix products equal F.interpolate(bilinear, align_corners=True)."""
    from dlnotes.data.bananas import _upsample_matrix

    grid = torch.rand(2, 3, 4, 4)
    for size in (16, 96, 256):
        up = _upsample_matrix(size)
        want = torch.nn.functional.interpolate(grid, size=(size, size), mode="bilinear", align_corners=True)
        torch.testing.assert_close(up @ grid @ up.T, want, atol=1e-6, rtol=0)
