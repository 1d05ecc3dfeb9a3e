"""Figures drawn by :mod:`dlnotes.plot` on an executed page: alt text on the image, data as a file.

When a ``dlnotes.plot`` figure is shown, its display output carries, beside the image, a
description of what it drew (one line of JSON, made by :func:`dlnotes.plot.describe_figure` in
the kernel) and its alt text, under the MIME type :data:`FIGURE_MIME`. Here the build

- turns each description into a small file next to the page: CSV for curves and points (one
  column per curve when they share their x values, one row per point otherwise), JSON for
  everything else (image grids, heatmaps, boxes), each headed by the page, the cell and the
  profile it came from (:func:`page_figures`);
- finds the figure's ``<img>`` in the rendered page by its image data, gives it the alt text in
  place of the generic one, and puts a download link under it (:func:`label_figures`);
- keeps the description out of the notebook that nbconvert renders (:func:`strip_figure_data`).

The image itself is the kernel's, byte for byte; the downloaded notebook keeps the description.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import PurePosixPath

__all__ = ["FIGURE_MIME", "PageFigure", "page_figures", "figure_file", "label_figures",
           "strip_figure_data"]

# the same string as dlnotes.plot.FIGURE_MIME (tests/test_plot_figure_data.py checks): the build
# does not import dlnotes.plot, which would load matplotlib on every build
FIGURE_MIME = "application/vnd.dlnotes.figure+json"

_IMG = re.compile(r'<img\b[^>]*?\bsrc="data:image/(?:svg\+xml|png);base64,([^"]*)"[^>]*>')
_ALT = re.compile(r'\salt="[^"]*"')


@dataclass
class PageFigure:
    """One ``dlnotes.plot`` figure of a page, ready for the site."""

    number: int  # 1, 2, … in page order
    alt: str
    image_key: str  # the base64 text of the image, as the page's <img src="data:…"> holds it
    filename: str  # the data file, next to the page
    content: str  # the data file's text

    @property
    def format(self) -> str:
        return PurePosixPath(self.filename).suffix[1:].upper()

    def link_html(self) -> str:
        return (f'<p class="dlnotes-figure-data" data-search-exclude="1">'
                f'<a href="{escape(self.filename)}" download>'
                f"下载图的数据 ({self.format})</a></p>")


def _image_key(output) -> str | None:
    data = output.get("data", {})
    if "image/svg+xml" in data:  # nbconvert's text_base64 filter: UTF-8, no line breaks
        svg = data["image/svg+xml"]
        svg = "".join(svg) if isinstance(svg, list) else svg
        return base64.b64encode(svg.encode("utf-8")).decode("ascii")
    if "image/png" in data:
        return re.sub(r"\s+", "", data["image/png"])
    return None


def _header(*, page: str, notebook: str, cell: int, execution_count, profile: str, number: int,
            alt: str) -> dict:
    run = f"，In [{execution_count}]" if execution_count else ""
    return {
        "page": page,
        "notebook": notebook,
        "cell": cell,
        "cell_note": f"{notebook} 的第 {cell} 个单元（从 1 数{run}）",
        "profile": profile,
        "figure": number,
        "alt": alt,
    }


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _cell(value) -> str:
    return "" if value is None else repr(value)


def _csv(description: dict, header: dict) -> str | None:
    """The curves and points of ``description`` as CSV, or None when it draws more than that."""
    panels = description["axes"]
    if any(p.get("images") or p.get("surfaces") for p in panels):
        return None
    series = [(i, p, s) for i, p in enumerate(panels, 1) for key in ("lines", "scatter")
              for s in p.get(key, [])]
    if not series:
        return None
    out = io.StringIO()
    out.write("# dlnotes 图的数据：这张图画出的每一个点\n")
    for key in ("page", "notebook", "cell", "profile", "figure", "alt"):
        value = header["cell_note"] if key == "cell" else header[key]
        out.write(f"# {key}: {value}\n")
    for _, _, s in series:
        if s.get("every"):
            out.write(f"# 注意：曲线 {s['label'] or '(无名)'} 有 {len(s['x']) * s['every']} 个左右的点，"
                      f"这里每 {s['every']} 个存一个\n")
    writer = csv.writer(out, lineterminator="\n")
    first_x = series[0][2]["x"]
    if len(panels) == 1 and all(s["x"] == first_x for _, _, s in series):  # wide: one column per curve
        panel = panels[0]
        lone = len(series) == 1 and panel.get("ylabel")  # one unnamed curve: name it by its axis
        names = _unique([panel.get("xlabel") or "x"]
                        + [s["label"] or (lone or f"y{k}") for k, (_, _, s) in enumerate(series, 1)])
        writer.writerow(names)
        for row, x in enumerate(first_x):
            writer.writerow([_cell(x)] + [_cell(s["y"][row]) for _, _, s in series])
    else:  # long: one row per point
        many = len(panels) > 1
        writer.writerow((["panel", "panel_title"] if many else []) + ["series", "x", "y"])
        for k, (i, panel, s) in enumerate(series, 1):
            where = [i, panel.get("title", "")] if many else []
            for x, y in zip(s["x"], s["y"], strict=True):
                writer.writerow(where + [s["label"] or f"y{k}", _cell(x), _cell(y)])
    return out.getvalue()


def figure_file(description: dict, header: dict, stem: str) -> tuple[str, str]:
    """``(file name, text)`` of one figure's data: ``<stem>-figure-<n>.csv`` or ``.json``."""
    name = f"{stem}-figure-{header['figure']}"
    text = _csv(description, header)
    if text is not None:
        return f"{name}.csv", text
    payload = {"dlnotes": "图的数据：这张图画出的内容（照片只存形状和标题，不存像素）",
               **header, **description}
    return f"{name}.json", json.dumps(payload, ensure_ascii=False) + "\n"  # the header first


def page_figures(nb, *, page: str, notebook: str, profile: str) -> list[PageFigure]:
    """Every ``dlnotes.plot`` figure shown in the executed notebook ``nb``, in page order.

    ``page`` is the page's source path (``chapter_x/y.md``), ``notebook`` the name of the
    downloadable ``.ipynb``; the data files are named after it.
    """
    stem = PurePosixPath(notebook).stem
    figures = []
    for index, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            shown = output.get("data", {}).get(FIGURE_MIME)
            key = _image_key(output)
            if shown is None or key is None:
                continue
            number = len(figures) + 1
            header = _header(page=page, notebook=notebook, cell=index,
                             execution_count=cell.get("execution_count"), profile=profile,
                             number=number, alt=shown["alt"])
            filename, content = figure_file(json.loads(shown["description"]), header, stem)
            figures.append(PageFigure(number, shown["alt"], key, filename, content))
    return figures


def strip_figure_data(nb) -> None:
    """Drop the figure descriptions from ``nb`` (the copy nbconvert renders): the build has
    read them, and the page shows the image only."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(FIGURE_MIME, None)


def label_figures(html: str, figures: list[PageFigure]) -> str:
    """Give each figure's ``<img>`` in ``html`` its alt text and a link to its data under it.

    An image is recognised by its data (the ``src="data:…"`` nbconvert wrote from the output),
    so images that no ``dlnotes.plot`` figure made keep the alt text they have.
    """
    if not figures:
        return html
    by_key = {f.image_key: f for f in figures}

    def label(match: re.Match) -> str:
        figure = by_key.get(match[1])
        if figure is None:
            return match[0]
        tag = _ALT.sub("", match[0]).replace("<img", f'<img alt="{escape(figure.alt)}"', 1)
        return tag + figure.link_html()

    return _IMG.sub(label, html)
