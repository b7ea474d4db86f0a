"""The studio's calendar a refresh keeps beside the workbook (Settings' Calendar file) is exactly the one
`sheetflow calendar` gives on the refreshed workbook: the due dates this very refresh changed, the tasks it fired,
the sessions booked at a time of day — from the command line and from the Refresh button on xlwings' remote
engine (whose open workbook is never saved: its calendar is compared with the same studio refreshed as a file)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import icalendar
import pytest
from conftest import TODAY
from helpers.workbooks import SETTINGS, records, session, studio

from sheetflow.core.schema import TASKS, TRIGGERS

STALE_DUE = dt.date(2027, 3, 1)  # typed by hand long ago: the refresh works it out again
RETOUCH_OVERDUE = ["Retouch overdue", "", "Retouch Pending", "Status due date", 1, "Task", "", "", "", "Yes"]
OPEN_TASK = ["T-1", 2, "Bo Chen", "Call", "Call Bo about the prints", dt.date(2026, 12, 1), "Jon", "", "", "No", ""]
DONE_TASK = ["T-2", 2, "Bo Chen", "Task", "Frame the print", dt.date(2026, 11, 30), "Jon", "", "", "No", "Yes"]
TASKS_HEADER = ["Task ID", "Session ID", "Client", "Action", "Task", "Due Date", "Assigned To", "Trigger", "Created"]
TASKS_HEADER += ["Late", "Done"]


SHORT = ("Assigned To", "Late")  # columns a studio's own Tasks sheet may lack: the refresh adds them


def refreshing_studio(path: Path, today: dt.date, with_tasks: bool, short: bool = False) -> Path:
    """A studio whose next refresh changes a due date (session 1's, typed stale) and fires a task (session 1's
    retouch is overdue); session 2 is booked for 14:30; the Tasks sheet, when there is one, holds an open task and
    a done one (`short`: under a header without Assigned To and Late)."""
    extra: dict[str, list[list[object]]] = {TRIGGERS.name: [list(TRIGGERS.columns), RETOUCH_OVERDUE]}
    if with_tasks:
        kept = [i for i, name in enumerate(TASKS_HEADER) if not (short and name in SHORT)]
        extra[TASKS.name] = [[row[i] for i in kept] for row in (TASKS_HEADER, OPEN_TASK, DONE_TASK)]
    return studio(
        path,
        [
            session(session_id=1, client="Ann Lee", session_type="Portrait", session_date=today - dt.timedelta(days=40),
                    status="Retouch Pending", status_date=today - dt.timedelta(days=30), due_date=STALE_DUE,
                    assigned_to="Priya"),
            session(session_id=2, client="Bo Chen", session_type="Portrait",
                    session_date=dt.datetime.combine(today + dt.timedelta(days=10), dt.time(14, 30)),
                    status="Image Capture Pending", status_date=today, assigned_to="Jon"),
            session(session_id=3, client="Cy Diaz", session_date=today - dt.timedelta(days=60),
                    status="Order Delivered", status_date=today - dt.timedelta(days=20), assigned_to="Maya"),
        ],
        settings=[*SETTINGS, ["Time zone", "Europe/London"], ["Calendar file", "studio.ics"]],
        extra=extra,
    )  # fmt: skip


def entries(text: bytes) -> dict[str, list[bytes]]:
    """UID -> the lines of its VEVENT or VTODO (unfolded), all but those that say when it was written (DTSTAMP,
    LAST-MODIFIED) and the check of its text as written (the second half of X-SHEETFLOW-ENTRY)."""
    found = {}
    for block in re.findall(rb"BEGIN:(?:VEVENT|VTODO)\r\n.*?END:(?:VEVENT|VTODO)\r\n", text, re.DOTALL):
        lines = block.replace(b"\r\n ", b"").split(b"\r\n")
        kept = [re.sub(rb"^(X-SHEETFLOW-ENTRY:\w+)-\w+$", rb"\1", line) for line in lines]
        kept = [line for line in kept if not line.startswith((b"DTSTAMP", b"LAST-MODIFIED"))]
        uid = next(line for line in kept if line.startswith(b"UID:")).removeprefix(b"UID:").decode()
        found[uid] = kept
    return found


def head(text: bytes) -> bytes:
    """The calendar's own lines and its time zone's, up to its first entry (its content digest among them)."""
    return text[: min(text.find(b"BEGIN:VEVENT"), text.find(b"BEGIN:VTODO") % len(text))]


def parsed(text: bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(c["UID"]): c for c in calendar.walk() if c.name in ("VEVENT", "VTODO")}


def due_of(book: Path, session_id: int) -> dt.date:
    """A session's Due Date as the file holds it (calamine reads a date cell as a datetime at midnight)."""
    due = next(row["Due Date"] for row in records(book, "Sessions") if row["Session ID"] == session_id)
    return due.date() if isinstance(due, dt.datetime) else due


