"""Issue 16's buttons in xlwings Lite, in real Pyodide (as tests/excel/test_lite_pyodide.py runs the bundle): a hold
typed into Change To and its resume a week later, the Dashboard's per-person section and On hold column, and Hide
inactive statuses — each click sends back exactly the actions CPython sends. One Pyodide serves the module; the
clicks run on the days they name (the driver pins the buttons' clock, as --today does the command line's)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from helpers.lite_pyodide import harness, needs_pyodide, prepare
from helpers.payloads import payload, played, replayed
from helpers.workbooks import cells

from sheetflow.cli import main as cli

HOLD_DAY, RESUME_DAY = dt.date(2026, 11, 25), dt.date(2026, 12, 2)  # Wednesdays; the sample closes Monday 7 December
ZOE = 1011  # the sample's Zoe & Ryan Patel: W-Retouch Pending, due Thursday 3 December, Priya's
PER_PERSON = "Time in status per person"


pytestmark = needs_pyodide


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("lite")
    result = CliRunner().invoke(cli, ["excel", "lite", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return (out / "main.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def engines(bundle):
    """Pyodide and CPython, each started once for the module, with the bundle loaded."""
    started = [harness.pyodide(prepare.wheels(importlib.metadata.version("xlwings"))), harness.cpython()]
    for engine in started:
        engine.scripts = {m["function_name"]: m["button"] for m in engine.load(bundle)["meta"]}  # each sheet button
    yield dict(zip(("pyodide", "cpython"), started, strict=True))
    for engine in started:
        engine.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample studio as made on the hold's day, with no other change typed in: only Zoe's row changes."""
    path = tmp_path_factory.mktemp("sample") / "studio.xlsx"
    done = CliRunner().invoke(cli, ["new", str(path), "--sample", "--today", HOLD_DAY.isoformat()])
    assert done.exit_code == 0, done.output
    wb = openpyxl.load_workbook(path)
    ws = wb["Sessions"]
    change_to = [c.value for c in ws[1]].index("Change To")
    for row in ws.iter_rows(min_row=2):
        row[change_to].value = None
    wb.save(path)
    return path


class _Played:
    """Actions as a book's json() gives them, for payloads.played."""

    def __init__(self, actions: list[dict[str, Any]]):
        self.actions = actions

    def json(self) -> dict[str, Any]:
        return {"actions": self.actions}


def click(
    engines: dict, script: str, data: dict[str, Any], day: dt.date, alerts: int = 0
) -> tuple[list[dict], dict[str, list]]:
    """The click in Pyodide and on CPython: the same actions (the clock's minute aside), with `alerts` alerts;
    Pyodide's, and the sheets as they are after them."""
    web, native = (engines[name].run(script, json.dumps(data), today=day.isoformat()) for name in engines)
    assert web["engine"] == "emscripten" and native["engine"] == sys.platform
    assert harness.masked(web["actions"]) == harness.masked(native["actions"])
    assert len([a for a in web["actions"] if a["func"] == "alert"]) == alerts, "the click alerted"
    return web["actions"], played(_Played(web["actions"]), data)


def sheet(data: dict[str, Any], name: str) -> list[list]:
    return next(s["values"] for s in data["sheets"] if s["name"] == name)


def type_change(data: dict[str, Any], session_id: int, text: str) -> dict[str, Any]:
    """The payload with `text` typed into the session's Change To, as the studio does between clicks."""
    data = json.loads(json.dumps(data))
    grid = sheet(data, "Sessions")
    row = next(line for line in grid[1:] if line[0] == session_id)
    row[grid[0].index("Change To")] = text
    return data


def row_of(grids: dict[str, list], sheet_name: str, index: int = -1, key: int | None = None) -> dict[str, Any]:
    """A row by header name: the session `key`'s on Sessions, else the `index`th."""
    grid = grids[sheet_name]
    line = next(r for r in grid[1:] if r and r[0] == key) if key is not None else grid[index]
    return dict(zip(grid[0], line, strict=False))


def status_text(grids: dict[str, list]) -> str:
    (text,) = [v for v in grids["Sessions"][0] if isinstance(v, str) and v.startswith("Apply changes ")]
    return text


