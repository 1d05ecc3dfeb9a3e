"""How a drawn diagram is laid out on a phone: legible labels, a top-to-bottom variant, a scroll box.

A mermaid SVG is shown at ``width: 100%`` up to its natural width, so on a 390-px phone (358 px of
column) a left-to-right flowchart 1,300 units wide is shrunk to a quarter and its 16-px labels to
4 px. From what the drawing browser measured (natural width, smallest label in the SVG's own
units) this module decides, with plain arithmetic and no browser:

* :func:`legible_width`: how wide the SVG must be shown for its smallest label to reach
  :data:`MIN_LABEL_PX`;
* :func:`phone_source`: what to draw for a phone, with the compact settings the renderer keeps
  for it: a flowchart turned top to bottom (:func:`top_down_variant`: ``LR``/``RL`` → ``TB``, in
  the header and in every subgraph's ``direction``), which a narrow column holds far better; a
  gantt chart as it is (drawn narrower);
* :func:`figure_html`: the ``<figure class="dl-diagram">`` that ships the wide drawing, the
  phone drawing if it helps (CSS shows one of them, ``extra.css``), and, when even that is wider
  than the column at a legible scale, a minimum width, a scroll box a keyboard can reach and a
  hint line seen only on narrow screens.

A diagram that is legible on a phone as it is keeps exactly the figure it had before.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["COLUMN_PX", "MIN_LABEL_PX", "Drawing", "figure_html", "legible_width",
           "needs_phone_layout", "phone_source", "top_down_variant"]

#: the smallest label size, in CSS pixels, a reader must get on a phone
MIN_LABEL_PX = 11.0
#: the article column on a 390-px phone: Material leaves 0.8 rem (16 px) of margin on each side
COLUMN_PX = 358.0

SCROLL_HINT = "← 左右滑动查看 →"
SCROLL_LABEL = "图：窄屏上可左右滚动查看"

_HEADER = re.compile(r"^(?P<lead>\s*(?:flowchart|graph)[ \t]+)(?P<dir>LR|RL|TB|TD|BT)\b")
_GANTT = re.compile(r"^\s*gantt\s*$")
_DIRECTION = re.compile(r"^(?P<lead>[ \t]*direction[ \t]+)(?P<dir>LR|RL)[ \t]*$", re.M)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_STYLE = re.compile(r'\sstyle="(?P<css>[^"]*)"')


@dataclass(frozen=True)
class Drawing:
    """A drawn diagram: its SVG, its natural width and its smallest label, both in SVG units.

    ``label_px`` is ``None`` for a drawing without any text.
    """

    svg: str
    width: float
    label_px: float | None

    def __post_init__(self):
        if not self.width > 0 or (self.label_px is not None and not self.label_px > 0):
            raise ValueError(f"a drawing needs a positive width and label size, got "
                             f"width={self.width!r}, label_px={self.label_px!r}")


def legible_width(drawing: Drawing) -> float:
    """The on-screen width at which the drawing's smallest label is :data:`MIN_LABEL_PX` tall."""
    if drawing.label_px is None:
        return 0.0
    return drawing.width * MIN_LABEL_PX / drawing.label_px


def needs_phone_layout(drawing: Drawing, column: float = COLUMN_PX) -> bool:
    """Whether, shown as usual in ``column`` px (at most its natural width), a label is too small.

    With a pixel to spare: the browser rounds the SVG's height, which can shave a hair off its
    scale.
    """
    shown = min(drawing.width, column)
    return legible_width(drawing) > shown - 1


def _header(lines: list[str]) -> int | None:
    """Index of the line that names the diagram type (the first that is not blank or a comment)."""
    return next((i for i, line in enumerate(lines)
                 if line.strip() and not line.strip().startswith("%%")), None)


def top_down_variant(source: str) -> str | None:
    """The flowchart ``source`` redrawn top to bottom, or ``None`` if nothing in it runs sideways.

    The header's ``LR``/``RL`` and every subgraph's ``direction LR``/``direction RL`` become
    ``TB``; everything else is kept byte for byte. Other diagram types (sequence, gantt, block)
    have no direction to turn.
    """
    lines = source.split("\n")
    header = _header(lines)
    if header is None:
        return None
    match = _HEADER.match(lines[header])
    if match is None:
        return None
    first = lines[header]
    if match["dir"] in ("LR", "RL"):
        first = match["lead"] + "TB" + first[match.end():]
    rest, turned = _DIRECTION.subn(lambda m: m["lead"] + "TB", "\n".join(lines[header + 1:]))
    if first == lines[header] and not turned:
        return None
    return "\n".join(lines[:header] + [first] + ([rest] if header + 1 < len(lines) else []))


def phone_source(source: str) -> str | None:
    """The source to draw, with the phone settings, for a narrow screen; ``None``: no such drawing.

    A flowchart is turned top to bottom (kept as it is if it already runs vertically: the
    compact settings still narrow it); a gantt chart is kept (drawn narrower). Other types
    (sequence, block) have nothing the phone settings change.
    """
    turned = top_down_variant(source)
    if turned is not None:
        return turned
    lines = source.split("\n")
    header = _header(lines)
    if header is not None and (_HEADER.match(lines[header]) or _GANTT.match(lines[header])):
        return source
    return None


def _tag(svg: str, screen: str | None, min_width: int | None) -> str:
    """``svg`` with ``data-screen`` and a ``--dl-legible-width`` on its root element."""
    opening = _SVG_OPEN.match(svg)
    if opening is None:
        raise ValueError(f"not an SVG drawing: {svg[:60]!r}")
    tag = opening.group(0)
    if min_width is not None:
        prop = f"--dl-legible-width: {min_width}px;"
        style = _STYLE.search(tag)
        if style is None:
            tag = tag[:-1] + f' style="{prop}">'
        else:
            css = style["css"].rstrip()
            css = f"{css}{'' if css.endswith(';') or not css else ';'} {prop}".strip()
            tag = tag[:style.start()] + f' style="{css}"' + tag[style.end():]
    if screen is not None:
        tag = f'<svg data-screen="{screen}"' + tag[len("<svg"):]
    return tag + svg[opening.end():]


def figure_html(wide: Drawing, narrow: Drawing | None = None, column: float = COLUMN_PX) -> str:
    """The figure for a diagram drawn as ``wide`` (its source) and maybe ``narrow`` (for phones).

    ``narrow`` is shipped only if a phone needs it and it asks for less width than ``wide`` at a
    legible size; the one a phone shows gets a minimum width when its labels would otherwise be
    too small, and the figure becomes a scroll box with a hint when that is wider than ``column``.
    """
    if not needs_phone_layout(wide, column):
        return f'<figure class="dl-diagram">{wide.svg}</figure>'
    if narrow is not None and legible_width(narrow) >= legible_width(wide):
        narrow = None
    phone = narrow or wide
    min_width = None
    if needs_phone_layout(phone, column):
        min_width = math.ceil(legible_width(phone)) + 1  # a pixel to spare, as above
    scrolls = min_width is not None and min_width > column
    if narrow is None:
        svgs = _tag(wide.svg, None, min_width)
    else:
        svgs = _tag(wide.svg, "wide", None) + _tag(narrow.svg, "narrow", min_width)
    if not scrolls:
        return f'<figure class="dl-diagram">{svgs}</figure>'
    hint = f'<figcaption class="dl-diagram__hint" aria-hidden="true">{SCROLL_HINT}</figcaption>'
    return (f'<figure class="dl-diagram dl-diagram--scroll" tabindex="0" '
            f'aria-label="{SCROLL_LABEL}">{hint}{svgs}</figure>')
