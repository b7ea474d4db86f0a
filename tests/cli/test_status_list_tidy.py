"""The status list stays tidy on the sheet: `statuses add` puts a new status after another, and after add, move,
renumber and delete the Statuses rows read in sort order with no blank rows left behind (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from helpers.workbooks import SETTINGS, STATUS_HEADER, STATUSES, cells, session, studio

BY_TYPE = [[k, "Yes" if k == "Statuses by type" else v] for k, v in SETTINGS]


def listed(path: Path) -> list[tuple[object, ...]]:
    """(Description, Sort Order) of each Statuses row below the header, as calamine reads them, blank rows kept."""
    return [(r[1], r[2]) for r in cells(path, "Statuses")[1:]]


def opened(path: Path) -> list[list[object]]:
    """The Statuses rows below the header as openpyxl (a second reader) reads them."""
    ws = openpyxl.load_workbook(path)["Statuses"]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


# -- add -------------------------------------------------------------------------------------------------------


def test_add_puts_the_status_between_two_and_its_row_after_the_one_named(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    result = sheetflow(
        "statuses", "add", book, "Proofing", "--after", "image capture pending", "--duration", "3",
        "--stage", "editing", "--user", "Priya",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"Proofing" added' in result.output and "(Sort Order 25)" in result.output
    assert listed(book) == [
        ("Session Pending", 10.0),
        ("Image Capture Pending", 20.0),
        ("Proofing", 25.0),
        ("Retouch Pending", 30.0),
        ("Old Step", 35.0),
        ("Order Delivered", 40.0),
    ]
    row = opened(book)[2]
    assert row[1:4] == ["Proofing", 25, 3] and row[6:8] == ["editing", "Priya"]
    assert sheetflow("validate", book).exit_code == 0


def test_add_at_the_end_takes_ten_more_and_renumbers_when_there_is_no_room(tmp_path, sheetflow):
    rows = [STATUS_HEADER, ["", "A", 1, 0, "Yes", "", "", "", ""], ["", "B", 2, 0, "", "", "", "", ""],
            ["", "C", 3, "", "", "Yes", "", "", ""]]  # fmt: skip
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    result = sheetflow("statuses", "add", book, "A2", "--after", "A")
    assert result.exit_code == 0, result.output
    assert "renumbered" in result.output
    assert listed(book) == [("A", 10.0), ("A2", 20.0), ("B", 30.0), ("C", 40.0)]
    result = sheetflow("statuses", "add", book, "D", "--after", "C", "--final")
    assert result.exit_code == 0, result.output
    assert listed(book) == [("A", 10.0), ("A2", 20.0), ("B", 30.0), ("C", 40.0), ("D", 50.0)]
    assert [r[5] for r in opened(book)] == ["", "No", "", "No", "Yes"]
    assert sheetflow("validate", book).exit_code == 0


def test_add_refuses_a_name_its_cycle_has_and_unknown_lists(tmp_path, sheetflow):
    book = studio(tmp_path / "s.xlsx", [])
    before = book.read_bytes()
    taken = sheetflow("statuses", "add", book, "retouch PENDING", "--after", "Session Pending")
    assert taken.exit_code == 1 and "Statuses!B4: error" in taken.output
    assert "already a status" in taken.output
    stage = sheetflow("statuses", "add", book, "New", "--after", "Session Pending", "--stage", "Nowhere")
    assert stage.exit_code == 1 and 'Stage "Nowhere" is not on the Lists sheet' in stage.output
    user = sheetflow("statuses", "add", book, "New", "--after", "Session Pending", "--user", "Bob")
    assert user.exit_code == 1 and 'Default User "Bob" is not on the Lists sheet' in user.output
    unknown = sheetflow("statuses", "add", book, "New", "--after", "Nope")
    assert unknown.exit_code != 0 and '"Nope" is not a status' in unknown.output
    negative = sheetflow("statuses", "add", book, "New", "--after", "Session Pending", "--duration", "-1")
    assert negative.exit_code == 2 and "--duration" in negative.output
    both = sheetflow("statuses", "add", book, "New", "--after", "Session Pending", "--initial", "--inactive")
    assert both.exit_code != 0 and "must be active" in both.output
    assert book.read_bytes() == before


def test_add_by_type_goes_into_that_cycle_and_brings_each_cycles_rows_together(tmp_path, sheetflow):
    rows = [
        STATUS_HEADER,
        ["Portrait", "P-Booked", 10, 0, "Yes", "", "", "", ""],
        ["Wedding", "W-Booked", 10, 0, "Yes", "", "", "", ""],
        ["Portrait", "P-Done", 20, "", "", "Yes", "", "", ""],
        ["Wedding", "W-Done", 20, "", "", "Yes", "", "", ""],
    ]
    book = studio(tmp_path / "s.xlsx", [], statuses=rows, settings=BY_TYPE)
    result = sheetflow("statuses", "add", book, "W-Album", "--after", "W-Booked", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["errors"] == 0
    # one block of rows per cycle, in the order the sheet first named them: the Sessions dropdowns of a type read it
    assert [(r[0], r[1], r[2]) for r in cells(book, "Statuses")[1:]] == [
        ("Portrait", "P-Booked", 10.0),
        ("Portrait", "P-Done", 20.0),
        ("Wedding", "W-Booked", 10.0),
        ("Wedding", "W-Album", 15.0),
        ("Wedding", "W-Done", 20.0),
    ]


def test_add_to_the_sample_grows_its_table_and_opens_in_both_readers(sample, sheetflow):
    result = sheetflow("statuses", "add", sample, "W-Thank You Card", "--after", "W-Album Delivered")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(sample)
    ws = wb["Statuses"]
    assert ws.tables["StatusesTable"].ref == "A1:I16"
    assert ws.cell(16, 2).value == "W-Thank You Card" and ws.cell(16, 3).value == 90
    assert listed(sample)[-1] == ("W-Thank You Card", 90.0)
    assert sheetflow("validate", sample).exit_code == 0


# -- move, renumber, delete: rows in sort order --------------------------------------------------------------


def test_move_up_moves_the_row_too_with_the_studios_own_column(tmp_path, sheetflow):
    rows = [[*r, "Our note" if i == 0 else r[1].lower()] for i, r in enumerate(STATUSES)]
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    result = sheetflow("statuses", "move", book, "Retouch Pending", "up")
    assert result.exit_code == 0, result.output
    assert listed(book) == [
        ("Session Pending", 10.0),
        ("Retouch Pending", 20.0),
        ("Image Capture Pending", 30.0),
        ("Old Step", 35.0),
        ("Order Delivered", 40.0),
    ]
    own = [r[9] for r in cells(book, "Statuses")[1:]]
    assert own == ["session pending", "retouch pending", "image capture pending", "old step", "order delivered"]
    assert [r[6] for r in opened(book)] == ["Booking", "Editing", "Capture", "Editing", "Delivery"]
    assert sheetflow("validate", book).exit_code == 0


def test_renumber_puts_rows_typed_out_of_order_in_order(tmp_path, sheetflow):
    rows = [
        STATUS_HEADER,
        ["", "Delivered", 90, "", "", "Yes", "", "", ""],
        ["", "Booked", 5, 0, "Yes", "", "", "", ""],
        ["", "", "", "", "", "", "", "", ""],  # a blank row between
        ["", "Shoot", 7, 1, "", "", "", "", ""],
    ]
    book = studio(tmp_path / "s.xlsx", [], statuses=rows)
    result = sheetflow("statuses", "renumber", book)
    assert result.exit_code == 0, result.output
    assert listed(book) == [("Booked", 10.0), ("Shoot", 20.0), ("Delivered", 30.0)]
    assert sheetflow("validate", book).exit_code == 0


def test_delete_closes_up_the_rows_and_leaves_no_blank_row(tmp_path, sheetflow):
    rows = [
        [*r, "Our note" if i == 0 else ("kept" if r[1] == "Order Delivered" else "")] for i, r in enumerate(STATUSES)
    ]
    book = studio(tmp_path / "s.xlsx", [session(session_id=1, status="Session Pending")], statuses=rows)
    result = sheetflow("statuses", "delete", book, "image capture pending")
    assert result.exit_code == 0, result.output
    assert "rows below it moved up" in result.output
    got = cells(book, "Statuses")[1:]
    assert [(r[1], r[2]) for r in got] == [
        ("Session Pending", 10.0),
        ("Retouch Pending", 30.0),
        ("Old Step", 35.0),
        ("Order Delivered", 40.0),
    ]  # the last row left with nothing in it, so the sheet ends a row earlier
    assert got[3][9] == "kept"  # the studio's own column moved up with its row
    assert [r[1] for r in opened(book) if any(v is not None for v in r)] == [
        "Session Pending",
        "Retouch Pending",
        "Old Step",
        "Order Delivered",
    ]
    assert sheetflow("validate", book).exit_code == 0


def test_delete_in_the_sample_keeps_the_table_and_its_formats(sample, sheetflow):
    result = sheetflow("statuses", "delete", sample, "W-Engagement Shoot Pending")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(sample)["Statuses"]
    assert ws.tables["StatusesTable"].ref == "A1:I15"
    names = [ws.cell(r, 2).value for r in range(2, 16)]
    assert names[7:] == [
        "W-Image Capture Pending",
        "W-Online Gallery Pending",
        "W-Album Preview Pending",
        "W-Album Design Pending",
        "W-Retouch Pending",
        "W-Album Delivered",
        None,
    ]
    assert ws["C9"].number_format == "0"
    assert sheetflow("validate", sample).exit_code == 0
