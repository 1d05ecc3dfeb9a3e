"""The data layer: mirror → cache → checksummed atomic download → clear error offline."""

from __future__ import annotations

import hashlib
import io

import pytest

from dlnotes.data import store
from dlnotes.data.store import (
    ChecksumMismatchError,
    DataFile,
    DatasetUnavailableError,
    fetch,
)

PAYLOAD = b"the time traveller (for so it will be convenient to speak of him)\n"
NAME = "test/tiny.txt"


@pytest.fixture
def tiny_file(monkeypatch):
    spec = DataFile(NAME, "https://example.org/tiny.txt", hashlib.sha1(PAYLOAD).hexdigest())
    store._verified.clear()
    return spec


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def opener_returning(data: bytes):
    calls = []

    def opener(url):
        calls.append(url)
        return FakeResponse(data)

    opener.calls = calls
    return opener


def test_mirror_directory_is_used_first(tiny_file, tmp_path, monkeypatch, isolated_data):
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / NAME).write_bytes(PAYLOAD)
    monkeypatch.setenv("DLNOTES_DATA_DIR", str(mirror))
    opener = opener_returning(b"never used")
    assert fetch(tiny_file, opener=opener) == mirror / NAME
    assert opener.calls == []


def test_cache_is_used_when_no_mirror_has_the_file(tiny_file, isolated_data):
    (isolated_data / "test").mkdir(parents=True)
    (isolated_data / NAME).write_bytes(PAYLOAD)
    opener = opener_returning(b"never used")
    assert fetch(tiny_file, opener=opener) == isolated_data / NAME
    assert opener.calls == []


def test_download_verifies_and_lands_in_the_cache(tiny_file, isolated_data):
    opener = opener_returning(PAYLOAD)
    path = fetch(tiny_file, opener=opener)
    assert path == isolated_data / NAME
    assert path.read_bytes() == PAYLOAD
    assert opener.calls == [tiny_file.url]
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.txt"]


def test_corrupt_download_raises_and_leaves_nothing(tiny_file, isolated_data):
    with pytest.raises(ChecksumMismatchError, match="SHA-1"):
        fetch(tiny_file, opener=opener_returning(b"truncated"))
    assert list((isolated_data / "test").iterdir()) == []


def test_interrupted_download_leaves_nothing(tiny_file, isolated_data):
    class Broken(FakeResponse):
        def read(self, n=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset by peer")
            return super().read(8)

    with pytest.raises(DatasetUnavailableError):
        fetch(tiny_file, opener=lambda url: Broken(PAYLOAD))
    assert list((isolated_data / "test").iterdir()) == []


def test_offline_error_names_file_url_and_variable(tiny_file, isolated_data):
    def offline(url):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(DatasetUnavailableError) as info:
        fetch(tiny_file, opener=offline)
    message = str(info.value)
    assert NAME in message
    assert tiny_file.url in message
    assert "DLNOTES_DATA_DIR" in message


def test_corrupt_mirror_file_is_refused(tiny_file, tmp_path, monkeypatch, isolated_data):
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / NAME).write_bytes(b"tampered")
    monkeypatch.setenv("DLNOTES_DATA_DIR", str(mirror))
    with pytest.raises(ChecksumMismatchError, match="expected"):
        fetch(tiny_file)


def test_a_bare_name_is_refused_with_a_pointer_to_datafile():
    with pytest.raises(TypeError, match="DataFile"):
        fetch("fashion-mnist/t10k-labels-idx1-ubyte.gz")


def test_file_without_public_url_explains_the_variable(isolated_data):
    spec = next(f for f in declared_files() if f.url is None)
    with pytest.raises(DatasetUnavailableError, match="DLNOTES_DATA_DIR"):
        fetch(spec)


def declared_files() -> list[DataFile]:
    """Every DataFile that a module of dlnotes.data declares, found by importing them all."""
    import importlib
    import pkgutil

    import dlnotes.data

    found = {}
    for info in pkgutil.iter_modules(dlnotes.data.__path__, "dlnotes.data."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else (
                value if isinstance(value, tuple) else [value])
            for item in candidates:
                if isinstance(item, DataFile):
                    found[item.name] = item
    return list(found.values())


def test_every_mirror_file_is_declared_once_and_matches_its_checksum():
    from conftest import data_dir_or_skip

    mirror = data_dir_or_skip()
    declared = {f.name: f for f in declared_files()}
    mirrored = {p.relative_to(mirror).as_posix() for p in mirror.rglob("*")
                if p.is_file() and p.name != "README.md"}
    assert mirrored <= set(declared), f"undeclared mirror files: {sorted(mirrored - set(declared))}"
    for name, spec in declared.items():
        if (mirror / name).is_file():
            store._verify(mirror / name, spec)
