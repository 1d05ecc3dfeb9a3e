"""数字变化记录 (the number ledger): what each executed page reported in recent builds, and why.

Every build knows the components of each page's cache key (:class:`.execute.KeyInputs`: the
page's code, the source of every ``dlnotes`` module it imports, the pinned requirements, the
profile, Python, threads per kernel) and the numbers the page reported
(:func:`dlnotes.results.report_result`). The ledger keeps, per page, the last
:data:`MAX_VERSIONS` *different* records of those, in ``ledger.json`` in the build cache
(``DLNOTES_BUILD_CACHE``), and compares this build's record with the last one:

* nothing changed (same inputs, numbers within the tolerance): the note says 无变化 and nothing is
  stored, so a run of unchanged builds never pushes the last real change out of the file; the
  note still shows that change (the previous *different* record, and why it differed);
* an input changed: a new record; the note names the inputs (the page's code, a module by name, a
  package pin, the profile, Python, threads…) and the numbers that moved;
* numbers moved beyond :data:`RTOL` (relative) while no input changed: a new record, *flagged*
  (the note and the results board show ⚠) until a later change replaces it. A seeded build on the
  same inputs gives the same numbers, so such a move means nondeterminism or a tampered cache.

Run times (the page's, and the ``seconds``/``examples_per_sec`` metrics) depend on the machine's
load: they are shown, never compared. A page taken from the cache is recorded like one that ran
(its outputs belong to its current inputs). A page that was not executed has no record.
:mod:`.build` records in ``on_files`` and saves in ``on_post_build`` (a failed build stores
nothing); the note is drawn under the page's run bar, the history on the board (:mod:`.board`);
:mod:`.ledger_note` draws the note.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dlnotes.references import METRICS

from .execute import KeyInputs

__all__ = [
    "FILE_NAME", "FORMAT", "MAX_VERSIONS", "RTOL", "TIMING_METRICS", "LedgerError", "Snapshot",
    "PageChange", "Ledger", "page_inputs", "page_numbers", "input_changes", "moved_numbers", "numbers_close",
    "build_stamp", "metric_order",
]

FILE_NAME = "ledger.json"
FORMAT = 1  # bump when the stored layout changes: an older file is then started afresh
MAX_VERSIONS = 10  # different records kept per page
RTOL = 1e-6  # relative tolerance of a number before it counts as moved (seeded, same inputs)
ATOL = 1e-12  # absolute floor, for numbers at zero
TIMING_METRICS = frozenset({"seconds", "examples_per_sec"})  # measured, never compared
_LEFT_OUT = TIMING_METRICS | {"epoch"}  # ``epoch`` (the last epoch's index) repeats ``epochs``

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


class LedgerError(ValueError):
    """``ledger.json`` exists but cannot be read."""


def _short(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _module_name(path: str) -> str:
    """``dlnotes/models/__init__.py`` → ``dlnotes.models``; ``dlnotes/plot.py`` → ``dlnotes.plot``."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _pins(requirements: bytes | None) -> dict[str, str]:
    pins = {}
    for line in (requirements or b"").decode("utf-8", "replace").splitlines():
        match = _PIN.match(line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def page_inputs(inputs: KeyInputs, machine: str | None = None) -> dict:
    """The key's components as the ledger stores them: short digests, module names, pins."""
    code = b"".join(b"\0cell\0" + source.encode() + repr(list(tags)).encode()
                    for source, tags in inputs.cells)
    return {
        "code": _short(code),
        "modules": {_module_name(path): digest[:12] for path, digest in inputs.files},
        "packages": _pins(inputs.requirements),
        "requirements": None if inputs.requirements is None else _short(inputs.requirements),
        "profile": inputs.profile,
        "python": inputs.python,
        "threads": inputs.threads,
        "executor": inputs.executor,
        "platform": inputs.platform,
        "machine": machine,
    }


def page_numbers(results: list[dict]) -> dict[str, dict[str, float]]:
    """``{result key: {metric: value}}`` of a page's result records, run times (and ``epoch``,
    which repeats ``epochs``) left out."""
    numbers: dict[str, dict[str, float]] = {}
    for record in results:
        metrics = numbers.setdefault(record["key"], {})
        for name, value in record["metrics"].items():
            if name not in _LEFT_OUT and value is not None:
                metrics[name] = value
    return numbers


def build_stamp() -> dict:
    """When (UTC, to the minute) and, on GitHub Actions, from which commit this build ran."""
    return {"time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": os.environ.get("GITHUB_SHA", "")[:7] or None}


# -- comparing two records ----------------------------------------------------------------------

_SIMPLE = (  # (field, how the note names it)
    ("profile", "profile"),
    ("python", "Python"),
    ("threads", "每个内核的线程数"),
    ("executor", "执行器版本"),
    ("platform", "CPU 架构"),
    ("machine", "测量所用的机器"),
)


def _shown(name: str, value) -> str:
    if value is None:
        return "无"
    if name == "python":
        return str(value).split()[0]
    return str(value)


def input_changes(old: dict, new: dict) -> list[str]:
    """What differs between two records' inputs, in the note's words (one phrase each)."""
    out = []
    if old.get("code") != new.get("code"):
        out.append("本页代码")
    old_mods, new_mods = old.get("modules", {}), new.get("modules", {})
    for name in sorted(old_mods.keys() | new_mods.keys()):
        if name not in old_mods:
            out.append(f"新依赖模块 {name}")
        elif name not in new_mods:
            out.append(f"不再依赖模块 {name}")
        elif old_mods[name] != new_mods[name]:
            out.append(f"模块 {name}")
    old_pins, new_pins = old.get("packages", {}), new.get("packages", {})
    pins_changed = False
    for name in sorted(old_pins.keys() | new_pins.keys()):
        before, after = old_pins.get(name), new_pins.get(name)
        if before != after:
            pins_changed = True
            out.append(f"{name} {before or '（未固定）'} → {after or '（未固定）'}")
    if not pins_changed and old.get("requirements") != new.get("requirements"):
        out.append("requirements.txt（版本未变）")
    for name, label in _SIMPLE:
        if old.get(name) != new.get(name):
            before, after = _shown(name, old.get(name)), _shown(name, new.get(name))
            out.append(f"{label} {before} → {after}" if before != after else label)
    return out


def numbers_close(a, b, rtol: float = RTOL) -> bool:
    """Whether two recorded values are the same number (within ``rtol``) or equal otherwise."""
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=rtol, abs_tol=ATOL)
    return a == b


