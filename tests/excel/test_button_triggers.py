"""Triggers through the Excel buttons: the same core fires them into the open workbook (Tasks, Outbox and the
hidden record of what fired), and a trigger fired by the command line or an earlier click never fires again."""

from __future__ import annotations

import copy
import datetime as dt

import xlwings as xw
from click.testing import CliRunner
from helpers.payloads import _cell, payload, played
from helpers.workbooks import records, session, studio

from sheetflow import excel
from sheetflow.cli import main as cli
from sheetflow.core.schema import FIRED, TRIGGERS

TODAY = dt.date.today()  # the buttons run on the real today
TRIGGER_ROWS = [
    list(TRIGGERS.columns),
    ["Booking call", "", "Image Capture Pending", "Status change", 1, "Call", "", "Call {{ client }}", "", ""],
    [
        "Welcome",
        "",
        "Image Capture Pending",
        "Status change",
        0,
        "Email",
        "",
        "Welcome to {{ studio }}",
        "Dear {{ client }}, your shoot is booked.",
        "",
    ],
]


def book_file(tmp_path):
    sessions = [
        session(
            session_id=1,
            client="Ann Lee",
            email="ann@example.com",
            status="Session Pending",
            status_date=TODAY,
            change_to="next",
        )
    ]
    return studio(tmp_path / "studio.xlsx", sessions, extra={TRIGGERS.name: TRIGGER_ROWS})


def rows_below_header(grid):
    return [dict(zip(grid[0], row, strict=False)) for row in grid[1:] if any(v not in ("", None) for v in row)]


def reopened(data, grids):
    """The payload Excel would send on the next click: the sheets as the last click left them."""
    data = copy.deepcopy(data)
    known = {sheet["name"] for sheet in data["sheets"]}
    for name, grid in grids.items():
        width = max((len(row) for row in grid), default=1)
        values = [[_cell(v) for v in row] + [""] * (width - len(row)) for row in grid] or [[""]]
        if name in known:
            next(s for s in data["sheets"] if s["name"] == name)["values"] = values
        else:
            data["sheets"].append({"name": name, "values": values, "pictures": [], "tables": []})
    return data


def test_apply_changes_button_fires_triggers_once(tmp_path):
    data = payload(book_file(tmp_path))
    book = xw.Book(json=data)
    outcome = excel.apply_changes(book)
    assert outcome is not None and (outcome.tasks, outcome.messages) == (1, 1) and outcome.errors == 0
    actions = book.json()["actions"]
    added = [a["args"][1] for a in actions if a["func"] == "addSheet"]
    assert FIRED.name in added and "Tasks" in added and "Outbox" in added
    (hidden,) = [a for a in actions if a["func"] == "setSheetVisibility"]
    position = next(a["args"][0] for a in actions if a["func"] == "addSheet" and a["args"][1] == FIRED.name)
    assert hidden["args"] in ("Hidden", ["Hidden"]) and hidden["sheet_position"] == position
    grids = played(book, data)
    (task,) = rows_below_header(grids["Tasks"])
    assert (task["Task ID"], task["Action"], task["Task"], task["Due Date"], task["Assigned To"]) == (
        "T-000001",
        "Call",
        "Call Ann Lee",
        TODAY + dt.timedelta(days=1),
        "Jon",
    )
    (email,) = rows_below_header(grids["Outbox"])
    assert (email["Channel"], email["To"], email["Subject"], email["Body"]) == (
        "Email",
        "ann@example.com",
        "Welcome to Test Studio",
        "Dear Ann Lee, your shoot is booked.",
    )
    fired = rows_below_header(grids[FIRED.name])
    assert [(r["Trigger"], r["Basis Date"]) for r in fired] == [("Booking call", TODAY), ("Welcome", TODAY)]

    # the next clicks read that record from the workbook: nothing fires twice
    again = reopened(data, grids)
    for entry in (excel.refresh, excel.apply_changes):
        clicked = xw.Book(json=again)
        outcome = entry(clicked)
        assert outcome is not None and (outcome.tasks, outcome.messages) == (0, 0)


def test_what_the_command_line_fired_the_button_does_not_fire_again(tmp_path):
    from click.testing import CliRunner

    path = book_file(tmp_path)
    result = CliRunner().invoke(cli, ["apply", str(path), "--today", TODAY.isoformat()])
    assert "1 task created, 1 message queued" in result.output, result.output
    book = xw.Book(json=payload(path))
    outcome = excel.refresh(book)
    assert outcome is not None and (outcome.tasks, outcome.messages) == (0, 0) and outcome.errors == 0


def test_run_main_applies_then_refreshes_from_one_read_and_fires_once(tmp_path):
    """Run main is apply then refresh on the state after the changes, computed from one read: inside Excel a second
    read would not see the first's writes, and the triggers of the applied change would fire twice."""
    path = book_file(tmp_path)
    data = payload(path)
    book = xw.Book(json=data)
    outcome = excel.main(book)
    assert outcome is not None and outcome.errors == 0
    assert len(outcome.applied) == 1 and (outcome.tasks, outcome.messages) == (1, 1)
    grids = played(book, data)
    assert len(rows_below_header(grids["Tasks"])) == 1 and len(rows_below_header(grids["Outbox"])) == 1
    button_sessions = rows_below_header(grids["Sessions"])
    # the command line on the same file, as two runs, gives the same sessions
    for command in ("apply", "refresh"):
        result = CliRunner().invoke(cli, [command, str(path), "--today", TODAY.isoformat()], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    file_sessions = records(path, "Sessions")
    for column in ("Status", "Due Date", "Flag", "Days Overdue", "Assigned To", "Change To"):
        assert [_comparable(r[column]) for r in button_sessions] == [_comparable(r[column]) for r in file_sessions], (
            column
        )
    assert len(records(path, "Tasks")) == 1 and len(records(path, "Outbox")) == 1


def _comparable(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if value in ("", None):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
