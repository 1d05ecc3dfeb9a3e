"""Math rendered at build time with KaTeX, so pages need no math JavaScript at all.

``pymdownx.arithmatex`` (generic mode) leaves ``<span class="arithmatex">\\(…\\)</span>`` and
``<div class="arithmatex">\\[…\\]</div>`` in the HTML; :class:`KatexRenderer` replaces each with
KaTeX's HTML (run once per page through Node.js, results cached on disk by TeX source). A formula
KaTeX cannot parse fails the build with the page and the formula named. Pages with math then load
only ``katex.min.css`` (≈28 KB) and the fonts they use, instead of ≈1.2 MB of MathJax.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["KatexError", "KatexRenderer", "find_math"]

_MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.S
)
_SCRIPT = Path(__file__).with_name("katex_render.js")


class KatexError(ValueError):
    """A formula KaTeX could not render."""


def _strip_delimiters(body: str, tag: str) -> tuple[str, bool]:
    tex = html_lib.unescape(body.strip())
    if tex.startswith("\\(") and tex.endswith("\\)"):
        return tex[2:-2], False
    if tex.startswith("\\[") and tex.endswith("\\]"):
        return tex[2:-2], True
    return tex, tag == "div"  # a bare \begin{env}…\end{env} block


def find_math(html: str) -> list[tuple[str, bool]]:
    """The ``(tex, display)`` pairs of every arithmatex element in ``html``, in order."""
    return [_strip_delimiters(m["body"], m["tag"]) for m in _MATH.finditer(html)]


class KatexRenderer:
    """Render arithmatex elements with KaTeX via Node.js, with an on-disk cache."""

    def __init__(self, katex_package: Path, cache_file: Path | None = None):
        self.katex_package = katex_package
        self.version = json.loads((katex_package / "package.json").read_text())["version"]
        self.cache_file = cache_file
        self.cache: dict[str, str] = {}
        if cache_file is not None and cache_file.is_file():
            self.cache = json.loads(cache_file.read_text(encoding="utf-8"))
        self.node = shutil.which("node")

    def _key(self, tex: str, display: bool) -> str:
        return hashlib.sha1(f"{self.version}|{display}|{tex}".encode()).hexdigest()

    def _render_missing(self, items: list[tuple[str, bool]], where: str) -> None:
        missing = list({self._key(t, d): (t, d) for t, d in items
                        if self._key(t, d) not in self.cache}.values())
        if not missing:
            return
        if self.node is None:
            raise KatexError("math is rendered with KaTeX at build time: install Node.js")
        result = subprocess.run(
            [self.node, str(_SCRIPT), str(self.katex_package)],
            input=json.dumps(missing), capture_output=True, text=True, check=True,
        )
        for (tex, display), out in zip(missing, json.loads(result.stdout), strict=True):
            if "error" in out:
                raise KatexError(f"{where}: KaTeX cannot render {tex!r}: {out['error']}")
            self.cache[self._key(tex, display)] = out["html"]

    def render(self, html: str, where: str, wrap=None) -> str:
        """``html`` with every arithmatex element replaced by KaTeX's output.

        ``wrap(fragment) -> str``, if given, receives each rendered element and returns what goes
        in its place (the build hides formulas from the search index this way).
        """
        items = find_math(html)
        if not items:
            return html
        self._render_missing(items, where)

        def replace(match: re.Match) -> str:
            tex, display = _strip_delimiters(match["body"], match["tag"])
            rendered = self.cache[self._key(tex, display)]
            tag = "div" if display else "span"
            fragment = f'<{tag} class="arithmatex">{rendered}</{tag}>'
            return wrap(fragment) if wrap is not None else fragment

        return _MATH.sub(replace, html)

    def save(self) -> None:
        if self.cache_file is not None:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            self.cache_file.write_text(json.dumps(self.cache, sort_keys=True), encoding="utf-8")
