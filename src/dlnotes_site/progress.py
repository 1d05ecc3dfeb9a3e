"""The progress bar of a build that executes pages: pages done/total and an ETA that holds.

The bar counts *expected seconds of page time*, taken from the last recorded run of each page
(``timings.json`` in the cache folder; a page never run counts as the median of the known ones,
or 30 s). So the ETA stays right when the slow chapter 7 pages come first, and they do come first:
:meth:`PageProgress.order` hands the longest pages to the kernels first, which also packs two
kernels better than file order (longest-processing-time-first scheduling).
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
from pathlib import Path

from tqdm import tqdm

__all__ = ["PageProgress", "read_timings", "expected_seconds"]

_UNKNOWN_SECONDS = 30.0


def read_timings(file: Path) -> dict[str, float]:
    """The page times a build recorded in ``file`` (``timings.json``); none if it is missing."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def expected_seconds(pages: list[str], timings: dict[str, float]) -> dict[str, float]:
    """Each page's recorded time; a page never timed counts as the median of the others
    (30 s when none is known)."""
    known = [timings[p] for p in pages if p in timings]
    default = statistics.median(known) if known else _UNKNOWN_SECONDS
    return {p: timings.get(p, default) for p in pages}


class PageProgress:
    """A tqdm bar over the pages in ``to_run``; a context manager that saves the timings."""

    def __init__(self, to_run: list[str], timings_file: Path):
        self.file = timings_file
        self.timings = read_timings(timings_file)
        self.expected = {p: max(1.0, t)
                         for p, t in expected_seconds(to_run, self.timings).items()}
        self.total_pages, self.pages_done = len(to_run), 0
        self._lock = threading.Lock()
        self.bar = tqdm(
            total=round(sum(self.expected.values())), desc="dlnotes: executing", unit="s",
            disable=not to_run, dynamic_ncols=True, file=sys.stderr,
            bar_format="{desc}{postfix} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
        )
        self.bar.set_postfix_str(f"0/{self.total_pages} 页", refresh=False)

    def order(self, src_paths: list[str], alone: set[str] = frozenset()) -> list[str]:
        """``src_paths`` with the pages to run first: those that must run ``alone`` (one after
        the other, while no other kernel runs), then the rest longest expected first."""
        runs = sorted((p for p in src_paths if p in self.expected),
                      key=lambda p: (p not in alone, -self.expected[p]))
        return runs + [p for p in src_paths if p not in self.expected]

    def done(self, src_path: str, seconds: float) -> None:
        """Record that ``src_path`` ran for ``seconds``."""
        with self._lock:
            self.timings[src_path] = round(seconds, 1)
            self.pages_done += 1
            self.bar.set_postfix_str(f"{self.pages_done}/{self.total_pages} 页 · {src_path}",
                                     refresh=False)
            self.bar.update(round(self.expected.get(src_path, seconds)))

    def __enter__(self) -> PageProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
        if self.pages_done:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            self.file.write_text(json.dumps(self.timings, indent=1, sort_keys=True),
                                 encoding="utf-8")
