"""Triggers through the command line (SPEC §6): tasks and client messages made by themselves, exactly once —
across apply, change and refresh, and after the rows they made are deleted."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
from helpers.workbooks import cells, records, session, studio

from sheetflow.core.schema import FIRED, TRIGGERS

TODAY = dt.date(2026, 11, 25)  # conftest's --today
FRI_20 = dt.date(2026, 11, 20)
ROWS = [
    [
        "Booking call",
        "",
        "Image Capture Pending",
        "Status change",
        1,
        "Call",
        "Jon",
        "Call {{ client }} about the shoot on {{ session_date }}",
        "",
        "",
    ],
    [
        "Reminder",
        "",
        "Image Capture Pending",
        "Session date",
        -7,
        "Email/Call",
        "",
        "Your session on {{ session_date }}",
        "Dear {{ client }}, see you on {{ session_weekday }}.",
        "Yes",
    ],
    ["Retouch overdue", "", "Retouch Pending", "Status due date", 1, "Task", "", "", "", "Yes"],
    ["Switched off", "", "Image Capture Pending", "Status change", 0, "SMS", "", "", "Hi", "No"],
]


def workbook(tmp_path, sessions, rows=ROWS, **kwargs):
    return studio(tmp_path / "studio.xlsx", sessions, extra={TRIGGERS.name: [list(TRIGGERS.columns), *rows]}, **kwargs)


def data_rows(book, sheet):
    """A sheet's rows below its header as calamine reads them, blank rows left out."""
    grid = cells(book, sheet)
    return [dict(zip(grid[0], row, strict=False)) for row in grid[1:] if any(v not in ("", None) for v in row)]


SESSIONS = [
    session(
        session_id=1,
        client="Ann Lee",
        email="ann@example.com",
        phone="555 0101",
        status="Session Pending",
        status_date=FRI_20,
        session_date=dt.date(2026, 11, 30),
        change_to="next",
    ),
    session(
        session_id=2,
        client="Ben Ode",
        phone="555 0102",
        status="Session Pending",
        status_date=FRI_20,
        session_date=dt.date(2026, 12, 2),
        change_to="next",
    ),
    session(session_id=3, client="Cy Park", status="Retouch Pending", status_date=dt.date(2026, 11, 2)),
]


def test_apply_and_refresh_make_tasks_and_messages_once(tmp_path, sheetflow):
    book = workbook(tmp_path, SESSIONS)
    result = sheetflow("apply", book)
    assert result.exit_code == 0, result.output
    assert "2 changes applied; 3 tasks created, 1 message queued" in result.output

    tasks = data_rows(book, "Tasks")
    assert [
        (t["Task ID"], t["Session ID"], t["Action"], t["Due Date"], t["Assigned To"], t["Late"]) for t in tasks
    ] == [
        ("T-000001", 1, "Call", dt.date(2026, 11, 26), "Jon", "No"),
        ("T-000003", 2, "Call", dt.date(2026, 11, 26), "Jon", "No"),
        ("T-000004", 2, "Call", TODAY, "Jon", "No"),
    ]  # no email address: the reminder becomes a call
    assert tasks[0]["Task"] == "Call Ann Lee about the shoot on 30/11/2026"
    assert tasks[2]["Task"] == "Your session on 02/12/2026 — no email address for the Email: call instead"
    (email,) = data_rows(book, "Outbox")
    assert re.fullmatch(r"M-000002-[0-9a-f]{8}", email["Message ID"])
    assert (email["Channel"], email["To"], email["Subject"], email["Body"], email["Late"], email["Created"]) == (
        "Email",
        "ann@example.com",
        "Your session on 30/11/2026",
        "Dear Ann Lee, see you on Monday.",
        "Yes",
        TODAY,
    )
    # (a week before the 30th was the 23rd, before Ann's status watched for it: late, but sent once)
    # a second reader agrees, dates and all
    assert [(r["Task ID"], r["Due Date"], r["Created"]) for r in records(book, "Tasks")] == [
        (t["Task ID"], dt.datetime.combine(t["Due Date"], dt.time()), dt.datetime(2026, 11, 25)) for t in tasks
    ]

    result = sheetflow("refresh", book)  # Cy's retouch was due on Nov 9: its task is made now, late
    assert "1 task created, 0 messages queued" in result.output
    assert [(t["Session ID"], t["Trigger"], t["Due Date"], t["Late"]) for t in data_rows(book, "Tasks")[3:]] == [
        (3, "Retouch overdue", dt.date(2026, 11, 10), "Yes")
    ]
    assert data_rows(book, "Tasks")[3]["Task"] == "Retouch overdue"  # no Subject: the trigger's name

    before = (cells(book, "Tasks"), cells(book, "Outbox"))
    for command in ("apply", "refresh", "refresh"):
        result = sheetflow(command, book)
        assert result.exit_code == 0 and "created" not in result.output, result.output
    assert (cells(book, "Tasks"), cells(book, "Outbox")) == before


def test_the_record_of_what_fired_is_a_hidden_sheet_in_the_workbook(tmp_path, sheetflow):
    book = workbook(tmp_path, SESSIONS)
    sheetflow("apply", book)
    wb = openpyxl.load_workbook(book)
    assert wb[FIRED.name].sheet_state == "hidden"
    assert [c.value for c in wb[FIRED.name][1]] == list(FIRED.columns)
    fired = data_rows(book, FIRED.name)
    assert [(r["Session ID"], r["Trigger"], r["Basis Date"], r["Generated"][:8]) for r in fired] == [
        (1, "Booking call", TODAY, "T-000001"),
        (1, "Reminder", dt.date(2026, 11, 30), "M-000002"),
        (2, "Booking call", TODAY, "T-000003"),
        (2, "Reminder", dt.date(2026, 12, 2), "T-000004"),
    ]
    assert all(isinstance(r["Fired At"], dt.datetime) for r in fired)
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*fired*"))  # nothing kept beside it


