"""Mermaid's SVG made fit to ship twice on a page: ids of its own, shorter path data.

* :func:`namespace_ids`: every ``id`` in a drawing prefixed with the drawing's own id, so the
  two drawings of one diagram (:mod:`.diagram_layout`), or two diagrams on one page, never share
  an id (mermaid prefixes only its markers; node, edge and cluster ids are the names in the
  source, ``flowchart-A-0``, ``L_A_B_0``).
* :func:`round_path_data`: the numbers in ``d`` attributes rounded to thousandths of a unit
  (a unit is a CSS pixel at natural size), the precision mermaid's own paths have. Shapes drawn
  with rough.js (a stadium ``([…])``) come with 15 significant digits per coordinate, 31 KB for
  one node; rounded, the page with two of them (10.1) weighs a third less, and nothing moves by
  more than 0.0005 px.
"""

from __future__ import annotations

import re

__all__ = ["namespace_ids", "round_path_data"]

_ROOT_ID = re.compile(r'<svg\b[^>]*?\sid="(?P<id>[^"]+)"')
_ID = re.compile(r'(?<=\sid=")(?P<id>[^"]+)(?=")')
_REF = re.compile(r'(?<=url\(#)(?P<id>[^)"]+)(?=\))|(?<=href="#)(?P<href>[^"]+)(?=")')
_STYLE_BLOCK = re.compile(r"(?<=<style>).*?(?=</style>)", re.S)
# one CSS rule: its selectors, then its declarations (only selectors name ids; ``#fff`` in a
# declaration is a colour)
_RULE = re.compile(r"(?P<selectors>[^{}]*)(?P<body>\{[^{}]*\})")
_SELECTOR_ID = re.compile(r"#(?P<id>[A-Za-z_][\w-]*)")
_PATH = re.compile(r'(?<=\sd=")[^"]*(?=")')
_LONG_NUMBER = re.compile(r"-?(?:\d*\.?\d+[eE][-+]?\d+|\d*\.\d{4,})")


def namespace_ids(svg: str) -> str:
    """``svg`` with every ``id`` that does not already start with the root element's id prefixed
    with it and a hyphen, and so every reference to one: ``url(#…)``, ``href="#…"``, and ``#…``
    in the selectors of its ``<style>`` (a sequence diagram styles ``#arrowhead``)."""
    root = _ROOT_ID.match(svg)
    if root is None:
        return svg
    prefix = root["id"]
    local = {m["id"] for m in _ID.finditer(svg) if not m["id"].startswith(prefix)}
    if not local:
        return svg

    def renamed(name: str) -> str:
        return f"{prefix}-{name}" if name in local else name

    svg = _ID.sub(lambda m: renamed(m["id"]), svg)
    svg = _REF.sub(lambda m: renamed(m["id"] or m["href"]), svg)
    return _STYLE_BLOCK.sub(lambda m: _RULE.sub(
        lambda r: _SELECTOR_ID.sub(lambda i: "#" + renamed(i["id"]), r["selectors"]) + r["body"],
        m.group(0)), svg)


def _round(match: re.Match) -> str:
    text = f"{float(match.group(0)):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def round_path_data(svg: str) -> str:
    """``svg`` with every number of more than three decimals (or in exponent form) in a ``d``
    attribute rounded to three."""
    return _PATH.sub(lambda m: _LONG_NUMBER.sub(_round, m.group(0)), svg)
