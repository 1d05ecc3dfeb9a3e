"""Reading a page: jupytext Markdown → notebook, with stable cell ids and its dlnotes dependencies."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import jupytext
import nbformat

__all__ = [
    "read_page", "is_notebook_page", "imported_dlnotes_modules", "module_files", "file_digest",
    "module_imports",
]

RAISES_TAG = "raises-exception"


_PARSED: dict[str, str] = {}  # sha256 of a page's bytes -> its notebook as JSON
_USED: set[str] = set()  # the digests read_page looked up since the memo was last saved
_SAVED: set[str] = set()  # the digests the memo file holds


def load_parsed_pages(file: Path) -> None:
    """Seed :func:`read_page`'s memo from ``file`` (written by :func:`save_parsed_pages`)."""
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    _PARSED.update(entries)
    _SAVED.clear()
    _SAVED.update(entries)


def save_parsed_pages(file: Path) -> None:
    """Write the memo entries of the pages read since the last save, for the next process;
    nothing is written when the file already holds exactly those."""
    used = set(_USED)
    _USED.clear()
    if used == _SAVED:
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({k: _PARSED[k] for k in used}), encoding="utf-8")
    _SAVED.clear()
    _SAVED.update(used)


def read_page(path: Path) -> nbformat.NotebookNode:
    """Read a jupytext Markdown page as a notebook whose cell ids are ``cell-0``, ``cell-1``, …

    jupytext gives cells random ids; numbered ids keep the rendered HTML, and so every cache keyed
    on it, identical from one build to the next. Parsing is memoised by the file's bytes
    (jupytext is ten times slower than reading the notebook's JSON back).
    """
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    _USED.add(digest)
    if digest in _PARSED:
        return nbformat.reads(_PARSED[digest], as_version=4)
    nb = jupytext.reads(data.decode("utf-8"), fmt=path.suffix.lstrip("."))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    _PARSED[digest] = nbformat.writes(nb)
    return nb


def is_notebook_page(path: Path) -> bool:
    """True for a ``.md`` file whose front matter declares a Python kernel (same rule as
    mkdocs-jupyter)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
    return re.search(r"kernelspec:[\s\S]*language:\s*python", front) is not None


def _python_source(cell_source: str) -> str:
    # drop IPython magics and shell escapes so ast can parse the rest
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines()
    )


def _imports(tree: ast.AST, package: str | None = None) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and package:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def imported_dlnotes_modules(nb: nbformat.NotebookNode) -> set[str]:
    """Names of ``dlnotes`` modules that the page's code cells import."""
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python_source(cell.source))
        except SyntaxError:
            continue  # the kernel will report it when the cell runs
        names.update(n for n in _imports(tree) if n == "dlnotes" or n.startswith("dlnotes."))
    return names


def _module_file(src_root: Path, name: str) -> Path | None:
    parts = name.split(".")
    as_package = src_root.joinpath(*parts, "__init__.py")
    if as_package.is_file():
        return as_package
    as_module = src_root.joinpath(*parts[:-1], parts[-1] + ".py")
    return as_module if as_module.is_file() else None


# One read per file and build, not one per page that imports it (``mkdocs serve`` keeps these
# across rebuilds; a file whose modification time or size changed is read again).
_DIGESTS: dict[Path, tuple[tuple[int, int], str]] = {}
_IMPORTS: dict[Path, tuple[tuple[int, int], frozenset[str]]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, memoised by modification time and size."""
    stamp = _stamp(path)
    hit = _DIGESTS.get(path)
    if hit is None or hit[0] != stamp:
        hit = _DIGESTS[path] = (stamp, hashlib.sha256(path.read_bytes()).hexdigest())
    return hit[1]


def module_imports(path: Path, name: str) -> frozenset[str]:
    """The ``dlnotes`` names that module ``name`` (the file ``path``) imports, relative ones
    resolved; memoised like :func:`file_digest`."""
    stamp = _stamp(path)
    hit = _IMPORTS.get(path)
    if hit is None or hit[0] != stamp:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = frozenset(n for n in _imports(tree, package) if n.split(".")[0] == "dlnotes")
        hit = _IMPORTS[path] = (stamp, names)
    return hit[1]


def module_files(src_root: Path, modules: set[str]) -> list[Path]:
    """The source files of ``modules`` and of every dlnotes module they import, transitively.

    Importing ``dlnotes.a.b`` also runs ``dlnotes/__init__.py`` and ``dlnotes/a/__init__.py``, so
    those count too. Names that are attributes rather than modules are skipped.
    """
    todo = list(modules)
    seen: set[str] = set()
    files: set[Path] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        path = _module_file(src_root, name)
        if path is None:
            continue
        files.add(path)
        todo.extend(module_imports(path, name))
    return sorted(files)
