"""Results, drawn by the build: the box on each training page and the results board (实验结果总览).

Input: the records that :func:`dlnotes.results.report_result` emitted into executed pages (our
numbers only). d2l's numbers, our targets and every metric's label, direction and format come
from :mod:`dlnotes.references`, read here and nowhere in a page, so a reference can change without
re-running anything. The same :func:`dlnotes.references.format_metric` prints a number in the page
box and on the board. Outputs: the box (HTML), ``results.md`` (one row per experiment, a mark
where ours is worse than d2l's or a target is missed, and the headline number's history from the
number ledger, :mod:`.ledger`; a model-comparison table for the CNN chapters), ``results.json``,
``results-histories.csv`` (every epoch of every reported run) and a chart of accuracy against
wall time.
"""

from __future__ import annotations

import csv
import html
import io
import json
import posixpath

from dlnotes.references import REFERENCES, format_metric, is_worse, metric_spec

from .ledger import numbers_close

__all__ = ["UnknownResultError", "check_keys", "collect", "result_box_html", "board_markdown",
           "board_json", "histories_csv", "HISTORIES_FILE", "accuracy_time_chart", "history_cell"]

HISTORIES_FILE = "results-histories.csv"

_WORSE = '<span class="dlnotes-below" title="比 d2l 差">↓</span>'
_MISSED = '<span class="dlnotes-below" title="未达到目标">✗</span>'
_MOVED = '<span class="dlnotes-moved" title="这次构建的数字与上次不同">变化</span>'
_FLAGGED = '<span class="dlnotes-below" title="输入没有变化，数字却变了（见页面上的数字变化记录）">⚠</span>'
HISTORY_SHOWN = 3  # different values of the headline metric shown per row


class UnknownResultError(KeyError):
    """A page reported a result key that :data:`dlnotes.references.REFERENCES` does not know."""


def check_keys(records: list[dict], where: str) -> None:
    """Fail on a record whose key has no reference entry (a typo would vanish from the board)."""
    for record in records:
        if record["key"] not in REFERENCES:
            raise UnknownResultError(
                f"{where}: report_result({record['key']!r}) has no entry in "
                f"dlnotes/references.py; known: {', '.join(REFERENCES)}"
            )


def collect(pages: dict[str, list[dict]]) -> list[dict]:
    """Flatten ``{page src_path: [records]}`` into rows sorted by section key."""
    rows = []
    for src_path, records in pages.items():
        for record in records:
            rows.append({**record, "page": src_path})

    def order(row):
        head, _, tail = row["key"].partition("-")
        return [int(p) for p in head.split(".")], tail

    return sorted(rows, key=order)


def _main_metrics(row: dict) -> list[str]:
    ref = REFERENCES.get(row["key"])
    names = [m for m in (ref.d2l if ref else {}) if m in row["metrics"] and m != "examples_per_sec"]
    return names or [m for m in ("train_loss", "test_acc") if m in row["metrics"]]


def _target_verdict(row: dict) -> tuple[str, bool | None]:
    ref = REFERENCES.get(row["key"])
    if ref is None or ref.target is None or ref.target.metric not in row["metrics"]:
        return "—", None
    return str(ref.target), ref.target.met_by(row["metrics"])


def _pairs(row: dict) -> list[tuple[str, str, str, bool]]:
    """``(label, ours, d2l's, worse)`` for each headline metric of ``row``."""
    ref = REFERENCES.get(row["key"])
    out = []
    for name in _main_metrics(row):
        ours = row["metrics"][name]
        theirs = ref.d2l.get(name) if ref else None
        worse = theirs is not None and is_worse(name, ours, theirs)
        out.append((metric_spec(name).label, format_metric(name, ours),
                    format_metric(name, theirs), worse))
    return out


