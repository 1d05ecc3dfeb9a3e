"""dlnotes.data.kaggle_cifar10: the tiny sample, the class-folder reorganisation, submissions."""

import pytest
import torch
from conftest import data_dir_or_skip

from dlnotes.data import kaggle_cifar10 as K


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    data_dir_or_skip()
    return K.extract_tiny_sample(tmp_path_factory.mktemp("cifar"))


def test_tiny_sample_has_100_labelled_images_and_one_test_image(tiny):
    assert len(list((tiny / "train").glob("*.png"))) == 100
    assert len(list((tiny / "test").glob("*.png"))) == 1
    labels = K.read_csv_labels(tiny / "trainLabels.csv")
    assert len(labels) == 50_000 and set(labels.values()) == set(K.CIFAR10_CLASSES)


def test_reorganize_splits_every_class_and_keeps_every_image(tiny):
    labels = K.read_csv_labels(tiny / "trainLabels.csv")
    counts = K.reorganize(tiny, labels, valid_ratio=0.1)
    # the sample has 10 images per class: max(1, floor(10 · 0.1)) = 1 per class
    assert counts == {"train": 90, "valid": 10, "train_valid": 100, "test": 1}
    root = tiny / "train_valid_test"
    for cls in K.CIFAR10_CLASSES:
        valid = {p.name for p in (root / "valid" / cls).glob("*.png")}
        train = {p.name for p in (root / "train" / cls).glob("*.png")}
        both = {p.name for p in (root / "train_valid" / cls).glob("*.png")}
        assert len(valid) == 1 and not valid & train and valid | train == both
        assert all(labels[name[:-4]] == cls for name in both)
    X, y, classes, ids = K.read_image_folder(root / "train_valid")
    assert X.shape == (100, 3, 32, 32) and classes == K.CIFAR10_CLASSES and len(ids) == 100
    assert 0 <= X.min() and X.max() <= 1 and y.bincount().sum() == 100
    Xt, yt, _, _ = K.read_image_folder(root / "test", classes=classes)
    assert Xt.shape == (1, 3, 32, 32) and yt.tolist() == [-1]


def test_competition_round_trip_and_scoring(tmp_path):
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 256, (30, 1, 6, 5), generator=g).float() / 255
    y = torch.arange(30) % 3
    hidden = K.write_competition(tmp_path, X, y, ("a", "b", "c"), 20, 10, torch.Generator().manual_seed(1))
    assert len(hidden) == 10
    labels = K.read_csv_labels(tmp_path / "trainLabels.csv")
    K.reorganize(tmp_path, labels, valid_ratio=0.2)
    Xr, yr, classes, ids = K.read_image_folder(tmp_path / "train_valid_test" / "train_valid", mode="L")
    assert Xr.shape == (20, 1, 6, 5) and classes == ("a", "b", "c")
    # PNG is lossless: every image read back is one of the originals, with its label
    for img, label in zip(Xr, yr, strict=True):
        match = [i for i in range(30) if torch.equal(X[i], img)]
        assert match and y[match[0]] == label
    ids_sorted = sorted(hidden, key=int)
    perfect = K.write_submission(tmp_path / "s.csv", ids_sorted, [hidden[i] for i in ids_sorted])
    assert K.score_submission(perfect, hidden) == 1.0
    wrong = K.write_submission(tmp_path / "w.csv", ids_sorted, ["zzz"] * 10)
    assert K.score_submission(wrong, hidden) == 0.0
    short = K.write_submission(tmp_path / "x.csv", ids_sorted[:9], ["a"] * 9)
    with pytest.raises(ValueError, match="missing"):
        K.score_submission(short, hidden)


def test_bad_input_raises(tmp_path):
    with pytest.raises(ValueError, match="valid_ratio"):
        K.reorganize(tmp_path, {}, 1.5)
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "7.png").write_bytes(b"")
    with pytest.raises(ValueError, match="no label"):
        K.reorganize(tmp_path, {"1": "cat"}, 0.1)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="header"):
        K.read_csv_labels(tmp_path / "bad.csv")


def test_load_tiny_train_matches_the_extracted_files(tiny):
    X, y, ids = K.load_tiny_train()
    assert X.shape == (100, 3, 32, 32) and len(ids) == 100 and y.bincount(minlength=10).tolist() == [10] * 10
    labels = K.read_csv_labels(tiny / "trainLabels.csv")
    assert [K.CIFAR10_CLASSES[i] for i in y.tolist()] == [labels[i] for i in ids]
