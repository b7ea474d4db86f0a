"""Holds with reasons (issue 16): `hold` in Change To keeps a session in its status with its clock stopped (Flag On
hold, never overdue, no due-date trigger), `resume` starts it again with the business days that were left, and
the Lists' reasons say why sessions move or wait — in Notes, on the row while it waits, and on the Dashboard."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from helpers.workbooks import LISTS, SESSION_HEADER, records, studio
from helpers.workbooks import session as old_session

from sheetflow.core.schema import NOTES, SESSIONS

MON_23, WED_25, THU_26 = (dt.date(2026, 11, d) for d in (23, 25, 26))
TUE_1, WED_2, FRI_4, MON_7 = (dt.date(2026, 12, d) for d in (1, 2, 4, 7))
THANKSGIVING = [[THU_26, "Thanksgiving"]]
REASONS = ["Waiting on client", "Waiting on payment", "Reshoot needed"]
LISTS_WITH_REASONS = [
    [*LISTS[0], "Reason"],
    *([*row, reason] for row, reason in zip(LISTS[1:], [*REASONS, ""], strict=True)),
]
# Retouch Pending takes 5 business days: entered Monday 23 November, due Tuesday 1 December (Thanksgiving closed).
RETOUCHING = {"status": "Retouch Pending", "status_date": MON_23, "assigned_to": "Priya"}


def session(**values) -> list:
    """A Sessions row in the template's columns (Reason and Held Since included)."""
    return [values.get(name.lower().replace(" ", "_")) for name in SESSIONS.columns]


def make(tmp_path, *sessions, extra=None):
    sheets = {"Lists": LISTS_WITH_REASONS, "Sessions": [list(SESSIONS.columns), *sessions], **(extra or {})}
    return studio(tmp_path / "s.xlsx", [], holidays=THANKSGIVING, extra=sheets)


def by_id(book) -> dict[int, dict]:
    return {int(r["Session ID"]): r for r in records(book, "Sessions")}


def day(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def type_into(book, session_id: int, **values) -> None:
    """What the studio does between runs: type into a session's cells (openpyxl stands in for Excel here)."""
    wb = openpyxl.load_workbook(book)
    ws = wb["Sessions"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == session_id)
    for name, value in values.items():
        row[header.index(name.replace("_", " ").title().replace("Id", "ID"))].value = value
    wb.save(book)


def test_hold_keeps_the_status_stops_the_clock_and_logs_the_reason(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, client="Ann", **RETOUCHING, change_to="hold", reason="waiting on CLIENT"),
    )
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    assert (
        "session 1 is on hold in Retouch Pending since 25/11/2026 (Waiting on client), 3 business days left"
        in result.output
    )
    ann = by_id(book)[1]
    assert ann["Status"] == "Retouch Pending" and day(ann["Status Date"]) == MON_23  # the status is kept
    assert day(ann["Due Date"]) == TUE_1 and ann["Manual Due"] == "No"
    assert ann["Flag"] == "On hold" and ann["Days Overdue"] is None
    assert day(ann["Held Since"]) == WED_25
    assert ann["Reason"] == "Waiting on client"  # stays on the row while it waits, spelt as on Lists
    assert ann["Change To"] is None and ann["Assigned To"] == "Priya"
    (note,) = records(book, "Notes")
    assert (note["From Status"], note["To Status"]) == ("Retouch Pending", "Retouch Pending")
    assert day(note["Date Completed"]) == WED_25 and day(note["Due Date"]) == TUE_1
    assert note["Note"] == "on hold, 3 business days left"  # Thu 26 is Thanksgiving: Fri 27, Mon 30, Tue 1
    assert note["Reason"] == "Waiting on client" and note["Assigned To"] == "Priya"


def test_held_past_its_due_date_it_is_never_overdue(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, client="Ann", **RETOUCHING, change_to="hold", reason=REASONS[0]))
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    result = sheetflow("refresh", book, today=WED_2)  # a business day past its due date
    assert "0 overdue, 0 due soon" in result.output
    ann = by_id(book)[1]
    assert ann["Flag"] == "On hold" and ann["Days Overdue"] is None and day(ann["Due Date"]) == TUE_1


