"""Where dataset files come from: a local mirror, the user's cache, or the canonical URL.

There is no list of datasets here: each module of :mod:`dlnotes.data` declares its own files as
:class:`DataFile` constants, so adding a dataset changes no module that existing pages import.
Resolution order for a file:

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
    "DatasetUnavailableError",
    "ChecksumMismatchError",
    "fetch",
    "cache_dir",
    "sha1_of",
]

DATA_DIR_VAR = "DLNOTES_DATA_DIR"
CACHE_DIR_VAR = "DLNOTES_CACHE_DIR"

@dataclass(frozen=True)
class DataFile:
    """One dataset file, declared by the dataset module that reads it.

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
    return urllib.request.urlopen(url, timeout=30)  # noqa: S310 (fixed, declared URLs)


def fetch(spec: DataFile, *, opener: Callable[[str], BinaryIO] = _urlopen) -> Path:
    """Return a local, checksum-verified path for the dataset file ``spec``.

    Raises:
        TypeError: ``spec`` is not a :class:`DataFile`.
        ChecksumMismatchError: a local copy or the download has the wrong SHA-1.
        DatasetUnavailableError: no local copy, and the download failed (offline).
    """
    if not isinstance(spec, DataFile):
        raise TypeError(
            f"fetch takes a DataFile declared by a dataset module, got {type(spec).__name__} "
            f"{spec!r}"
        )
    name = spec.name

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
