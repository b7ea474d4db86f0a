"""Switching Settings' Statuses by type explained at the cell: the manuals warn that turning it off folds every
cycle into one (and turning it on leaves statuses without a cycle). validate says so once, at the Settings value
cell, with what to do, instead of a heap of errors that don't name the switch (issue 15)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from helpers.workbooks import STATUS_HEADER, cells, session, studio


@pytest.fixture
def sample(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", "2026-11-25").exit_code == 0
    return book


def set_by_type(path: Path, value: str) -> str:
    """Type a value into Settings' Statuses by type; returns its cell."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Statuses by type")
    ws.cell(row, 2).value = value
    wb.save(path)
    return f"B{row}"


def test_switching_off_is_one_error_at_the_setting_that_names_the_switch(sample, sheetflow):
    cell = set_by_type(sample, "No")
    result = sheetflow("validate", sample)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(lines) == 1, result.output  # not 8 errors at the Statuses rows
    assert lines[0].startswith(f"Settings!{cell}: error: Statuses by type is No, but the Statuses sheet holds a cycle")
    assert "(Portrait and Wedding)" in lines[0] and "switching it off did this" in lines[0]
    assert "— set Statuses by type back to Yes" in lines[0]
    problems = [row for row in cells(sample, "Problems")[1:] if row[0]]
    assert [row[1] for row in problems] == [f"Settings!{cell}"]
    set_by_type(sample, "Yes")
    assert sheetflow("validate", sample).exit_code == 0


def test_switching_off_still_names_what_is_wrong_inside_one_cycle(sample, sheetflow):
    wb = openpyxl.load_workbook(sample)
    wb["Statuses"].cell(3, 3).value = 10  # P-Image Capture Pending takes P-Session Pending's sort order
    wb.save(sample)
    set_by_type(sample, "No")
    result = sheetflow("validate", sample)
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert errors[0].startswith("Settings!")
    assert any(line.startswith("Statuses!C3: error: Sort Order 10 is used by") for line in errors[1:]), errors
    assert len(errors) == 2


def test_switching_on_over_statuses_without_a_type_is_one_error_at_the_setting(tmp_path, sheetflow):
    statuses = [
        STATUS_HEADER,
        ["", "Booked", 10, 0, "Yes", "", "", "", ""],
        ["", "Shoot", 20, 1, "", "", "", "", ""],
        ["", "Delivered", 30, "", "", "Yes", "", "", ""],
    ]
    sessions = [session(session_id=i, session_type="Portrait", status="Shoot") for i in (1, 2, 3)]
    book = studio(tmp_path / "s.xlsx", sessions, statuses=statuses)
    cell = set_by_type(book, "Yes")
    result = sheetflow("validate", book)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert errors == [
        f"Settings!{cell}: error: Statuses by type is Yes, but none of the 3 statuses on the Statuses sheet has a "
        "Session Type, so no session or trigger has a cycle (their rows are not listed one by one); switching it on "
        "did this (the manuals advise deciding once and sticking to it) — set Statuses by type back to No; or give "
        "each status the Session Type of its cycle, with an Initial and a Final status for each type"
    ]