def test_hold_then_resume_in_lite_stop_and_restart_the_clock_as_on_cpython(engines, sample):
    data = type_change(payload(sample), ZOE, "hold waiting on client")
    actions, held = click(engines, "apply_changes", data, HOLD_DAY)
    zoe = row_of(held, "Sessions", key=ZOE)
    assert zoe["Status"] == "W-Retouch Pending" and zoe["Status Date"] == dt.date(2026, 11, 24)  # kept
    assert zoe["Flag"] == "On hold" and zoe["Days Overdue"] in ("", None)
    assert zoe["Held Since"] == HOLD_DAY and zoe["Hold Reason"] == "Waiting on client"  # spelt as on Lists
    assert zoe["Reason"] in ("", None)
    assert zoe["Due Date"] == dt.date(2026, 12, 3) and zoe["Manual Due"] == "No" and zoe["Change To"] in ("", None)
    note = row_of(held, "Notes")
    assert note["Session ID"] == ZOE and note["From Status"] == note["To Status"] == "W-Retouch Pending"
    assert note["Date Completed"] == HOLD_DAY and note["Source"] == "button"
    assert note["Note"] == "on hold, 6 business days left"  # 26, 27, 30 November, 1, 2, 3 December
    assert note["Reason"] == "Waiting on client" and note["Assigned To"] == "Priya"
    assert status_text(held).endswith(
        ": 1 change applied; 0 errors, 0 warnings. Session 1011 is on hold in W-Retouch Pending since 25/11/2026 "
        "(Waiting on client), 6 business days left — its clock is stopped until Change To says resume (or a status)"
    )

    again = type_change(replayed(data, actions), ZOE, "resume")  # a week later, in the same workbook
    _, resumed = click(engines, "apply_changes", again, RESUME_DAY)
    zoe = row_of(resumed, "Sessions", key=ZOE)
    # WORKDAY.INTL(2 December, 6) with Monday 7 December closed: 3, 4, 8, 9, 10, 11
    assert zoe["Due Date"] == dt.date(2026, 12, 11) and zoe["Manual Due"] == "Yes"
    assert zoe["Status"] == "W-Retouch Pending" and zoe["Flag"] in ("", None)  # due after the due-soon days
    assert zoe["Held Since"] in ("", None) and zoe["Hold Reason"] in ("", None)
    note = row_of(resumed, "Notes")
    assert (note["From Status"], note["To Status"]) == ("W-Retouch Pending", "W-Retouch Pending")
    assert note["Date Completed"] == RESUME_DAY and note["Due Date"] == dt.date(2026, 12, 11)
    assert note["Note"] == "resumed after 5 business days on hold (Waiting on client), 6 business days left"
    assert note["Reason"] in ("", None) and note["Assigned To"] == "Priya"  # nothing was typed with the resume
    assert status_text(resumed).endswith(
        "Session 1011 resumed in W-Retouch Pending, 6 business days left, due 11/12/2026"
    )


def _block(grid: list[list], title: str) -> list[list]:
    """A Dashboard table by its title: its header and rows, down to the first blank line, in its own columns."""
    (r, c) = next((r, row.index(title)) for r, row in enumerate(grid) if title in row)
    header = grid[r + 1]
    width = next((j for j in range(c, len(header)) if header[j] in ("", None)), len(header)) - c
    rows = []
    for line in grid[r + 1 :]:
        cut = [line[j] if j < len(line) else "" for j in range(c, c + width)]
        if all(v in ("", None) for v in cut):
            break
        rows.append([round(v, 4) if isinstance(v, float) else v for v in cut])
    return rows


