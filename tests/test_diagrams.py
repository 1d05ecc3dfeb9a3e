"""Mermaid diagrams drawn to SVG at build time: output, cache, errors, the no-browser fallback,
and the layout phones get (a top-to-bottom drawing, a scroll box)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dlnotes_site.diagram_layout import (
    Drawing,
    figure_html,
    legible_width,
    needs_phone_layout,
    phone_source,
    top_down_variant,
)
from dlnotes_site.diagrams import DiagramError, MermaidRenderer, find_chromium, find_diagrams
from dlnotes_site.svg_tidy import namespace_ids, round_path_data

ROOT = Path(__file__).resolve().parents[1]
MERMAID = ROOT / "node_modules" / "mermaid"
BLOCK = '<p>前</p><pre class="mermaid"><code>flowchart LR\n  A[数据] --&gt; B[模型]</code></pre><p>后</p>'

needs_browser = pytest.mark.skipif(
    find_chromium() is None, reason="no Chromium (scripts/test.sh installs Debian's chromium)")


@pytest.fixture
def renderer(tmp_path):
    if not (MERMAID / "dist" / "mermaid.min.js").is_file():
        pytest.skip("node_modules missing: run npm ci")
    r = MermaidRenderer(MERMAID, tmp_path / "mermaid.json")
    yield r
    r.close()


def test_find_diagrams_unescapes_the_source():
    assert find_diagrams(BLOCK) == ["flowchart LR\n  A[数据] --> B[模型]"]


@needs_browser
def test_diagram_becomes_inline_svg_with_its_labels(renderer):
    html = renderer.render(BLOCK, "docs/x.md")
    assert html.startswith("<p>前</p><figure class=\"dl-diagram\"><svg")
    assert html.endswith("</svg></figure><p>后</p>")
    assert 'class="mermaid"' not in html
    assert "数据" in html and "模型" in html


@needs_browser
def test_cached_diagram_needs_no_browser(renderer, tmp_path, monkeypatch):
    first = renderer.render(BLOCK, "docs/x.md")
    renderer.close()  # saves the cache
    monkeypatch.setenv("DLNOTES_CHROMIUM", str(tmp_path / "no-such-browser"))
    again = MermaidRenderer(MERMAID, tmp_path / "mermaid.json")
    assert again.render(BLOCK, "docs/x.md") == first
    assert again._browser is None and again.unavailable is None


@needs_browser
def test_broken_diagram_fails_naming_page_and_first_line(renderer):
    bad = '<pre class="mermaid"><code>flowchart LR\n  A --&gt;&gt;&gt; [</code></pre>'
    with pytest.raises(DiagramError, match=r"docs/bad\.md: .*'flowchart LR'"):
        renderer.render(bad, "docs/bad.md")


def test_without_a_browser_blocks_are_left_for_the_client(renderer, tmp_path, monkeypatch):
    monkeypatch.setenv("DLNOTES_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert renderer.render(BLOCK, "docs/x.md") == BLOCK
    assert renderer.unavailable and "DLNOTES_CHROMIUM" in renderer.unavailable


@needs_browser
def test_draws_from_a_thread_that_runs_an_asyncio_loop(renderer):
    """Playwright's sync API refuses such a thread (a notebook, the site's own browser tests)."""
    import asyncio
    import threading

    result = {}

    async def inside_a_loop():
        result["html"] = renderer.render(BLOCK, "docs/x.md")

    # a thread of its own: this one may already belong to the browser tests' Playwright session
    thread = threading.Thread(target=lambda: asyncio.run(inside_a_loop()))
    thread.start()
    thread.join()
    assert "<svg" in result.get("html", "")


@needs_browser
def test_two_fresh_browsers_draw_the_same_svg(tmp_path):
    """Shapes drawn with rough.js (the stadium below) jitter at random unless seeded."""
    if not (MERMAID / "dist" / "mermaid.min.js").is_file():
        pytest.skip("node_modules missing: run npm ci")
    block = ('<pre class="mermaid"><code>flowchart LR\n  Q(["查询"]) --&gt; K["键"]</code></pre>')
    drawn = []
    for _ in range(2):  # no cache file: each renderer draws in its own browser
        renderer = MermaidRenderer(MERMAID, None)
        try:
            drawn.append(renderer.render(block, "docs/x.md"))
        finally:
            renderer.close()
    assert drawn[0] == drawn[1] and "<svg" in drawn[0]


# -- phones: legible labels (dlnotes_site.diagram_layout) ---------------------------------------

WIDE = ('<pre class="mermaid"><code>flowchart LR\n'
        '  A[读入一个小批量的数据] --&gt; B[前向传播算出预测] --&gt; C[用损失函数比较预测与标签]'
        ' --&gt; D[反向传播求梯度] --&gt; E[优化器更新全部参数]</code></pre>')


@needs_browser
def test_drawing_is_measured_and_cached_with_its_smallest_label(renderer):
    renderer.render(BLOCK, "docs/x.md")
    (entry,) = renderer.cache.values()
    assert entry["label_px"] == pytest.approx(16, abs=0.5)  # mermaid's default font size
    assert entry["width"] > 100 and entry["svg"].startswith("<svg")


def test_cache_entries_of_the_unmeasured_format_are_drawn_again(tmp_path):
    if not (MERMAID / "dist" / "mermaid.min.js").is_file():
        pytest.skip("node_modules missing: run npm ci")
    cache = tmp_path / "mermaid.json"
    cache.write_text(json.dumps({"old": "<svg></svg>",
                                 "new": {"svg": "<svg></svg>", "width": 10, "label_px": 16}}))
    assert list(MermaidRenderer(MERMAID, cache).cache) == ["new"]


@needs_browser
def test_wide_flowchart_ships_a_top_down_drawing_for_phones(renderer):
    html = renderer.render(WIDE, "docs/x.md")
    assert html.startswith('<figure class="dl-diagram"><svg data-screen="wide"')
    assert html.count("<svg") == 2 and '<svg data-screen="narrow"' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "the two drawings share an id (CSS, markers)"
    width = float(re.search(r'<svg data-screen="narrow"[^>]*viewBox="[-\d.]+ [-\d.]+ ([\d.]+)',
                            html)[1])
    assert width * 11 / 16 <= 358  # its 16-px labels stay at 11 px or more in a phone's column
    assert "dl-diagram__hint" not in html and "tabindex" not in html  # so it needs no scroll box


@needs_browser
def test_small_diagram_keeps_its_plain_figure(renderer):
    html = renderer.render(BLOCK, "docs/x.md")
    assert "data-screen" not in html and "--dl-legible-width" not in html
    assert len(renderer.cache) == 1  # no phone drawing was made


def test_top_down_variant_turns_the_header_and_every_sideways_subgraph():
    source = ("%% 注释\nflowchart LR\n  subgraph s[\"LR 子图\"]\n    direction RL\n    a --> b\n"
              "  end\n  A[\"direction LR\"] --> s\n")
    assert top_down_variant(source) == (
        "%% 注释\nflowchart TB\n  subgraph s[\"LR 子图\"]\n    direction TB\n    a --> b\n"
        "  end\n  A[\"direction LR\"] --> s\n")
    assert top_down_variant("graph RL;\n  a --> b") == "graph TB;\n  a --> b"
    assert top_down_variant("flowchart LR") == "flowchart TB"


def test_top_down_variant_turns_sideways_subgraphs_of_a_vertical_flowchart():
    source = "flowchart TB\n  subgraph s\n    direction LR\n    a --> b\n  end"
    assert top_down_variant(source) == source.replace("direction LR", "direction TB")


@pytest.mark.parametrize("source", [
    "flowchart TB\n  a --> b", "graph TD\n  a --> b", "flowchart BT\n  a --> b",
    "sequenceDiagram\n  A->>B: LR", "block-beta\n  columns 3", "", "%% only a comment",
])
def test_top_down_variant_leaves_what_does_not_run_sideways(source):
    assert top_down_variant(source) is None


@pytest.mark.parametrize(("source", "expected"), [
    ("flowchart LR\n  a --> b", "flowchart TB\n  a --> b"),
    ("flowchart TD\n  a --> b", "flowchart TD\n  a --> b"),  # drawn tighter, same direction
    ("gantt\n  title t", "gantt\n  title t"),  # drawn narrower
    ("sequenceDiagram\n  A->>B: hi", None),
    ("block-beta\n  columns 3", None),
])
def test_phone_source_by_diagram_type(source, expected):
    assert phone_source(source) == expected


def drawing(width, label_px=16.0, svg=None):
    return Drawing(svg or f'<svg id="d{width}" width="100%" style="max-width: {width}px;" '
                          f'viewBox="0 0 {width} 50"><text>x</text></svg>', width, label_px)


def test_legible_width_is_where_the_smallest_label_reaches_11_px():
    assert legible_width(drawing(1600)) == pytest.approx(1100)
    assert legible_width(drawing(300, label_px=10)) == pytest.approx(330)
    assert legible_width(drawing(300, label_px=None)) == 0  # no text to read


def test_needs_phone_layout_when_a_phone_column_shrinks_labels_below_11_px():
    assert not needs_phone_layout(drawing(500))  # 16 px × 358/500 = 11.5 px
    assert needs_phone_layout(drawing(530))  # 10.8 px
    assert not needs_phone_layout(drawing(200))  # shown at its natural size
    assert needs_phone_layout(drawing(300, label_px=10))  # 10 px even at natural size


def test_drawing_without_a_size_fails_loudly():
    with pytest.raises(ValueError, match="positive width"):
        Drawing("<svg></svg>", 0, 16)


def test_figure_of_a_diagram_that_fits_a_phone_is_unchanged():
    small = drawing(300)
    assert figure_html(small, drawing(200)) == f'<figure class="dl-diagram">{small.svg}</figure>'


def test_figure_ships_both_drawings_when_the_narrow_one_fits():
    html = figure_html(drawing(1200), drawing(300))
    assert html.startswith('<figure class="dl-diagram"><svg data-screen="wide" id="d1200"')
    assert '<svg data-screen="narrow" id="d300"' in html
    assert "--dl-legible-width" not in html and "tabindex" not in html


def test_figure_scrolls_with_a_hint_when_even_the_narrow_drawing_is_too_wide():
    html = figure_html(drawing(1600), drawing(800))
    assert html.startswith('<figure class="dl-diagram dl-diagram--scroll" tabindex="0" '
                           'aria-label="')
    assert '<figcaption class="dl-diagram__hint" aria-hidden="true">← 左右滑动查看 →' in html
    # only the drawing phones show gets the minimum width: 800 × 11/16 = 550, +1 to spare
    assert 'id="d1600" width="100%" style="max-width: 1600px;"' in html
    assert 'style="max-width: 800px; --dl-legible-width: 551px;"' in html


def test_figure_keeps_the_wide_drawing_when_the_narrow_one_is_no_better():
    html = figure_html(drawing(600), drawing(900))
    assert "data-screen" not in html and "d900" not in html
    assert 'style="max-width: 600px; --dl-legible-width: 414px;"' in html  # 600 × 11/16 → 413


def test_figure_enlarges_small_print_that_fits_without_scrolling():
    gantt = drawing(300, label_px=10, svg='<svg viewBox="0 0 300 90"><text>x</text></svg>')
    html = figure_html(gantt)
    assert html == ('<figure class="dl-diagram"><svg viewBox="0 0 300 90" '
                    'style="--dl-legible-width: 331px;"><text>x</text></svg></figure>')


def test_figure_refuses_what_is_not_an_svg():
    with pytest.raises(ValueError, match="not an SVG"):
        figure_html(drawing(900, svg="<p>oops</p>"))


def test_namespace_ids_prefixes_every_id_and_reference_with_the_drawing_id():
    svg = ('<svg id="mmd-1" style="x"><defs><marker id="mmd-1_end"/><marker id="arrowhead"/>'
           '</defs><g id="flowchart-A-0" data-id="A"><path id="L_A_B_0" marker-end="url(#arrowhead)"'
           '/><use href="#L_A_B_0"/><text>id="A" 文字</text></g></svg>')
    assert namespace_ids(svg) == (
        '<svg id="mmd-1" style="x"><defs><marker id="mmd-1_end"/><marker id="mmd-1-arrowhead"/>'
        '</defs><g id="mmd-1-flowchart-A-0" data-id="A"><path id="mmd-1-L_A_B_0" '
        'marker-end="url(#mmd-1-arrowhead)"/><use href="#mmd-1-L_A_B_0"/>'
        '<text>id="A" 文字</text></g></svg>')
    assert namespace_ids("<svg><g/></svg>") == "<svg><g/></svg>"  # no root id: nothing to use


def test_namespace_ids_renames_ids_in_style_selectors_but_not_colours():
    svg = ('<svg id="mmd-1"><style>#mmd-1 .a{fill:#fff;}#mmd-1 #arrowhead path{fill:#333;}'
           '@keyframes dash{to{stroke-dashoffset:0;}}</style><g id="fff"/><marker id="arrowhead"/>'
           '</svg>')
    assert namespace_ids(svg) == (
        '<svg id="mmd-1"><style>#mmd-1 .a{fill:#fff;}#mmd-1 #mmd-1-arrowhead path{fill:#333;}'
        '@keyframes dash{to{stroke-dashoffset:0;}}</style><g id="mmd-1-fff"/>'
        '<marker id="mmd-1-arrowhead"/></svg>')


def test_round_path_data_keeps_three_decimals_in_paths_only():
    svg = ('<svg viewBox="0 0 10.123456 5"><path d="M-23.265625 -18 C-13.959165814708102 -18, '
           '-0.0001 4.5e-7, 1.9999999 2.5 L221.281,129.156" transform="translate(1.23456, 0)"/>'
           '</svg>')
    assert round_path_data(svg) == (
        '<svg viewBox="0 0 10.123456 5"><path d="M-23.266 -18 C-13.959 -18, '
        '0 0, 2 2.5 L221.281,129.156" transform="translate(1.23456, 0)"/></svg>')
