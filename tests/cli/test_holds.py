"""Holds with reasons (issue 16): `hold` in Change To keeps a session in its status with its clock stopped (Flag On
hold, never overdue, no due-date trigger), `resume` starts it again with the business days that were left, and
the Lists' reasons say why sessions move or wait — in Notes, in Hold Reason while it waits, and on the Dashboard.
The change that ends a hold records only its own reason: the hold's is named in its note, not given again."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from helpers.report_studio import REASONS_TITLE
from helpers.report_studio import table as dashboard_table
from helpers.workbooks import LISTS, SESSION_HEADER, cells, records, studio
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
    """A Sessions row in the template's columns (Reason, Held Since and Hold Reason included)."""
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
    assert ann["Hold Reason"] == "Waiting on client"  # on the row while it waits, spelt as on Lists
    assert ann["Reason"] is None  # the input is cleared, as every input the apply took
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
    assert ann["Flag"] is None and ann["Held Since"] is None and ann["Hold Reason"] is None
    resumed = records(book, "Notes")[-1]
    assert (resumed["From Status"], resumed["To Status"]) == ("Retouch Pending", "Retouch Pending")
    assert day(resumed["Date Completed"]) == WED_2 and day(resumed["Due Date"]) == MON_7
    assert resumed["Note"] == (
        "resumed after 4 business days on hold (Waiting on client), 3 business days left: the client chose the album"
    )
    assert resumed["Reason"] is None  # nothing was typed with the resume: the hold's reason was counted at the hold
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
    assert (
        "session 1: the hold since 25/11/2026 (Waiting on client) ended with the move to Order Delivered"
        in result.output
    )
    rows = by_id(book)
    assert rows[1]["Status"] == "Order Delivered" and rows[1]["Held Since"] is None and rows[1]["Flag"] is None
    assert rows[2]["Status"] == "Image Capture Pending" and rows[2]["Held Since"] is None
    assert day(rows[2]["Due Date"]) == dt.date(2026, 12, 4) and rows[2]["Flag"] == "Due soon"
    assert rows[2]["Reason"] is None  # the move took the reason into Notes
    assert rows[1]["Hold Reason"] is None and rows[2]["Hold Reason"] is None
    moves = records(book, "Notes")[2:]
    assert [(n["To Status"], n["Reason"], n["Note"]) for n in moves] == [
        ("Order Delivered", None, "ends the hold since 25/11/2026 (Waiting on client)"),  # no reason typed
        ("Image Capture Pending", "Reshoot needed", "ends the hold since 25/11/2026 (Waiting on payment)"),
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
    assert ann["Flag"] == "On hold" and ann["Hold Reason"] == "Waiting on payment"
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
    applied = sheetflow("apply", book, today=WED_25)
    assert applied.exit_code == 0
    said = 'Sessions!V2: warning: session 1: Hold Reason "waiting on paymnt" is not on the Reasons list'
    assert said in applied.output and "the session is on hold, with the reason as typed" in applied.output
    result = sheetflow("validate", book, today=WED_25)
    assert said in result.output  # read back from the row, the same warning at the same cell
    assert 'did you mean "Waiting on payment"?' in result.output
    assert "Sessions!T2" not in result.output  # the Reason input is blank: nothing is wrong there


def test_a_hold_reason_on_a_session_not_on_hold_is_a_warning_at_its_cell(tmp_path, sheetflow):
    book = make(tmp_path, session(session_id=1, **RETOUCHING, hold_reason="Waiting on client"))
    result = sheetflow("validate", book, today=WED_25)
    assert result.exit_code == 0, result.output
    (problem,) = records(book, "Problems")
    assert (problem["Severity"], problem["Where"]) == ("warning", "Sessions!V2")
    assert problem["Problem"] == (
        'session 1: Hold Reason "Waiting on client" is filled, but the session is not on hold (its Held Since is blank)'
    )
    assert problem["How to fix"].startswith("clear the Hold Reason cell")


def test_the_reasons_report_counts_the_hold_once_and_the_move_after_it_by_its_own_reason(tmp_path, sheetflow):
    book = make(
        tmp_path,
        session(session_id=1, **RETOUCHING, change_to="hold", reason=REASONS[0]),
        session(session_id=2, **RETOUCHING, change_to="hold", reason=REASONS[0]),
    )
    assert sheetflow("apply", book, today=WED_25).exit_code == 0
    type_into(book, 1, change_to="next")
    type_into(book, 2, change_to="resume")
    assert sheetflow("apply", book, today=WED_2).exit_code == 0
    assert sheetflow("report", book, today=WED_2).exit_code == 0
    lines = reasons_table(book)
    assert lines[0][:5] == ["Status", "Reason", "Times Given", "Moved On", "Held"]
    assert [line[:5] for line in lines[1:]] == [
        ["Retouch Pending", "Waiting on client", 2, 0, 2],  # the two holds, and not the move nor the resume
        ["Retouch Pending", "(no reason given)", 1, 1, 0],  # the move after the hold: nothing typed with it
    ]


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
    assert [c.value for c in next(wb["Sessions"].iter_rows(max_row=1))][19:] == ["Reason", "Held Since", "Hold Reason"]
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
    assert ann["Flag"] == "On hold" and day(ann["Held Since"]) == WED_25 and ann["Hold Reason"] == "waiting on client"
    assert ann["Reason"] is None
    assert "reason moved to Hold Reason" not in result.output  # nothing was held before this run


# A workbook of the version before Hold Reason: Reason and Held Since, and a held session's Reason is its hold's.
OLD_COLUMNS = [c for c in SESSIONS.columns if c != "Hold Reason"]


def old_way(tmp_path, *rows: dict):
    """A studio whose held sessions keep the hold's reason in Reason, as the version before Hold Reason did."""
    sessions = [[values.get(name.lower().replace(" ", "_")) for name in OLD_COLUMNS] for values in rows]
    return make(tmp_path, extra={"Sessions": [OLD_COLUMNS, *sessions]})


HELD_ON_25 = {**RETOUCHING, "held_since": WED_25, "flag": "On hold"}


def test_the_first_run_moves_each_held_sessions_reason_into_hold_reason(tmp_path, sheetflow):
    book = old_way(
        tmp_path,
        {"session_id": 1, **HELD_ON_25, "reason": "Waiting on client", "change_to": "resume"},
        {"session_id": 2, **HELD_ON_25, "reason": "waiting on paymnt"},
        {"session_id": 3, **HELD_ON_25},
        {"session_id": 4, **RETOUCHING, "reason": "Reshoot needed"},  # not held: a reason typed for its next change
    )
    result = sheetflow("apply", book, today=WED_2)
    assert result.exit_code == 0, result.output
    assert result.output.count("held sessions: their reason moved to Hold Reason") == 1
    assert "2 held sessions: their reason moved to Hold Reason" in result.output
    header = cells(book, "Sessions")[0]
    assert header[len(OLD_COLUMNS) :] == ["Hold Reason"]
    rows = by_id(book)
    assert rows[1]["Hold Reason"] is None and rows[1]["Held Since"] is None  # resumed in this very run
    assert (rows[2]["Hold Reason"], rows[2]["Reason"]) == ("waiting on paymnt", None)
    assert (rows[3]["Hold Reason"], rows[3]["Reason"]) == (None, None)
    assert (rows[4]["Hold Reason"], rows[4]["Reason"]) == (None, "Reshoot needed")  # stays for its next change
    (resumed,) = records(book, "Notes")
    assert resumed["Reason"] is None and resumed["Note"].startswith(
        "resumed after 4 business days on hold (Waiting on client), "
    )
    problems = {p["Where"]: p["Problem"] for p in records(book, "Problems")}
    assert problems == {
        "Sessions!V3": 'session 2: Hold Reason "waiting on paymnt" is not on the Reasons list (the Reason column '
        "of the Lists sheet)"
    }
    assert table(book, "Sessions on hold, by reason") == [
        ["Status", "Reason", "Sessions"],
        ["Retouch Pending", "(no reason given)", 1],
        ["Retouch Pending", "waiting on paymnt", 1],
    ]
    type_into(book, 2, change_to="next")
    again = sheetflow("apply", book, today=WED_2)
    assert again.exit_code == 0, again.output
    assert "moved to Hold Reason" not in again.output  # only the run that added the column moves reasons
    moved_on = records(book, "Notes")[-1]
    assert moved_on["Reason"] is None and moved_on["Note"] == "ends the hold since 25/11/2026 (waiting on paymnt)"
    assert by_id(book)[4]["Reason"] == "Reshoot needed"


def test_a_one_session_change_moves_every_held_sessions_reason(tmp_path, sheetflow):
    """`sheetflow change` reads only its session, yet adds the column for all: every held row's reason moves."""
    book = old_way(
        tmp_path,
        {"session_id": 1, **HELD_ON_25, "reason": "Waiting on client"},
        {"session_id": 2, **RETOUCHING},
    )
    result = sheetflow("change", book, 2, "--to", "hold", "--reason", "Waiting on payment", today=WED_2)
    assert result.exit_code == 0, result.output
    assert "1 held session: its reason moved to Hold Reason" in result.output
    rows = by_id(book)
    assert (rows[1]["Hold Reason"], rows[1]["Reason"]) == ("Waiting on client", None)
    assert rows[2]["Hold Reason"] == "Waiting on payment" and day(rows[2]["Held Since"]) == WED_2


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


def reasons_table(book) -> list[list]:
    """The Dashboard's reasons per status (columns J:P), as `sheetflow report` lays them out."""
    return dashboard_table(cells(book, "Dashboard"), REASONS_TITLE, 9)
