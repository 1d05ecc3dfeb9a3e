"""Reading on a 390-px phone (issue #18): every diagram label at 11 px or more, a diagram wider than
the screen scrolling inside its own box under a hint, long formulas scrolling instead of being cut
off, and no page wider than the screen.

The sweep over every page with a diagram runs in one browser context with JavaScript off: the
diagrams are inline SVG laid out by CSS alone (Material's script does not touch them), and without
the script (and its search index) a page costs a fraction of the time. The pages checked for
sideways scrolling as a whole and the formulas are visited with JavaScript on, as readers see them.
Per-page label sizes land in ``test-artifacts/phone-labels.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from browser_support import ARTIFACTS, DIAGRAM, HOME, shot_name

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MIN_LABEL_PX = 11.0
# pages with long or tall display formulas (sums with limits, fractions, matrices)
MATH_PAGES = [
    "chapter_linear-networks/softmax-regression-concise/",
    "chapter_multilayer-perceptrons/backprop/",
    "chapter_recurrent-modern/lstm/",
]

# For every figure: the on-screen size of each displayed label (computed font size times the
# scale the SVG is drawn at, read from the element's screen transform), whether it is a scroll
# box, how far it overflows, and whether its hint line is shown.
_MEASURE = """() => {
    const scale = el => {
        let g = el;
        while (g && !(g instanceof SVGGraphicsElement)) g = g.parentElement;
        const m = g && g.getScreenCTM();
        return m ? Math.hypot(m.a, m.b) : 0;
    };
    const figures = [...document.querySelectorAll('figure.dl-diagram')].map(fig => {
        const labels = [];
        const walker = document.createTreeWalker(fig, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const el = t.parentElement;
            if (!t.textContent.trim() || el.closest('style') || !el.closest('svg')) continue;
            if (!el.getClientRects().length) continue;  // in the drawing this screen does not show
            labels.push([t.textContent.trim().slice(0, 30),
                         parseFloat(getComputedStyle(el).fontSize) * scale(el)]);
        }
        const hint = fig.querySelector('.dl-diagram__hint');
        return {labels,
                shown: [...fig.querySelectorAll(':scope > svg')]
                       .filter(s => s.getClientRects().length).length,
                scrolls: fig.classList.contains('dl-diagram--scroll'),
                overflow: fig.scrollWidth - fig.clientWidth,
                overflowX: getComputedStyle(fig).overflowX,
                hint: !!hint && hint.getClientRects().length > 0 && hint.offsetHeight > 0,
                tabindex: fig.getAttribute('tabindex'),
                name: fig.getAttribute('aria-label')};
    });
    // the page below the header: without JavaScript Material's header does not fit its title
    // to the screen, so the whole document is measured with the script on (further down)
    return {figures, width: [document.querySelector('.md-container').scrollWidth,
                             window.innerWidth]};
}"""


def diagram_pages(site) -> list[str]:
    """Every built page with a diagram, found by a text scan of the HTML (fast)."""
    pages = sorted(str(p.parent.relative_to(site)).replace("\\", "/") + "/"
                   for p in site.rglob("index.html")
                   if 'class="dl-diagram' in p.read_text(encoding="utf-8"))
    return [("" if p == "./" else p) for p in pages]


@dataclass
class PhoneSweep:
    pages: dict[str, dict]
    seconds: float


@pytest.fixture(scope="module")
def sweep(browser, base_url, site_dir) -> PhoneSweep:
    """Every page with a diagram, loaded once at 390×844 in one context, measured."""
    import time

    pages = diagram_pages(site_dir)
    assert pages, "no built page has a diagram"
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    start = time.perf_counter()
    measured = {}
    try:
        for path in pages:
            page.goto(base_url + path, wait_until="load")
            measured[path] = page.evaluate(_MEASURE)
    finally:
        context.close()
    seconds = time.perf_counter() - start
    report = {path: {"smallest_label_px": round(min((s for f in m["figures"]
                                                     for _, s in f["labels"]), default=0), 2),
                     "labels": sum(len(f["labels"]) for f in m["figures"]),
                     "figures": len(m["figures"]),
                     "scroll_boxes": sum(f["scrolls"] for f in m["figures"])}
              for path, m in measured.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "phone-labels.json").write_text(
        json.dumps({"seconds": round(seconds, 1), "pages": report}, indent=1, ensure_ascii=False))
    return PhoneSweep(measured, seconds)


def test_every_diagram_label_is_at_least_11_px_on_a_phone(sweep):
    small = {path: sorted({(round(size, 2), text) for f in m["figures"]
                           for text, size in f["labels"] if size < MIN_LABEL_PX - 0.01})[:5]
             for path, m in sweep.pages.items()}
    small = {path: labels for path, labels in small.items() if labels}
    assert small == {}, f"labels under {MIN_LABEL_PX} px at 390 px: {small}"
    # every figure shows exactly one drawing, with text in it
    for path, m in sweep.pages.items():
        assert all(f["shown"] == 1 and f["labels"] for f in m["figures"]), (path, m["figures"])


def test_a_diagram_wider_than_a_phone_scrolls_in_its_own_box_under_a_hint(sweep):
    for path, m in sweep.pages.items():
        for i, f in enumerate(m["figures"]):
            where = f"{path} figure {i}"
            if f["scrolls"]:
                assert f["overflow"] > 0 and f["overflowX"] == "auto", where
                assert f["hint"], f"{where}: the hint line is not shown"
                assert f["tabindex"] == "0" and f["name"], f"{where}: a keyboard cannot scroll it"
            else:  # nothing cut off without a hint saying there is more
                assert f["overflow"] <= 1 and not f["hint"], (where, f["overflow"])


def test_no_page_with_a_diagram_is_wider_than_a_phone(sweep):
    """Everything below the header fits the screen's width: nothing scrolls the page sideways."""
    wide = {path: m["width"] for path, m in sweep.pages.items() if m["width"][0] > m["width"][1]}
    assert wide == {}