def result_box_html(record: dict) -> str:
    """The box a training page shows where it called ``report_result``: ours, d2l's, the target."""
    ref = REFERENCES[record["key"]]
    head = "".join(f"<th>{html.escape(label)}</th>" for label, *_ in _pairs(record))
    ours = "".join(f"<td><strong>{o}</strong>{' ' + _WORSE if w else ''}</td>"
                   for _, o, _, w in _pairs(record))
    theirs = "".join(f"<td>{t}</td>" for _, _, t, _ in _pairs(record))
    target, met = _target_verdict(record)
    verdict = "" if met is None else (
        f'<p class="dlnotes-result-target">目标（{html.escape(target)}）：'
        + ("达到 ✓" if met else f"未达到 {_MISSED}") + "</p>")
    m = record["metrics"]
    run = []
    if "epochs" in m:
        run.append(f"{format_metric('epochs', m['epochs'])} 轮")
    if "seconds" in m:
        run.append(f"{format_metric('seconds', m['seconds'])} s")
    recipe = "" if not record.get("recipe") else (
        f'<p class="dlnotes-result-recipe">本页的训练方法：{html.escape(record["recipe"])}</p>')
    return (
        f'<div class="dlnotes-result" data-result-key="{html.escape(record["key"])}" '
        'data-search-exclude="1">'
        f'<p class="dlnotes-result-title">结果 {html.escape(record["key"])} · '
        f'{html.escape(record["model"])} · {html.escape(record["dataset"])}</p>'
        f'<table><thead><tr><th></th>{head}</tr></thead><tbody>'
        f'<tr><th>本页（<code>{html.escape(record["profile"])}</code>'
        f'{"，" + " · ".join(run) if run else ""}）</th>{ours}</tr>'
        f'<tr><th>d2l（{html.escape(ref.d2l_setup)}）</th>{theirs}</tr>'
        f"</tbody></table>{recipe}{verdict}</div>"
    )


def _link(page: str, from_page: str) -> str:
    return posixpath.relpath(page, posixpath.dirname(from_page) or ".")


def _headline(row: dict) -> str | None:
    """The metric a row is judged by: its target's, else its first headline metric."""
    ref = REFERENCES.get(row["key"])
    if ref is not None and ref.target is not None and ref.target.metric in row["metrics"]:
        return ref.target.metric
    names = _main_metrics(row)
    return names[0] if names else None


def history_cell(row: dict, change) -> str:
    """The board's 变化记录 cell of ``row``: the last different values of its headline metric in
    the ledger (oldest first, one a line, this build's in bold), ``变化`` when this build moved one of the
    row's numbers, ⚠ when the page's last change moved them with no input behind it.
    ``change`` is the page's :class:`.ledger.PageChange` (``None``: no record, e.g. an
    unexecuted page)."""
    if change is None:
        return "—"
    if len(change.history) == 1:
        return "首次记录"
    name = _headline(row)
    values: list = []
    for numbers in change.history:
        value = numbers.get(row["key"], {}).get(name)
        if value is not None and not (values and numbers_close(values[-1], value)):
            values.append(value)
    row_moved = any(key == row["key"] for key, *_ in change.moved)
    moved_now = change.status == "changed" and row_moved
    if len(values) > 1:
        shown = [format_metric(name, v) for v in values[-HISTORY_SHOWN:]]
        # one value a line: the column stays narrow, so the board still fits a desktop window
        cell = " →<br>".join(shown[:-1] + [f"**{shown[-1]}**"]) + (" " + _MOVED if moved_now else "")
    else:
        cell = _MOVED if moved_now else "未变"
    return cell + (" " + _FLAGGED if change.flagged and row_moved else "")


