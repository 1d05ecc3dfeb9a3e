"""Reporting results and the board built from them."""

from __future__ import annotations

import json

import pytest
import torch

from dlnotes.history import History
from dlnotes.references import METRICS, REFERENCES, format_metric, is_worse
from dlnotes.results import report_result
from dlnotes_site.board import (
    UnknownResultError,
    accuracy_time_chart,
    board_json,
    board_markdown,
    check_keys,
    collect,
    result_box_html,
)


def _history(test_acc):
    return History([{"epoch": 1, "train_loss": 0.4, "train_acc": 0.86, "test_acc": test_acc,
                     "seconds": 2.0, "examples_per_sec": 30000.0}])


def test_report_records_and_prints_only_our_numbers(capsys):
    record = report_result("3.6", _history(0.84), model="softmax", num_params=7850)
    out = capsys.readouterr().out
    assert "test_acc 0.84" in out
    assert "0.836" not in out and "目标" not in out  # d2l's numbers are the build's business
    assert record["metrics"]["epochs"] == 1 and record["num_params"] == 7850


def test_results_module_does_not_depend_on_references():
    import ast
    from pathlib import Path

    import dlnotes.results

    tree = ast.parse(Path(dlnotes.results.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "references" not in imported and "dlnotes.references" not in imported


def test_report_refuses_nan_and_the_build_refuses_unknown_keys():
    with pytest.raises(ValueError, match="diverged"):
        report_result("3.6", _history(float("nan")), model="x")
    record = report_result("99.9", _history(0.9), model="x")
    with pytest.raises(UnknownResultError, match=r"docs/p.md.*'99.9'.*known: 3.6"):
        check_keys([record], "docs/p.md")


def test_the_page_box_shows_ours_d2ls_and_the_target_verdict():
    box = result_box_html(report_result("3.6", _history(0.84), model="softmax"))
    assert "<strong>0.840</strong>" in box and "<td>0.836</td>" in box
    assert f"目标（test acc ≥ {REFERENCES['3.6'].target.value:.2f}）：达到" in box
    missed = result_box_html(report_result("3.6", _history(0.70), model="softmax"))
    assert "未达到" in missed and "↓" in missed
    assert 'data-search-exclude' in box  # numbers stay out of the search index


def test_direction_and_format_come_from_one_metric_table():
    assert is_worse("test_acc", 0.80, 0.85) and not is_worse("test_acc", 0.9, 0.85)
    assert is_worse("test_ppl", 9.0, 5.0) and not is_worse("test_ppl", 4.0, 5.0)
    assert is_worse("valid_log_rmse", 0.18, 0.17)
    assert not is_worse("epochs", 1, 10) and METRICS["epochs"].higher_is_better is None
    assert format_metric("test_ppl", 1.0) == "1.00"
    assert format_metric("examples_per_sec", 120.0) == "120"
    assert format_metric("epochs", 10) == "10"
    assert format_metric("test_acc", None) == "—"


def test_board_marks_results_below_d2l_and_missed_targets():
    rows = collect({
        "chapter_linear-networks/softmax-regression-scratch.md": [
            report_result("3.6", _history(0.70), model="softmax (scratch)")],
        "chapter_linear-networks/softmax-regression-concise.md": [
            report_result("3.7", _history(0.85), model="softmax (concise)")],
    })
    assert [r["key"] for r in rows] == ["3.6", "3.7"]
    page = board_markdown(rows, "cpu")
    line_36 = next(line for line in page.splitlines() if line.startswith("| 3.6"))
    line_37 = next(line for line in page.splitlines() if line.startswith("| 3.7"))
    assert "↓" in line_36 and "✗" in line_36
    assert "↓" not in line_37 and "✓" in line_37
    assert "(chapter_linear-networks/softmax-regression-scratch.md)" in line_36
    data = json.loads(board_json(rows, "cpu"))
    assert data["results"][0]["metrics"]["test_acc"] == 0.70
    assert accuracy_time_chart(rows).startswith(b"<?xml")


def test_a_run_that_trains_differently_from_d2l_names_its_recipe_in_box_and_board():
    record = report_result("7.1", _history(0.85), model="AlexNet",
                           recipe="Adam + 单周期学习率（峰值 0.002）")
    assert "本页的训练方法：Adam + 单周期学习率（峰值 0.002）" in result_box_html(record)
    rows = collect({"chapter_convolutional-modern/alexnet.md": [record]})
    line = next(line for line in board_markdown(rows, "cpu").splitlines()
                if line.startswith("| 7.1"))
    assert "Adam + 单周期学习率" in line
    plain = result_box_html(report_result("3.6", _history(0.84), model="softmax"))
    assert "训练方法" not in plain


def test_every_reference_target_metric_is_a_d2l_metric():
    for ref in REFERENCES.values():
        if ref.target is not None:
            assert ref.target.metric in ref.d2l, ref.key


def test_note_refuses_an_unformatted_float_and_claim_fails_naming_the_statement():
    from dlnotes.results import ClaimError, claim, note

    assert note(acc="0.875", epochs=10) is None  # nothing to print as a cell's last line
    with pytest.raises(TypeError, match="format it yourself"):
        note(acc=0.875)
    claim(torch.tensor(2.0) > 1, "二大于一")  # a tensor boolean is accepted
    with pytest.raises(ClaimError, match="测试精度高于训练精度"):
        claim(0.7 > 0.8, "测试精度高于训练精度")
    with pytest.raises(TypeError, match="takes a bool"):
        claim("yes", "不是布尔值")


def test_prose_markers_are_filled_from_notes_and_unknown_ones_fail():
    import nbformat

    from dlnotes.results import NOTE_MIME
    from dlnotes_site.runvalues import UnknownRunValueError, fill_run_values

    def notebook(prose: str):
        code = nbformat.v4.new_code_cell("note(acc='0.875')")
        code.outputs = [nbformat.v4.new_output("display_data", data={NOTE_MIME: {"acc": "0.875"},
                                                                      "text/plain": ""})]
        return nbformat.v4.new_notebook(cells=[code, nbformat.v4.new_markdown_cell(prose)])

    nb = notebook("精度 {{ run.acc }}，公式 ${{a}}$ 不受影响")
    assert fill_run_values(nb) == ["acc"]
    assert nb.cells[1].source == "精度 0.875，公式 ${{a}}$ 不受影响" and nb.cells[0].outputs == []
    with pytest.raises(UnknownRunValueError, match=r"run\.loss .*noted on this page: acc"):
        fill_run_values(notebook("损失 {{ run.loss }}"))
    unexecuted = notebook("精度 {{ run.acc }}")
    fill_run_values(unexecuted, executed=False)
    assert "运行后填入" in unexecuted.cells[1].source


def test_a_reported_history_reaches_the_board_as_one_file_of_every_epoch():
    from dlnotes_site.board import HISTORIES_FILE, histories_csv

    history = History([{"epoch": e, "train_loss": 1 / e, "test_acc": 0.5 + e / 10, "seconds": 1.0,
                        "examples_per_sec": 9.0} for e in (1, 2)])
    record = report_result("3.6", history, model="softmax")
    assert record["history"] == history.records
    without = report_result("4.10", metrics={"valid_log_rmse": 0.16}, model="k-fold")
    rows = collect({"a.md": [record], "b.md": [without]})
    text = histories_csv(rows, "cpu")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == "page,key,model,epoch,metric,value"
    assert "a.md,3.6,softmax,2,train_loss,0.5" in lines and "a.md,3.6,softmax,2,test_acc,0.7" in lines
    assert len(lines) == 1 + 2 * 4 and not any(line.startswith("b.md") for line in lines)
    data = json.loads(board_json(rows, "cpu"))  # results.json keeps the final numbers only
    assert data["histories"] == HISTORIES_FILE and "history" not in data["results"][0]
    assert f"[{HISTORIES_FILE}]({HISTORIES_FILE})" in board_markdown(rows, "cpu")


def test_an_epoch_that_diverged_is_recorded_as_null_in_the_history():
    history = History([{"epoch": 1, "train_loss": float("inf"), "seconds": 1.0, "examples_per_sec": 1.0},
                       {"epoch": 2, "train_loss": 0.5, "seconds": 1.0, "examples_per_sec": 1.0}])
    record = report_result("3.6", history, model="x")
    assert record["history"][0]["train_loss"] is None
    json.dumps(record, allow_nan=False)
