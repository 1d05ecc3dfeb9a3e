"""Source and page text carries no stray control characters.

A tool that writes ``"\\frac"`` or ``"\\alpha"`` without a raw string leaves a form feed or a bell in
the file; snippets show package code on the pages, so the reader would see the damage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*ROOT.glob("src/**/*.py"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("tests/*.py"),
                *ROOT.glob("hooks/*.py"), *ROOT.glob("scripts/**/*.py")])
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_has_no_control_characters(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = CONTROL.search(line)
        assert not found, f"{path.relative_to(ROOT)}:{number}: control character {found.group()!r}"
