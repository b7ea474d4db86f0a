"""The Excel buttons, driven through xlwings' real remote engine on books built from real workbook files:
the same core as the command line, one read, a few block writes, and problems shown in the workbook."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from helpers.payloads import open_book, payload, played
from helpers.workbooks import SESSION_HEADER, cells, session, studio

from sheetflow import excel
from sheetflow.cli import main as cli
from sheetflow.core.schema import SESSION_INPUTS, SESSION_WRITTEN

TODAY = dt.date.today()


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", TODAY.isoformat()).exit_code == 0
    return book


def sessions_of(grid):
    header = grid[0]
    return {str(r[0]).removesuffix(".0"): dict(zip(header, r, strict=False)) for r in grid[1:] if r and r[0] != ""}


def test_apply_changes_through_the_button_matches_the_command_line(sample, tmp_path):
    """Same inputs, same result: one copy applied by `sheetflow apply`, the other by the button."""
    from click.testing import CliRunner

    on_file = tmp_path / "cli.xlsx"
    shutil.copy(sample, on_file)
    assert CliRunner().invoke(cli, ["apply", str(on_file), "--today", TODAY.isoformat()]).exit_code == 0

    data = payload(sample)
    import xlwings as xw

    book = xw.Book(json=data)
    outcome = excel.apply_changes(book)
    assert outcome is not None and len(outcome.applied) == 2
    grids = played(book, data)

    by_file = sessions_of(cells(on_file, "Sessions"))
    by_button = sessions_of(grids["Sessions"])
    assert by_file.keys() == by_button.keys()
    for sid, row in by_file.items():
        for column in (*SESSION_WRITTEN, *SESSION_INPUTS):
            assert (row[column] or None) == (by_button[sid][column] or None), (sid, column)

    file_notes = [r[1:] for r in cells(on_file, "Notes")[1:] if any(v != "" for v in r)]
    button_notes = [r[1:] for r in grids["Notes"][1:] if any(v not in ("", None) for v in r)]
    assert [n[:7] for n in button_notes] == [[*n[:7]] for n in file_notes]  # all but the timestamp and source
    assert [n[7] for n in button_notes[-2:]] == ["button", "button"]  # after the sample's history


def test_a_click_on_5000_sessions_sends_a_handful_of_writes(tmp_path):
    rows = [
        session(session_id=i, status="Image Capture Pending", status_date=dt.date(2026, 1, 5 + i % 20))
        for i in range(1, 5001)
    ]
    book = open_book(studio(tmp_path / "big.xlsx", rows))
    outcome = excel.refresh(book)
    assert outcome is not None and outcome.overdue > 4000
    writes = [a for a in book.json()["actions"] if a["func"] in ("setValues", "rangeClearContents", "addSheet")]
    assert len(writes) <= 15, [a["func"] for a in writes]


def test_problems_show_in_the_workbook_with_links_and_an_alert(tmp_path):
    path = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Nope"), session(session_id=2, status="Session Pending", change_to="Nowhere")],
    )
    data = payload(path)
    import xlwings as xw

    book = xw.Book(json=data)
    outcome = excel.validate(book)
    assert outcome is not None and outcome.errors == 2
    actions = book.json()["actions"]
    alerts = [a for a in actions if a["func"] == "alert"]
    assert alerts and "See the Problems sheet" in alerts[0]["args"][0]
    problems = played(book, data)["Problems"]
    assert problems[0] == ["Severity", "Where", "Problem", "How to fix"]
    assert problems[1][1] == '=HYPERLINK("#\'Sessions\'!G2","Sessions!G2")'
    assert "Nowhere" in problems[2][2]
    status = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 4 and a["start_row"] == 0]
    assert status and "2 errors" in status[-1]["values"][0][0]


def test_change_status_moves_the_selected_rows(tmp_path):
    path = studio(tmp_path / "s.xlsx", [session(session_id=i, status="Session Pending") for i in range(1, 5)])
    data = payload(path, selection="A3:C4")
    import xlwings as xw

    book = xw.Book(json=data)
    outcome = excel.change_status(book)
    assert outcome is not None and [a.session.session_id for a in outcome.applied] == ["2", "3"]
    grid = played(book, data)["Sessions"]
    status = SESSION_HEADER.index("Status")
    assert [grid[r][status] for r in range(1, 5)] == [
        "Session Pending",
        "Image Capture Pending",
        "Image Capture Pending",
        "Session Pending",
    ]


def test_a_workbook_without_sessions_gets_an_alert_not_a_traceback(tmp_path):
    from helpers.workbooks import SETTINGS, STATUSES, build

    book = open_book(build(tmp_path / "s.xlsx", {"Settings": SETTINGS, "Statuses": STATUSES}), active="Settings")
    assert excel.refresh(book) is None
    alerts = [a for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts and 'no "Sessions" sheet' in alerts[0]["args"][0]


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    path = studio(
        tmp_path / "s.xlsx",
        [session(session_id=1, status="Session Pending", change_to="next", change_note="@home: call +1 555 0100")],
    )
    book = open_book(path)
    excel.apply_changes(book)
    notes = [a for a in book.json()["actions"] if a["func"] == "setValues" and "Logged At" not in str(a["values"])]
    assert any("'@home: call +1 555 0100" in str(a["values"]) for a in notes)  # Excel's text marker
