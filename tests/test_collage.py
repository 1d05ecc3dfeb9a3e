"""The synthetic segmentation set (dlnotes.data.collage): seeded, masks agree with the pasted
pixels, the VOC palette and its inverse round-trip."""

import pytest
import torch

from dlnotes.data.collage import (
    CLASSES,
    color_to_label,
    label_to_color,
    make_collages,
    place_item,
    random_crop_pair,
    voc_colormap,
)
from dlnotes.seed import data_generator


@pytest.fixture(scope="module")
def items():
    g = torch.Generator().manual_seed(5)
    X = torch.rand(40, 1, 28, 28, generator=g) ** 3  # bright and dark pixels, like real items
    y = torch.arange(40) % 10
    return X, y


def test_same_seed_same_collages_other_seed_other(items):
    a, b = make_collages(*items, 12, seed=3), make_collages(*items, 12, seed=3)
    c = make_collages(*items, 12, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert a.layouts == b.layouts
    assert not torch.equal(a.masks, c.masks)


def test_shapes_ranges_and_item_counts(items):
    col = make_collages(*items, 20, size=48, side=(12, 30), seed=1)
    assert col.images.shape == (20, 3, 48, 48) and col.masks.shape == (20, 48, 48)
    assert col.images.min() >= 0 and col.images.max() <= 1
    assert col.masks.dtype == torch.long and 0 <= col.masks.min() and col.masks.max() <= 10
    assert all(2 <= len(layout) <= 4 for layout in col.layouts)
    assert len(CLASSES) == 11


def test_masks_agree_with_the_pasted_pixels(items):
    X, y = items
    col = make_collages(X, y, 15, seed=2)
    for image, mask, layout in zip(col.images, col.masks, col.layouts, strict=True):
        expected = torch.zeros_like(mask)
        pixels = image.clone()
        for p in layout:  # rebuild the canvas item by item, each on its own full canvas
            placed = place_item(X[p.source, 0], p.side, p.top, p.left, 64)
            keep = placed > col.threshold
            assert p.label == int(y[p.source]) + 1
            expected[keep] = p.label
            pixels[:, keep] = torch.tensor(p.tint)[:, None] * placed[keep]
        assert torch.equal(mask, expected)
        # the mask is nonzero exactly where some item's pixels exceed the threshold
        assert torch.equal(image, pixels)
        top = layout[-1]  # the last item is never covered: all its bright pixels keep its label
        placed = place_item(X[top.source, 0], top.side, top.top, top.left, 64)
        assert (mask[placed > col.threshold] == top.label).all()
        assert torch.allclose(image[:, placed > col.threshold],
                              torch.tensor(top.tint)[:, None] * placed[placed > col.threshold])


def test_voc_palette_first_colours_and_uniqueness():
    cmap = voc_colormap()
    assert cmap[:5].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]]
    assert cmap[8].tolist() == [64, 0, 0] and cmap[255].tolist() == [224, 224, 192]
    assert len({tuple(c) for c in cmap.tolist()}) == 256


def test_label_color_round_trip():
    mask = torch.randint(0, 21, (2, 7, 9), generator=data_generator(0))
    colors = label_to_color(mask)
    assert colors.shape == (2, 7, 9, 3) and colors.dtype == torch.uint8
    assert torch.equal(color_to_label(colors), mask)


def test_bad_inputs_fail_loudly():
    with pytest.raises(ValueError, match="not in the palette"):
        color_to_label(torch.full((2, 2, 3), 7, dtype=torch.uint8))
    with pytest.raises(ValueError, match="integer classes"):
        label_to_color(torch.tensor([[300]]))
    with pytest.raises(ValueError, match="does not fit"):
        place_item(torch.rand(28, 28), 30, 40, 0, 64)
    with pytest.raises(ValueError, match="labels"):
        make_collages(torch.rand(5, 28, 28), torch.zeros(4, dtype=torch.long), 3)


def test_random_crop_pair_cuts_the_same_window():
    image = torch.arange(2 * 6 * 8).float().reshape(2, 6, 8)
    mask = torch.arange(6 * 8).reshape(6, 8)
    img, m = random_crop_pair(image, mask, 3, 4, data_generator(1))
    assert img.shape == (2, 3, 4) and m.shape == (3, 4)
    assert torch.equal(img[0].long(), m)  # channel 0 holds the same numbers as the mask
    with pytest.raises(ValueError, match="cannot crop"):
        random_crop_pair(image, mask, 7, 4, data_generator(1))
