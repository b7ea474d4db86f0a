"""Button clicks one after another, as a studio makes them: each click's actions played back into the payload the
next click sends (xlwings' real remote engine, as in Lite). The status cell, the write order, the rows an Excel
table does not cover, and what a repeated click sends back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings as xw
from helpers.payloads import payload, played, replayed

from sheetflow import excel
from sheetflow.core.cells import column_index
from sheetflow.core.schema import SHEET_BUTTONS

ROOT = Path(__file__).parents[2]
STATUS_CELL = (0, 28)  # AC1 (0-based, as actions count): two right of the 22 headers is X1, under a button


@pytest.fixture
def sample(tmp_path, sheetflow) -> Path:
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    return path


def click(data: dict, script: str) -> tuple[list[dict], object]:
    book = xw.Book(json=data)
    outcome = getattr(excel, script)(book)
    actions = book.json()["actions"]
    book.close()
    return actions, outcome


def sessions_index(data: dict) -> int:
    return next(i for i, s in enumerate(data["sheets"]) if s["name"] == "Sessions")


def header_writes(data: dict, actions: list[dict]) -> list[tuple[int, int]]:
    """The Sessions cells of row 1 that setValues actions wrote, (row, column) 0-based."""
    at = sessions_index(data)
    return [
        (a["start_row"], a["start_column"] + j)
        for a in actions
        if a["func"] == "setValues" and a["sheet_position"] == at and a["start_row"] == 0
        for j in range(a["column_count"])
    ]


def buttons() -> set[tuple[int, int]]:
    from sheetflow.authoring.template import FORM_BUTTONS

    cells = {cell for *_, cell in SHEET_BUTTONS} | {cell for *_, cell in FORM_BUTTONS}
    return {(int(c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) - 1, column_index(c.rstrip("0123456789")) - 1) for c in cells}


def test_the_status_cell_avoids_every_button_the_template_draws():
    from sheetflow.authoring.template import FORM_BUTTONS

    assert {cell for *_, cell in FORM_BUTTONS} | {cell for *_, cell in SHEET_BUTTONS} <= excel.BUTTON_CELLS


def test_ten_clicks_in_a_row_keep_one_status_cell_beside_the_headers(sample):
    data = payload(sample, selection="A3")
    scripts = [
        "refresh",
        "apply_changes",
        "validate",
        "change_status",
        "refresh",
        "main",
        "apply_changes",
        "validate",
        "refresh",
        "change_status",
    ]
    for number, script in enumerate(scripts, start=1):
        actions, outcome = click(data, script)
        assert outcome is not None, (number, script, [a["args"] for a in actions if a["func"] == "alert"])
        assert header_writes(data, actions) == [STATUS_CELL], (number, script)
        data = replayed(data, actions)
        header = data["sheets"][sessions_index(data)]["values"][0]
        assert header[STATUS_CELL[1]].startswith(
            excel.TITLES[["apply_changes", "refresh", "validate", "dashboard", "change_status", "main"].index(script)]
        )
        assert not any(header[c] for r, c in buttons() if c < len(header)), (number, header)
    assert len([v for v in header if v]) == 22 + 1  # the headers and the one status text


def test_a_status_left_under_a_button_is_cleared(sample):
    """What clicks of an older sheetflow did: status texts in W1 and X1, under Apply changes and Refresh now."""
    data = payload(sample)
    header = data["sheets"][sessions_index(data)]["values"][0]
    header += [""] * (24 - len(header))
    header[22] = header[23] = "Refresh 2026-11-30 09:15: 3 overdue, 4 due soon; 0 errors, 0 warnings"
    actions, outcome = click(data, "refresh")
    assert outcome is not None  # no "this column header is used twice"
    assert sorted(header_writes(data, actions)) == [(0, 22), (0, 23), STATUS_CELL]
    shown = replayed(data, actions)["sheets"][sessions_index(data)]["values"][0]
    assert shown[22] == shown[23] == "" and shown[STATUS_CELL[1]].startswith("Refresh ")


def test_with_a_column_more_the_status_cell_goes_right_of_the_buttons(sample):
    """23 headers put the status cell on Y1, under Validate: it moves past the last button (AB1) instead."""
    data = payload(sample)
    values = data["sheets"][sessions_index(data)]["values"]
    for r, row in enumerate(values):
        row.append("Album" if r == 0 else "")  # W1
    actions, outcome = click(data, "validate")
    assert outcome is not None and header_writes(data, actions) == [(0, 28)]  # AC1


def test_the_same_click_sends_the_same_actions_in_any_process(sample, tmp_path):
    """The Dashboard laid out afresh (its formats as rectangles) and the board: identical, hash seed or not."""
    data = payload(sample)
    dashboard = next(s for s in data["sheets"] if s["name"] == "Dashboard")
    dashboard["values"] = [[""]]
    (tmp_path / "payload.json").write_text(json.dumps(data))
    runner = tmp_path / "runner.py"
    runner.write_text(
        "import json, sys, xlwings as xw\n"
        "from sheetflow import excel\n"
        "book = xw.Book(json=json.load(open(sys.argv[1])))\n"
        "excel.refresh(book)\n"
        "print(json.dumps(book.json()['actions']))\n"
    )
    runs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "XLWINGS_LICENSE_KEY": "noncommercial", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, str(runner), str(tmp_path / "payload.json")],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        runs.append(_masked(done.stdout.strip()))
    runs += [_masked(json.dumps(click(json.loads(json.dumps(data)), "refresh")[0])) for _ in range(2)]
    assert len(set(runs)) == 1
    assert sum(1 for a in json.loads(runs[0]) if a["func"] in ("setNumberFormat", "setFontProperty")) > 5


def _masked(text: str) -> str:
    """Actions with the click's clock taken out (the status cell's minute)."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", "<now>", text)


def test_sessions_below_the_excel_table_are_read_and_the_table_grows(sample, monkeypatch):
    """Lite reads through the tables (no used range): a table that ends before the last sessions (pasted rows)
    must not hide them, and it grows to cover them."""
    data = payload(sample)
    sessions = data["sheets"][sessions_index(data)]
    assert sessions["tables"][0]["range_address"] == "A1:V13"
    sessions["tables"][0]["range_address"] = "A1:V4"  # both pending sessions (rows 5 and 10) lie below it

    def no_used_range(self):
        raise NotImplementedError("not in xlwings Lite")

    monkeypatch.setattr(xw.Sheet, "used_range", property(no_used_range))
    book = xw.Book(json=data)
    outcome = excel.apply_changes(book)
    assert outcome is not None and len(outcome.applied) == 2 and outcome.errors == 0
    actions = book.json()["actions"]
    resized = [a["args"] for a in actions if a["func"] == "resizeTable" and a["sheet_position"] == 0]
    assert resized == [[0, "$A$1:$V$13"]]
    grids = played(book, data)
    assert sum(1 for row in grids["Sessions"][1:] if row[0] not in ("", None)) == 12
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 0 and a["start_row"] > 12]


def test_a_repeated_click_sends_only_its_status(sample):
    data = payload(sample)
    actions, _ = click(data, "refresh")
    data = replayed(data, actions)
    for script in ("refresh", "validate", "apply_changes"):  # nothing pending after the first: nothing to write
        actions, outcome = click(data, "apply_changes" if script == "apply_changes" else script)
        if script == "apply_changes":
            data = replayed(data, actions)
            actions, outcome = click(data, "apply_changes")
        assert outcome is not None
        assert [(a["func"], a["start_row"], a["start_column"]) for a in actions] == [("setValues", *STATUS_CELL)]
