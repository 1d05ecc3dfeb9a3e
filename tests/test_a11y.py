"""Accessibility of the built site: axe-core's automated checks and keyboard use.

axe-core is a test-time npm package (``devDependencies`` in ``package.json``): the test injects
``node_modules/axe-core/axe.min.js`` into each page it checks, and the build never copies it into
the site. One page of each kind is checked in the light scheme, and again in the dark one with the
rules that depend on colour; a rule violated with impact "serious" or "critical" fails the test.
The counts per page, scheme and rule are written to ``test-artifacts/axe.json``. Keyboard tests
reach and operate the page's controls with Tab, Shift+Tab, Enter and Space alone.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from browser_support import ARTIFACTS, DIAGRAM, HOME, ORDINARY, ROOT, TRAINING, switch_to_dark

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0–2.2 level A and AA, plus axe's best practices (a dialog without a name is one)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# the rules whose outcome depends on colours: the dark scheme runs only these (the others see the
# same document in both schemes)
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
FAILING_IMPACTS = ("serious", "critical")

# one page of each kind the site has
A11Y_PAGES = {
    "home": HOME,
    "prose": ORDINARY,
    "executed (math, diagram)": DIAGRAM,
    "training 3.6 (reference answers)": TRAINING,
    "training 4.7": "chapter_multilayer-perceptrons/backprop/",
    "training 7.4": "chapter_convolutional-modern/googlenet/",
    "training 7.6": "chapter_convolutional-modern/resnet/",
    "results board": "results/",
}

_report: dict[str, dict] = {}


_AXE_RUN = """async runOnly => {
    const start = performance.now();
    const result = await axe.run(document, {runOnly, resultTypes: ['violations']});
    return {ms: Math.round(performance.now() - start),
            violations: result.violations.map(v => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))};
}"""
# Material scrolls the sidebar to the page's own entry, leaving links half under the sidebar's
# sticky title or above its visible part; axe-core then measures the sliver still showing
# (target-size, dequelabs/axe-core#5069). The sidebars are checked scrolled to their top.
_SIDEBARS_TO_TOP = """() => document.querySelectorAll('.md-sidebar__scrollwrap')
    .forEach(el => { el.scrollTop = 0; })"""


def _axe(page, rules: list[str] | None = None) -> tuple[list[dict], dict]:
    """axe-core's violations on the page (one entry per rule with its nodes), and what the
    report keeps: nodes per rule and the run's time. ``rules``: only these rules, instead of
    :data:`AXE_TAGS`."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is a devDependency)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    page.evaluate(_SIDEBARS_TO_TOP)
    run = page.evaluate(_AXE_RUN, run_only)
    found = run["violations"]
    report = {
        "violations": {v["id"]: {"impact": v["impact"], "nodes": len(v["nodes"])} for v in found},
        "axe_ms": run["ms"],
    }
    return found, report


def _still(page) -> None:
    """No colour transitions: axe must see the scheme's final colours, not a blend."""
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; "
                               "animation: none !important; }")


