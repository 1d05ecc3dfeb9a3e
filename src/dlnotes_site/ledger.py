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
nothing); the note is drawn under the page's run bar, the history on the board (:mod:`.board`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from dlnotes.references import METRICS, format_metric, metric_spec

from .execute import KeyInputs

__all__ = [
    "FILE_NAME", "FORMAT", "MAX_VERSIONS", "RTOL", "TIMING_METRICS", "LedgerError", "Snapshot",
    "PageChange", "Ledger", "page_inputs", "page_numbers", "input_changes", "moved_numbers", "numbers_close",
    "build_stamp", "ledger_note",
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


# -- the note under the run bar -----------------------------------------------------------------

def _pair(name: str, a, b) -> tuple[str, str]:
    """``a`` and ``b`` as the board prints them, with more digits if that hides their difference."""
    def fmt(value, spec=None):
        if value is None:
            return "—"
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return escape(str(value))
        return format(value, spec) if spec else format_metric(name, value)

    shown = fmt(a), fmt(b)
    if shown[0] == shown[1] and a != b:
        shown = fmt(a, ".7g"), fmt(b, ".7g")
    return shown


def _label(key: str, name: str) -> str:
    return f"{escape(key)} {escape(metric_spec(name).label)}"


def _moved_text(moved: list[tuple]) -> str:
    return "；".join(f"{_label(key, name)} {' → '.join(_pair(name, a, b))}"
                     for key, name, a, b in moved)


def _when(record: dict) -> str:
    build = record.get("build", {})
    commit = f"，提交 <code>{escape(build['commit'])}</code>" if build.get("commit") else ""
    return f"{escape(build.get('time', '时间不详'))}{commit}"


def _reasons_text(reasons: list[str]) -> str:
    return "、".join(escape(r) for r in reasons)


def _table(change: PageChange) -> str:
    now = change.snapshot
    before = change.previous
    moved = {(key, name) for key, name, *_ in change.moved} if change.status != "first" else set()
    rows = []
    old_numbers = before["numbers"] if before else {}
    for key in sorted(now.numbers.keys() | old_numbers.keys()):
        ours, theirs = now.numbers.get(key, {}), old_numbers.get(key, {})
        for name in metric_order(ours.keys() | theirs.keys()):
            a, b = _pair(name, theirs.get(name), ours.get(name))
            mark = ' class="dlnotes-ledger-moved"' if (key, name) in moved else ""
            old_cell = f"<td>{a}</td>" if before else ""
            rows.append(f"<tr{mark}><th>{_label(key, name)}</th><td>{b}</td>{old_cell}</tr>")
    old_time = f"<td>{before['seconds']:.1f}</td>" if before else ""
    rows.append(f'<tr><th>页面用时 (s)</th><td class="dlnotes-ledger-time">{now.seconds:.1f}</td>'
                f"{old_time}</tr>")
    old_head = f"<th>之前（{_when(before)}）</th>" if before else ""
    return (f"<table><thead><tr><th></th><th>本次</th>{old_head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _tolerance(rtol: float) -> str:
    """``1e-06`` → ``1e-6``."""
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{rtol:g}").replace("e+", "e")


def _flag(change: PageChange, rtol: float) -> str:
    return (f'<p class="dlnotes-ledger-flag">⚠ 没有任何输入变化，数字却超出了容差（相对 {_tolerance(rtol)}）：'
            f"{_moved_text(change.moved)}。可能是运行不确定（硬件、库的实现），或缓存被改动过。</p>")


def _explain(change: PageChange, rtol: float) -> str:
    if change.flagged:
        return _flag(change, rtol)
    numbers = f"变了的数字：{_moved_text(change.moved)}。" if change.moved else "数字没有变化。"
    return f"变了的输入：{_reasons_text(change.reasons)}。{numbers}"


def _summary(change: PageChange) -> str:
    if change.status == "first":
        return "首次记录"
    if change.status == "same":
        return "无变化" + (" · ⚠ 最近一次变化没有输入上的原因" if change.flagged else "")
    if change.flagged:
        return "⚠ 输入没变，数字变了"
    shown = change.reasons[:3]
    more = f" 等 {len(change.reasons)} 项" if len(change.reasons) > 3 else ""
    return "有变化：" + _reasons_text(shown) + more


def ledger_note(change: PageChange, rtol: float = RTOL) -> str:
    """The collapsible note under a page's run bar (``<details>``: keyboard-operable, kept out
    of the search index)."""
    if change.status == "first":
        text = "<p>这是本页的第一条记录，还没有可以比较的上一次构建。</p>"
    elif change.status == "changed":
        text = f"<p>与上次构建相比，{_explain(change, rtol)}</p>" if not change.flagged \
            else _flag(change, rtol)
    else:
        text = "<p>与上次构建相比：无变化。"
        if change.previous is None:
            text += f"自首次记录（{_when(change.latest)}）以来没有变化。</p>"
        elif change.flagged:
            text += f"最近一次变化在 {_when(change.latest)}：</p>" + _flag(change, rtol)
        else:
            text += f"最近一次变化在 {_when(change.latest)}，{_explain(change, rtol)}</p>"
    flag_class = " dlnotes-ledger-flagged" if change.flagged else ""
    return (
        f'<details class="dlnotes-ledger{flag_class}" data-search-exclude="1">'
        f"<summary>数字变化记录 · {_summary(change)}</summary>"
        f"{_table(change)}{text}"
        f'<p class="dlnotes-ledger-about">每页保留最近 {MAX_VERSIONS} 条不同的记录；'
        f"数字的容差为相对 {_tolerance(rtol)}，用时只作参考、不参与比较。</p>"
        "</details>"
    )
