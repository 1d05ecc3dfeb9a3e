"""The site as a zip that works from ``file://``, search included.

Made from the built site without a second ``mkdocs build``; each file is transformed on its way
into the zip and the site itself is left as it was:

* a link to a directory URL (``../softmax-regression/``) opens a folder listing from the file
  system, so every link to a folder of the site that holds an ``index.html`` gets that name
  (the same holds for the search index's page locations);
* Material fetches ``search/search_index.json``, which a ``file://`` page may not; on
  ``file://`` its bundle loads ``search/search_index.js`` with a ``<script>`` tag instead and
  reads the global ``__index``, so that file is written from the JSON;
* the search itself runs in a Web Worker, which a ``file://`` page may not start either:
  ``offline_worker.js`` (ours, added to every page before Material's bundle) stands in for
  ``Worker`` there and runs the worker's script in a hidden iframe.

Left out: the editions in ``downloads/`` (the PDFs, the EPUB, the zip itself) and source maps.
"""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from pathlib import Path

from .book import rewrite_tags

__all__ = ["WORKER_SHIM", "is_edition", "offline_href", "offline_html", "offline_search_index",
           "write_zip"]

WORKER_SHIM = "assets/javascripts/dlnotes-offline-worker.js"
DOWNLOADS = "downloads"
_SKIP_SUFFIXES = (".map",)
_BUNDLE = re.compile(r'<script src="[^"]*assets/javascripts/bundle\.[^"]*"')
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def is_edition(rel: str) -> bool:
    """Whether a site file is one of the editions (``downloads/*.pdf|epub|zip``): the copy leaves
    them out (the zip would hold itself). The rest of ``downloads/`` (the wheel the downloaded
    notebooks install) comes along."""
    return rel.startswith(DOWNLOADS + "/") and rel.endswith((".pdf", ".epub", ".zip"))


def _page_dir(rel_file: str) -> str:
    """The folder of a site file, as a URL path relative to the site root (``""`` at the root)."""
    folder = posixpath.dirname(rel_file)
    return folder + "/" if folder else ""


def offline_href(ref: str, page_file: str, is_dir) -> str | None:
    """``ref`` (written in the site file ``page_file``) with ``index.html`` added where it names a
    folder of the site that ``is_dir(path)`` says holds an ``index.html``; ``None`` (no link) for
    an edition (:func:`is_edition`), which the copy leaves out; anything else as it was.
    """
    if _SCHEME.match(ref):
        return ref
    path, hash_, fragment = ref.partition("#")
    path, q, query = path.partition("?")
    if not path:  # "#frag" on the same page
        return ref
    target = posixpath.normpath(posixpath.join("/" + _page_dir(page_file), path)).lstrip("/")
    if target == ".":
        target = ""
    if is_edition(target):
        return None
    if not is_dir(target):
        return ref
    new = path + ("" if path.endswith("/") else "/") + "index.html"
    return new + (q + query) + (hash_ + fragment)


def offline_html(html: str, page_file: str, is_dir) -> str:
    """A page of the site ready for ``file://``: folder links name ``index.html``, links to the
    editions (not in the copy) keep only their text, and the worker stand-in is loaded before
    Material's bundle."""

    def fix(tag: str, name: str, value: str) -> str | None:
        if name == "href" and tag in ("a", "link"):
            return offline_href(value, page_file, is_dir)
        return value

    html = rewrite_tags(html, fix)
    depth = page_file.count("/")
    shim = "../" * depth + WORKER_SHIM
    return _BUNDLE.sub(lambda m: f'<script src="{shim}"></script>{m[0]}', html, count=1)


def offline_search_index(data: str) -> str:
    """``search/search_index.js``: the index as a script, its page locations naming
    ``index.html`` (``chapter_x/page/#frag`` → ``chapter_x/page/index.html#frag``)."""
    index = json.loads(data)
    for doc in index.get("docs", []):
        path, hash_, fragment = doc["location"].partition("#")
        if path == "" or path.endswith("/"):
            doc["location"] = path + "index.html" + hash_ + fragment
    return "var __index = " + json.dumps(index, ensure_ascii=False, separators=(",", ":")) + ";\n"


def write_zip(site_dir: Path, out: Path, date_time: tuple[int, ...]) -> int:
    """Write the offline copy of ``site_dir`` into the zip ``out`` (one top folder, ``dlnotes/``);
    returns the number of files. ``date_time`` stamps every entry (a reproducible zip)."""
    site_dir = Path(site_dir)
    index_file = site_dir / "search" / "search_index.json"
    if not index_file.is_file():
        raise FileNotFoundError(f"{index_file}: missing; the offline copy needs the search index")
    files = sorted(p for p in site_dir.rglob("*") if p.is_file())
    rel_files = [p.relative_to(site_dir).as_posix() for p in files]
    folders_with_index = {posixpath.dirname(r) for r in rel_files if r.endswith("index.html")
                          and (r == "index.html" or r.endswith("/index.html"))}

    def is_dir(path: str) -> bool:
        return path.rstrip("/") in folders_with_index

    shim = (Path(__file__).with_name("offline_worker.js")).read_bytes()
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:

        def add(name: str, data: bytes) -> None:
            nonlocal count
            info = zipfile.ZipInfo("dlnotes/" + name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
            count += 1

        for path, rel in zip(files, rel_files, strict=True):
            if is_edition(rel) or rel.endswith(_SKIP_SUFFIXES) or rel.startswith("."):
                continue
            if rel.endswith(".html"):
                text = path.read_text(encoding="utf-8")
                add(rel, offline_html(text, rel, is_dir).encode("utf-8"))
            else:
                add(rel, path.read_bytes())
        add("search/search_index.js",
            offline_search_index(index_file.read_text(encoding="utf-8")).encode("utf-8"))
        add(WORKER_SHIM, shim)
    return count