_EMPTY_SEARCH_INDEX = {"config": {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": []},
                       "docs": []}


@contextlib.contextmanager
def _open(browser, url: str, *, scheme: str = "light", viewport=(1280, 900), **options):
    """A page in a fresh context, its scheme the reader's system preference, once it has loaded.
    Nothing here searches: the search index is served empty, which spares the seconds of CPU
    the page's search worker spends indexing the whole book on every visit."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  color_scheme=scheme, **options)
    context.route("**/search/search_index.json",
                  lambda route: route.fulfill(json=_EMPTY_SEARCH_INDEX))
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        _still(page)
        yield page
    finally:
        context.close()


def _describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {len(v['nodes'])}× e.g. {v['nodes'][0]['target']}"
        f" — {v['nodes'][0]['summary'].splitlines()[-1].strip()}"
        for v in violations)


@pytest.mark.parametrize("path", list(A11Y_PAGES.values()), ids=list(A11Y_PAGES))
def test_axe_finds_no_serious_violation_in_light_and_dark(browser, base_url, path):
    """axe-core's WCAG 2 A/AA and best-practice rules find nothing serious or critical on one
    page of each kind, in the light scheme and (colour rules) the dark one."""
    found, report = {}, {}
    with _open(browser, base_url + path) as page:
        found["light"], report["light"] = _axe(page)
        switch_to_dark(page)
        found["dark"], report["dark"] = _axe(page, COLOUR_RULES)
    _report[path or "/"] = report
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(_report, indent=2, ensure_ascii=False))
    failing = {scheme: [v for v in vs if v["impact"] in FAILING_IMPACTS]
               for scheme, vs in found.items()}
    message = "\n".join(f"{path or '/'} ({scheme}):\n{_describe(vs)}"
                        for scheme, vs in failing.items() if vs)
    assert not message, "axe-core found serious or critical violations:\n" + message


_MARKED = """() => [...document.querySelectorAll('[data-dlnotes-scroll]')].map(el =>
    [el.tagName, el.getAttribute('aria-label'), el.scrollWidth > el.clientWidth + 1])"""


def test_content_that_scrolls_sideways_takes_keyboard_focus_only_while_it_scrolls(
        browser, base_url):
    """On a phone, wide tables and long formulas scroll inside their box: each such box can be
    reached with Tab and has a name (docs/assets/javascripts/scroll-regions.js); on a desktop
    the boxes that now fit are ordinary again. 7.6 has both, and a wide notebook output."""
    path = "chapter_convolutional-modern/resnet/"
    with _open(browser, base_url + path, viewport=(390, 844)) as page:
        found, _ = _axe(page, ["scrollable-region-focusable"])
        assert found == [], _describe(found)
        phone = page.evaluate(_MARKED)
        assert phone and all(name and scrolls for _, name, scrolls in phone), phone
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_function(f"() => ({_MARKED})().length < {len(phone)}")
        desktop = page.evaluate(_MARKED)
        assert all(scrolls for *_, scrolls in desktop), desktop


# -- keyboard ------------------------------------------------------------------------------------

_FOCUS = """() => {
    const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {tag: el.tagName, cls: String(el.className), visible: el.matches(':focus-visible'),
            outline: [s.outlineStyle, parseFloat(s.outlineWidth) || 0], shadow: s.boxShadow,
            coveredBy: hit && !el.contains(hit) ? hit.tagName + '.' + hit.className : null};
}"""


def _tab_to(page, selector: str, *, backwards: bool = False, limit: int = 300) -> dict:
    """Press Tab (or Shift+Tab) until ``selector`` has focus; return how focus is drawn there."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return page.evaluate(_FOCUS)
    pytest.fail(f"{limit}× {key} never reached {selector}")


def _assert_focus_ring(focus: dict, what: str) -> None:
    """The focused element draws a ring (outline or box shadow) and nothing covers it."""
    style, width = focus["outline"]
    ring = (style != "none" and width > 0) or focus["shadow"] not in ("", "none")
    assert focus["visible"] and ring, f"{what} shows no focus ring when reached by keyboard: {focus}"
    assert focus["coveredBy"] is None, f"{what} is focused under {focus['coveredBy']}"


def _rgba(css: str) -> tuple[float, ...]:
    values = [float(x) for x in re.findall(r"[\d.]+", css)]
    return tuple(values[:3]) + ((values[3],) if len(values) > 3 else (1.0,))


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast of ``fg`` drawn over the opaque ``bg`` (CSS rgb()/rgba() strings)."""
    *f, alpha = _rgba(fg)
    b = _rgba(bg)[:3]
    mixed = [alpha * x + (1 - alpha) * y for x, y in zip(f, b, strict=True)]

    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
               for c in (v / 255 for v in rgb)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(mixed), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_keyboard_reaches_and_operates_download_copy_and_answers(browser, base_url):
    """Tab, Shift+Tab, Enter and Space alone reach and work the download button, a code block's
    copy button and a collapsible reference answer, each with a visible focus ring (in the dark
    scheme, as a reader whose system prefers it gets the site)."""
    with _open(browser, base_url + TRAINING, scheme="dark",
               permissions=["clipboard-read", "clipboard-write"]) as page:
        _operate_with_the_keyboard(page)


def _operate_with_the_keyboard(page) -> None:
    # the first Tab stop skips the navigation: Enter jumps to the page title
    _assert_focus_ring(_tab_to(page, "a.md-skip", limit=1), "the skip link")
    page.keyboard.press("Enter")
    # the download button sits in the bar above the title: one Shift+Tab back
    _assert_focus_ring(_tab_to(page, "a.dlnotes-download", backwards=True, limit=3),
                       "the download button")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".ipynb")

    copy = "button.md-code__button[data-md-type='copy']"
    _assert_focus_ring(_tab_to(page, copy), "the copy button")
    button = page.locator(f"{copy}:focus")
    # Material dims the button until the block is hovered: focused, it must stand out (3:1)
    color, background, opacity = button.evaluate("""b => [getComputedStyle(b).color,
        getComputedStyle(b.closest('pre').querySelector('code')).backgroundColor,
        getComputedStyle(b.parentElement).opacity]""")
    assert float(opacity) == 1 and _contrast(color, background) >= 3, (color, background)
    code = button.evaluate("b => b.closest('pre').querySelector('code').innerText")
    page.keyboard.press("Enter")
    assert page.evaluate("navigator.clipboard.readText()").strip() == code.strip()

    _assert_focus_ring(_tab_to(page, "details > summary"), "a reference answer's summary")
    answer = page.locator("details:has(> summary:focus)")
    assert "参考答案" in answer.locator("summary").inner_text()
    assert answer.get_attribute("open") is None
    page.keyboard.press("Enter")
    assert answer.get_attribute("open") is not None and answer.locator("p").first.is_visible()
    page.keyboard.press("Space")
    assert answer.get_attribute("open") is None


def test_content_tabs_wait_for_a_keyboard_test():
    """No page uses content tabs (``=== "…"``) yet; the first one needs a keyboard test above
    (Tab to the tab set, arrow keys or Enter to switch, a visible focus ring)."""
    pages = [str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")
             if re.search(r'^\s*=== "', p.read_text(encoding="utf-8"), re.M)]
    assert pages == [], f"content tabs on {pages}: add them to the keyboard test in this module"