def test_deleted_or_edited_rows_never_fire_again(tmp_path, sheetflow):
    book = workbook(tmp_path, SESSIONS)
    sheetflow("apply", book)
    sheetflow("refresh", book)
    wb = openpyxl.load_workbook(book)  # the studio owner tidies up in Excel
    wb["Tasks"].delete_rows(2, 3)
    wb["Tasks"]["E2"] = "done, called her"
    wb["Outbox"].delete_rows(2, 1)
    wb.save(book)

    for command in ("apply", "refresh"):
        result = sheetflow(command, book)
        assert result.exit_code == 0 and "created" not in result.output, result.output
    assert [t["Task"] for t in data_rows(book, "Tasks")] == ["done, called her"]
    assert data_rows(book, "Outbox") == []


def test_a_message_waits_for_its_day_then_fires_once(tmp_path, sheetflow):
    rows = [
        [
            "Week before",
            "",
            "Session Pending",
            "Session date",
            -7,
            "SMS",
            "",
            "",
            "Hi {{ client }}, see you {{ session_weekday }} {{ session_date }}",
            "",
        ]
    ]
    book = workbook(
        tmp_path,
        [
            session(
                session_id=1,
                client="Ann",
                phone="555 0101",
                status="Session Pending",
                status_date=FRI_20,
                session_date=dt.date(2026, 12, 4),
            )
        ],
        rows,
    )
    assert "queued" not in sheetflow("refresh", book).output
    assert "queued" not in sheetflow("refresh", book, today=dt.date(2026, 11, 26)).output
    assert "1 message queued" in sheetflow("refresh", book, today=dt.date(2026, 11, 27)).output
    assert "queued" not in sheetflow("refresh", book, today=dt.date(2026, 11, 28)).output
    (sms,) = data_rows(book, "Outbox")
    assert (sms["Body"], sms["Late"], sms["Created"]) == (
        "Hi Ann, see you Friday 04/12/2026",
        "No",
        dt.date(2026, 11, 27),
    )


def test_a_late_first_firing_is_marked_late(tmp_path, sheetflow):
    rows = [["Week before", "", "Session Pending", "Session date", -7, "Email", "", "Soon", "Dear {{ client }}", ""]]
    book = workbook(
        tmp_path,
        [
            session(
                session_id=1,
                client="Ann",
                email="ann@example.com",
                status="Session Pending",
                status_date=FRI_20,
                session_date=dt.date(2026, 11, 27),
            )
        ],
        rows,
    )
    sheetflow("refresh", book)
    assert [(m["To"], m["Late"]) for m in data_rows(book, "Outbox")] == [("ann@example.com", "Yes")]


def test_change_fires_and_apply_does_not_fire_it_again(tmp_path, sheetflow):
    book = workbook(tmp_path, SESSIONS[:1])
    result = sheetflow("change", book, "1", "--to", "Image Capture Pending")
    assert result.exit_code == 0 and "1 task created, 1 message queued" in result.output, result.output
    # moved back and forth the same day: the same firings, nothing new for the client
    sheetflow("change", book, "1", "--to", "Session Pending")
    result = sheetflow("change", book, "1", "--to", "Image Capture Pending")
    assert "created" not in result.output
    assert len(data_rows(book, "Tasks")) == 1 and len(data_rows(book, "Outbox")) == 1
    # another day is another entry into the status: the booking call again, the session-date reminder not
    result = sheetflow("change", book, "1", "--to", "Image Capture Pending", today=dt.date(2026, 11, 26))
    assert "1 task created, 0 messages queued" in result.output


def test_validate_lists_trigger_problems_with_their_cells(tmp_path, sheetflow):
    rows = [
        *ROWS,
        ["Typo", "", "Retouch Pending", "Status change", 0, "Email", "", "", "Dear {{ cliet }}", ""],
        [
            "Hostile",
            "",
            "Retouch Pending",
            "Status change",
            "soon",
            "Letter",
            "",
            "",
            "{{ cycler.__init__.__globals__ }}",
            "",
        ],
    ]
    book = workbook(tmp_path, SESSIONS, rows)
    result = sheetflow("validate", book)
    assert result.exit_code == 1
    assert (
        'Triggers!I6: error: Message: the template uses "cliet", which is not a session field — did you mean '
        "{{ client }}?" in result.output
    )
    assert 'Triggers!E7: error: Offset Days "soon" is not a whole number' in result.output
    assert "Triggers!I7: error: Message: a field's attributes" in result.output
    problems = records(book, "Problems")
    assert {p["Where"] for p in problems} == {"Triggers!I6", "Triggers!E7", "Triggers!I7"}
    assert data_rows(book, "Tasks") == []  # validate never fires


def test_the_sample_studio_fires_its_triggers(tmp_path, sheetflow):
    book = tmp_path / "studio.xlsx"
    assert sheetflow("new", book, "--sample", "--today", TODAY.isoformat()).exit_code == 0
    made = {(t["Session ID"], t["Trigger"]) for t in data_rows(book, "Tasks")}
    assert (1005, "Portrait retouch overdue") in made  # Olivia's retouching is overdue
    result = sheetflow("apply", book)
    assert "2 tasks created, 1 message queued" in result.output  # Noah's order is in; the Rossis' gallery is ready
    (sms,) = data_rows(book, "Outbox")
    assert (sms["Session ID"], sms["Channel"], sms["To"]) == (1009, "SMS", "555-0109")
    assert sms["Body"].startswith("Hi Hannah & Lucas Rossi, your wedding gallery from Northlight Portraits")
    assert "created" not in sheetflow("refresh", book).output
