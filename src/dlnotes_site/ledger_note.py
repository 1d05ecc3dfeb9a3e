"""The note under a page's run bar that reads the number ledger (:mod:`.ledger`) to the reader.

A ``<details>`` block (keyboard-operable, collapsed, kept out of the search index): the summary
says 首次记录, 无变化, 有变化 (naming the inputs) or ⚠; inside, a small table of this build's numbers
and run time beside the previous *different* record's, and one sentence on why they differ.
"""

from __future__ import annotations

import re
from html import escape

from dlnotes.references import format_metric, metric_spec

from .ledger import MAX_VERSIONS, RTOL, PageChange, metric_order

__all__ = ["ledger_note"]


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
    # Material draws a details block by its type: "info" normally, "warning" when flagged
    kind = "warning dlnotes-ledger-flagged" if change.flagged else "info"
    return (
        f'<details class="dlnotes-ledger {kind}" data-search-exclude="1">'
        f"<summary>数字变化记录 · {_summary(change)}</summary>"
        f"{_table(change)}{text}"
        f'<p class="dlnotes-ledger-about">每页保留最近 {MAX_VERSIONS} 条不同的记录；'
        f"数字的容差为相对 {_tolerance(rtol)}，用时只作参考、不参与比较。</p>"
        "</details>"
    )
