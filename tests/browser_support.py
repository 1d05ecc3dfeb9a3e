"""Browser-test support shared by every browser test module: the built site served on localhost,
Debian's Chromium driven by Playwright, and a :class:`Visit` that records console errors and requests.

``conftest.py`` imports the fixtures, so every test module can ask for them; a module imports
the page paths and helpers it uses.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from dlnotes_site.diagrams import CHROMIUM_ARGS, find_chromium

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
HOME = ""
TRAINING = "chapter_linear-networks/softmax-regression-scratch/"
DIAGRAM = "chapter_linear-networks/linear-regression/"  # executed, with math and a mermaid diagram
ORDINARY = "chapter_linear-networks/"  # a plain Markdown page
PAGES = [HOME, ORDINARY, DIAGRAM, TRAINING]


def _chromium() -> str:
    path = find_chromium()  # the browser the build draws diagrams with
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (scripts/test.sh installs Debian's chromium)")
        pytest.skip("Chromium is not installed")
    return path


@pytest.fixture(scope="session")
def site_dir(request) -> Path:
    prebuilt = os.environ.get("DLNOTES_TEST_SITE")  # reuse a built site while working on these tests
    return Path(prebuilt) if prebuilt else request.getfixturevalue("built_site")


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A page load with everything the page logged and requested."""

    def __init__(self, browser, url, *, viewport=(1280, 900), permissions=()):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        if permissions:
            self.context.grant_permissions(list(permissions), origin=url)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url, wait_until="networkidle")
        self.settle()

    def settle(self):
        # math (KaTeX) and diagrams (mermaid → inline SVG) are rendered at build time: nothing
        # should be left for a script to draw
        self.page.wait_for_load_state("load")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, base_url):
    opened = []

    def open_(path, **kwargs):
        v = Visit(browser, base_url + path, **kwargs)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        v.close()


def shot_name(path: str, scheme: str) -> Path:
    name = path.strip("/").replace("/", "__") or "home"
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{scheme}.png"


def switch_to_dark(page):
    page.click('label[for="__palette_1"]')
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")


