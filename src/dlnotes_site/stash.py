"""Keep heavy markup out of the search index: hidden in ``on_page_content``, back in ``on_post_page``.

Material's search plugin parses ``page.content`` between those two events (``on_page_context``)
with Python's ``HTMLParser`` and indexes all text it finds. On an executed page that content is
mostly rendered math (KaTeX writes every formula three times: MathML, TeX annotation, HTML) and
inline figures, so the index filled with formula debris and the parse took most of a warm build.
:class:`Stash` swaps each such element for an empty placeholder before the plugin sees the page
and puts it back in the finished HTML. Code-cell outputs stay in place but are marked
``data-search-exclude``, which the plugin skips.
"""

from __future__ import annotations

import re

__all__ = ["Stash"]

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_DATA_IMG = re.compile(r'<img\b[^>]*\bsrc="data:[^"]*"[^>]*>')
_OUTPUT_AREA = re.compile(r'<div class="jp-OutputArea jp-Cell-outputArea"')
_PLACEHOLDER = re.compile(r'<dlnotes-stash i="(\d+)"></dlnotes-stash>')


class Stash:
    """Per-page store of hidden fragments."""

    def __init__(self) -> None:
        self._pages: dict[str, list[str]] = {}

    def put(self, page: str, fragment: str) -> str:
        """Hide ``fragment``; returns the placeholder that stands in for it."""
        items = self._pages.setdefault(page, [])
        items.append(fragment)
        return f'<dlnotes-stash i="{len(items) - 1}"></dlnotes-stash>'

    def hide(self, page: str, html: str) -> str:
        """Hide inline figures and mark code outputs as excluded from search."""
        html = _SVG.sub(lambda m: self.put(page, m[0]), html)
        html = _DATA_IMG.sub(lambda m: self.put(page, m[0]), html)
        return _OUTPUT_AREA.sub(r'\g<0> data-search-exclude="1"', html)

    def restore(self, page: str, output: str) -> str:
        """``output`` with every placeholder of ``page`` replaced by what it hid."""
        items = self._pages.pop(page, [])
        if not items:
            return output
        return _PLACEHOLDER.sub(lambda m: items[int(m[1])], output)
