"""Running pages on a few kernels, with some pages alone.

Pages normally execute two at a time (``DLNOTES_BUILD_JOBS``). A page that measures the machine
(:func:`.machine.measures_machine`) must not share it: its timings would measure the other
kernel too. :class:`AloneGate` is a readers–writer lock: ordinary pages hold it shared, a
measuring page holds it alone, and a waiting measuring page goes first (no new ordinary page
starts while one waits), so it cannot starve.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["AloneGate"]


class AloneGate:
    """Shared for ordinary pages, exclusive for pages that must run alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0  # pages holding the gate shared
        self._alone = False  # a page holds it alone
        self._waiting_alone = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._alone and not self._waiting_alone)
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            self._waiting_alone += 1
            self._cond.wait_for(lambda: not self._alone and self._running == 0)
            self._waiting_alone -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()

    def hold(self, alone: bool) -> contextlib.AbstractContextManager[None]:
        return self.alone() if alone else self.shared()