_ORDER = {name: i for i, name in enumerate(METRICS)}


def metric_order(names) -> list[str]:
    """``names`` in the order :data:`dlnotes.references.METRICS` declares them (others after,
    alphabetically): a page read from the cache lists its metrics in another order than the run
    that wrote them, and the note must not depend on which it was."""
    return sorted(names, key=lambda n: (_ORDER.get(n, len(_ORDER)), n))


def moved_numbers(old: dict, new: dict, rtol: float = RTOL) -> list[tuple[str, str, object, object]]:
    """``(result key, metric, before, after)`` for every number that moved beyond ``rtol``
    (a number that appeared or disappeared counts, with ``None`` on the missing side)."""
    out = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key, {}), new.get(key, {})
        for name in metric_order(before.keys() | after.keys()):
            a, b = before.get(name), after.get(name)
            if not numbers_close(a, b, rtol):
                out.append((key, name, a, b))
    return out


# -- the ledger ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """One page in this build: the key's components, the numbers reported, the run time."""

    inputs: dict
    numbers: dict
    seconds: float


@dataclass
class PageChange:
    """How a page's record compares with the ledger, for its note and its board rows.

    ``status``: ``first`` (no earlier record), ``changed`` (this build differs from the last
    record) or ``same`` (无变化). ``previous`` is the previous *different* record (``None`` for a
    first record); ``reasons``, ``moved`` and ``flagged`` describe the change from it to the
    latest record, which for ``same`` happened in an earlier build (``latest["build"]``).
    """

    status: str
    snapshot: Snapshot
    latest: dict
    previous: dict | None = None
    reasons: list[str] = field(default_factory=list)
    moved: list[tuple] = field(default_factory=list)
    flagged: bool = False
    history: list[dict] = field(default_factory=list)  # every stored record's numbers, oldest first


class Ledger:
    """The records of the last builds, read from and saved to ``<cache>/ledger.json``."""

    def __init__(self, path: Path, rtol: float = RTOL) -> None:
        self.path = path
        self.rtol = rtol
        self.pages: dict[str, list[dict]] = {}
        self.changed = False
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        try:
            data = json.loads(text)
            pages = data["pages"] if data.get("format") == FORMAT else {}
            if not isinstance(pages, dict) or not all(isinstance(v, list) for v in pages.values()):
                raise ValueError("'pages' must map each page to a list of records")
        except (ValueError, KeyError, AttributeError) as err:
            raise LedgerError(f"{path} is not a number ledger this build can read ({err}); "
                              "delete the file to start a new ledger") from err
        self.pages = pages

    def _same(self, record: dict, snapshot: Snapshot) -> bool:
        return record["inputs"] == snapshot.inputs and not moved_numbers(
            record["numbers"], snapshot.numbers, self.rtol)

    def _change(self, status: str, snapshot: Snapshot, versions: list[dict]) -> PageChange:
        latest = versions[-1]
        previous = versions[-2] if len(versions) > 1 else None
        change = PageChange(status, snapshot, latest, previous,
                            history=[v["numbers"] for v in versions])
        if previous is not None:
            change.reasons = input_changes(previous["inputs"], latest["inputs"])
            change.moved = moved_numbers(previous["numbers"], latest["numbers"], self.rtol)
            change.flagged = not change.reasons and bool(change.moved)
        return change

    def record(self, snapshots: dict[str, Snapshot], stamp: dict) -> dict[str, PageChange]:
        """Compare each page's snapshot with its last record; store the ones that differ."""
        changes = {}
        for page, snapshot in sorted(snapshots.items()):
            versions = self.pages.get(page, [])
            if versions and self._same(versions[-1], snapshot):
                changes[page] = self._change("same", snapshot, versions)
                continue
            status = "changed" if versions else "first"
            versions = [*versions, {"build": stamp, "inputs": snapshot.inputs,
                                    "numbers": snapshot.numbers,
                                    "seconds": round(snapshot.seconds, 1)}][-MAX_VERSIONS:]
            self.pages[page] = versions
            self.changed = True
            changes[page] = self._change(status, snapshot, versions)
        return changes

    def save(self) -> None:
        """Write the file (atomically) if this build stored a record."""
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "rtol": self.rtol, "pages": self.pages},
                                  ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                       encoding="utf-8")
        os.replace(tmp, self.path)
        self.changed = False