def test_the_dashboard_in_lite_has_the_per_person_section_and_the_on_hold_column(engines, sample, tmp_path):
    data = type_change(payload(sample), ZOE, "hold waiting on client")
    actions, _ = click(engines, "apply_changes", data, HOLD_DAY)
    held = replayed(data, actions)
    dashboard = next(s for s in held["sheets"] if s["name"] == "Dashboard")
    dashboard["values"] = [[""]]  # a Dashboard the click lays out whole: every figure below is Lite's own
    actions, after = click(engines, "dashboard", held, HOLD_DAY)
    assert len(actions) > 10
    board = after["Dashboard"]
    header = next(line for line in board if line and line[0] == "Status" and "On hold" in line)
    line = next(line for line in board if line and line[0] == "W-Retouch Pending")
    assert line[header.index("On hold")] == 1 and line[header.index("On track")] == 0
    per_person = _block(board, PER_PERSON)
    assert per_person[0][:6] == ["Person", "Status", "Stays", "Median Days", "Typical Duration", "Left Late"]
    assert {row[0] for row in per_person[1:]} == {"Maya", "Priya", "Jon"}
    # the same figures as `sheetflow report` writes into the file, with pandas (Lite has neither it nor the file)
    on_file = tmp_path / "studio.xlsx"
    shutil.copy(sample, on_file)
    runner = CliRunner()
    for argv in (["change", str(on_file), str(ZOE), "--to", "hold waiting on client"], ["report", str(on_file)]):
        done = runner.invoke(cli, [*argv, "--today", HOLD_DAY.isoformat()], catch_exceptions=False)
        assert done.exit_code == 0, done.output
    assert per_person == _block(cells(on_file, "Dashboard"), PER_PERSON)


def _row_hiding(actions: list[dict]) -> list[tuple[int, int, bool]]:
    """The Statuses rows a click hid or showed: (first row, last row, hidden), 1-based, in the order sent."""
    hiding = [a for a in actions if a["func"] == "setRowHidden"]
    return [(a["start_row"] + 1, a["start_row"] + a["row_count"], a["args"][0]) for a in hiding]


def test_hide_inactive_statuses_in_lite_asks_excel_to_hide_the_inactive_rows(engines, sample):
    """Lite's client hides rows (xlwings 0.37's rows.hidden, read back there with get_hidden()): the click asks it to,
    and the status text says what was hidden and how to bring it back."""
    buttons = engines["pyodide"].scripts
    assert buttons["hide_inactive_statuses"] == "[btnHideInactive]Sessions!AA1"
    assert buttons["show_inactive_statuses"] == "[btnShowInactive]Sessions!AB1"
    data = payload(sample)
    statuses = [s["name"] for s in data["sheets"]].index("Statuses")
    actions, after = click(engines, "hide_inactive_statuses", data, HOLD_DAY)
    assert {a["sheet_position"] for a in actions if a["func"] == "setRowHidden"} == {statuses}
    assert _row_hiding(actions) == [(2, 15, False), (9, 9, True)]  # every row shown, then W-Engagement Shoot Pending
    (said,) = [v for v in after["Sessions"][0] if isinstance(v, str) and v.startswith("Hide inactive statuses ")]
    assert 'hid 1 inactive status on the Statuses sheet ("W-Engagement Shoot Pending")' in said
    assert "Show all statuses brings them back" in said and "can't hide rows" not in said
    actions, _ = click(engines, "show_inactive_statuses", data, HOLD_DAY)
    assert _row_hiding(actions) == [(2, 15, False)]


def test_refresh_in_lite_with_a_calendar_file_named_runs_as_on_cpython(engines, sample):
    """Lite writes no files (the calendar is the desktop button's and `sheetflow refresh`'s, and the status cell
    says so): a Calendar file and a Time zone in Settings are read and checked there too — without the computer's
    time zone database, which Pyodide lacks (python-dateutil's is used) — and the refresh goes on."""
    data = payload(sample)
    for row in sheet(data, "Settings"):
        row[1] = {"calendar file": "studio.ics", "time zone": "europe/london"}.get(str(row[0]).lower(), row[1])
    actions, after = click(engines, "refresh", data, HOLD_DAY)
    (said,) = [v for v in after["Sessions"][0] if isinstance(v, str) and v.startswith("Refresh ")]
    naming = [a for a in actions if "ics" in json.dumps(a.get("values"))]
    assert [a.get("values") for a in naming] == [[[said]]], "only the status cell names the calendar file"
    assert said.endswith(
        ": 3 overdue, 4 due soon; 0 errors, 0 warnings. studio.ics is written by Refresh in desktop Excel or by "
        "sheetflow refresh, not in Excel on the web"
    )
    data = json.loads(json.dumps(data).replace("europe/london", "Europe/Londn"))
    actions, after = click(engines, "refresh", data, HOLD_DAY, alerts=1)
    assert "1 error, 0 warnings. See the Problems sheet" in json.dumps(actions)
    problems = json.dumps(after["Problems"], default=str)
    assert 'Time zone \\"Europe/Londn\\" is not a time zone name' in problems and "Europe/London" in problems