def test_resume_restarts_the_due_date_with_the_days_that_were_left(tmp_path, sheetflow):
    """Held on Wed 25 with 3 business days left; resumed on Wed 2: WORKDAY.INTL(2 December, 3) = Monday 7."""
    book = make(tmp_path, session(session_id=1, client="Ann", **RETOUCHING, change_to="hold", reason=REASONS[0]))
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    assert sheetflow("refresh", book, today=TUE_1).exit_code == 0  # the hold survives runs in the workbook itself
    type_into(book, 1, change_to="resume", change_note="the client chose the album")
    result = sheetflow("apply", book, today=WED_2)
    assert result.exit_code == 0, result.output
    assert "session 1 resumed in Retouch Pending, 3 business days left, due 07/12/2026" in result.output
    ann = by_id(book)[1]
    assert ann["Status"] == "Retouch Pending" and day(ann["Status Date"]) == MON_23
    assert day(ann["Due Date"]) == MON_7 and ann["Manual Due"] == "Yes"  # kept as set: refresh won't undo it
    assert ann["Flag"] is None and ann["Held Since"] is None and ann["Reason"] is None
    resumed = records(book, "Notes")[-1]
    assert (resumed["From Status"], resumed["To Status"]) == ("Retouch Pending", "Retouch Pending")
    assert day(resumed["Date Completed"]) == WED_2 and day(resumed["Due Date"]) == MON_7
    assert resumed["Note"] == (
        "resumed after 4 business days on hold, 3 business days left: the client chose the album"
    )
    assert resumed["Reason"] == "Waiting on client"  # what it waited for
    assert sheetflow("refresh", book, today=WED_2).exit_code == 0
    assert day(by_id(book)[1]["Due Date"]) == MON_7


def test_overdue_at_the_hold_it_is_due_on_the_resume_day(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING, change_to="hold"))
    assert sheetflow("apply", book, today=WED_2).exit_code == 0  # a day past its due date
    assert records(book, "Notes")[0]["Note"] == "on hold, 0 business days left"
    type_into(book, 1, change_to="resume")
    assert sheetflow("apply", book, today=MON_7).exit_code == 0
    ann = by_id(book)[1]
    assert day(ann["Due Date"]) == MON_7 and ann["Flag"] == "Due soon" and ann["Days Overdue"] is None


def test_a_status_or_next_ends_the_hold(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, **RETOUCHING, change_to="hold", reason=REASONS[0]),
        session(session_id=2, **RETOUCHING, change_to="hold", reason=REASONS[1]),
    )
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    type_into(book, 1, change_to="next")
    type_into(book, 2, change_to="Image Capture Pending", reason="Reshoot needed")
    result = sheetflow("apply", book, today=WED_2)
    assert result.exit_code == 0, result.output
    assert "session 1: the hold since 25/11/2026 ended with the move to Order Delivered" in result.output
    rows = by_id(book)
    assert rows[1]["Status"] == "Order Delivered" and rows[1]["Held Since"] is None and rows[1]["Flag"] is None
    assert rows[2]["Status"] == "Image Capture Pending" and rows[2]["Held Since"] is None
    assert day(rows[2]["Due Date"]) == dt.date(2026, 12, 4) and rows[2]["Flag"] == "Due soon"
    assert rows[2]["Reason"] is None  # the move took the reason into Notes
    moves = records(book, "Notes")[2:]
    assert [(n["To Status"], n["Reason"], n["Note"]) for n in moves] == [
        ("Order Delivered", "Waiting on client", "ends the hold since 25/11/2026"),
        ("Image Capture Pending", "Reshoot needed", "ends the hold since 25/11/2026"),
    ]


def test_resume_on_a_session_not_on_hold_is_a_warning_and_changes_nothing(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING, change_to="resume"))
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    assert "0 changes applied; 1 not applied; 0 errors, 1 warning" in result.output
    (problem,) = records(book, "Problems")
    assert problem["Severity"] == "warning" and problem["Where"] == "Sessions!O2"
    assert problem["Problem"] == "session 1 is not on hold, so there is nothing to resume"
    assert by_id(book)[1]["Change To"] == "resume"  # kept, as every input that was not applied
    assert "Notes" not in openpyxl.load_workbook(book).sheetnames or not records(book, "Notes")


