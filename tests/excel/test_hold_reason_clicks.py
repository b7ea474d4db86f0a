"""A hold as a studio types it on the open workbook (xlwings' remote engine, as Lite runs it): `hold` in Change To
and a Reason picked from the Reason column's dropdown, then Apply changes; the status cell says the hold in plain
words — which session, where, since when, why, the days left — as `sheetflow apply` prints it."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import xlwings as xw
from helpers.payloads import payload, played, replayed

from sheetflow import excel


@pytest.fixture
def sample(tmp_path, sheetflow):
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0  # made around today, as a click runs today
    return path


def dropdown(path, column: str) -> list[str]:
    """The choices of a Sessions column's dropdown: its list validation's name, looked up in the workbook."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Sessions"]
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    (rule,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}2:")]
    assert rule.type == "list"
    table, field = wb.defined_names[rule.formula1].attr_text.removesuffix("]").split("[")  # ListsTable[Reason]
    (sheet,) = [s for s in wb.worksheets if table in s.tables]
    rows = list(sheet[sheet.tables[table].ref])
    at = [c.value for c in rows[0]].index(field)
    return [row[at].value for row in rows[1:] if row[at].value]


def click(data: dict) -> tuple[list[dict], dict[str, list[list]], str]:
    """Apply changes on the payload: its actions, the sheets after them, and the status cell's text."""
    book = xw.Book(json=data)
    assert excel.apply_changes(book) is not None
    actions, grids = book.json()["actions"], played(book, data)
    book.close()
    (said,) = [v for v in grids["Sessions"][0] if isinstance(v, str) and v.startswith("Apply changes ")]
    return actions, grids, said


def test_a_hold_with_a_reason_from_the_dropdown_is_said_in_the_status_cell(sample):
    reasons = dropdown(sample, "Reason")
    assert reasons[:2] == ["Waiting on client", "Waiting on payment"]
    data = payload(sample)
    grid = next(s["values"] for s in data["sheets"] if s["name"] == "Sessions")
    header = grid[0]
    names = ("Session ID", "Status", "Change To", "Reason", "Flag", "Held Since", "Hold Reason")
    at = {name: header.index(name) for name in names}
    for line in grid[1:]:  # only this session changes
        line[at["Change To"]] = ""
    row = next(r for r, line in enumerate(grid) if line[at["Status"]] == "W-Retouch Pending")
    grid[row][at["Change To"]], grid[row][at["Reason"]] = "hold", reasons[1]
    sid = int(grid[row][at["Session ID"]])
    today = dt.date.today()

    actions, after, said = click(data)
    held = after["Sessions"][row]
    assert held[at["Flag"]] == "On hold" and held[at["Held Since"]] == today
    assert held[at["Hold Reason"]] == "Waiting on payment" and held[at["Status"]] == "W-Retouch Pending"
    assert held[at["Reason"]] in ("", None)
    notes = after["Notes"]
    last = dict(zip(notes[0], notes[-1], strict=False))
    assert last["Reason"] == "Waiting on payment" and str(last["Note"]).startswith("on hold")
    assert ": 1 change applied; 0 errors, 0 warnings. " in said
    assert (
        f"Session {sid} is on hold in W-Retouch Pending since {today:%d/%m/%Y} (Waiting on payment), " in said
        and " business days left — its clock is stopped until Change To says resume (or a status)" in said
    )

    again = replayed(data, actions)
    next(s["values"] for s in again["sheets"] if s["name"] == "Sessions")[row][at["Change To"]] = "resume"
    _, _, said = click(again)
    assert f"Session {sid} resumed in W-Retouch Pending, " in said and " business days left, due " in said


def test_a_click_that_changes_no_hold_says_only_its_summary(sample):
    data = payload(sample)  # the sample's own pending changes: a `next` and a status, no hold
    _, _, said = click(data)
    assert said.endswith(": 2 changes applied; 2 tasks created, 1 message queued; 0 errors, 0 warnings")


def test_four_holds_at_once_are_said_three_then_counted(sample):
    """The status cell stays one readable line: three holds spelt out, the rest counted (Notes has every one)."""
    data = payload(sample)
    grid = next(s["values"] for s in data["sheets"] if s["name"] == "Sessions")
    header = grid[0]
    status, change_to = header.index("Status"), header.index("Change To")
    for line in grid[1:]:
        line[change_to] = ""
    open_rows = [line for line in grid[1:] if "Delivered" not in line[status]][:4]
    for line in open_rows:
        line[change_to] = "hold waiting on payment"
    _, after, said = click(data)
    assert said.count(" is on hold in ") == 3 and "(Waiting on payment)" in said
    assert said.startswith("Apply changes ") and ": 4 changes applied; 0 errors, 0 warnings. Session " in said
    assert said.endswith(". And 1 more like these: see the Notes sheet")
    held = [dict(zip(after["Notes"][0], r, strict=False)) for r in after["Notes"][-4:]]
    assert [r["Reason"] for r in held] == ["Waiting on payment"] * 4
