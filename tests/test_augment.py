"""dlnotes.data.augment: flips, crops, colour jitter and mix-up against exact or independent twins."""

import colorsys

import pytest
import torch

from dlnotes.data import augment as A


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def batch():
    return torch.rand(6, 3, 12, 16, generator=gen(1))


def test_flips_equal_torch_flip(batch):
    torch.testing.assert_close(A.hflip(batch), torch.flip(batch, [-1]), rtol=0, atol=0)
    torch.testing.assert_close(A.vflip(batch[0]), torch.flip(batch[0], [-2]), rtol=0, atol=0)
    always = A.RandomHorizontalFlip(p=1.0)(batch, gen())
    never = A.RandomVerticalFlip(p=0.0)(batch, gen())
    assert torch.equal(always, torch.flip(batch, [-1])) and torch.equal(never, batch)
    half = A.RandomHorizontalFlip(p=0.5)(batch, gen())
    for img, out in zip(batch, half, strict=True):  # each image either kept or mirrored
        assert torch.equal(out, img) or torch.equal(out, img.flip(-1))


def _find(window, image):
    """Is ``window`` (C, h, w) an exact sub-array of ``image`` (C, H, W)?"""
    h, w = window.shape[-2:]
    return any(torch.equal(image[:, i:i + h, j:j + w], window)
               for i in range(image.shape[-2] - h + 1) for j in range(image.shape[-1] - w + 1))


def test_random_crop_has_the_size_and_comes_from_the_padded_image(batch):
    out = A.RandomCrop((12, 16), padding=2)(batch, gen())
    assert out.shape == batch.shape
    padded = torch.nn.functional.pad(batch, (2, 2, 2, 2))
    assert all(_find(o, p) for o, p in zip(out, padded, strict=True))
    small = A.RandomCrop((5, 7))(batch[0], gen())
    assert small.shape == (3, 5, 7) and _find(small, batch[0])
    assert torch.equal(A.RandomCrop((12, 16))(batch, gen()), batch)  # no room: identity


def test_resized_crop_box_lies_inside_and_respects_scale_and_ratio():
    g = gen(3)
    for _ in range(200):
        top, left, h, w = A.random_resized_crop_box(40, 60, (0.1, 1.0), (3 / 4, 4 / 3), g)
        assert 0 <= top and 0 <= left and top + h <= 40 and left + w <= 60 and h > 0 and w > 0
        assert 0.08 <= h * w / 2400 <= 1.0
        assert 3 / 4 * 0.85 <= w / h <= 4 / 3 * 1.15  # rounding to whole pixels


def test_resized_crop_at_its_own_size_is_the_slice(batch):
    out = A.resized_crop(batch, (2, 3, 7, 9), (7, 9))
    torch.testing.assert_close(out, batch[:, :, 2:9, 3:12])
    crops = A.RandomResizedCrop((8, 8), scale=(0.3, 1.0))(batch, gen())
    assert crops.shape == (6, 3, 8, 8) and crops.min() >= 0 and crops.max() <= 1
    with pytest.raises(ValueError, match="inside"):
        A.resized_crop(batch, (10, 0, 5, 5), (4, 4))


def test_hsv_matches_colorsys():
    pixels = torch.rand(3, 50, generator=gen(4), dtype=torch.float64)
    pixels[:, :3] = torch.tensor([[0.2, 0.0, 1.0], [0.2, 0.0, 1.0], [0.2, 0.0, 1.0]]).double()  # greys
    hsv = A.rgb_to_hsv(pixels.unsqueeze(-1))[..., 0]
    expected = torch.tensor([colorsys.rgb_to_hsv(*p.tolist()) for p in pixels.T], dtype=torch.float64).T
    torch.testing.assert_close(hsv, expected)
    back = A.hsv_to_rgb(hsv.unsqueeze(-1))[..., 0]
    torch.testing.assert_close(back, pixels)


def test_hue_shift_by_zero_and_by_a_full_turn_is_identity(batch):
    torch.testing.assert_close(A.adjust_hue(batch, 0.0), batch, atol=1e-5, rtol=0)
    torch.testing.assert_close(A.adjust_hue(batch, 1.0), batch, atol=1e-5, rtol=0)
    third = A.adjust_hue(batch, 1 / 3)  # a third of a turn sends pure red to pure green
    red = torch.zeros(3, 1, 1)
    red[0] = 1
    torch.testing.assert_close(A.adjust_hue(red, 1 / 3), torch.tensor([0.0, 1, 0]).view(3, 1, 1),
                               atol=1e-5, rtol=0)
    assert not torch.allclose(third, batch)


def test_colour_factors_one_are_identity_and_jitter_keeps_range(batch):
    for op in (A.adjust_brightness, A.adjust_contrast, A.adjust_saturation):
        torch.testing.assert_close(op(batch, 1.0), batch)
    grey = A.adjust_saturation(batch, 0.0)
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(grey[:, 1], grey[:, 2])
    jitter = A.ColorJitter(brightness=0.9, contrast=0.9, saturation=0.9, hue=0.5)
    out = jitter(batch, gen())
    assert out.shape == batch.shape and out.min() >= 0 and out.max() <= 1


def test_same_seed_same_images(batch):
    t = A.Compose([A.RandomHorizontalFlip(), A.RandomCrop((12, 16), padding=2),
                   A.ColorJitter(0.5, 0.5, 0.5, 0.1), A.RandomResizedCrop((10, 10))])
    assert torch.equal(t(batch, gen(7)), t(batch, gen(7)))
    assert not torch.equal(t(batch, gen(7)), t(batch, gen(8)))


def test_bad_input_raises(batch):
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        A.hflip(torch.rand(12, 16))
    with pytest.raises(ValueError, match="3 channels"):
        A.adjust_hue(torch.rand(1, 8, 8), 0.1)
    with pytest.raises(ValueError, match="larger"):
        A.RandomCrop((20, 20))(batch, gen())
    with pytest.raises(ValueError, match="float"):
        A.hflip(torch.zeros(3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="hue"):
        A.ColorJitter(hue=0.7)


def test_mixup_blends_images_and_labels():
    X = torch.rand(8, 1, 4, 4, generator=gen(5))
    y = torch.arange(8) % 3
    Xm, Ym, lam = A.mixup(X, y, 3, alpha=0.4, generator=gen(2))
    assert 0 <= lam <= 1 and Ym.shape == (8, 3)
    torch.testing.assert_close(Ym.sum(1), torch.ones(8))
    Xm2, Ym2, lam2 = A.mixup(X, y, 3, alpha=0.4, generator=gen(2))
    assert torch.equal(Xm, Xm2) and lam == lam2
    g = gen(2)  # replay the draws: one seed for λ, then the partner permutation
    torch.randint(0, 2**31 - 1, (1,), generator=g)
    partner = torch.randperm(8, generator=g)
    torch.testing.assert_close(Xm, lam * X + (1 - lam) * X[partner])
    with pytest.raises(ValueError, match="labels"):
        A.mixup(X, y[:5], 3, 0.4, gen())


def test_augmented_batches_wraps_an_iterable(batch):
    data = [(batch, torch.zeros(6, dtype=torch.long))]
    wrapped = A.AugmentedBatches(data, A.RandomHorizontalFlip(p=1.0), gen())
    assert len(wrapped) == 1
    (X, y), = list(wrapped)
    assert torch.equal(X, batch.flip(-1))