def test_what_cannot_be_held(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, status="Order Delivered", change_to="hold"),
        session(session_id=2, change_to="hold"),
        session(session_id=3, **RETOUCHING, change_to="hold", new_due_date=MON_7),
    )
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 1
    found = {p["Where"]: p["Problem"] for p in records(book, "Problems")}
    assert "final status" in found["Sessions!O2"] and "nothing is left to wait for" in found["Sessions!O2"]
    assert "no status yet" in found["Sessions!O3"]
    assert "a hold keeps the due date" in found["Sessions!Q4"]
    assert all(r["Held Since"] is None for r in by_id(book).values())


def test_a_second_hold_is_a_warning_that_names_the_first(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING, change_to="hold"))
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    type_into(book, 1, change_to="hold")
    result = sheetflow("apply", book, today=WED_2)
    assert result.exit_code == 0
    assert "Sessions!O2: warning: session 1 is already on hold since 25/11/2026" in result.output
    assert day(by_id(book)[1]["Held Since"]) == WED_25 and len(records(book, "Notes")) == 1


def test_a_hold_without_a_reason_is_taken_and_shown_as_such(tmp_path, sheetflow):
    """Stopping a false overdue alarm must not wait for a reason; the Dashboard shows the holds that lack one."""
    book = make(tmp_path, session(session_id=1, **RETOUCHING, change_to="hold"))
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0 and "0 errors, 0 warnings" in result.output
    assert by_id(book)[1]["Flag"] == "On hold" and records(book, "Notes")[0]["Reason"] is None
    assert table(book, "Sessions on hold, by reason") == [
        ["Status", "Reason", "Sessions"],
        ["Retouch Pending", "(no reason given)", 1],
    ]


def test_the_reason_may_follow_the_word_as_on_the_command_line(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING))
    result = sheetflow("change", book, 1, "--to", "hold: waiting on payment", "--note", "deposit", today=WED_25)
    assert result.exit_code == 0, result.output
    assert "session 1 is on hold in Retouch Pending since 25/11/2026 (Waiting on payment)" in result.output
    ann = by_id(book)[1]
    assert ann["Flag"] == "On hold" and ann["Reason"] == "Waiting on payment"
    (note,) = records(book, "Notes")
    assert note["Reason"] == "Waiting on payment" and note["Note"] == "on hold, 3 business days left: deposit"
    data = json.loads(sheetflow("change", book, 1, "--to", "resume", "--json", today=WED_2).output)
    assert data["applied"][0]["due_date"] == "2026-12-07"
    assert data["notes"] == ["session 1 resumed in Retouch Pending, 3 business days left, due 07/12/2026"]


def test_every_change_records_its_reason_and_who_has_the_session(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, status="Session Pending", status_date=MON_23, change_to="next", reason="reshoot NEEDED"),
        session(
            session_id=2, status="Session Pending", status_date=MON_23, change_to="next", reason="Waitng on client"
        ),
    )
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    notes = records(book, "Notes")
    assert [(n["Reason"], n["Assigned To"]) for n in notes] == [
        ("Reshoot needed", "Jon"),  # the Lists' spelling; Jon is Image Capture Pending's default user
        ("Waitng on client", "Jon"),  # kept as typed, with a warning
    ]
    (problem,) = records(book, "Problems")
    assert problem["Where"] == "Sessions!T3" and problem["Severity"] == "warning"
    assert 'Reason "Waitng on client" is not on the Reasons list' in problem["Problem"]
    assert problem["How to fix"].startswith('did you mean "Waiting on client"?')
    assert all(r["Reason"] is None for r in by_id(book).values())


def test_a_misspelt_reason_on_a_waiting_session_is_flagged_at_its_cell(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING, change_to="hold", reason="waiting on paymnt"))
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    result = sheetflow("validate", book, today=WED_25)
    assert 'Sessions!T2: warning: session 1: Reason "waiting on paymnt" is not on the Reasons list' in result.output
    assert 'did you mean "Waiting on payment"?' in result.output


