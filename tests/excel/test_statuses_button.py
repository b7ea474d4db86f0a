"""The status list's Renumber button: the same core as `sheetflow statuses renumber`, on the open workbook."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from helpers.payloads import payload, played
from helpers.workbooks import STATUS_HEADER, cells, studio

from sheetflow import excel
from sheetflow.cli import main as cli


def test_renumber_button_matches_the_command_line(tmp_path):
    rows = [
        STATUS_HEADER,
        ["", "Booked", 7, 0, "Yes", "", "", "", ""],
        ["", "Edit", "15", 3, "", "", "", "", ""],
        ["", "Shoot", 9, 1, "", "", "", "", ""],
        ["", "Done", 99, "", "", "Yes", "", "", ""],
    ]
    path = studio(tmp_path / "s.xlsx", [], statuses=rows)
    on_file = tmp_path / "cli.xlsx"
    shutil.copy(path, on_file)
    assert CliRunner().invoke(cli, ["statuses", "renumber", str(on_file)]).exit_code == 0

    import xlwings as xw

    data = payload(path, active="Statuses")
    book = xw.Book(json=data)
    outcome = excel.renumber_statuses(book)
    assert outcome is not None and outcome.summary.startswith("renumbered 4 of 4 statuses")
    by_button = [row[2] for row in played(book, data)["Statuses"][1:5]]
    assert by_button == [10, 20, 30, 40]  # the rows in sort order: Shoot moved up above Edit
    assert by_button == [int(row[2]) for row in cells(on_file, "Statuses")[1:5]]


def _row_hiding(book) -> list[tuple[int, int, bool]]:
    """The rows the click hid or showed: (first row, last row, hidden), 1-based, in the order sent."""
    return [
        (a["start_row"] + 1, a["start_row"] + a["row_count"], a["args"][0])
        for a in book.json()["actions"]
        if a["func"] == "setRowHidden"
    ]


def test_hide_inactive_button_hides_the_inactive_statuses_rows(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    import xlwings as xw

    book = xw.Book(json=payload(path, active="Statuses"))
    outcome = excel.hide_inactive_statuses(book)
    assert outcome is not None
    assert outcome.summary.startswith('hid 1 inactive status on the Statuses sheet ("W-Engagement Shoot Pending")')
    assert "Show all statuses brings them back" in outcome.summary
    # every status row shown first (one write), then the inactive one's row hidden
    assert _row_hiding(book) == [(2, 15, False), (9, 9, True)]
    status = [a for a in book.json()["actions"] if a["func"] == "setValues" and "Hide inactive statuses" in str(a)]
    assert status, "the status cell says what the click did"


def test_show_all_statuses_button_shows_every_row(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    import xlwings as xw

    book = xw.Book(json=payload(path, active="Statuses"))
    outcome = excel.show_inactive_statuses(book)
    assert outcome is not None and outcome.summary.startswith("every status shows on the Statuses sheet again")
    assert _row_hiding(book) == [(2, 15, False)]


def test_an_engine_that_cannot_hide_rows_says_so_in_the_status_text(tmp_path, sheetflow, monkeypatch):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    import xlwings as xw
    from xlwings.main import RangeRows

    def refused(self, value):
        raise NotImplementedError("hiding rows isn't supported on this engine")

    monkeypatch.setattr(RangeRows, "hidden", property(lambda self: None, refused))
    book = xw.Book(json=payload(path, active="Statuses"))
    outcome = excel.hide_inactive_statuses(book)
    assert outcome is not None
    assert outcome.summary.startswith("this Excel can't hide rows from Python: untick Yes in the filter")
    assert "sheetflow statuses hide-inactive" in outcome.summary
    assert _row_hiding(book) == []
