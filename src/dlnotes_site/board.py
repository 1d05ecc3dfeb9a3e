"""The results board (实验结果总览): every reported run of the build in one generated page.

Input: the result records that :func:`dlnotes.results.report_result` emitted into executed pages
(collected per page by :mod:`.build`). Output: ``results.md`` (a table per experiment, d2l's number
beside ours, a mark where ours is lower or a target is missed; a model-comparison table for the
CNN chapters), ``results.json`` (the same data, machine-readable) and a chart of accuracy against
wall time. Only the reference numbers in :mod:`dlnotes.references` are typed by hand.
"""

from __future__ import annotations

import io
import json
import posixpath

from dlnotes.references import REFERENCES

__all__ = ["collect", "board_markdown", "board_json", "accuracy_time_chart"]


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


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and abs(value) >= 1000):
        return f"{value:,.0f}"
    return f"{value:.3f}"


_METRIC_NAMES = {
    "train_loss": "train loss", "train_acc": "train acc", "test_acc": "test acc",
    "valid_log_rmse": "valid log-RMSE", "train_log_rmse": "train log-RMSE",
    "w_norm_lambda0": "‖w‖ (λ=0)", "w_norm_lambda3": "‖w‖ (λ=3)",
}


def _main_metrics(row: dict) -> list[str]:
    ref = REFERENCES.get(row["key"])
    names = [m for m in (ref.d2l if ref else {}) if m in row["metrics"] and m != "examples_per_sec"]
    return names or [m for m in ("train_loss", "test_acc") if m in row["metrics"]]


def _link(page: str, from_page: str) -> str:
    return posixpath.relpath(page, posixpath.dirname(from_page) or ".")


def board_markdown(rows: list[dict], profile: str, board_path: str = "results.md") -> str:
    """The board page's Markdown."""
    lines = [
        "# 实验结果总览",
        "",
        "本页由构建自动生成：每一行来自某个页面在这次构建中真正运行的训练，"
        f"构建配置为 `{profile}`。d2l 的数字取自《动手学深度学习》(d2l-zh 2.0.0，V100 GPU)，"
        "是唯一手工录入的数据（见 `src/dlnotes/references.py`）。",
        "**↓** 表示本站结果低于 d2l 报告的数字；**✗** 表示没有达到本站为 `cpu` 配置设定的目标。",
        "机器可读的数据：[results.json](results.json)。",
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
        "| § | 实验 | 指标：**本站** / d2l | 目标 | 轮数 | 用时 (s) | 样本/s | 参数量 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ref = REFERENCES.get(row["key"])
        metrics = row["metrics"]
        cells = []
        for name in _main_metrics(row):
            label = _METRIC_NAMES.get(name, name)
            mark = ""
            if ref and name in ref.d2l and name.endswith("acc") and metrics[name] < ref.d2l[name]:
                mark = ' <span class="dlnotes-below" title="低于 d2l">↓</span>'
            theirs = _fmt(ref.d2l[name]) if ref and name in ref.d2l else "—"
            cells.append(f"{label} **{_fmt(metrics[name])}**{mark} / {theirs}")
        target = "—"
        if ref and ref.target is not None and ref.target.metric in metrics:
            met = ref.target.met_by(metrics)
            target = f"{ref.target} " + ("✓" if met else '<span class="dlnotes-below">✗</span>')
        link = _link(row["page"], board_path)
        experiment = f'[{row["model"]}]({link})<br><small>{row["dataset"]}</small>'
        lines.append(
            f"| {row['key']} | {experiment} | {'<br>'.join(cells)} | {target} | "
            f"{metrics.get('epochs', '—')} | {_fmt(metrics.get('seconds'))} | "
            f"{_fmt(metrics.get('examples_per_sec'))} | {_fmt(row.get('num_params'))} |"
        )
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
            lines.append(
                f"| [{row['model']}]({_link(row['page'], board_path)}) | {_fmt(row.get('num_params'))} | "
                f"{_fmt(m['flops'])} | {_fmt(m.get('test_acc'))} | {_fmt(per_epoch)} |"
            )
    if any("test_acc" in r["metrics"] and "seconds" in r["metrics"] for r in rows):
        lines += ["", "## 精度与用时", "", "![test acc 与训练用时](results-chart.svg)", ""]
    return "\n".join(lines) + "\n"


def board_json(rows: list[dict], profile: str) -> str:
    """The board's data as JSON (stable key order: identical builds give identical files)."""
    payload = {
        "profile": profile,
        "references_source": "d2l-zh 2.0.0 (PyTorch), see src/dlnotes/references.py",
        "results": rows,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


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
