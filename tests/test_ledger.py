"""The number ledger (数字变化记录): what changed between builds, why, and what is kept.

Pure logic on hand-made records; the pipeline tests (tests/test_pipeline.py) build the fixture
site twice and read the note on the page.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import pytest

from dlnotes_site.board import board_markdown, history_cell
from dlnotes_site.execute import plan_page
from dlnotes_site.ledger import (
    MAX_VERSIONS,
    Ledger,
    LedgerError,
    Snapshot,
    input_changes,
    moved_numbers,
    page_inputs,
    page_numbers,
)
from dlnotes_site.ledger_note import ledger_note

ROOT = Path(__file__).resolve().parents[1]
STAMP = {"time": "2030-01-02 03:04 UTC", "commit": None}
INPUTS = {
    "code": "c0de", "modules": {"dlnotes.train": "aaaa", "dlnotes.plot": "bbbb"},
    "packages": {"torch": "2.13.0", "numpy": "2.4.6"}, "requirements": "r1", "profile": "cpu",
    "python": "3.11.7 (main) [GCC]", "threads": 1, "executor": "2", "platform": "x86_64",
    "machine": None,
}
NUMBERS = {"3.6": {"train_loss": 0.5, "test_acc": 0.84, "epochs": 10}}


def inputs(**changes) -> dict:
    out = copy.deepcopy(INPUTS)
    for name, value in changes.items():
        if name in ("modules", "packages"):
            out[name].update(value)
        else:
            out[name] = value
    return out


def snap(numbers=None, seconds=3.0, **changes) -> Snapshot:
    return Snapshot(inputs(**changes), copy.deepcopy(numbers or NUMBERS), seconds)


def with_acc(acc: float) -> dict:
    return {"3.6": {**NUMBERS["3.6"], "test_acc": acc}}


# -- naming what changed --------------------------------------------------------------------------

def test_input_changes_name_the_module_the_pin_the_profile_python_and_threads():
    assert input_changes(INPUTS, INPUTS) == []
    assert input_changes(INPUTS, inputs(modules={"dlnotes.train": "ffff"})) == ["模块 dlnotes.train"]
    assert input_changes(INPUTS, inputs(code="e417")) == ["本页代码"]
    assert input_changes(INPUTS, inputs(packages={"torch": "2.14.0"}, requirements="r2")) == [
        "torch 2.13.0 → 2.14.0"]
    assert input_changes(INPUTS, inputs(profile="full")) == ["profile cpu → full"]
    assert input_changes(INPUTS, inputs(python="3.12.1 (main)")) == ["Python 3.11.7 → 3.12.1"]
    assert input_changes(INPUTS, inputs(threads=2)) == ["每个内核的线程数 1 → 2"]
    assert input_changes(INPUTS, inputs(machine="AMD EPYC · 2 核")) == [
        "测量所用的机器 无 → AMD EPYC · 2 核"]


def test_input_changes_name_added_and_dropped_modules_and_comment_only_requirement_edits():
    dropped = inputs()
    del dropped["modules"]["dlnotes.plot"]
    assert input_changes(INPUTS, dropped) == ["不再依赖模块 dlnotes.plot"]
    assert input_changes(dropped, INPUTS) == ["新依赖模块 dlnotes.plot"]
    assert input_changes(INPUTS, inputs(requirements="r2")) == ["requirements.txt（版本未变）"]
    assert input_changes(INPUTS, inputs(python="3.11.7 (other build)")) == ["Python"]


def test_numbers_move_only_beyond_the_relative_tolerance():
    assert moved_numbers(NUMBERS, with_acc(0.84 * (1 + 1e-9))) == []
    assert moved_numbers(NUMBERS, with_acc(0.841)) == [("3.6", "test_acc", 0.84, 0.841)]
    assert moved_numbers(NUMBERS, with_acc(0.8400001), rtol=1e-6) == []
    assert moved_numbers(NUMBERS, with_acc(0.84001), rtol=1e-6) == [
        ("3.6", "test_acc", 0.84, 0.84001)]
    gone = {"3.6": {"train_loss": 0.5, "epochs": 10}}
    assert moved_numbers(NUMBERS, gone) == [("3.6", "test_acc", 0.84, None)]
    assert moved_numbers({}, NUMBERS)[0] == ("3.6", "train_loss", None, 0.5)


def test_page_numbers_leave_out_run_times_and_the_epoch_index():
    record = {"key": "3.6", "metrics": {"test_acc": 0.84, "seconds": 12.0, "epoch": 9,
                                        "epochs": 10, "examples_per_sec": 900.0}}
    assert page_numbers([record]) == {"3.6": {"test_acc": 0.84, "epochs": 10}}


def _fixture_page(tmp_path: Path) -> Path:
    page = tmp_path / "p.md"
    page.write_text(textwrap.dedent("""\
        ---
        jupyter:
          kernelspec:
            display_name: Python 3
            language: python
            name: python3
        ---

        ```python
        from dlnotes.history import History
        ```
        """), encoding="utf-8")
    return page


def test_a_changed_pin_or_profile_is_named_from_the_build_s_own_cache_key(tmp_path):
    page = _fixture_page(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pinned\ntorch==2.13.0\nnumpy==2.4.6\n", encoding="utf-8")

    def recorded(profile="cpu"):
        plan = plan_page(page, src_root=ROOT / "src", cache_dir=None, requirements=requirements,
                         profile=profile, threads=1)
        return page_inputs(plan.inputs, plan.machine)

    before = recorded()
    assert before["packages"] == {"torch": "2.13.0", "numpy": "2.4.6"}
    assert "dlnotes.history" in before["modules"]
    requirements.write_text("# pinned\ntorch==2.14.0\nnumpy==2.4.6\n", encoding="utf-8")
    assert input_changes(before, recorded()) == ["torch 2.13.0 → 2.14.0"]
    requirements.write_text("# pinned\ntorch==2.13.0\nnumpy==2.4.6\n", encoding="utf-8")
    assert input_changes(before, recorded(profile="full")) == ["profile cpu → full"]
    assert input_changes(before, recorded()) == []


# -- what the ledger keeps ------------------------------------------------------------------------

def test_an_unchanged_build_says_no_change_and_stores_nothing(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    assert ledger.record({"a.md": snap()}, STAMP)["a.md"].status == "first"
    ledger.save()
    saved = (tmp_path / "ledger.json").read_bytes()
    again = Ledger(tmp_path / "ledger.json")
    change = again.record({"a.md": snap(seconds=4.5)}, {"time": "later", "commit": None})["a.md"]
    assert change.status == "same" and not change.flagged and change.previous is None
    assert not again.changed
    again.save()
    assert (tmp_path / "ledger.json").read_bytes() == saved


def test_a_changed_module_is_named_with_the_numbers_it_moved(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    ledger.record({"a.md": snap()}, STAMP)
    new = snap(numbers=with_acc(0.85), modules={"dlnotes.train": "ffff"})
    change = ledger.record({"a.md": new}, STAMP)["a.md"]
    assert change.status == "changed" and not change.flagged
    assert change.reasons == ["模块 dlnotes.train"]
    assert change.moved == [("3.6", "test_acc", 0.84, 0.85)]
    note = ledger_note(change)
    assert "有变化：模块 dlnotes.train" in note and "3.6 test acc 0.840 → 0.850" in note


def test_numbers_that_move_with_no_input_changed_are_flagged_until_a_later_change(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    ledger.record({"a.md": snap()}, STAMP)
    change = ledger.record({"a.md": snap(numbers=with_acc(0.83))}, STAMP)["a.md"]
    assert change.status == "changed" and change.flagged and change.reasons == []
    assert "⚠" in ledger_note(change) and "dlnotes-ledger-flagged" in ledger_note(change)
    # the next unchanged build still shows the unexplained change
    same = ledger.record({"a.md": snap(numbers=with_acc(0.83))}, STAMP)["a.md"]
    assert same.status == "same" and same.flagged and "⚠" in ledger_note(same)
    # a change with a reason replaces it
    fixed = ledger.record({"a.md": snap(numbers=with_acc(0.83), code="e417")}, STAMP)["a.md"]
    assert not fixed.flagged and fixed.reasons == ["本页代码"]


def test_unchanged_builds_keep_showing_the_last_real_change(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    ledger.record({"a.md": snap()}, STAMP)
    moved = snap(numbers=with_acc(0.85), modules={"dlnotes.plot": "cccc"})
    ledger.record({"a.md": moved}, {"time": "2030-02-01 00:00 UTC", "commit": "abc1234"})
    for _ in range(3 * MAX_VERSIONS):
        change = ledger.record({"a.md": moved}, STAMP)["a.md"]
    assert len(ledger.pages["a.md"]) == 2  # no duplicates
    assert change.status == "same" and change.reasons == ["模块 dlnotes.plot"]
    note = ledger_note(change)
    assert "数字变化记录 · 无变化" in note
    assert "最近一次变化在 2030-02-01 00:00 UTC，提交 <code>abc1234</code>" in note
    assert "0.840 → 0.850" in note and "<td>0.850</td><td>0.840</td>" in note


def test_only_the_last_different_records_are_kept_and_they_survive_a_save(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    for i in range(MAX_VERSIONS + 3):
        ledger.record({"a.md": snap(code=f"v{i}")}, STAMP)
    ledger.save()
    kept = Ledger(tmp_path / "ledger.json").pages["a.md"]
    assert [v["inputs"]["code"] for v in kept] == [f"v{i}" for i in range(3, MAX_VERSIONS + 3)]


def test_an_unreadable_ledger_fails_with_the_file_and_the_fix(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LedgerError, match="ledger.json .*delete the file"):
        Ledger(path)
    path.write_text(json.dumps({"format": 0, "pages": {"a.md": "old layout"}}), encoding="utf-8")
    assert Ledger(path).pages == {}  # an older layout starts a new ledger


def test_the_note_is_a_collapsible_block_kept_out_of_search():
    ledger = Ledger(Path("/nonexistent/ledger.json"))
    note = ledger_note(ledger.record({"a.md": snap()}, STAMP)["a.md"])
    assert note.startswith('<details class="dlnotes-ledger info" data-search-exclude="1"><summary>')
    assert "数字变化记录 · 首次记录" in note and "3.6 test acc" in note and "页面用时" in note
    assert "相对 1e-6" in note
    assert len(note) < 1500


# -- the board's history column -------------------------------------------------------------------

ROW = {"key": "3.6", "page": "a.md", "model": "m", "dataset": "d", "recipe": None,
       "num_params": None, "profile": "cpu", "metrics": {"train_loss": 0.5, "test_acc": 0.84}}


def test_the_board_shows_the_last_different_values_and_marks_changes(tmp_path):
    ledger = Ledger(tmp_path / "ledger.json")
    first = ledger.record({"a.md": snap()}, STAMP)["a.md"]
    assert history_cell(ROW, first) == "首次记录"
    assert history_cell(ROW, None) == "—"
    ledger.record({"a.md": snap(code="v2")}, STAMP)
    assert history_cell(ROW, ledger.record({"a.md": snap(code="v2")}, STAMP)["a.md"]) == "未变"
    moved = ledger.record({"a.md": snap(numbers=with_acc(0.85), code="v3")}, STAMP)["a.md"]
    cell = history_cell(ROW, moved)  # 3.6 is judged by its test accuracy (its target's metric)
    assert cell.startswith("0.840 →<br>**0.850** <span") and "变化" in cell and "⚠" not in cell
    flagged = ledger.record({"a.md": snap(numbers=with_acc(0.86), code="v3")}, STAMP)["a.md"]
    assert history_cell(ROW, flagged).startswith("0.840 →<br>0.850 →<br>**0.860**")
    assert "⚠" in history_cell(ROW, flagged)
    board = board_markdown([ROW], "cpu", history={"a.md": flagged})
    assert "变化记录 |" in board and "⚠" in board
    assert "变化记录" not in board_markdown([ROW], "cpu")
