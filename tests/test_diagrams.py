"""Mermaid diagrams drawn to SVG at build time: output, cache, errors, and the no-browser fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlnotes_site.diagrams import DiagramError, MermaidRenderer, find_chromium, find_diagrams

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
