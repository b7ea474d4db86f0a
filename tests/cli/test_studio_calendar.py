"""`sheetflow calendar`: the studio's calendar as an iCalendar file, read back with two independent parsers
(icalendar and vobject); stable UIDs; one changed due date is one changed event; the studio's time zone; --user; the
Settings switch that keeps the file current on every refresh."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import icalendar
import vobject
from conftest import TODAY
from helpers.workbooks import SETTINGS, records, session, studio

FRI_20, MON_23 = dt.date(2026, 11, 20), dt.date(2026, 11, 23)
TASKS_HEADER = ["Task ID", "Session ID", "Client", "Action", "Task", "Due Date", "Assigned To", "Trigger", "Created"]
TASKS_HEADER += ["Late", "Done"]


def settings(**rows: str) -> list[list[object]]:
    """The test studio's Settings, with rows added or replaced (Time_zone="Europe/London" is "Time zone")."""
    named = {name.replace("_", " ").capitalize(): value for name, value in rows.items()}
    kept = [row for row in SETTINGS if row[0] not in named]
    return [*kept, *([name, value] for name, value in named.items())]


def small_studio(path: Path, *, zone: str = "Europe/London", tasks=(), **extra: str) -> Path:
    """Three sessions with Jon, Priya and Maya; the second booked for 14:30; Tasks rows as given."""
    return studio(
        path,
        [
            session(session_id=1, client="Ann Lee", session_type="Portrait", session_date=dt.date(2026, 12, 2),
                    status="Image Capture Pending", status_date=MON_23, assigned_to="Jon"),
            session(session_id=2, client="Bo Chen", session_type="Portrait",
                    session_date=dt.datetime(2026, 12, 5, 14, 30), status="Retouch Pending", status_date=FRI_20,
                    assigned_to="Priya"),
            session(session_id=3, client="Cy Diaz", session_date=dt.date(2026, 11, 10), status="Order Delivered",
                    status_date=FRI_20, assigned_to="Maya"),
        ],
        settings=settings(time_zone=zone, **extra),
        extra={"Tasks": [TASKS_HEADER, *tasks]} if tasks else None,
    )  # fmt: skip


def parsed(text: bytes) -> dict[str, icalendar.cal.Component]:
    """The events and to-dos by UID, as icalendar reads them."""
    calendar = icalendar.Calendar.from_ical(text)
    return {str(c["UID"]): c for c in calendar.walk() if c.name in ("VEVENT", "VTODO")}


def second_reading(text: bytes) -> dict[str, tuple[str, object]]:
    """UID -> (summary, start or due) as vobject, an independent parser, reads them."""
    calendar = vobject.readOne(text.decode("utf-8"))
    found = {}
    for component in calendar.getChildren():
        if component.name in ("VEVENT", "VTODO"):
            when = component.due.value if component.name == "VTODO" else component.dtstart.value
            found[component.uid.value] = (component.summary.value, when)
    return found


def entry_texts(text: bytes) -> dict[str, bytes]:
    """UID -> the text of its VEVENT or VTODO, byte for byte as the file holds it."""
    found = {}
    for block in re.findall(rb"BEGIN:(?:VEVENT|VTODO)\r\n.*?END:(?:VEVENT|VTODO)\r\n", text, re.DOTALL):
        uid = re.search(rb"\r\nUID:(.*?)\r\n", block.replace(b"\r\n ", b""))
        found[uid.group(1).decode()] = block
    return found


