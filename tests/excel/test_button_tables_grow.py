"""The buttons grow the studio's Excel tables as `sheetflow refresh` grows them in the file (one rule,
core/table_growth.py): over the rows typed right below a table — a blank row ends them, a table with a totals row
is left alone, none ever shrinks — and over the rows a click appends when the table reaches the sheet's last row.
The status cell and the Problems sheet say it in the command line's words. xlwings' real remote engine."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from helpers.payloads import payload, played
from helpers.workbooks import typed_below

from sheetflow import excel

TYPED = [
    ["Wedding", "W-Thank You Card", 90, 1, "No", "No", "Delivery", "Maya", "No"],
    ["Wedding", "W-Anniversary Call", 100, 1, "No", "No", "Delivery", "Maya", "No"],
]
STRAY = ["Wedding", "W-Stray", 200, 1, "No", "No", "", "", "No"]


@pytest.fixture
def sample(tmp_path, sheetflow) -> Path:
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    return path


def click(data: dict, script: str) -> tuple[str, list[dict], dict[str, list[list[object]]]]:
    """A button on the open workbook: its status text, its actions, and the sheets after them."""
    book = xw.Book(json=data)
    assert getattr(excel, script)(book) is not None
    actions = book.json()["actions"]
    grids = played(book, data)
    (status,) = [v for v in grids["Sessions"][0] if isinstance(v, str) and v.startswith(excel.TITLES)]
    book.close()
    return status, actions, grids


def resized(data: dict, actions: list[dict], sheet: str) -> list[str]:
    """The new ranges a click gave the sheet's tables."""
    at = [s["name"] for s in data["sheets"]].index(sheet)
    return [a["args"][1] for a in actions if a["func"] == "resizeTable" and a["sheet_position"] == at]


def test_statuses_typed_below_are_taken_in_and_said_as_the_command_line_says_it(sample, sheetflow, tmp_path):
    typed_below(sample, "Statuses", TYPED, gap_then=STRAY)
    data = payload(sample)
    status, actions, grids = click(data, "refresh")
    assert resized(data, actions, "Statuses") == ["$A$1:$I$17"]  # rows 16 and 17; row 19, after the blank 18, not

    on_file = tmp_path / "copy.xlsx"  # the same workbook, refreshed as a file
    shutil.copy(sample, on_file)
    (said,) = [line for line in sheetflow("refresh", on_file).output.splitlines() if line.startswith("Statuses!A16")]
    assert said.startswith("Statuses!A16: warning: rows 16 to 17 were typed right below the table on this sheet")
    assert f". {said}" in status  # the status cell says it in the same words
    (noted,) = [row for row in grids["Problems"] if "Statuses!A16" in str(row)]
    assert noted[0] == "warning" and "rows 16 to 17 were typed right below the table" in str(noted)


def test_a_row_typed_after_a_blank_row_is_left_outside_the_table(sample):
    typed_below(sample, "Statuses", [], gap_then=STRAY)
    data = payload(sample)
    status, actions, _ = click(data, "validate")
    assert resized(data, actions, "Statuses") == []
    assert "typed right below" not in status


def test_a_table_with_a_totals_row_is_left_alone(sample):
    typed_below(sample, "Lists", [["Newborn", None, None]])
    data = payload(sample)
    lists = next(s for s in data["sheets"] if s["name"] == "Lists")
    lists["tables"][0]["show_totals"] = True  # its last row is the totals row
    status, actions, _ = click(data, "refresh")
    assert resized(data, actions, "Lists") == [] and "typed right below" not in status
    lists["tables"][0]["show_totals"] = False  # the same table without one takes the row in
    status, actions, _ = click(data, "refresh")
    assert len(resized(data, actions, "Lists")) == 1 and "Lists!A7: warning: row 7 was typed right below" in status


def test_a_table_is_never_shrunk(sample):
    wb = openpyxl.load_workbook(sample)
    for column in range(1, 10):
        wb["Statuses"].cell(15, column).value = None  # the last status cleared: the table keeps its row
    wb.save(sample)
    data = payload(sample)
    book = xw.Book(json=data)
    excel.refresh(book)
    assert resized(data, book.json()["actions"], "Statuses") == []


def _session_table(data: dict) -> dict:
    return next(s for s in data["sheets"] if s["name"] == "Sessions")["tables"][0]


def test_sessions_pasted_below_the_table_are_taken_in_up_to_a_blank_row(sample):
    data = payload(sample)
    table = _session_table(data)
    table["range_address"] = re.sub(r"\d+$", "4", table["range_address"])  # rows 5 to 13 lie below it
    columns = table["range_address"].split(":")[1].rstrip("0123456789")
    sessions = next(s for s in data["sheets"] if s["name"] == "Sessions")["values"]
    sessions[7] = [""] * len(sessions[7])  # row 8 blank: rows 9 to 13 stay below the gap
    status, actions, _ = click(data, "refresh")
    assert resized(data, actions, "Sessions") == [f"$A$1:${columns}$7"]
    assert "Sessions!A5: warning: rows 5 to 7 were typed right below the table on this sheet" in status
    assert "the table now takes them in, so its filter and sorting cover them too" in status


def test_appended_notes_join_the_table_that_reaches_the_last_row_and_no_gap_is_taken_in(sample):
    data = payload(sample)
    notes = [s["name"] for s in data["sheets"]].index("Notes")
    last = len(data["sheets"][notes]["values"])  # the Notes table covers every row
    status, actions, _ = click(data, "apply_changes")  # the sample's two pending changes: two Notes rows
    (grown,) = resized(data, actions, "Notes")
    assert grown.endswith(f"${last + 2}") and "typed right below" not in status

    stray = typed_below(sample, "Notes", [], gap_then=["2026-11-01 09:00", 1001, "Stray note"])  # row last + 2
    data = payload(stray)
    _, actions, grids = click(data, "apply_changes")
    assert resized(data, actions, "Notes") == []  # the table stops at its row `last`: the gap is not taken in
    below = grids["Notes"][last:]  # rows last + 1 onwards: the blank row, the stray one, the two appended
    assert [row[2] for row in below] == ["", "Stray note", "Noah Williams", "Hannah & Lucas Rossi"]
