"""A workbook made by the previous version, clicked in Excel on the web with a main.py made from it (xlwings' remote
engine, as Lite runs it): its buttons are over V1…AA1, right where this version's first new column, Hold Reason,
would go. No click puts that header under a button — nothing moves shapes through xlwings: the hold keeps its reason
in Reason, as that sheet always had it, and the status cell says how to get the column."""

from __future__ import annotations

import datetime as dt

import pytest
import xlwings as xw
from helpers.old_layout import old_workbook
from helpers.payloads import payload, played, replayed

from sheetflow import excel
from sheetflow.excel import buttons
from sheetflow.excel.lite import buttons_of
from sheetflow.workbook.buttons import lite_shapes

ZOE = 1011  # the sample's Zoe & Ryan Patel, in W-Retouch Pending
ADVICE = (
    "The Sessions sheet has no Hold Reason column yet: run sheetflow refresh on the file once — it adds the column "
    "and moves the buttons — or add the header yourself right of Held Since and move the buttons; until then a hold "
    "keeps its reason in Reason"
)


@pytest.fixture
def old(tmp_path):
    """The old workbook, and the bundle's buttons told its cells as the main.py made from it tells them."""
    path = tmp_path / "old.xlsx"
    old_workbook(path)
    shapes = lite_shapes(path)
    found = buttons_of(shapes.sheet, shapes.header_row, shapes.headers, shapes.links, str(path))
    assert sorted(found.cells.values()) == ["AA1", "V1", "W1", "X1", "Z1"]
    template_cells = buttons.BUTTON_CELLS
    buttons.use_button_cells(found.cells.values())
    yield path
    buttons.use_button_cells(template_cells)


def click(entry, data: dict) -> tuple[list[dict], dict[str, list[list]], str]:
    """A button's click on the payload: its actions, the sheets after them, and the status cell's text."""
    book = xw.Book(json=data)
    assert entry(book) is not None
    actions, grids = book.json()["actions"], played(book, data)
    book.close()
    (said,) = [v for v in grids["Sessions"][0] if isinstance(v, str) and v.startswith(buttons.TITLES)]
    return actions, grids, said


def header_row_writes(actions: list[dict]) -> set[int]:
    """The columns (from 1) of the Sessions sheet's row 1 (the payload's first sheet) the actions write."""
    return {
        action["start_column"] + 1 + j
        for action in actions
        if action["func"] == "setValues" and action["sheet_position"] == 0 and action["start_row"] == 0
        for j in range(len(action["values"][0]))
    }


def test_a_hold_on_an_old_workbook_keeps_its_reason_in_reason_and_no_header_goes_under_a_button(old):
    data = payload(old)
    assert data["sheets"][0]["name"] == "Sessions"
    grid = data["sheets"][0]["values"]
    header = grid[0]
    assert header[-2:] == ["Reason", "Held Since"]  # U: the last header; V1 is under the old Apply changes button
    at = {name: header.index(name) for name in header}
    for line in grid[1:]:
        line[at["Change To"]] = ""
    row = next(r for r, line in enumerate(grid) if line[at["Session ID"]] == ZOE)
    grid[row][at["Change To"]], grid[row][at["Reason"]] = "hold", "waiting on payment"
    today = dt.date.today()

    actions, after, said = click(excel.apply_changes, data)
    assert 22 not in header_row_writes(actions)  # V1: nothing written there, the shape's cell stays as it is
    assert after["Sessions"][0][:21] == header
    assert all(len(line) <= 22 or line[21] in ("", None) for line in after["Sessions"])  # no Hold Reason cells
    zoe = dict(zip(header, after["Sessions"][row], strict=False))
    assert zoe["Flag"] == "On hold" and zoe["Held Since"] == today and zoe["Status"] == "W-Retouch Pending"
    assert zoe["Reason"] == "Waiting on payment" and zoe["Change To"] in ("", None)  # spelt as on Lists
    notes = after["Notes"]
    note = dict(zip(notes[0], notes[-1], strict=False))
    assert note["Session ID"] == ZOE and note["Reason"] == "Waiting on payment"
    assert str(note["Note"]).startswith("on hold")
    status = after["Sessions"][0].index(said) + 1
    assert status == 28  # AB1: right of the old buttons (V1…AA1), not under one
    assert said.endswith(f" — its clock is stopped until Change To says resume (or a status). {ADVICE}")
    assert f"Session {ZOE} is on hold in W-Retouch Pending since {today:%d/%m/%Y} (Waiting on payment)" in said
    assert said.count("no Hold Reason column yet") == 1
    assert "moved to Hold Reason" not in said

    # a Refresh reads the hold's reason from Reason and leaves it there; the resume ends the hold with it
    again = replayed(data, actions)
    actions, after, said = click(excel.refresh, again)
    assert 22 not in header_row_writes(actions) and said.endswith(ADVICE)
    assert dict(zip(header, after["Sessions"][row], strict=False))["Reason"] == "Waiting on payment"
    again = replayed(again, actions)
    next(s["values"] for s in again["sheets"] if s["name"] == "Sessions")[row][at["Change To"]] = "resume"
    actions, after, said = click(excel.apply_changes, again)
    zoe = dict(zip(header, after["Sessions"][row], strict=False))
    assert zoe["Flag"] != "On hold" and zoe["Held Since"] in ("", None) and zoe["Reason"] in ("", None)
    notes = after["Notes"]
    note = dict(zip(notes[0], notes[-1], strict=False))
    assert str(note["Note"]).startswith("resumed after 0 business days on hold (Waiting on payment)")
    assert f"Session {ZOE} resumed in W-Retouch Pending" in said and 22 not in header_row_writes(actions)


def test_a_reason_off_the_list_is_warned_of_at_the_reason_cell_it_is_kept_in(old):
    data = payload(old)
    grid = next(s["values"] for s in data["sheets"] if s["name"] == "Sessions")
    at = {name: grid[0].index(name) for name in grid[0]}
    for line in grid[1:]:
        line[at["Change To"]] = ""
    row = next(r for r, line in enumerate(grid) if line[at["Session ID"]] == ZOE)
    grid[row][at["Change To"]] = "hold lab closed for the holidays"

    _, after, said = click(excel.apply_changes, data)
    assert dict(zip(grid[0], after["Sessions"][row], strict=False))["Reason"] == "lab closed for the holidays"
    problems = [dict(zip(after["Problems"][0], line, strict=False)) for line in after["Problems"][1:]]
    (warned,) = [p for p in problems if "lab closed for the holidays" in str(p["Problem"])]
    assert f"Sessions!T{row + 1}" in str(warned["Where"])  # Reason's cell, not V's
    assert said.endswith(ADVICE)