def test_no_due_date_trigger_fires_while_the_session_is_held(tmp_path, sheetflow):
    trigger = ["Chase retouching", "", "Retouch Pending", "Status due date", 1, "Task", "Priya", "", "", "Yes"]
    header = ["Trigger", "Session Type", "Status", "Date Basis", "Offset Days", "Action", "Assign To"]
    triggers = [[*header, "Subject", "Message", "Active"], trigger]
    book = make(
        tmp_path, session(session_id=1, client="Ann", **RETOUCHING, change_to="hold"), extra={"Triggers": triggers}
    )
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    assert sheetflow("refresh", book, today=WED_2).exit_code == 0  # past its due date, and its trigger's day
    assert not records(book, "Tasks")
    type_into(book, 1, change_to="resume")
    assert sheetflow("apply", book, today=WED_2).exit_code == 0  # due Monday 7 now: its task is for Tuesday 8
    result = sheetflow("refresh", book, today=WED_2)
    assert "1 task created" in result.output
    (task,) = records(book, "Tasks")
    assert task["Trigger"] == "Chase retouching" and day(task["Due Date"]) == dt.date(2026, 12, 8)


def test_the_dashboard_counts_holds_per_status_and_their_reasons(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, **RETOUCHING, change_to="hold", reason=REASONS[0]),
        session(session_id=2, **RETOUCHING, change_to="hold", reason=REASONS[0]),
        session(session_id=3, **RETOUCHING, change_to="hold", reason=REASONS[1]),
        session(session_id=4, **RETOUCHING),
        session(session_id=5, status="Image Capture Pending", status_date=MON_23, change_to="hold"),
    )
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    result = sheetflow("refresh", book, "--json", today=WED_2)
    assert json.loads(result.output)["summary"].startswith("1 overdue, 0 due soon")  # session 4 only
    statuses = table(book, "Sessions per status")
    assert statuses[0] == ["Status", "On track", "Due soon", "Overdue", "On hold", "Completed", "Sessions", "Stage"]
    assert statuses[2] == ["Image Capture Pending", 0, 0, 0, 1, None, 1, "Capture"]
    assert statuses[3] == ["Retouch Pending", 0, 0, 1, 3, None, 4, "Editing"]
    assert table(book, "Sessions on hold, by reason") == [
        ["Status", "Reason", "Sessions"],
        ["Image Capture Pending", "(no reason given)", 1],
        ["Retouch Pending", "Waiting on client", 2],
        ["Retouch Pending", "Waiting on payment", 1],
    ]
    report = json.loads(sheetflow("report", book, "--json", today=WED_2).output)
    assert report["dashboard"]["board"]["totals"]["on_hold"] == 4


def test_a_workbook_made_before_holds_gains_the_columns_and_keeps_its_history(tmp_path, sheetflow):
    """Sessions without Reason and Held Since, Notes without Reason and Assigned To, Lists without Reason."""
    old_notes = [list(NOTES.columns[:10]), [dt.datetime(2026, 11, 23, 9), 1, "Ann", "", "Retouch Pending"]]
    book = studio(
        tmp_path / "old.xlsx",
        [old_session(session_id=1, client="Ann", **RETOUCHING, change_to="hold waiting on client")],
        extra={"Notes": old_notes},
    )
    assert list(SESSIONS.columns[:19]) == SESSION_HEADER  # the shape of a workbook from before holds
    result = sheetflow("apply", book, today=WED_25)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(book, read_only=True)
    assert [c.value for c in next(wb["Sessions"].iter_rows(max_row=1))][19:] == ["Reason", "Held Since"]
    assert [c.value for c in next(wb["Notes"].iter_rows(max_row=1))][10:] == ["Reason", "Assigned To"]
    wb.close()
    notes = records(book, "Notes")
    assert notes[0]["To Status"] == "Retouch Pending" and notes[0]["Reason"] is None  # the old row as it was
    assert (notes[1]["Note"], notes[1]["Reason"], notes[1]["Assigned To"]) == (
        "on hold, 3 business days left",  # no holidays on this older workbook
        "waiting on client",  # no Reason list to check it against: taken as typed
        "Priya",
    )
    ann = by_id(book)[1]
    assert ann["Flag"] == "On hold" and day(ann["Held Since"]) == WED_25 and ann["Reason"] == "waiting on client"


def table(book, title: str) -> list[list]:
    """The Dashboard table under `title` (board side, columns A:H), trailing blanks cut."""
    wb = openpyxl.load_workbook(book, read_only=True, data_only=True)
    rows = [list(r)[:8] for r in wb["Dashboard"].iter_rows(values_only=True)]
    wb.close()
    start = next(i for i, r in enumerate(rows) if r[0] == title) + 1
    found = []
    for row in rows[start:]:
        if row[0] is None:
            break
        while row and row[-1] is None:
            row = row[:-1]
        found.append(row)
    return found
