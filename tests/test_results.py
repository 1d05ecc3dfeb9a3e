"""Reporting results and the board built from them."""

from __future__ import annotations

import json

import pytest

from dlnotes.references import REFERENCES
from dlnotes.results import report_result
from dlnotes.train import History
from dlnotes_site.board import accuracy_time_chart, board_json, board_markdown, collect


def _history(test_acc):
    return History([{"epoch": 1, "train_loss": 0.4, "train_acc": 0.86, "test_acc": test_acc,
                     "seconds": 2.0, "examples_per_sec": 30000.0}])


def test_report_prints_ours_d2l_and_the_target(capsys):
    record = report_result("3.6", _history(0.84), model="softmax", num_params=7850)
    out = capsys.readouterr().out
    assert "test acc 0.840" in out and "test acc 0.836" in out
    assert "目标 (test acc ≥ 0.83): 达到" in out
    assert record["metrics"]["epochs"] == 1 and record["num_params"] == 7850


def test_report_says_when_the_target_is_missed(capsys):
    report_result("3.6", _history(0.70), model="softmax")
    assert "未达到" in capsys.readouterr().out


def test_report_refuses_unknown_keys_and_nan():
    with pytest.raises(KeyError, match="3.6"):
        report_result("99.9", _history(0.9), model="x")
    with pytest.raises(ValueError, match="diverged"):
        report_result("3.6", _history(float("nan")), model="x")


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


def test_every_reference_target_metric_is_a_d2l_metric():
    for ref in REFERENCES.values():
        if ref.target is not None:
            assert ref.target.metric in ref.d2l, ref.key
