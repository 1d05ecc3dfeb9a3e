"""Where dataset files come from: a local mirror, the user's cache, or the canonical URL.

Resolution order for a registered file (see :data:`REGISTRY`):

1. ``$DLNOTES_DATA_DIR/<name>`` (CI and offline machines point this at a mirror);
2. the user cache ``$DLNOTES_CACHE_DIR`` (default ``~/.cache/dlnotes``);
3. a download from the canonical URL into the cache: written to a temporary file in the same
   folder, checked against its SHA-1, then renamed into place, so an interrupted or corrupt
   download never leaves a file behind.

Offline with no copy, :func:`fetch` raises :class:`DatasetUnavailableError` naming the file, the
URL and the variable to set.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "DATA_DIR_VAR",
    "CACHE_DIR_VAR",
    "DataFile",
    "REGISTRY",
    "DatasetUnavailableError",
    "ChecksumMismatchError",
    "fetch",
    "cache_dir",
    "sha1_of",
]

DATA_DIR_VAR = "DLNOTES_DATA_DIR"
CACHE_DIR_VAR = "DLNOTES_CACHE_DIR"

_D2L = "http://d2l-data.s3-accelerate.amazonaws.com/"
_FMNIST = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_NLTK = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/"
_D2L_ZH = "https://raw.githubusercontent.com/d2l-ai/d2l-zh/592fbef84a684e752393edbf267c07dbc53e082b/data/"


@dataclass(frozen=True)
class DataFile:
    """One dataset file.

    Args:
        name: path relative to the data folder, e.g. ``"fashion-mnist/t10k-labels-idx1-ubyte.gz"``.
        url: canonical download URL, or ``None`` when the file can only come from a mirror.
        sha1: expected SHA-1 hex digest.
        gunzip_checksum: the digest is of the *decompressed* bytes (Fashion-MNIST: the mirror's
            gzip differs from upstream's, the content does not).
    """

    name: str
    url: str | None
    sha1: str
    gunzip_checksum: bool = False


def _files(*files: DataFile) -> dict[str, DataFile]:
    return {f.name: f for f in files}


REGISTRY: dict[str, DataFile] = _files(
    DataFile("fashion-mnist/train-images-idx3-ubyte.gz", _FMNIST + "train-images-idx3-ubyte.gz",
             "b9bd999c0106c9b8b4b0cefce58c9a6060f27095", gunzip_checksum=True),
    DataFile("fashion-mnist/train-labels-idx1-ubyte.gz", _FMNIST + "train-labels-idx1-ubyte.gz",
             "4bccf37222e01638381eaa326bf730337a597267", gunzip_checksum=True),
    DataFile("fashion-mnist/t10k-images-idx3-ubyte.gz", _FMNIST + "t10k-images-idx3-ubyte.gz",
             "880056926db704f9f713097915f99da346f5b1d1", gunzip_checksum=True),
    DataFile("fashion-mnist/t10k-labels-idx1-ubyte.gz", _FMNIST + "t10k-labels-idx1-ubyte.gz",
             "958122e8b4b97fd4e71eca2d08ef754ed77c3ad9", gunzip_checksum=True),
    DataFile("mnist-10k/mnist10k.npz", None, "04e6cdbec44c5ac31024dd929cb962f021dd4e26"),
    DataFile("timemachine.txt", _D2L + "timemachine.txt",
             "090b5e7e70c295757f55df93cb0a180b9691891a"),
    DataFile("jaychou_lyrics.txt.zip", _D2L_ZH + "jaychou_lyrics.txt.zip",
             "aea46bd5d5fb2f05d6cd38d8e6b461d679fa4f00"),
    DataFile("fra.txt", "https://raw.githubusercontent.com/Soubhagya264/"
             "Language_Translator-Encoder-Decoder-/main/fra.txt",
             "d2fe092ea8ad4c19cf22b7b50a8881df69dd4849"),
    DataFile("fr-en-small.txt", _D2L_ZH + "fr-en-small.txt",
             "4192ace3405b0b6a2f9761eb6c19494b1f8a9761"),
    DataFile("kaggle_house_pred_train.csv", _D2L + "kaggle_house_pred_train.csv",
             "585e9cc93e70b39160e7921475f9bcd7d31219ce"),
    DataFile("kaggle_house_pred_test.csv", _D2L + "kaggle_house_pred_test.csv",
             "fa19780a7b011d9b009e8bff8e99922a8ee2eb90"),
    DataFile("airfoil_self_noise.dat", _D2L + "airfoil_self_noise.dat",
             "76e5be1548fd8222e5074cf0faae75edff8cf93f"),
    DataFile("ptb.zip", _D2L + "ptb.zip", "319d85e578af0cdc590547f26231e4e31cdf1e42"),
    DataFile("sentence_polarity.zip", _NLTK + "sentence_polarity.zip",
             "aeb58641ba16f57d675668b59aee50aa7ce358db"),
    DataFile("movie_reviews.zip", _NLTK + "movie_reviews.zip",
             "b75ffeeb90b68059c679e5552d697a1db60b1caf"),
    DataFile("SICK.txt", "https://raw.githubusercontent.com/praguna/sick_dataset/master/SICK.txt",
             "ba190cdd30695b0c62a6c462748ab92c4ec81811"),
)


class DatasetUnavailableError(FileNotFoundError):
    """The file is in no local folder and could not be downloaded."""


class ChecksumMismatchError(ValueError):
    """A file's SHA-1 differs from the registered one."""


def cache_dir() -> Path:
    """The user cache folder: ``$DLNOTES_CACHE_DIR`` or ``~/.cache/dlnotes``."""
    explicit = os.environ.get(CACHE_DIR_VAR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dlnotes"


def sha1_of(path: Path, gunzip: bool = False) -> str:
    """SHA-1 of a file's bytes (of its decompressed bytes when ``gunzip``)."""
    digest = hashlib.sha1()
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_verified: set[tuple[str, float, int]] = set()


def _verify(path: Path, spec: DataFile) -> None:
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    if key in _verified:
        return
    actual = sha1_of(path, spec.gunzip_checksum)
    if actual != spec.sha1:
        raise ChecksumMismatchError(
            f"{path}: SHA-1 is {actual}, expected {spec.sha1} for {spec.name!r}. "
            "The file is corrupt or a different version; delete it and fetch it again."
        )
    _verified.add(key)


def _urlopen(url: str) -> BinaryIO:
    return urllib.request.urlopen(url, timeout=30)  # noqa: S310 (fixed, registered URLs)


def fetch(name: str, *, opener: Callable[[str], BinaryIO] = _urlopen) -> Path:
    """Return a local, checksum-verified path for the registered file ``name``.

    Raises:
        KeyError: ``name`` is not in :data:`REGISTRY`.
        ChecksumMismatchError: a local copy or the download has the wrong SHA-1.
        DatasetUnavailableError: no local copy, and the download failed (offline).
    """
    if name not in REGISTRY:
        raise KeyError(f"unknown dataset file {name!r}; known: {', '.join(sorted(REGISTRY))}")
    spec = REGISTRY[name]

    data_dir = os.environ.get(DATA_DIR_VAR)
    if data_dir:
        candidate = Path(data_dir).expanduser() / name
        if candidate.is_file():
            _verify(candidate, spec)
            return candidate

    target = cache_dir() / name
    if target.is_file():
        _verify(target, spec)
        return target

    hint = (
        f"Set {DATA_DIR_VAR} to a folder that holds {name!r} "
        f"(in this repository's CI: {DATA_DIR_VAR}=../shared/data)"
    )
    if spec.url is None:
        raise DatasetUnavailableError(
            f"dataset file {name!r} has no public download URL. {hint}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with opener(spec.url) as response:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
            except OSError as err:
                raise DatasetUnavailableError(
                    f"dataset file {name!r} is not available locally and downloading it from "
                    f"{spec.url} failed ({err}). {hint}, or connect to the internet."
                ) from err
        _verify(tmp, spec)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
