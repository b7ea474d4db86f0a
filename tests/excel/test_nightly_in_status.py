"""The nightly run's news where the studio sees it: a button clicked in the morning says in its status cell which
nightly refreshes did not get in since the last that did (the workbook open in Excel all night, a night that
failed), and Refresh and Run main say they have caught up. xlwings' real remote engine, with the workbook a saved
file (its full name known, as in desktop Excel); the log beside it is written by the real nightly run."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from helpers.payloads import payload, played
from helpers.workbooks import records

from sheetflow import excel
from sheetflow.library import schedule as nightly_run

TITLES = excel.TITLES


@pytest.fixture
def sample(tmp_path, sheetflow) -> Path:
    path = tmp_path / "studio.xlsx"
    assert sheetflow("new", path, "--sample").exit_code == 0
    return path


def settings(path: Path, **values: str) -> Path:
    """Settings rows filled in as the studio types them (Date order, Calendar file)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    wanted = {name.replace("_", " ").lower(): value for name, value in values.items()}
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value or "").lower() in wanted:
            row[1].value = wanted.pop(str(row[0].value).lower())
    for name, value in wanted.items():
        ws.append([name.capitalize(), value])
    wb.save(path)
    return path


def nights_open_in_excel(path: Path, *days: dt.date, tries: int = 5) -> None:
    """The real nightly run at 06:30 on each day, with the workbook open in Excel all the while (its owner file
    beside it): every try busy, the night missed."""
    owner = path.with_name(f"~${path.name}")
    owner.write_bytes(b"owner")
    clock = [dt.datetime.min]

    def sleep(seconds: float) -> None:  # the scheduler's hour, without the wait
        clock[0] += dt.timedelta(seconds=seconds)

    for day in days:
        clock[0] = dt.datetime.combine(day, dt.time(6, 30))
        (night,) = nightly_run.nightly([path], tries=tries, now=lambda: clock[0], sleep=sleep)
        assert night.exit_code == 3
    owner.unlink()


def click(path: Path, script: str, saved: bool = True) -> tuple[str, list[dict], object]:
    """A button clicked on the open workbook: its status text, its actions, its outcome."""
    data = payload(path)
    if saved:
        data["book"]["name"] = str(path)  # desktop Excel knows the workbook's file
    book = xw.Book(json=data)
    outcome = getattr(excel, script)(book)
    actions = book.json()["actions"]
    (status,) = [v for v in played(book, data)["Sessions"][0] if isinstance(v, str) and v.startswith(TITLES)]
    book.close()
    return status, actions, outcome


def alerts(actions: list[dict]) -> list[dict]:
    return [a for a in actions if a["func"] == "alert"]


def test_refresh_after_a_night_open_in_excel_says_it_has_brought_the_workbook_up_to_date(sample):
    nights_open_in_excel(sample, dt.date(2026, 12, 2))
    status, actions, outcome = click(sample, "refresh")
    assert outcome is not None and not alerts(actions)  # the status cell only, no alert box
    assert status.endswith(
        " due soon; 0 errors, 0 warnings. The nightly refresh of 2 Dec 06:30 did not run: the workbook was open in "
        "Excel until 07:30 — this Refresh has brought it up to date"
    )
    settings_sheet = [s["name"] for s in payload(sample)["sheets"]].index("Settings")
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == settings_sheet]
    assert nightly_run.log_path(sample).read_text().splitlines()[-1].split("  ")[1:3] == ["Refresh button", "done"]

    status, actions, _ = click(sample, "validate")  # caught up: the next click has nothing to tell of the night
    assert status.endswith(": 0 errors, 0 warnings") and "nightly" not in status

    (night,) = nightly_run.nightly([sample], tries=1)  # the next night gets in: Last refresh is the night's own
    assert night.exit_code == 0
    (last,) = [r["Value"] for r in records(sample, "Settings") if r["Setting"] == "Last refresh"]
    assert last.endswith(" due soon; 0 errors, 0 warnings")  # no missed night named: the click caught up


def test_run_main_says_so_too_and_a_button_that_does_not_refresh_says_refresh_will(sample):
    nights_open_in_excel(sample, dt.date(2026, 12, 2))
    status, _, _ = click(sample, "validate")
    assert status.endswith(
        "The nightly refresh of 2 Dec 06:30 did not run: the workbook was open in Excel until 07:30 — Refresh "
        "brings it up to date"
    )
    status, _, _ = click(sample, "validate")  # Validate caught nothing up: it says so again
    assert status.endswith("— Refresh brings it up to date")
    status, actions, _ = click(sample, "main")
    assert status.startswith("Run main ") and not alerts(actions)
    assert status.endswith("until 07:30 — this Run main has brought it up to date")
    status, _, _ = click(sample, "refresh")
    assert "nightly" not in status


def test_several_nights_missed_and_one_failed_are_counted_the_last_three_named(sample, tmp_path):
    nights_open_in_excel(sample, dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 11, 30), tries=2)
    good = sample.read_bytes()
    sample.write_text("not a workbook")  # a copy gone wrong overnight: the night fails, and says why
    clock = dt.datetime(2026, 12, 1, 6, 30)
    (night,) = nightly_run.nightly([sample], now=lambda: clock, sleep=lambda seconds: None)
    assert night.exit_code == 2
    sample.write_bytes(good)  # put back from the backup in the morning
    settings(sample, date_order="MDY")

    status, actions, _ = click(sample, "validate")
    assert not alerts(actions)
    said = status.split("0 errors, 0 warnings. ", 1)[1]
    assert said.startswith(
        "4 nightly refreshes did not get in: the nightly refresh of Nov 29 06:30 did not run: the workbook was open "
        "in Excel until 06:45; the nightly refresh of Nov 30 06:30 did not run: the workbook was open in Excel "
        "until 06:45; the nightly refresh of Dec 1 06:30 failed: studio.xlsx is not an Excel workbook"
    )
    assert said.endswith("; and 1 earlier (see studio.sheetflow.log) — Refresh brings it up to date")


