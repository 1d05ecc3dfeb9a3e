"""Mermaid diagrams rendered to inline SVG at build time, so pages ship no diagram JavaScript.

The ``mermaid`` custom fence (``pymdownx.superfences``) leaves
``<pre class="mermaid"><code>SOURCE</code></pre>`` in a page. :class:`MermaidRenderer` replaces each
with ``<figure class="dl-diagram">SVG</figure>``: the diagram drawn by the mermaid pinned in
``package.json``, inside headless Chromium driven by Playwright (the same browser the site tests
use). The drawing browser also measures the SVG's natural width and its smallest label; from
these :mod:`.diagram_layout` decides whether a phone needs a drawing of its own (a flowchart
turned top to bottom, drawn with :data:`PHONE_CONFIGS`' tighter spacing) or a scroll box, and
:mod:`.svg_tidy` gives every drawing ids of its own. Drawings and measurements are cached on disk
by source, settings and mermaid version, so a warm build starts no browser.

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

from .diagram_layout import (
    Drawing,
    figure_html,
    legible_width,
    needs_phone_layout,
    phone_source,
)
from .svg_tidy import namespace_ids, round_path_data

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


def _phone_config(wrap: int) -> dict:
    """Settings for a phone's drawing: nodes closer together, labels wrapped at ``wrap`` units,
    a gantt chart 460 units wide (section names in a wider left margin)."""
    return {
        **MERMAID_CONFIG,
        "flowchart": {**MERMAID_CONFIG["flowchart"], "padding": 6, "nodeSpacing": 20,
                      "wrappingWidth": wrap, "diagramPadding": 4},
        "gantt": {"useWidth": 460, "leftPadding": 130},
    }


# Tried in turn until a drawing fits a phone's column with every label at 11 px or more: labels
# wrapped at 9 characters first, then at 6 (which breaks more words but fits more diagrams).
PHONE_CONFIGS = (_phone_config(140), _phone_config(100))

# What a cache entry holds: bump it when that changes (measurements, svg_tidy's rewriting), so
# older entries are drawn again instead of being shipped as they are.
CACHE_FORMAT = "measured-tidied-3"

# Draw, then measure the SVG in the page: its viewBox width and the smallest font any of its text
# is set in, in the SVG's own units (computed font size times the element's scale relative to
# the SVG root, so a label inside a scaled group counts at the size it is drawn).
_RENDER_JS = """async ({id, source, config}) => {
    mermaid.initialize(config);
    try {
        const {svg} = await mermaid.render(id, source);
        const box = document.createElement('div');
        box.innerHTML = svg;
        document.body.appendChild(box);
        const root = box.querySelector('svg');
        const scale = el => { const m = el.getScreenCTM(); return m ? Math.hypot(m.a, m.b) : 0; };
        const rootScale = scale(root);
        let label = Infinity;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const el = t.parentElement;
            if (!t.textContent.trim() || el.closest('style')) continue;
            let g = el;
            while (g && !(g instanceof SVGGraphicsElement)) g = g.parentElement;
            const s = g ? scale(g) : 0;
            if (!s || !el.getClientRects().length) continue;  // not displayed
            label = Math.min(label, parseFloat(getComputedStyle(el).fontSize) * s / rootScale);
        }
        const width = root.viewBox.baseVal ? root.viewBox.baseVal.width : 0;
        box.remove();
        return {svg, width, label: Number.isFinite(label) ? label : null};
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
        self.cache: dict[str, dict] = {}
        if cache_file is not None and cache_file.is_file():
            # entries of the older format (the bare SVG, unmeasured) are drawn again
            self.cache = {key: entry for key, entry in
                          json.loads(cache_file.read_text(encoding="utf-8")).items()
                          if isinstance(entry, dict)}
        self._playwright = None
        self._browser = None
        self._page = None
        self._worker: ThreadPoolExecutor | None = None
        self.unavailable: str | None = None  # why diagrams are left to the browser, if they are

    def key(self, source: str, config: dict = MERMAID_CONFIG) -> str:
        settings = json.dumps(config, sort_keys=True)
        return hashlib.sha1(
            f"{self.version}|{CACHE_FORMAT}|{settings}|{source}".encode()).hexdigest()

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
    def _draw(self, source: str, where: str, config: dict = MERMAID_CONFIG) -> Drawing | None:
        key = self.key(source, config)
        if key in self.cache:
            return Drawing(**self.cache[key])
        if self.unavailable is not None:
            return None
        page = self._in_worker(self._open)
        if page is None:
            # info, not warning: the fallback works, and `mkdocs build --strict` must not fail
            log.info("dlnotes: mermaid diagrams are drawn in the reader's browser instead of at "
                     "build time: %s", self.unavailable)
            return None
        out = self._in_worker(page.evaluate, _RENDER_JS, {
            "id": f"mmd-{key[:10]}", "source": source, "config": config})
        if "error" in out:
            first = source.strip().splitlines()[0] if source.strip() else "(empty)"
            raise DiagramError(f"{where}: mermaid cannot draw the diagram starting {first!r}: "
                               f"{out['error']}")
        if not out["width"]:
            first = source.strip().splitlines()[0]
            raise DiagramError(f"{where}: the diagram starting {first!r} was drawn without a "
                               "viewBox, so its width on a phone cannot be worked out")
        drawing = Drawing(svg=round_path_data(namespace_ids(out["svg"])), width=out["width"],
                          label_px=out["label"])
        self.cache[key] = {"svg": drawing.svg, "width": drawing.width,
                           "label_px": drawing.label_px}
        return drawing

    def _phone_drawing(self, source: str, wide: Drawing, where: str) -> Drawing | None:
        """The drawing for narrow screens (the narrowest at a legible size), if one is worth it."""
        variant = phone_source(source) if needs_phone_layout(wide) else None
        if variant is None:
            return None
        best = None
        for config in PHONE_CONFIGS:
            drawn = self._draw(variant, where, config)
            if drawn is not None and (best is None or legible_width(drawn) < legible_width(best)):
                best = drawn
            if best is not None and not needs_phone_layout(best):
                break
        return best

    def render(self, html: str, where: str) -> str:
        """``html`` with every mermaid block replaced by a ``<figure class="dl-diagram">``.

        A diagram too wide for a phone's labels to stay legible is also drawn for phones
        (:func:`.diagram_layout.phone_source`, :data:`PHONE_CONFIGS`).
        """

        def replace(match: re.Match) -> str:
            source = html_lib.unescape(match["src"])
            wide = self._draw(source, where)
            if wide is None:
                return match.group(0)
            return figure_html(wide, self._phone_drawing(source, wide, where))

        return _DIAGRAM.sub(replace, html)
