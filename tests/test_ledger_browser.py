"""The number ledger's note (数字变化记录) in a real browser: under the run bar, collapsed, opened
from the keyboard, readable. Uses the shared site and browser of ``browser_support.py``."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, TRAINING

pytestmark = pytest.mark.browser


def test_ledger_note_sits_under_the_run_bar_and_opens_from_the_keyboard(visit):
    v = visit(TRAINING)
    note = v.page.locator("details.dlnotes-ledger")
    assert note.count() == 1 and note.get_attribute("open") is None
    bar = v.page.locator(".dlnotes-info").bounding_box()
    assert note.bounding_box()["y"] >= bar["y"] + bar["height"] - 1
    summary = note.locator("summary")
    assert summary.inner_text().startswith("数字变化记录 · ")
    v.page.keyboard.press("Tab")  # the page is reachable; then focus the summary itself
    summary.focus()
    v.page.keyboard.press("Enter")
    assert note.get_attribute("open") is not None and note.locator("table").is_visible()
    text = note.inner_text()
    assert "本次" in text and "页面用时 (s)" in text and "容差为相对 1e-6" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    note.screenshot(path=str(ARTIFACTS / "ledger-note.png"))
    v.page.keyboard.press("Enter")
    assert note.get_attribute("open") is None