def test_a_night_still_waiting_for_the_workbook_says_when_it_tries_again(sample):
    owner = sample.with_name(f"~${sample.name}")
    owner.write_bytes(b"owner")
    started = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)

    class Stopped(Exception):
        """The test's end of the night: the first try is logged, the wait is not sat out."""

    def sleep(seconds: float) -> None:
        raise Stopped

    with pytest.raises(Stopped):
        nightly_run.nightly([sample], now=lambda: started, sleep=sleep)
    status, _, _ = click(sample, "validate")
    again = started + nightly_run.WAIT
    assert status.endswith(
        f"The nightly refresh of {started.day} {started:%b %H:%M} has not got in yet (the workbook was open in "
        f"Excel); it tries again at {again:%H:%M} — Refresh brings it up to date"
    )


def test_a_night_that_was_done_or_no_nightly_run_at_all_adds_nothing(sample):
    status, _, _ = click(sample, "refresh")  # no log beside it: no nightly run set up
    assert status.endswith(" due soon; 0 errors, 0 warnings")
    nights_open_in_excel(sample, dt.date(2026, 12, 1))
    (night,) = nightly_run.nightly([sample], tries=1)  # closed again: the next night gets in
    assert night.exit_code == 0
    status, _, _ = click(sample, "refresh")
    assert status.endswith(" due soon; 0 errors, 0 warnings")


def test_a_click_that_is_not_done_still_tells_of_the_missed_night(sample):
    nights_open_in_excel(sample, dt.date(2026, 12, 2))
    wb = openpyxl.load_workbook(sample)
    del wb["Statuses"]
    wb.save(sample)
    status, actions, outcome = click(sample, "refresh")
    assert outcome is None and len(alerts(actions)) == 1  # the click's own failure is the alert, not the night
    assert status.startswith("Refresh: not done — ")
    assert status.endswith("The nightly refresh of 2 Dec 06:30 did not run: the workbook was open in Excel until 07:30")
    assert "brought it up to date" not in status


# --- Excel on the web (xlwings Lite, or a workbook that is no file here) ------------------------------------------


def test_refresh_on_the_web_says_the_calendar_file_is_not_written_there(sample):
    status, _, _ = click(settings(sample, calendar_file="studio.ics"), "refresh", saved=False)
    assert status.endswith(
        "0 errors, 0 warnings. studio.ics is written by Refresh in desktop Excel or by sheetflow refresh, not in "
        "Excel on the web"
    )
    status, _, _ = click(sample, "validate", saved=False)  # only the clicks that would write it say so
    assert status.endswith(": 0 errors, 0 warnings")
    status, _, _ = click(settings(sample, calendar_file=""), "refresh", saved=False)
    assert status.endswith(" due soon; 0 errors, 0 warnings")


LITE_RUNNER = textwrap.dedent("""
    import asyncio, json, sys, types
    import xlwings, xlwings.server
    xlwings.script = xlwings.server.script  # inside Lite, `from xlwings import script` is this decorator
    module = types.ModuleType("main")
    sys.modules["main"] = module
    exec(compile(open(sys.argv[1]).read(), "main.py", "exec"), module.__dict__)
    book = xlwings.Book(json=json.load(open(sys.argv[2])))
    book = asyncio.run(xlwings.server.custom_scripts_call(module, "refresh", typehint_to_value={xlwings.Book: book}))
    print(json.dumps({"actions": book.json()["actions"], "modules": sorted(m for m in sys.modules
                      if m.startswith("sheetflow"))}, default=str))
""")


def test_the_lite_bundle_says_it_and_never_reaches_for_the_library(sample, sheetflow, tmp_path):
    """The bundle (core/ and excel/ only) in a fresh CPython as Lite runs it: the calendar clause is said; and a
    workbook whose full name is a file with a nightly log beside it (never so in Lite, whose workbook is on the
    web) still imports nothing of the library: the night is the desktop buttons' to tell."""
    nights_open_in_excel(sample, dt.date(2026, 12, 2))
    assert sheetflow("excel", "lite", "--out", tmp_path / "lite", today=None).exit_code == 0
    (tmp_path / "runner.py").write_text(LITE_RUNNER)
    for saved, calendar, ends in (
        (
            False,
            "studio.ics",
            "studio.ics is written by Refresh in desktop Excel or by sheetflow refresh, not in Excel on the web",
        ),
        (True, "", " due soon; 0 errors, 0 warnings"),
    ):
        data = payload(settings(sample, calendar_file=calendar))
        if saved:
            data["book"]["name"] = str(sample)
        (tmp_path / "payload.json").write_text(json.dumps(data))
        done = subprocess.run(
            [sys.executable, "runner.py", str(tmp_path / "lite" / "main.py"), "payload.json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert not [m for m in result["modules"] if m.startswith(("sheetflow.library", "sheetflow.workbook"))]
        texts = [v for a in result["actions"] if a["func"] == "setValues" for row in a["values"] for v in row]
        (status,) = [v for v in texts if isinstance(v, str) and v.startswith("Refresh 20")]
        assert not [a for a in result["actions"] if a["func"] == "alert"]
        assert status.endswith(ends), status
