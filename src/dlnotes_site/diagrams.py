"""Mermaid diagrams rendered to inline SVG at build time, so pages ship no diagram JavaScript.

The ``mermaid`` custom fence (``pymdownx.superfences``) leaves
``<pre class="mermaid"><code>SOURCE</code></pre>`` in a page. :class:`MermaidRenderer` replaces each
with ``<figure class="dl-diagram">SVG</figure>``: the diagram drawn by the mermaid pinned in
``package.json``, inside headless Chromium driven by Playwright (the same browser the site tests
use). SVGs are cached on disk by source and mermaid version, so a warm build starts no browser.

Without that, a page with one diagram loaded mermaid.min.js: 2.75 MB (≈0.8 MB gzip) of script
that also held back the first paint. If no Chromium can be found the renderer leaves the
``<pre class="mermaid">`` blocks alone and the page falls back to drawing them in the reader's
browser (:func:`.assets.scripts_for` then adds the script); the build log says so once.

A diagram mermaid cannot parse fails the build, naming the page and the diagram's first line.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import logging
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = ["DiagramError", "MermaidRenderer", "find_diagrams", "find_chromium", "CHROMIUM_ARGS"]

log = logging.getLogger("mkdocs.dlnotes")

_DIAGRAM = re.compile(r'<pre class="mermaid"><code>(?P<src>.*?)</code></pre>', re.S)

# Flags for a sandboxed, offline machine: no background requests to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# The font stack the SVG text is measured with. Labels are mostly CJK, whose glyphs are one em
# wide in every font, so the boxes fit whichever of these fonts the reader's system has.
FONT_FAMILY = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif'
MERMAID_CONFIG = {
    "startOnLoad": False,
    "securityLevel": "strict",
    "theme": "default",
    "fontFamily": FONT_FAMILY,
    "flowchart": {"htmlLabels": True, "padding": 12},
    # some node shapes are drawn with rough.js, which jitters its curves at random: a fixed seed
    # draws the same SVG on every build (found comparing a sharded build with a single one)
    "handDrawnSeed": 1,
}

_RENDER_JS = """async ({id, source, config}) => {
    mermaid.initialize(config);
    try {
        const {svg} = await mermaid.render(id, source);
        return {svg};
    } catch (e) {
        document.getElementById('d' + id)?.remove();
        return {error: String((e && e.message) || e)};
    }
}"""


class DiagramError(ValueError):
    """A mermaid diagram that could not be drawn."""


def find_diagrams(html: str) -> list[str]:
    """The mermaid source of every diagram block in ``html``, in order."""
    return [html_lib.unescape(m["src"]) for m in _DIAGRAM.finditer(html)]


def find_chromium() -> str | None:
    """Path of a Chromium to draw with: ``$DLNOTES_CHROMIUM``, else ``chromium`` on ``PATH``."""
    explicit = os.environ.get("DLNOTES_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class MermaidRenderer:
    """Replace mermaid blocks by their SVG, drawing cache misses in one shared headless Chromium.

    Call :meth:`close` when the build ends (the browser is started lazily, on the first miss).
    Playwright's sync API refuses to run in a thread with an asyncio loop (a notebook, another
    Playwright session), so the browser lives in a worker thread of its own.
    """

    def __init__(self, mermaid_package: Path, cache_file: Path | None = None):
        self.script = mermaid_package / "dist" / "mermaid.min.js"
        self.version = json.loads((mermaid_package / "package.json").read_text())["version"]
        self.cache_file = cache_file
        self.cache: dict[str, str] = {}
        if cache_file is not None and cache_file.is_file():
            self.cache = json.loads(cache_file.read_text(encoding="utf-8"))
        self._playwright = None
        self._browser = None
        self._page = None
        self._worker: ThreadPoolExecutor | None = None
        self.unavailable: str | None = None  # why diagrams are left to the browser, if they are

    def key(self, source: str) -> str:
        config = json.dumps(MERMAID_CONFIG, sort_keys=True)
        return hashlib.sha1(f"{self.version}|{config}|{source}".encode()).hexdigest()

    # -- the browser -------------------------------------------------------------------------
    def _open(self):
        if self._page is not None:
            return self._page
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            self.unavailable = "playwright is not installed (pip install -r requirements-dev.txt)"
            return None
        executable = find_chromium()
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:  # no browser: Playwright's own download missing too
            self._playwright.stop()
            self._playwright = None
            self.unavailable = (f"no Chromium to draw with ({str(err).splitlines()[0]}); install "
                                "Debian's chromium or set DLNOTES_CHROMIUM")
            return None
        self._page = self._browser.new_page()
        self._page.set_content("<!doctype html><html><head><meta charset='utf-8'></head>"
                               "<body></body></html>")
        self._page.add_script_tag(path=str(self.script))
        return self._page

    def _in_worker(self, fn, *args):
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mermaid")
        return self._worker.submit(fn, *args).result()

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._playwright = self._browser = self._page = None

    def close(self) -> None:
        """Stop the browser, if one was started, and save the cache."""
        if self._worker is not None:
            self._in_worker(self._stop)
            self._worker.shutdown()
            self._worker = None
        self.save()

    def save(self) -> None:
        if self.cache_file is not None:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.cache, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.cache_file)

    # -- rendering ---------------------------------------------------------------------------
    def _draw(self, source: str, where: str) -> str | None:
        key = self.key(source)
        if key in self.cache:
            return self.cache[key]
        if self.unavailable is not None:
            return None
        page = self._in_worker(self._open)
        if page is None:
            # info, not warning: the fallback works, and `mkdocs build --strict` must not fail
            log.info("dlnotes: mermaid diagrams are drawn in the reader's browser instead of at "
                     "build time: %s", self.unavailable)
            return None
        out = self._in_worker(page.evaluate, _RENDER_JS, {
            "id": f"mmd-{key[:10]}", "source": source, "config": MERMAID_CONFIG})
        if "error" in out:
            first = source.strip().splitlines()[0] if source.strip() else "(empty)"
            raise DiagramError(f"{where}: mermaid cannot draw the diagram starting {first!r}: "
                               f"{out['error']}")
        self.cache[key] = out["svg"]
        return out["svg"]

    def render(self, html: str, where: str) -> str:
        """``html`` with every mermaid block replaced by a ``<figure class="dl-diagram">``."""

        def replace(match: re.Match) -> str:
            svg = self._draw(html_lib.unescape(match["src"]), where)
            if svg is None:
                return match.group(0)
            return f'<figure class="dl-diagram">{svg}</figure>'

        return _DIAGRAM.sub(replace, html)
