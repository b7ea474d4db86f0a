"""The Dashboard button and the Refresh button's board, on xlwings' real remote engine: the same figures as
`sheetflow report` on the file, written as a few blocks, with native charts over the same ranges."""

from __future__ import annotations

import datetime as dt
import shutil

import xlwings as xw
from helpers.payloads import payload, played
from helpers.report_studio import REASONS_TABLE, REASONS_TITLE, make, make_with_reasons, table
from helpers.workbooks import cells

from sheetflow import excel
from sheetflow.cli import main as cli

TODAY = dt.date.today()  # the buttons run on the real today


def with_charts(data: dict) -> dict:
    """The Office.js client lists each sheet's charts (none here yet), as xlwings 0.37's remote engine expects."""
    for sheet in data["sheets"]:
        sheet["charts"] = []
    return data


def comparable(grid: list[list], columns: slice) -> list[list]:
    width = columns.stop - columns.start
    rows = [
        [(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v or None) for v in row[columns]]
        for row in grid
    ]
    rows = [row + [None] * (width - len(row)) for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def report_on_file(book, tmp_path):
    from click.testing import CliRunner

    on_file = tmp_path / "cli.xlsx"
    shutil.copy(book, on_file)
    assert CliRunner().invoke(cli, ["report", str(on_file), "--today", TODAY.isoformat()]).exit_code == 0
    return cells(on_file, "Dashboard")


def test_the_dashboard_button_writes_what_report_writes_and_adds_native_charts(tmp_path):
    book_path = make(tmp_path)
    by_file = report_on_file(book_path, tmp_path)
    data = with_charts(payload(book_path))
    book = xw.Book(json=data)

    outcome = excel.dashboard(book)

    assert outcome is not None and outcome.errors == 0
    shown = played(book, data)["Dashboard"]
    assert comparable(shown, slice(0, 16)) == comparable(by_file, slice(0, 16))
    actions = book.json()["actions"]
    dashboard = data["sheets"].index(next(s for s in data["sheets"] if s["name"] == "Dashboard"))
    writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == dashboard]
    assert len(writes) == 1  # both blocks in one write
    charts = {a["args"][0]: a["args"][1:4] for a in actions if a["func"] == "addChart"}
    assert charts == {
        "Open sessions per status": ["BarStacked", "Dashboard", "$A$32:$E$35"],
        "Time in status": ["BarClustered", "Dashboard", "$J$25:$M$29"],
    }


def test_the_refresh_button_rewrites_the_board_only(tmp_path):
    book_path = make(tmp_path)
    report_on_file(book_path, tmp_path)
    reported = tmp_path / "cli.xlsx"
    data = payload(reported)
    book = xw.Book(json=data)

    assert excel.refresh(book) is not None

    actions = book.json()["actions"]
    dashboard = data["sheets"].index(next(s for s in data["sheets"] if s["name"] == "Dashboard"))
    touched = [a for a in actions if a.get("sheet_position") == dashboard and a["func"] not in ("setColumnWidth",)]
    # columns A:H only (and nothing at all where the board already shows what the report wrote)
    assert all(a["start_column"] + a["column_count"] <= 8 for a in touched)
    shown = played(book, data)["Dashboard"]
    assert comparable(shown, slice(9, 16)) == comparable(cells(reported, "Dashboard"), slice(9, 16))


def test_without_chart_support_the_button_still_writes_the_values(tmp_path):
    """A client that lists no charts (older xlwings, or Lite without them): values and formats only, no failure."""
    data = payload(make(tmp_path))
    book = xw.Book(json=data)
    outcome = excel.dashboard(book)
    assert outcome is not None and outcome.errors == 0
    assert not [a for a in book.json()["actions"] if a["func"] == "addChart"]
    assert played(book, data)["Dashboard"][0][0] == "Sessions board"


def test_the_dashboard_button_reads_the_notes_archive_beside_a_saved_workbook(tmp_path):
    """After `sheetflow notes archive`, the button's time in status is the report's: archive and Notes as one."""
    from click.testing import CliRunner

    book_path = make(tmp_path)
    before = comparable(report_on_file(book_path, tmp_path), slice(9, 16))
    archived = CliRunner().invoke(
        cli, ["notes", "archive", str(book_path), "--before", TODAY.isoformat(), "--today", TODAY.isoformat()]
    )
    assert archived.exit_code == 0, archived.output
    assert (tmp_path / "studio-notes-archive.xlsx").exists()
    data = payload(book_path)
    data["book"]["name"] = str(book_path)  # desktop Excel knows the file's full name
    book = xw.Book(json=data)

    assert excel.dashboard(book) is not None
    assert comparable(played(book, data)["Dashboard"], slice(9, 16)) == before


def test_the_dashboard_button_shows_why_sessions_moved_on_as_report_does(tmp_path):
    """The reasons per status, from the Notes the button reads whole: the report's cells, in the same one write; the
    Refresh button then leaves them as they are."""
    book_path = make_with_reasons(tmp_path)
    by_file = report_on_file(book_path, tmp_path)
    data = with_charts(payload(book_path))
    book = xw.Book(json=data)

    outcome = excel.dashboard(book)

    assert outcome is not None and outcome.errors == 0
    shown = played(book, data)["Dashboard"]
    assert comparable(shown, slice(0, 16)) == comparable(by_file, slice(0, 16))
    assert table(shown, REASONS_TITLE, 9)[1:] == [
        [float(v) if isinstance(v, int) else v for v in row] for row in REASONS_TABLE[1:]
    ]
    assert max(len(row) for row in shown) <= 16  # within A:P, the one page wide the sheet prints

    reported = tmp_path / "cli.xlsx"
    data = payload(reported)
    book = xw.Book(json=data)
    assert excel.refresh(book) is not None
    assert comparable(played(book, data)["Dashboard"], slice(9, 16)) == comparable(by_file, slice(9, 16))