def test_the_sample_studio_parses_back_with_two_parsers(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", TODAY.isoformat()).exit_code == 0
    result = sheetflow("calendar", book)
    assert result.exit_code == 0, result.output
    assert "studio.xlsx: calendar studio.ics: 23 events, 3 to-dos" in result.output
    text = (tmp_path / "studio.ics").read_bytes()
    entries = parsed(text)
    sessions = {int(r["Session ID"]): r for r in records(book, "Sessions")}
    # every session on its Session Date, all day; every session not at its Final status on its Due Date
    for number, row in sessions.items():
        event = entries[f"sheetflow-session-{number}@northlight-portraits.sheetflow"]
        assert event["DTSTART"].dt == row["Session Date"].date() and event["DTEND"].dt == event["DTSTART"].dt + (
            dt.timedelta(days=1)
        )
        due = entries.get(f"sheetflow-due-{number}@northlight-portraits.sheetflow")
        if row["Status"] == "P-Order Delivered":
            assert due is None
        else:
            assert due["DTSTART"].dt == row["Due Date"].date()
            assert str(due["SUMMARY"]) == f"Due: {row['Status']} — {row['Client']}"
            assert due["ATTENDEE"].params["CN"] == row["Assigned To"]
    # the open tasks, each a to-do due on its Due Date, with its assignee
    todos = {uid: c for uid, c in entries.items() if c.name == "VTODO"}
    tasks = records(book, "Tasks")
    assert len(todos) == len(tasks) == 3
    first = todos["sheetflow-task-t-000001@northlight-portraits.sheetflow"]
    assert (first["DUE"].dt, first["ATTENDEE"].params["CN"], str(first["STATUS"])) == (
        dt.date(2026, 11, 8),
        "Maya",
        "NEEDS-ACTION",
    )
    assert str(first["SUMMARY"]) == tasks[0]["Task"]
    # the second parser reads the same entries, on the same days
    assert second_reading(text) == {
        uid: (str(c["SUMMARY"]), (c["DUE"] if c.name == "VTODO" else c["DTSTART"]).dt) for uid, c in entries.items()
    }


def test_uids_and_stamps_are_stable_across_runs_and_in_a_copy(tmp_path, sheetflow):
    book = small_studio(tmp_path / "north.xlsx")
    assert sheetflow("calendar", book).exit_code == 0
    ics = tmp_path / "north.ics"
    first, mtime = ics.read_bytes(), ics.stat().st_mtime_ns
    time.sleep(0.05)
    again = sheetflow("calendar", book, "--json")
    assert json.loads(again.output)["written"] is False and "(unchanged)" in json.loads(again.output)["summary"]
    assert (ics.read_bytes(), ics.stat().st_mtime_ns) == (first, mtime)  # the file was not even rewritten

    elsewhere = tmp_path / "copy"
    elsewhere.mkdir()
    shutil.copy(book, elsewhere / "copy of north.xlsx")
    assert sheetflow("calendar", elsewhere / "copy of north.xlsx", "--today", "2027-01-04").exit_code == 0
    copied = parsed((elsewhere / "copy of north.ics").read_bytes())
    assert (
        set(copied)
        == set(parsed(first))
        == {
            "sheetflow-session-1@test-studio.sheetflow",
            "sheetflow-session-2@test-studio.sheetflow",
            "sheetflow-session-3@test-studio.sheetflow",
            "sheetflow-due-1@test-studio.sheetflow",
            "sheetflow-due-2@test-studio.sheetflow",
        }
    )


def test_a_changed_due_date_changes_exactly_one_event(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx")
    assert sheetflow("calendar", book).exit_code == 0
    before = parsed((tmp_path / "s.ics").read_bytes())
    assert before["sheetflow-due-1@test-studio.sheetflow"]["DTSTART"].dt == dt.date(2026, 11, 25)

    changed = sheetflow("change", book, "1", "--due", "2026-12-09")
    assert changed.exit_code == 0, changed.output
    assert sheetflow("calendar", book).exit_code == 0
    after = parsed((tmp_path / "s.ics").read_bytes())
    assert set(after) == set(before)
    differ = [uid for uid in after if after[uid].to_ical() != before[uid].to_ical()]
    assert differ == ["sheetflow-due-1@test-studio.sheetflow"]
    event = after[differ[0]]
    assert (event["DTSTART"].dt, str(event["SUMMARY"]), event["SEQUENCE"]) == (
        dt.date(2026, 12, 9),
        "Due: Retouch Pending — Ann Lee",
        1,
    )
    assert event["DTSTAMP"].dt >= before[differ[0]]["DTSTAMP"].dt
    assert event["LAST-MODIFIED"].dt == event["DTSTAMP"].dt


def test_after_one_change_only_that_entry_is_written_again(tmp_path, sheetflow):
    """The text of every entry that did not change is kept byte for byte (a big studio's file is not written
    through again); an entry edited by hand in the file since is written again from the workbook."""
    book = small_studio(tmp_path / "s.xlsx", zone="America/New_York")
    assert sheetflow("calendar", book).exit_code == 0
    ics = tmp_path / "s.ics"
    before = entry_texts(ics.read_bytes())
    cy = "sheetflow-session-3@test-studio.sheetflow"
    assert b"SUMMARY:Cy Diaz: session\r\n" in before[cy]
    edited = before[cy].replace(b"SUMMARY:Cy Diaz: session", b"SUMMARY:Cy Diaz: session (moved?)")
    ics.write_bytes(ics.read_bytes().replace(before[cy], edited))

    assert sheetflow("change", book, "1", "--due", "2026-12-09").exit_code == 0
    assert sheetflow("calendar", book, today=dt.date(2026, 11, 26)).exit_code == 0
    text = ics.read_bytes()
    after = entry_texts(text)
    assert set(after) == set(before)
    due = "sheetflow-due-1@test-studio.sheetflow"
    assert sorted(uid for uid in after if after[uid] != before[uid]) == [due, cy]
    entries = parsed(text)
    assert (entries[due]["DTSTART"].dt, entries[due]["SEQUENCE"]) == (dt.date(2026, 12, 9), 1)
    assert entries[due]["DTSTAMP"].dt.date() == dt.date(2026, 11, 26)
    assert (str(entries[cy]["SUMMARY"]), entries[cy]["SEQUENCE"]) == ("Cy Diaz: session", 1)  # the workbook's again
    # the session at 14:30 kept its text, and the file still carries the zone's rules and reads back with vobject
    timed = second_reading(text)["sheetflow-session-2@test-studio.sheetflow"][1]
    assert (timed.hour, timed.minute, timed.utcoffset()) == (14, 30, dt.timedelta(hours=-5))
    assert [str(z["TZID"]) for z in icalendar.Calendar.from_ical(text).walk("VTIMEZONE")] == ["America/New_York"]
    assert set(second_reading(text)) == set(entries)


def test_a_damaged_or_resaved_calendar_file_is_replaced_by_a_whole_one(tmp_path, sheetflow):
    """A file cut short, or with an entry's END line lost: read as well as icalendar can, then written whole (cut
    short, even when nothing changed). A file another app saved again (other folding, other order): each entry
    keeps its stamps as long as it is the same."""
    book = small_studio(tmp_path / "s.xlsx")
    assert sheetflow("calendar", book).exit_code == 0
    ics = tmp_path / "s.ics"
    whole = ics.read_bytes()
    ics.write_bytes(whole[:-60])
    result = sheetflow("calendar", book)
    assert "calendar s.ics: 5 events, 0 to-dos;" in result.output, result.output  # not "(unchanged)"
    assert ics.read_bytes().endswith(b"END:VCALENDAR\r\n") and set(second_reading(ics.read_bytes())) == set(
        parsed(whole)
    )
    ics.write_bytes(whole.replace(b"END:VEVENT\r\n", b"", 1))
    assert sheetflow("change", book, "1", "--due", "2026-12-09").exit_code == 0
    result = sheetflow("calendar", book)
    assert result.exit_code == 0 and "calendar s.ics: 5 events, 0 to-dos;" in result.output, result.output
    text = ics.read_bytes()
    assert text.endswith(b"END:VCALENDAR\r\n")
    assert set(parsed(text)) == set(second_reading(text)) == set(parsed(whole))
    assert second_reading(text)["sheetflow-due-1@test-studio.sheetflow"][1] == dt.date(2026, 12, 9)

    resaved = vobject.readOne(text.decode("utf-8")).serialize().encode("utf-8")
    assert resaved != text and set(parsed(resaved)) == set(parsed(text))
    ics.write_bytes(resaved)
    assert sheetflow("change", book, "2").exit_code == 0  # delivered: its due date leaves the calendar
    assert "calendar s.ics: 4 events" in sheetflow("calendar", book, today=dt.date(2026, 11, 27)).output
    again = parsed(ics.read_bytes())
    stamps = {uid: (c["SEQUENCE"], c["DTSTAMP"].dt) for uid, c in parsed(text).items()}
    assert set(stamps) - set(again) == {"sheetflow-due-2@test-studio.sheetflow"}
    assert {uid: (c["SEQUENCE"], c["DTSTAMP"].dt) for uid, c in again.items()} == {u: stamps[u] for u in again}


def test_a_session_with_a_time_is_an_event_at_that_time_in_the_studio_zone(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx", zone="America/New_York")
    assert sheetflow("calendar", book).exit_code == 0
    text = (tmp_path / "s.ics").read_bytes()
    timed = parsed(text)["sheetflow-session-2@test-studio.sheetflow"]
    start = timed["DTSTART"].dt
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (dt.datetime(2026, 12, 5, 14, 30), "America/New_York")
    assert timed["DTSTART"].params["TZID"] == "America/New_York"
    assert start.astimezone(dt.UTC).hour == 19  # 14:30 in New York in December is 19:30 UTC
    calendar = icalendar.Calendar.from_ical(text)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert str(calendar["X-WR-TIMEZONE"]) == "America/New_York"
    other = second_reading(text)["sheetflow-session-2@test-studio.sheetflow"][1]
    assert other == start and other.utcoffset() == dt.timedelta(hours=-5)
    all_day = parsed(text)["sheetflow-session-1@test-studio.sheetflow"]
    assert all_day["DTSTART"].params.get("VALUE") == "DATE"


def test_a_blank_time_zone_is_the_computer_s(tmp_path):
    book = small_studio(tmp_path / "s.xlsx", zone="")
    out = tmp_path / "mine.ics"
    for zone in ("Asia/Tokyo", "Europe/Berlin"):
        done = subprocess.run(
            [sys.executable, "-m", "sheetflow", "calendar", str(book), "--out", str(out), "--today", "2026-11-25"],
            capture_output=True,
            text=True,
            env={**os.environ, "TZ": zone},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        start = parsed(out.read_bytes())["sheetflow-session-2@test-studio.sheetflow"]["DTSTART"]
        assert (start.params["TZID"], start.dt.hour, start.dt.minute) == (zone, 14, 30)


def test_a_misspelt_time_zone_is_a_problem_at_its_cell_and_writes_nothing(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx", zone="Europe/Londn")
    result = sheetflow("calendar", book)
    assert result.exit_code == 1
    cell = f"Settings!B{len(SETTINGS) + 1}"
    assert f'{cell}: error: Time zone "Europe/Londn" is not a time zone name — did you mean "Europe/London"?' in (
        result.output
    )
    assert "calendar not written: fix the Time zone on the Settings sheet first" in result.output
    assert not (tmp_path / "s.ics").exists()
    validate = sheetflow("validate", small_studio(tmp_path / "t.xlsx", zone="london"))
    assert 'error: Time zone "london" is not a time zone name — did you mean "Europe/London"?' in validate.output
    assert sheetflow("calendar", small_studio(tmp_path / "u.xlsx", zone="europe/london")).exit_code == 0  # case


def test_user_keeps_only_what_is_assigned_to_them(tmp_path, sheetflow):
    tasks = [
        ["T-1", 1, "Ann Lee", "Call", "Call Ann about the album", dt.date(2026, 11, 30), "Priya", "", TODAY, "No", ""],
        ["T-2", 2, "Bo Chen", "Task", "Order the prints", dt.date(2026, 12, 1), "Jon", "", TODAY, "No", ""],
    ]
    book = small_studio(tmp_path / "s.xlsx", tasks=tasks)
    result = sheetflow("calendar", book, "--user", "priya", "--out", tmp_path / "priya.ics")
    assert result.exit_code == 0, result.output
    assert set(parsed((tmp_path / "priya.ics").read_bytes())) == {
        "sheetflow-session-2@test-studio.sheetflow",
        "sheetflow-due-2@test-studio.sheetflow",
        "sheetflow-task-t-1@test-studio.sheetflow",
    }
    misspelt = sheetflow("calendar", book, "--user", "Pryia", "--out", tmp_path / "none.ics")
    assert misspelt.exit_code == 0
    assert (
        'Lists!C1: warning: --user "Pryia" is not on the Users list (the User column of the Lists sheet) — did you '
        'mean "Priya"?'
    ) in misspelt.output
    assert "0 events, 0 to-dos" in misspelt.output


def test_one_persons_calendar_never_replaces_the_studios(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx")
    assert sheetflow("calendar", book).exit_code == 0
    whole = (tmp_path / "s.ics").read_bytes()
    result = sheetflow("calendar", book, "--user", "Priya")
    assert result.exit_code == 0, result.output
    assert "calendar s-Priya.ics:" in result.output
    assert (tmp_path / "s.ics").read_bytes() == whole  # the whole studio's calendar is as it was
    assert set(parsed((tmp_path / "s-Priya.ics").read_bytes())) < set(parsed(whole))


def test_only_open_tasks_are_to_dos(tmp_path, sheetflow):
    tasks = [
        ["T-1", 1, "Ann Lee", "Call", "Call Ann", dt.date(2026, 11, 30), "Priya", "", TODAY, "No", "Yes"],
        ["T-2", 1, "Ann Lee", "Task", "Print the proofs", dt.date(2026, 12, 1), "Jon", "", TODAY, "No", "No"],
        ["T-3", 2, "Bo Chen", "Task", "Frame the print", "next week", "Jon", "", TODAY, "No", ""],
        ["", 2, "Bo Chen", "Task", "Book the lab", "", "", "", TODAY, "No", ""],
    ]
    book = small_studio(tmp_path / "s.xlsx", tasks=tasks)
    result = sheetflow("calendar", book, "--out", "-")
    assert result.exit_code == 0, result.stderr
    assert "Tasks!F4: warning: Due Date: " in result.stderr and "so this task is not in the studio's calendar" in (
        result.stderr
    )
    todos = {uid: c for uid, c in parsed(result.stdout_bytes).items() if c.name == "VTODO"}
    assert [str(c["SUMMARY"]) for c in todos.values()] == ["Print the proofs", "Book the lab"]
    assert "DUE" not in todos[next(uid for uid in todos if "task-row-" in uid)]  # no due date: a to-do all the same
    assert result.stdout.startswith("BEGIN:VCALENDAR") and "calendar standard output" in result.stderr


def test_every_refresh_keeps_the_calendar_file_current(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx", calendar_file="studio.ics")
    ics = tmp_path / "studio.ics"
    first = sheetflow("refresh", book)
    assert first.exit_code == 0, first.output
    assert "the studio's calendar studio.ics updated" in first.output
    assert len(parsed(ics.read_bytes())) == 5
    mtime = ics.stat().st_mtime_ns
    time.sleep(0.05)
    again = sheetflow("refresh", book)
    assert "calendar" not in again.output and ics.stat().st_mtime_ns == mtime  # nothing changed: not rewritten

    assert sheetflow("change", book, "1", "--due", "2026-12-09").exit_code == 0
    assert "the studio's calendar studio.ics updated" in sheetflow("refresh", book).output
    assert parsed(ics.read_bytes())["sheetflow-due-1@test-studio.sheetflow"]["DTSTART"].dt == dt.date(2026, 12, 9)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []  # no temporary file left
    # `sheetflow calendar` writes the same file by default, and finds nothing to change
    assert "calendar studio.ics: 5 events, 0 to-dos (unchanged)" in sheetflow("calendar", book).output


def test_refresh_of_many_workbooks_writes_each_calendar_and_no_switch_none(tmp_path, sheetflow):
    branches = tmp_path / "branches"
    branches.mkdir()
    small_studio(branches / "north.xlsx", calendar_file="north.ics")
    small_studio(branches / "south.xlsx", calendar_file="south.ics")
    small_studio(branches / "east.xlsx")  # no Calendar file: no calendar
    result = sheetflow("refresh", branches, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in branches.glob("*.ics")) == ["north.ics", "south.ics"]
    assert len(parsed((branches / "south.ics").read_bytes())) == 5


def test_a_calendar_file_with_a_folder_is_a_problem_at_its_cell(tmp_path, sheetflow):
    book = small_studio(tmp_path / "s.xlsx", calendar_file="../elsewhere/studio.ics")
    result = sheetflow("refresh", book)
    assert result.exit_code == 1
    assert (
        f'Settings!B{len(SETTINGS) + 2}: error: Calendar file "../elsewhere/studio.ics" is not a plain file name'
        in result.output
    )
    assert list(tmp_path.glob("**/*.ics")) == []


def test_an_unreadable_workbook_is_one_line_and_exit_2(tmp_path, sheetflow):
    bad = tmp_path / "s.xlsx"
    bad.write_text("not a workbook")
    result = sheetflow("calendar", bad)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "is not an Excel workbook" in result.output
    assert not (tmp_path / "s.ics").exists()


def test_the_refresh_button_writes_the_calendar_beside_a_saved_workbook(tmp_path, sheetflow):
    """Desktop Excel knows the workbook's file: the Refresh button keeps its Calendar file as `refresh` does; a web
    or Lite workbook has no folder, and no file is written."""
    import xlwings as xw
    from helpers.payloads import payload

    from sheetflow import excel

    book_path = small_studio(tmp_path / "s.xlsx", calendar_file="studio.ics")
    data = payload(book_path)
    assert excel.refresh(xw.Book(json=data)) is not None
    assert not (tmp_path / "studio.ics").exists()  # no full name: Lite, the web

    data["book"]["name"] = str(book_path)
    assert excel.refresh(xw.Book(json=data)) is not None
    from_button = (tmp_path / "studio.ics").read_bytes()
    assert "(unchanged)" in sheetflow("calendar", book_path, today=dt.date.today()).output
    timed = parsed(from_button)["sheetflow-session-2@test-studio.sheetflow"]["DTSTART"]
    assert (timed.params["TZID"], timed.dt.hour, timed.dt.minute) == ("Europe/London", 14, 30)