def assert_the_refresh_shows(text: bytes, new_due: dt.date, open_task: bool) -> None:
    """What the calendar must hold for this refresh: the due date it changed, the task it fired, the session at its
    time of day, and the open task that was there before (never the done one)."""
    found = parsed(text)
    assert found["sheetflow-due-1@test-studio.sheetflow"]["DTSTART"].dt == new_due != STALE_DUE
    fired = [c for c in found.values() if c.name == "VTODO" and "Retouch overdue" in str(c["SUMMARY"])]
    assert len(fired) == 1 and str(fired[0]["UID"]).startswith("sheetflow-task-t-")
    timed = found["sheetflow-session-2@test-studio.sheetflow"]["DTSTART"]
    assert (timed.params["TZID"], timed.dt.hour, timed.dt.minute) == ("Europe/London", 14, 30)
    assert ("sheetflow-task-t-1@test-studio.sheetflow" in found) is open_task
    assert "sheetflow-task-t-2@test-studio.sheetflow" not in found


@pytest.mark.parametrize("with_tasks", [True, False], ids=["tasks-sheet", "no-tasks-sheet-yet"])
def test_refresh_writes_the_calendar_sheetflow_calendar_gives_afterwards(tmp_path, sheetflow, with_tasks):
    book = refreshing_studio(tmp_path / "s.xlsx", TODAY, with_tasks)
    result = sheetflow("refresh", book)
    assert result.exit_code == 0, result.output
    assert "1 task created" in result.output and "the studio's calendar studio.ics updated" in result.output
    new_due = due_of(book, 1)
    assert isinstance(new_due, dt.date) and new_due != STALE_DUE  # the refresh changed it
    assert [row["Trigger"] for row in records(book, "Tasks")].count("Retouch overdue") == 1  # and fired the task
    from_refresh = (tmp_path / "studio.ics").read_bytes()
    assert_the_refresh_shows(from_refresh, new_due, open_task=with_tasks)

    (tmp_path / "elsewhere").mkdir()
    again = sheetflow("calendar", book, "--out", tmp_path / "elsewhere" / "studio.ics")
    assert again.exit_code == 0, again.output
    from_calendar = (tmp_path / "elsewhere" / "studio.ics").read_bytes()
    assert entries(from_refresh) == entries(from_calendar) and len(entries(from_refresh)) == 6 + with_tasks
    assert head(from_refresh) == head(from_calendar)  # the same content digest: the same calendar
    # and `sheetflow calendar` on its own file finds nothing to write
    assert "(unchanged)" in sheetflow("calendar", book).output
    assert (tmp_path / "studio.ics").read_bytes() == from_refresh


def test_a_calendar_that_cannot_be_written_never_undoes_the_refresh(tmp_path, sheetflow):
    book = refreshing_studio(tmp_path / "s.xlsx", TODAY, with_tasks=True)
    (tmp_path / "studio.ics").mkdir()  # a folder where the calendar file goes
    result = sheetflow("refresh", book)
    assert result.exit_code == 0, result.output
    assert "the studio's calendar was not updated:" in result.output
    assert due_of(book, 1) != STALE_DUE and "Retouch overdue" in [row["Trigger"] for row in records(book, "Tasks")]


@pytest.mark.parametrize(
    ("with_tasks", "short"),
    [(True, False), (False, False), (True, True)],
    ids=["tasks-sheet", "no-tasks-sheet-yet", "tasks-sheet-short-of-columns"],
)
def test_the_refresh_button_writes_the_calendar_of_the_refreshed_open_workbook(tmp_path, sheetflow, with_tasks, short):
    """The click's own read and Outcome: the remote engine never reads back what a click wrote, so the task it
    fired and the due date it changed are in the calendar only because they come from the refresh itself."""
    import xlwings as xw
    from helpers.payloads import payload, replayed

    from sheetflow import excel

    today = dt.date.today()  # the buttons run on the real today
    book_path = refreshing_studio(tmp_path / "s.xlsx", today, with_tasks, short)
    (tmp_path / "as-a-file").mkdir()
    as_a_file = Path(shutil.copyfile(book_path, tmp_path / "as-a-file" / "s.xlsx"))
    data = payload(book_path)
    data["book"]["name"] = str(book_path)  # desktop Excel: the workbook is a file on this computer
    book = xw.Book(json=data)
    outcome = excel.refresh(book)
    assert outcome is not None and outcome.tasks == 1
    from_button = (tmp_path / "studio.ics").read_bytes()

    # the same studio refreshed as a file, then `sheetflow calendar` to another folder
    assert sheetflow("refresh", as_a_file, today=today).exit_code == 0
    assert sheetflow("calendar", as_a_file, "--out", tmp_path / "reference.ics", today=today).exit_code == 0
    reference = (tmp_path / "reference.ics").read_bytes()
    assert entries(from_button) == entries(reference) and head(from_button) == head(reference)
    assert_the_refresh_shows(from_button, due_of(as_a_file, 1), open_task=with_tasks)
    fired = next(c for c in parsed(from_button).values() if "Retouch overdue" in str(c.get("SUMMARY", "")))
    assert fired["ATTENDEE"].params["CN"] == "Priya"  # the fired task's Assigned To, in a column it may have added

    # the next click reads what this one wrote (the fired task from the sheet now): nothing to change
    written = from_button, (tmp_path / "studio.ics").stat().st_mtime_ns
    time.sleep(0.05)
    assert excel.refresh(xw.Book(json=replayed(data, book.json()["actions"]))) is not None
    assert ((tmp_path / "studio.ics").read_bytes(), (tmp_path / "studio.ics").stat().st_mtime_ns) == written
