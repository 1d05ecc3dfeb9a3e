"""Render a notebook's Markdown cells with the site's own Markdown configuration.

mkdocs-jupyter renders Markdown cells with nbconvert/mistune, which knows none of Material's
extensions: admonitions and tabs print as text, math is left raw and Chinese headings get empty ids.
Here all Markdown cells of a page are rendered in **one** pass of Python-Markdown with the
``markdown_extensions`` of ``mkdocs.yml``, separated by HTML-comment markers and split afterwards.
One pass means heading ids are unique across cells, tabbed blocks are numbered once per page,
footnotes collect at the end, and the table of contents comes from the same run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import markdown
import nbformat
from pymdownx.snippets import SnippetMissingError

__all__ = ["RenderedProse", "render_prose", "to_render_notebook"]

_MARKER = "<!-- dlnotes-cell-boundary -->"


@dataclass
class RenderedProse:
    """HTML for each Markdown cell (in order), the page's TOC tokens and its title."""

    cells_html: list[str]
    toc_tokens: list[dict]
    title: str | None


def render_prose(
    nb: nbformat.NotebookNode, extensions: list, extension_configs: dict
) -> RenderedProse:
    """Render every Markdown cell of ``nb`` in one Markdown pass."""
    sources = [c.source for c in nb.cells if c.cell_type == "markdown"]
    md = markdown.Markdown(extensions=extensions, extension_configs=extension_configs)
    try:
        html = md.convert(f"\n\n{_MARKER}\n\n".join(sources))
    except SnippetMissingError as err:
        raise ValueError(f"included package code is missing: {err}") from err
    parts = html.split(_MARKER)
    if len(parts) != len(sources):
        raise ValueError(
            f"rendering {len(sources)} Markdown cells gave {len(parts)} parts: a cell boundary "
            "fell inside a block (an unclosed fence or HTML element?)"
        )
    toc_tokens = getattr(md, "toc_tokens", [])
    title = next((t["name"] for t in toc_tokens if t["level"] == 1), None)
    return RenderedProse([p.strip() for p in parts], toc_tokens, title)


def to_render_notebook(nb: nbformat.NotebookNode, prose: RenderedProse) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose Markdown cells are raw ``text/html`` cells holding ``prose``.

    nbconvert passes raw HTML cells through untouched, so mkdocs-jupyter renders code and
    outputs as usual while the prose keeps the site's own rendering.
    """
    out = copy.deepcopy(nb)
    html_parts = iter(prose.cells_html)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            raw = nbformat.v4.new_raw_cell(
                source=f'<div class="dlnotes-prose">\n{next(html_parts)}\n</div>',
                metadata={"raw_mimetype": "text/html"},
            )
            raw["id"] = cell.get("id", raw["id"])
            cells.append(raw)
        else:
            cells.append(cell)
    out.cells = cells
    return out