def board_markdown(rows: list[dict], profile: str, board_path: str = "results.md",
                   history: dict | None = None) -> str:
    """The board page's Markdown; ``history`` (page → :class:`.ledger.PageChange`) adds the
    变化记录 column."""
    lines = [
        "# 实验结果总览",
        "",
        "本页由构建自动生成：每一行来自某个页面在这次构建中真正运行的训练，"
        f"构建配置为 `{profile}`。d2l 的数字取自《动手学深度学习》(d2l-zh 2.0.0，V100 GPU)，"
        "是唯一手工录入的数据（见 `src/dlnotes/references.py`）。",
        "**↓** 表示本站结果比 d2l 差（准确率更低，或损失、误差、困惑度更高）；"
        "**✗** 表示没有达到本站为 `cpu` 配置设定的目标。",
        "机器可读的数据：[results.json](results.json)（最终数字）；"
        f"[{HISTORIES_FILE}]({HISTORIES_FILE})（所有训练的逐轮曲线，一个文件：页面、实验、模型、轮次、指标、数值）。",
        *(["**变化记录** 是主要指标在最近几次构建中的不同取值（旧 → **新**，来自构建缓存里的数字变化记录）；"
            "**变化** 表示这次构建的数字与上次不同，**⚠** 表示输入没有任何变化、数字却变了。"
            "每个页面顶部的“数字变化记录”写明了原因。"] if history is not None else []),
        "",
    ]
    if not rows:
        lines.append("这次构建还没有任何训练页面报告结果。")
        return "\n".join(lines) + "\n"
    lines += [
        "每个指标一行，写作 **本站** / d2l。",
        "",
        '<div class="dlnotes-board" markdown>',
        "",
        "| § | 实验 | 指标：**本站** / d2l | 目标 | 运行 | 参数量 |"
        + (" 变化记录 |" if history is not None else ""),
        "|---|---|---|---|---|---|" + ("---|" if history is not None else ""),
    ]
    for row in rows:
        metrics = row["metrics"]
        cells = [f"{label} **{o}**{' ' + _WORSE if w else ''} / {t}"
                 for label, o, t, w in _pairs(row)]
        target, met = _target_verdict(row)
        if met is not None:
            target += " ✓" if met else " " + _MISSED
        link = _link(row["page"], board_path)
        experiment = f'[{row["model"]}]({link})<br><small>{row["dataset"]}</small>'
        parts = []
        if metrics.get("epochs") is not None:
            parts.append(f"{format_metric('epochs', metrics['epochs'])} 轮")
        if metrics.get("seconds") is not None:
            parts.append(f"{format_metric('seconds', metrics['seconds'])} s")
        run = " · ".join(parts) or "—"
        if "examples_per_sec" in metrics:
            run += f"<br><small>{format_metric('examples_per_sec', metrics['examples_per_sec'])}" \
                   " 样本/s</small>"
        if row.get("recipe"):
            run += f"<br><small>{row['recipe']}</small>"
        params = "—" if row.get("num_params") is None else f"{row['num_params']:,}"
        past = "" if history is None else f" {history_cell(row, history.get(row['page']))} |"
        lines.append(f"| {row['key']} | {experiment} | {'<br>'.join(cells)} | {target} | {run} "
                     f"| {params} |{past}")
    lines += ["", "</div>"]
    cnn = [r for r in rows if "flops" in r["metrics"]]
    if cnn:
        lines += [
            "",
            "## 卷积网络对比",
            "",
            "同一构建中各模型的规模与效果（FLOPs 为每张图像的乘加次数，按本配置的输入尺寸计算）。",
            "",
            "| 模型 | 参数量 | FLOPs/图像 | test acc | 每轮用时 (s) |",
            "|---|---|---|---|---|",
        ]
        for row in cnn:
            m = row["metrics"]
            per_epoch = m["seconds"] / m["epochs"] if m.get("epochs") else None
            params = "—" if row.get("num_params") is None else f"{row['num_params']:,}"
            lines.append(
                f"| [{row['model']}]({_link(row['page'], board_path)}) | {params} | "
                f"{format_metric('flops', m['flops'])} | "
                f"{format_metric('test_acc', m.get('test_acc'))} | "
                f"{format_metric('seconds', per_epoch)} |"
            )
    if any("test_acc" in r["metrics"] and "seconds" in r["metrics"] for r in rows):
        lines += ["", "## 精度与用时", "", "![test acc 与训练用时](results-chart.svg)", ""]
    return "\n".join(lines) + "\n"


def board_json(rows: list[dict], profile: str) -> str:
    """The board's data as JSON (stable key order: identical builds give identical files)."""
    payload = {
        "profile": profile,
        "references_source": "d2l-zh 2.0.0 (PyTorch), see src/dlnotes/references.py",
        "histories": HISTORIES_FILE,  # the per-epoch records live there, not here
        "results": [{k: v for k, v in row.items() if k != "history"} for row in rows],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def histories_csv(rows: list[dict], profile: str) -> str:
    """Every epoch of every run that reported a history, in one long table.

    One line per (run, epoch, metric): ``page,key,model,epoch,metric,value``, in board order,
    each epoch's metrics by name (a record read back from the cache has its keys sorted, so
    the order it was recorded in is not kept); ``#`` lines before the header say what the file
    is. A value the run could not compute (inf/nan) is left empty.
    """
    out = io.StringIO()
    out.write("# dlnotes：所有训练的逐轮记录（results-histories.csv）\n")
    out.write(f"# profile: {profile}\n")
    out.write("# 每行是一次训练（page 页面里的 report_result key）某一轮的一个指标\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["page", "key", "model", "epoch", "metric", "value"])
    for row in rows:
        for epoch in row.get("history") or []:
            for metric, value in sorted(epoch.items()):
                if metric != "epoch":
                    writer.writerow([row["page"], row["key"], row["model"], epoch.get("epoch"), metric,
                                     "" if value is None else repr(value)])
    return out.getvalue()


def accuracy_time_chart(rows: list[dict]) -> bytes:
    """SVG scatter of test accuracy against training wall time, one labelled point per run."""
    from dlnotes.plot import NotebookFigure, use_cjk_font

    use_cjk_font()
    points = [r for r in rows if "test_acc" in r["metrics"] and "seconds" in r["metrics"]]
    fig = NotebookFigure(figsize=(6.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for row in points:
        x, y = row["metrics"]["seconds"], row["metrics"]["test_acc"]
        ax.scatter([x], [y], s=18)
        ax.annotate(row["key"], (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("训练用时 (s, 对数坐标)")
    ax.set_ylabel("test acc")
    ax.grid(True, alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
