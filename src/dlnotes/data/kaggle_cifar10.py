"""Kaggle-style image competitions from files on disk (§13.13, §13.14).

The Kaggle CIFAR-10 competition hands out a folder of PNGs named ``<id>.png``, a
``trainLabels.csv`` (``id,label``) for the training images, and expects a ``submission.csv``
(``id,label``) for the test images. This module does the file work of that workflow:

1. :func:`extract_tiny_sample` unzips d2l's 100-image sample (three zips from the d2l-zh
   repository) into a folder;
2. :func:`reorganize` copies (hard-links) the images into one sub-folder per class under ``train/``,
   ``valid/``, ``train_valid/`` and ``test/unknown/`` (the layout an "image folder" loader
   reads), keeping ``n_valid = max(1, ⌊n_min · valid_ratio⌋)`` images of every class for
   validation, where ``n_min`` is the size of the smallest class;
3. :func:`read_image_folder` loads such a folder as tensors;
4. :func:`write_submission` / :func:`score_submission` write and score the answer file.

:func:`write_competition` builds a competition of the same shape from any labelled image tensor
(the page uses Fashion-MNIST), keeping the test labels hidden for scoring.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .store import DataFile, fetch

__all__ = [
    "FILES", "CIFAR10_CLASSES", "extract_tiny_sample", "load_tiny_train", "read_csv_labels", "reorganize",
    "read_image_folder", "write_submission", "score_submission", "write_competition",
]

_D2L_ZH = ("https://raw.githubusercontent.com/d2l-ai/d2l-zh/"
           "592fbef84a684e752393edbf267c07dbc53e082b/data/kaggle_cifar10/")
FILES: dict[str, DataFile] = {
    name: DataFile(f"kaggle_cifar10_tiny/{name}", _D2L_ZH + name, sha1)
    for name, sha1 in {
        "train_tiny.zip": "cc9c71aa630e854698c5ae3a9cd486f83d58c101",
        "test_tiny.zip": "13c650bc8e92931df66ef9d3467d92a16c1ef1a9",
        "trainLabels.csv.zip": "27a66502d432e43d91f7506806b930d196ce4a6e",
    }.items()
}

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")


def extract_tiny_sample(dest: Path | str) -> Path:
    """Unzip the 100-image sample into ``dest``: ``train/`` (100 PNGs), ``test/`` (1 PNG) and
    ``trainLabels.csv`` (labels of all 50,000 Kaggle training images). Returns ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for key, folder in (("train_tiny.zip", "train"), ("test_tiny.zip", "test")):
        target = dest / folder
        target.mkdir(exist_ok=True)
        with zipfile.ZipFile(fetch(FILES[key])) as z:
            for info in z.infolist():
                if info.filename.endswith(".png"):
                    (target / Path(info.filename).name).write_bytes(z.read(info))
    with zipfile.ZipFile(fetch(FILES["trainLabels.csv.zip"])) as z:
        (dest / "trainLabels.csv").write_bytes(z.read("trainLabels.csv"))
    return dest


def load_tiny_train() -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """The sample's 100 training images straight from the zips, without writing files.

    Returns ``X`` ``(100, 3, 32, 32)`` float32 in [0, 1], ``y`` ``(100,)`` long (indices into
    :data:`CIFAR10_CLASSES`) and the image ids, in numeric id order.
    """
    with zipfile.ZipFile(fetch(FILES["trainLabels.csv.zip"])) as z:
        labels = _labels_from_rows(z.read("trainLabels.csv").decode().splitlines(), "trainLabels.csv")
    arrays, targets, ids = [], [], []
    with zipfile.ZipFile(fetch(FILES["train_tiny.zip"])) as z:
        names = sorted((n for n in z.namelist() if n.endswith(".png")),
                       key=lambda n: int(Path(n).stem))
        for name in names:
            with Image.open(io.BytesIO(z.read(name))) as image:
                arrays.append(np.asarray(image.convert("RGB"), dtype=np.uint8))  # (32, 32, 3)
            ids.append(Path(name).stem)
            targets.append(CIFAR10_CLASSES.index(labels[ids[-1]]))
    return _images_to_tensor(arrays), torch.tensor(targets), ids  # X (100, 3, 32, 32)


