"""The wheel of ``dlnotes`` that the site serves, so that a downloaded notebook installs the very
package its page ran against.

The wheel is written here, in memory, from ``src/dlnotes`` and ``pyproject.toml``: a pure-Python
wheel is a zip of the package plus three small metadata files, and writing it directly takes a
fraction of a second, leaves no ``build/`` or ``*.egg-info`` folder in the checkout and needs no
build backend. Every entry gets the same fixed timestamp, so the same source always gives the
same bytes (and the same SHA-256, which the notebook's setup cell checks).

Its version is the project's plus a local label made from the hash of what goes in
(``0.1.0+g1a2b3c4d5e6f``): a changed package gets a new file name, and a notebook downloaded from
an older build never installs a package other than the one its page ran with.

Only ``dlnotes`` goes in (``dlnotes_site`` is build machinery). Its ``Requires-Dist`` are the
project's runtime dependencies, held to the versions ``requirements.txt`` pins (IPython stays
unpinned: the notebook's own kernel already runs one). :func:`runtime_pins` adds the pinned
packages those depend on in turn (protobuf, ml_dtypes for onnx), the list the setup cell installs.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import tomllib  # the standard library's since Python 3.11, the build's Python

__all__ = ["Wheel", "WheelError", "build_wheel", "pinned_requirements", "runtime_pins"]

PACKAGE = "dlnotes"
# the reader's Jupyter kernel already runs IPython: pinning it would reinstall it under that kernel
UNPINNED = frozenset({"ipython"})
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class WheelError(ValueError):
    """The project's metadata cannot make a wheel (a field is missing, a pin is malformed)."""


@dataclass(frozen=True)
class Wheel:
    """A built wheel: its file name, bytes and SHA-256, and the pins the setup cell installs."""

    filename: str
    version: str
    data: bytes
    sha256: str
    pins: tuple[str, ...]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(requirements: Path) -> dict[str, str]:
    """``{normalized name: "name==version"}`` for every pin in ``requirements``."""
    if not requirements.is_file():
        raise WheelError(f"{requirements} does not exist: the wheel's pins come from it")
    pins = {}
    for number, line in enumerate(requirements.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip() or not _NAME.fullmatch(name.strip()):
            raise WheelError(f"{requirements.name}:{number}: {line!r} is not a 'name==version' pin")
        pins[_normalize(name)] = f"{name.strip()}=={version.strip()}"
    return pins


def _project(root: Path) -> dict:
    path = root / "pyproject.toml"
    if not path.is_file():
        raise WheelError(f"{path} does not exist: the wheel's name, version and dependencies "
                         "come from it")
    project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    missing = [key for key in ("name", "version", "dependencies") if key not in project]
    if missing:
        raise WheelError(f"pyproject.toml: [project] has no {', '.join(missing)}")
    return project


def _requires(name: str) -> list[str]:
    """The names ``name`` requires (its extras left out), from the installed distribution."""
    try:
        requires = importlib.metadata.requires(name) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    names = []
    for requirement in requires:
        if "extra" in requirement.partition(";")[2]:
            continue
        match = _NAME.match(requirement)
        if match:
            names.append(_normalize(match[1]))
    return names


def runtime_pins(root: Path) -> tuple[str, ...]:
    """The pins a reader's environment needs: the runtime dependencies in ``pyproject.toml`` and,
    transitively, the pinned packages they require (as installed here), IPython left out."""
    pins = pinned_requirements(root / "requirements.txt")
    todo = [_normalize(_NAME.match(d)[1]) for d in _project(root)["dependencies"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name in UNPINNED:
            continue
        seen.add(name)
        todo.extend(_requires(name))
    return tuple(pins[name] for name in sorted(seen) if name in pins)


def _package_files(src: Path) -> list[tuple[str, bytes]]:
    files = []
    for path in sorted((src / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append((path.relative_to(src).as_posix(), path.read_bytes()))
    if not files:
        raise WheelError(f"{src / PACKAGE} holds no files")
    return files


def _metadata(project: dict, version: str, pins: dict[str, str]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if isinstance(project.get("license"), str):
        lines.append(f"License: {project['license']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    for dependency in project["dependencies"]:
        name = _normalize(_NAME.match(dependency)[1])
        pinned = pins.get(name) if name not in UNPINNED else None
        lines.append(f"Requires-Dist: {pinned or dependency}")
    return "\n".join(lines) + "\n"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def build_wheel(root: Path) -> Wheel:
    """The wheel of the ``dlnotes`` package in ``root/src`` (see the module docstring)."""
    project = _project(root)
    pins = pinned_requirements(root / "requirements.txt")
    files = _package_files(root / "src")
    inputs = hashlib.sha256()
    for path, data in files:
        inputs.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    inputs.update(repr((sorted(pins.items()), project["dependencies"])).encode())
    version = f"{project['version']}+g{inputs.hexdigest()[:12]}"
    name = _normalize(project["name"]).replace("-", "_")
    dist_info = f"{name}-{version}.dist-info"
    entries = files + [
        (f"{dist_info}/METADATA", _metadata(project, version, pins).encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: dlnotes_site.wheel\n"
                               b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/top_level.txt", f"{PACKAGE}\n".encode()),
    ]
    record = [_record_line(path, data) for path, data in entries] + [f"{dist_info}/RECORD,,"]
    entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    data = _zip(entries)
    return Wheel(
        filename=f"{name}-{version}-py3-none-any.whl",
        version=version,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        pins=runtime_pins(root),
    )
