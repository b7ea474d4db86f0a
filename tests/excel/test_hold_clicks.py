"""Holds through the buttons (xlwings' remote engine, as Lite runs it): Apply changes with `hold` in Change To stops
a session's clock on the open workbook, and a later click with `resume` starts it again — the same core as
`sheetflow apply`, the hold kept in the sheet's own cells between clicks."""

from __future__ import annotations

import datetime as dt

import pytest
import xlwings as xw
from helpers.payloads import payload, played, replayed

from sheetflow import excel


@pytest.fixture
def sample(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    assert sheetflow("refresh", path, today=None).exit_code == 0  # due dates worked out, as a click sees them
    return path


def sheet(data: dict, name: str) -> list[list]:
    return next(s["values"] for s in data["sheets"] if s["name"] == name)


def type_into(data: dict, row: int, **values) -> None:
    """Type into a Sessions row of the payload, by header name."""
    grid = sheet(data, "Sessions")
    header = grid[0]
    for name, value in values.items():
        grid[row][header.index(name.replace("_", " ").title())] = value


def as_day(value) -> dt.date | None:
    """A date as the payload carries it (ISO text ending in Z) or as played back (a date)."""
    if isinstance(value, str) and value[:4].isdigit():
        return dt.datetime.fromisoformat(value.replace("Z", "")).date()
    return value if isinstance(value, dt.date) else None


def click(data: dict) -> tuple[list[dict], dict[str, list[list]]]:
    book = xw.Book(json=data)
    excel.apply_changes(book)
    grids = played(book, data)
    actions = book.json()["actions"]
    book.close()
    return actions, grids


def test_hold_and_resume_through_apply_changes(sample):
    data = payload(sample)
    grid = sheet(data, "Sessions")
    header = grid[0]
    names = ("Session ID", "Status", "Flag", "Held Since", "Hold Reason", "Reason", "Due Date")
    col = {name: header.index(name) for name in names}
    today = dt.date.today()  # the sample is made around today, and a click runs today
    # a session in an open status, due after today on a business day (the sample's week is Monday to Friday)
    row = next(
        r
        for r, line in enumerate(grid[1:], start=1)
        if (due := as_day(line[col["Due Date"]])) and due > today and due.weekday() < 5 and not line[col["Flag"]]
    )
    due = as_day(grid[row][col["Due Date"]])
    for r, line in enumerate(grid[1:], start=1):  # only this session changes in this test
        if r != row:
            line[header.index("Change To")] = ""
    status = grid[row][col["Status"]]
    type_into(data, row, change_to="hold", reason="Waiting on client")
    actions, after = click(data)
    held = after["Sessions"][row]
    assert held[col["Status"]] == status and held[col["Flag"]] == "On hold"
    assert held[col["Hold Reason"]] == "Waiting on client" and held[col["Held Since"]] == today
    assert held[col["Reason"]] in ("", None)  # the input cleared: free for the change that ends the hold
    notes = after["Notes"]
    note_header = notes[0]
    last = dict(zip(note_header, notes[-1], strict=False))
    assert last["From Status"] == last["To Status"] == status
    assert last["Reason"] == "Waiting on client" and str(last["Note"]).startswith("on hold")
    dashboard = after["Dashboard"]
    assert any(line and line[0] == "Sessions on hold, by reason" for line in dashboard)

    again = replayed(data, actions)
    type_into(again, row, change_to="resume")
    _, resumed = click(again)
    line = resumed["Sessions"][row]
    assert line[col["Flag"]] != "On hold" and line[col["Held Since"]] in ("", None)
    # resumed the day it was held: every business day it had is left, so it is due when it was
    assert line[col["Hold Reason"]] in ("", None) and line[col["Due Date"]] == due
    notes = resumed["Notes"]
    last = dict(zip(notes[0], notes[-1], strict=False))
    assert str(last["Note"]).startswith("resumed after 0 business days on hold (Waiting on client), ")
    assert last["To Status"] == status and last["Reason"] in ("", None)  # nothing typed with the resume