def read_csv_labels(path: Path | str) -> dict[str, str]:
    """``trainLabels.csv`` (header ``id,label``) as ``{id: label}``."""
    with open(path, newline="") as f:
        return _labels_from_rows(f, path)


def _labels_from_rows(lines, source) -> dict[str, str]:
    """``{id: label}`` from CSV lines headed ``id,label``; ``source`` names them in the error."""
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None or [h.strip() for h in header] != ["id", "label"]:
        raise ValueError(f"{source}: expected the header 'id,label', got {header}")
    return {row[0]: row[1] for row in rows if row}


def _copy(src: Path, folder: Path) -> None:
    """Put ``src`` into ``folder``: a hard link (no bytes copied) where the file system allows it,
    else a copy. Either way the new file has the same content and can be deleted on its own."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, folder / src.name)
    except OSError:
        shutil.copyfile(src, folder / src.name)


# --8<-- [start:reorganize]
def reorganize(data_dir: Path | str, labels: dict[str, str], valid_ratio: float) -> dict[str, int]:
    """Sort ``data_dir/train/*.png`` into class folders and split off a validation set.

    Every class gives its first ``n_valid = max(1, ⌊n_min · valid_ratio⌋)`` images (in file-name
    order) to ``valid/<class>/``, the rest to ``train/<class>/``; all of them also go to
    ``train_valid/<class>/`` (for the final retraining), and ``data_dir/test/*.png`` to
    ``test/unknown/``. Everything lands under ``data_dir/train_valid_test/``.

    Returns the number of images in each of ``train``, ``valid``, ``train_valid``, ``test``.
    """
    if not 0 < valid_ratio < 1:
        raise ValueError(f"valid_ratio must be in (0, 1), got {valid_ratio}")
    data_dir = Path(data_dir)
    out = data_dir / "train_valid_test"
    images = sorted((data_dir / "train").glob("*.png"), key=lambda p: int(p.stem))
    missing = [p.name for p in images if p.stem not in labels]
    if missing:
        raise ValueError(f"no label for {len(missing)} training images, e.g. {missing[:3]}")
    present = Counter(labels[p.stem] for p in images)  # images per class actually on disk
    n_valid = max(1, int(min(present.values()) * valid_ratio))
    taken: Counter = Counter()
    counts = Counter()
    for path in images:
        label = labels[path.stem]
        split = "valid" if taken[label] < n_valid else "train"
        taken[label] += split == "valid"
        for folder in (split, "train_valid"):
            _copy(path, out / folder / label)
            counts[folder] += 1
    for path in sorted((data_dir / "test").glob("*.png"), key=lambda p: int(p.stem)):
        _copy(path, out / "test" / "unknown")
        counts["test"] += 1
    return {k: counts[k] for k in ("train", "valid", "train_valid", "test")}
# --8<-- [end:reorganize]


# --8<-- [start:image-folder]
def _images_to_tensor(arrays: list[np.ndarray]) -> torch.Tensor:
    """uint8 images ``(H, W)`` or ``(H, W, 3)`` as one float32 ``(N, C, H, W)`` in [0, 1]."""
    X = torch.from_numpy(np.stack(arrays))  # (N, H, W) or (N, H, W, 3)
    X = X.unsqueeze(1) if X.dim() == 3 else X.permute(0, 3, 1, 2)  # (N, C, H, W)
    return X.float().div_(255)


def read_image_folder(folder: Path | str, mode: str = "RGB",
                      classes: tuple[str, ...] | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...], list[str]]:
    """Load ``folder/<class>/<id>.png`` (torchvision's ``ImageFolder`` layout) as tensors.

    Args:
        folder: the split folder, e.g. ``.../train_valid_test/train``.
        mode: Pillow mode, ``"RGB"`` (3 channels) or ``"L"`` (grey, 1 channel).
        classes: the class names in label order; default: the sub-folder names, sorted. Pass the
            training split's classes when reading ``valid`` or ``test`` so that labels agree.

    Returns ``X`` ``(N, C, H, W)`` float32 in [0, 1], ``y`` ``(N,)`` long (-1 for a folder that
    is not a known class, such as ``unknown``), the classes, and the image ids.
    """
    folder = Path(folder)
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not subfolders:
        raise ValueError(f"{folder} has no class sub-folders")
    classes = tuple(subfolders) if classes is None else tuple(classes)
    index = {name: i for i, name in enumerate(classes)}
    arrays, labels, ids = [], [], []
    for name in subfolders:
        for path in sorted((folder / name).glob("*.png"), key=lambda p: int(p.stem)):
            with Image.open(path) as image:
                arrays.append(np.asarray(image.convert(mode), dtype=np.uint8))
            labels.append(index.get(name, -1))
            ids.append(path.stem)
    if not arrays:
        raise ValueError(f"{folder} holds no PNG images")
    return _images_to_tensor(arrays), torch.tensor(labels), classes, ids
# --8<-- [end:image-folder]


def write_submission(path: Path | str, ids, labels) -> Path:
    """Write ``id,label`` rows, sorted by numeric id, as Kaggle expects."""
    if len(ids) != len(labels):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels")
    path = Path(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label"])
        for i, label in sorted(zip(ids, labels, strict=True), key=lambda r: int(r[0])):
            writer.writerow([i, label])
    return path


def score_submission(path: Path | str, hidden: dict[str, str]) -> float:
    """Accuracy of a ``submission.csv`` against the hidden labels; every test id exactly once."""
    answers = read_csv_labels(path)
    if set(answers) != set(hidden):
        raise ValueError(f"the submission has {len(answers)} ids, the test set {len(hidden)}; "
                         f"missing e.g. {sorted(set(hidden) - set(answers))[:3]}, "
                         f"unknown e.g. {sorted(set(answers) - set(hidden))[:3]}")
    return sum(answers[i] == label for i, label in hidden.items()) / len(hidden)


def write_competition(dest: Path | str, X: torch.Tensor, y: torch.Tensor, class_names,
                      num_train: int, num_test: int,
                      generator: torch.Generator) -> dict[str, str]:
    """Write a Kaggle-style competition from labelled images: ``train/<id>.png``,
    ``test/<id>.png`` and ``trainLabels.csv``, ids 1, 2, … in a random order.

    ``X`` is ``(N, C, H, W)`` in [0, 1] (C = 1 or 3), ``y`` ``(N,)``. A seeded random choice
    of ``num_train + num_test`` images is split into the two sets. Returns the hidden
    ``{test id: label}`` for :func:`score_submission`.
    """
    if num_train + num_test > len(X):
        raise ValueError(f"asked for {num_train + num_test} images, have {len(X)}")
    dest = Path(dest)
    for folder in ("train", "test"):
        (dest / folder).mkdir(parents=True, exist_ok=True)
    order = torch.randperm(len(X), generator=generator)[:num_train + num_test]
    pixels = (X[order] * 255).round().clamp(0, 255).to(torch.uint8)  # (n, C, H, W)
    pixels = pixels.permute(0, 2, 3, 1).numpy()  # (n, H, W, C)
    hidden, rows = {}, []
    for k, (img, label) in enumerate(zip(pixels, y[order].tolist(), strict=True)):
        folder = "train" if k < num_train else "test"
        image_id = str(k + 1 if k < num_train else k - num_train + 1)
        Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(dest / folder / f"{image_id}.png")
        if folder == "train":
            rows.append((image_id, class_names[label]))
        else:
            hidden[image_id] = class_names[label]
    with open(dest / "trainLabels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label"])
        writer.writerows(rows)
    return hidden