def test_the_phone_sweep_stays_fast(sweep):
    """A second or so a page, so the sweep over ~70 pages costs CI seconds, not minutes."""
    print(f"{len(sweep.pages)} pages in {sweep.seconds:.1f} s")
    assert sweep.seconds / len(sweep.pages) < 3, sweep.seconds


@pytest.fixture
def phone_page(browser, base_url):
    """A page at 390×844 with JavaScript on, as a reader sees it."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()

    def load(path):
        page.goto(base_url + path, wait_until="load")
        return page

    yield load
    context.close()


@pytest.mark.parametrize("path", [HOME, "results/", DIAGRAM, *MATH_PAGES])
def test_page_is_no_wider_than_a_phone(phone_page, path):
    page = phone_page(path)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth,"
                           " window.innerWidth]")
    assert max(widths[:2]) <= widths[2], widths


# every display formula: its box, how far its content reaches, and (scrolled to its end) whether
# its last glyph comes into view
_FORMULAS = """() => [...document.querySelectorAll('div.arithmatex')].map(box => {
    const b = box.getBoundingClientRect();
    const glyphs = [...box.querySelectorAll('.katex-html *')]
        .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height);
    const top = Math.min(...glyphs.map(r => r.top)), bottom = Math.max(...glyphs.map(r => r.bottom));
    box.scrollLeft = box.scrollWidth;
    const right = Math.max(...[...box.querySelectorAll('.katex-html *')]
        .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height).map(r => r.right));
    const out = {left: b.left, right: b.right, top: b.top, bottom: b.bottom,
                 glyphTop: top, glyphBottom: bottom, lastGlyphRight: right,
                 scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
                 scrollHeight: box.scrollHeight, clientHeight: box.clientHeight,
                 overflowX: getComputedStyle(box).overflowX};
    box.scrollLeft = 0;
    return out;
})"""


@pytest.mark.parametrize("path", MATH_PAGES)
def test_long_formulas_scroll_inside_their_box_and_are_not_clipped(phone_page, path):
    page = phone_page(path)
    page.evaluate("document.fonts.ready")
    formulas = page.evaluate(_FORMULAS)
    assert formulas, "no display formula on the page"
    assert any(f["scrollWidth"] > f["clientWidth"] for f in formulas), "no formula wider than a phone"
    width = PHONE["width"]
    for i, f in enumerate(formulas):
        where = f"{path} formula {i}"
        assert f["left"] >= 0 and f["right"] <= width, f"{where} sticks out of the screen: {f}"
        # nothing above or below the box: no tall glyph clipped, no vertical scrolling
        assert f["glyphTop"] >= f["top"] - 0.5 and f["glyphBottom"] <= f["bottom"] + 0.5, (where, f)
        assert f["scrollHeight"] <= f["clientHeight"] + 1, (where, f)
        if f["scrollWidth"] > f["clientWidth"]:
            assert f["overflowX"] in ("auto", "scroll"), (where, f)
            assert f["lastGlyphRight"] <= f["right"] + 0.5, f"{where}: its end cannot be reached"
    page.locator("div.arithmatex").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shot_name(path + "-phone", "light")))


def _first_page_with(site_dir, marker: str) -> str:
    return next(p for p in diagram_pages(site_dir)
                if marker in (site_dir / p / "index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("marker", ['data-screen="narrow"', "dl-diagram--scroll"])
def test_desktop_shows_only_the_drawing_from_the_source_and_no_hint(visit, site_dir, marker):
    """At 1280 px a page with phone drawings and scroll boxes looks as before."""
    v = visit(_first_page_with(site_dir, marker), viewport=(1280, 900))
    shown = v.page.evaluate("""() => [...document.querySelectorAll('figure.dl-diagram')].map(fig =>
        [[...fig.querySelectorAll(':scope > svg')].filter(s => s.getClientRects().length)
            .map(s => s.dataset.screen || 'only'),
         [...fig.querySelectorAll('.dl-diagram__hint')].some(h => h.getClientRects().length)])""")
    assert shown and all(svgs in (["wide"], ["only"]) and not hint for svgs, hint in shown), shown


def test_ids_in_a_page_with_phone_drawings_never_collide(site_dir):
    """Mermaid names nodes and edges after the source; both drawings of a diagram have them."""
    html = (site_dir / _first_page_with(site_dir, 'data-screen="narrow"') / "index.html"
            ).read_text(encoding="utf-8")
    figures = "".join(re.findall(r'<figure class="dl-diagram.*?</figure>', html, flags=re.S))
    ids = re.findall(r'\sid="([^"]+)"', figures)
    assert ids and len(ids) == len(set(ids))
